import { describe, expect, it } from '@jest/globals';
import type { Condition } from '@gantry/api';
import { MAX_CONDITION_MESSAGE, mergeConditions } from './conditions.js';
import { jsonEqual } from './equality.js';

const T0 = '2026-01-01T00:00:00Z';
const NOW = '2026-02-02T12:00:00Z';

function cond(type: string, status: Condition['status'], reason = type, extra: Partial<Condition> = {}): Condition {
  return { type, status, reason, message: `${type} ${status}`, ...extra };
}

describe('mergeConditions', () => {
  const cases: { name: string; current: Condition[] | undefined; desired: Condition[]; want: Condition[] }[] = [
    {
      name: 'new condition gets now',
      current: undefined,
      desired: [cond('Accepted', 'True', 'Accepted', { observedGeneration: 2 })],
      want: [{ ...cond('Accepted', 'True', 'Accepted'), observedGeneration: 2, lastTransitionTime: NOW }],
    },
    {
      name: 'same type and status keeps lastTransitionTime',
      current: [cond('Accepted', 'True', 'Accepted', { lastTransitionTime: T0, observedGeneration: 1 })],
      desired: [cond('Accepted', 'True', 'Accepted', { observedGeneration: 2 })],
      want: [{ ...cond('Accepted', 'True', 'Accepted'), observedGeneration: 2, lastTransitionTime: T0 }],
    },
    {
      name: 'a new reason and message alone is not a transition',
      current: [cond('Accepted', 'True', 'Accepted', { lastTransitionTime: T0 })],
      desired: [{ type: 'Accepted', status: 'True', reason: 'ListenersNotValid', message: 'Invalid listeners: a' }],
      want: [{ type: 'Accepted', status: 'True', reason: 'ListenersNotValid', message: 'Invalid listeners: a', lastTransitionTime: T0 }],
    },
    {
      name: 'a status flip sets now',
      current: [cond('Programmed', 'Unknown', 'Pending', { lastTransitionTime: T0 })],
      desired: [cond('Programmed', 'True', 'Programmed')],
      want: [{ ...cond('Programmed', 'True', 'Programmed'), lastTransitionTime: NOW }],
    },
    {
      name: 'a current condition without lastTransitionTime gets now',
      current: [cond('Accepted', 'True')],
      desired: [cond('Accepted', 'True')],
      want: [{ ...cond('Accepted', 'True'), lastTransitionTime: NOW }],
    },
    {
      name: 'current conditions of other types are dropped; desired order wins',
      current: [cond('Old', 'True', 'Old', { lastTransitionTime: T0 }), cond('B', 'False', 'B', { lastTransitionTime: T0 })],
      desired: [cond('A', 'True'), cond('B', 'False')],
      want: [
        { ...cond('A', 'True'), lastTransitionTime: NOW },
        { ...cond('B', 'False'), lastTransitionTime: T0 },
      ],
    },
  ];
  it.each(cases)('$name', ({ current, desired, want }) => {
    expect(mergeConditions(current, desired, { now: NOW })).toEqual(want);
  });

  it('fills observedGeneration from the options when a condition lacks it', () => {
    expect(mergeConditions(undefined, [cond('A', 'True')], { now: NOW, observedGeneration: 7 })[0]?.observedGeneration).toBe(7);
    expect(mergeConditions(undefined, [cond('A', 'True', 'A', { observedGeneration: 3 })], { now: NOW, observedGeneration: 7 })[0]?.observedGeneration).toBe(3);
  });

  it('cuts messages to the API limit', () => {
    const [c] = mergeConditions(undefined, [{ ...cond('A', 'False'), message: 'x'.repeat(MAX_CONDITION_MESSAGE + 10) }], { now: NOW });
    expect(c?.message.length).toBe(MAX_CONDITION_MESSAGE);
  });
});

describe('jsonEqual', () => {
  it.each([
    [{ a: 1, b: [1, { c: 2, d: 3 }] }, { b: [1, { d: 3, c: 2 }], a: 1 }, true],
    [{ a: 1, b: undefined }, { a: 1 }, true],
    [[1, 2], [2, 1], false],
    [{ a: [] }, { a: {} }, false],
    [{ a: null }, { a: undefined }, false],
    [{ a: 1 }, { a: '1' }, false],
    [{}, { a: 1 }, false],
  ])('%j vs %j → %s', (a, b, want) => {
    expect(jsonEqual(a, b)).toBe(want);
    expect(jsonEqual(b, a)).toBe(want);
  });
});
