import { describe, expect, it } from '@jest/globals';
import { IdentityIndex } from './identity-index.js';
import { labelSelectorError, selectorMatches } from '@gantry/api';
import { re2Error } from './envoy-limits.js';
import { applySorted, compareStrings } from './sorted.js';
import { deepEqual } from './equality.js';
import { markProgrammed, type StatusReport } from '../status/reports.js';

describe('label selectors', () => {
  const labels = { team: 'a', env: 'prod' };
  it('matchLabels and matchExpressions are ANDed', () => {
    expect(selectorMatches({}, labels)).toBe(true);
    expect(selectorMatches({ matchLabels: { team: 'a' } }, labels)).toBe(true);
    expect(selectorMatches({ matchLabels: { team: 'b' } }, labels)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'dev'] }] }, labels)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }, labels)).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'missing', operator: 'NotIn', values: ['x'] }] }, labels)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'team', operator: 'Exists' }] }, labels)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'team', operator: 'DoesNotExist' }] }, labels)).toBe(false);
    expect(selectorMatches({ matchLabels: { team: 'a' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['dev'] }] }, labels)).toBe(false);
  });
  it('reports malformed selectors', () => {
    expect(labelSelectorError({ matchExpressions: [{ key: 'a', operator: 'In' }] })).toMatch(/needs values/);
    expect(labelSelectorError({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] })).toMatch(/takes no values/);
    expect(labelSelectorError({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] })).toMatch(/unknown operator/);
    expect(labelSelectorError({ matchLabels: { a: 'b' } })).toBeUndefined();
  });
});

describe('RE2 compatibility check', () => {
  it.each(['/items/[0-9]+', '^/a(b|c)*$', '/(?P<id>[a-z]+)', '(?i)/case', '/x(?i:y)z', '\\d{2,3}'])('accepts %s', (r) =>
    expect(re2Error(r)).toBeUndefined(),
  );
  it.each(['(?=x)', '(?!x)', '(?<=x)y', '(a)\\1', '(unclosed', '[z-a]', 'a**', 'a{1001}', '(a{100}){20}', 'x{2,5000}'])('rejects %s', (r) =>
    expect(re2Error(r)).toBeDefined(),
  );
  it.each(['a{1000}', '(a{10}){100}', 'b{2,1000}', '[{]1001', '\\{9999}'])('accepts repetition %s', (r) => expect(re2Error(r)).toBeUndefined());
});

describe('applySorted', () => {
  it('inserts and removes by identity, keeping order', () => {
    const a = ['b', 'd', 'f'];
    const out = applySorted(a, compareStrings, ['d'], ['a', 'e', 'g']);
    expect(out).toEqual(['a', 'b', 'e', 'f', 'g']);
    expect(a).toEqual(['b', 'd', 'f']);
  });
  it('returns the same array when nothing changes', () => {
    const a = ['x'];
    expect(applySorted(a, compareStrings, [], [])).toBe(a);
  });
  it('large batches give the same result as small ones', () => {
    const base = Array.from({ length: 100 }, (_, i) => `k${String(i).padStart(3, '0')}`);
    const removed = base.filter((_, i) => i % 3 === 0);
    const added = Array.from({ length: 40 }, (_, i) => `j${i}`);
    const big = applySorted(base, compareStrings, removed, added);
    let small: readonly string[] = base;
    for (const r of removed) small = applySorted(small, compareStrings, [r], []);
    for (const x of added) small = applySorted(small, compareStrings, [], [x]);
    expect(big).toEqual(small);
  });
});

describe('IdentityIndex', () => {
  const o = (name: string, v = 0) => ({ name, v });
  it('reports added, replaced and removed keys, and nothing for an unchanged array', () => {
    const idx = new IdentityIndex<{ name: string; v: number }>((x) => x.name);
    const a = o('a');
    const b = o('b');
    const first = [a, b];
    expect([...idx.update(first)].sort()).toEqual(['a', 'b']);
    expect([...idx.update(first)]).toEqual([]);
    expect([...idx.update([a, b])]).toEqual([]);
    const b2 = o('b', 1);
    expect([...idx.update([a, b2, o('c')])].sort()).toEqual(['b', 'c']);
    expect(idx.get('b')).toBe(b2);
    expect([...idx.update([b2])].sort()).toEqual(['a', 'c']);
    expect(idx.size).toBe(1);
  });
  it('lets the last of repeated keys win without churning', () => {
    const idx = new IdentityIndex<{ name: string; v: number }>((x) => x.name);
    const x1 = o('x', 1);
    const x2 = o('x', 2);
    idx.update([x1, x2]);
    expect(idx.get('x')).toBe(x2);
    expect([...idx.update([x1, x2])]).toEqual([]);
    expect([...idx.update([x1])]).toEqual(['x']);
    expect(idx.get('x')).toBe(x1);
  });
});

describe('IdentityIndex, randomized', () => {
  // Edits like a store's (in place, inserts, removals), plus reorders and repeated keys: the keys
  // reported must be exactly those whose winning object (the last with the key) changed.
  it('reports exactly the changed keys', () => {
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let trial = 0; trial < 400; trial++) {
      const idx = new IdentityIndex<{ k: string }>((x) => x.k);
      const repeats = trial % 2 === 0;
      let uid = 0;
      const fresh = () => ({ k: repeats ? `k${rnd(30)}` : `u${uid++}` });
      let items: { k: string }[] = [];
      let model = new Map<string, { k: string }>();
      for (let step = 0; step < 15; step++) {
        const next = items.slice();
        for (let ops = 1 + rnd(4); ops > 0; ops--) {
          const r = rnd(6);
          if (r === 0 && next.length > 0) next.splice(rnd(next.length), 1);
          else if (r === 1) next.splice(rnd(next.length + 1), 0, fresh());
          else if (r === 2 && next.length > 0) {
            const i = rnd(next.length);
            next[i] = { k: (next[i] as { k: string }).k };
          } else if (r === 3 && next.length > 1) {
            const i = rnd(next.length);
            const j = rnd(next.length);
            [next[i], next[j]] = [next[j] as { k: string }, next[i] as { k: string }];
          } else if (r === 4) next.splice(rnd(next.length + 1), 0, ...Array.from({ length: rnd(12) }, fresh));
          else if (r === 5 && rnd(4) === 0) next.reverse();
        }
        const want = new Map(next.map((x) => [x.k, x]));
        const expected = new Set([...want].filter(([k, v]) => model.get(k) !== v).map(([k]) => k));
        for (const k of model.keys()) if (!want.has(k)) expected.add(k);
        expect([...idx.update(next)].sort()).toEqual([...expected].sort());
        expect(idx.size).toBe(want.size);
        for (const [k, v] of want) expect(idx.get(k)).toBe(v);
        items = next;
        model = want;
      }
    }
  });
});

describe('deepEqual', () => {
  it('compares plain data structurally', () => {
    expect(deepEqual({ a: [1, { b: 'c' }] }, { a: [1, { b: 'c' }] })).toBe(true);
    expect(deepEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(deepEqual([1, 2], [2, 1])).toBe(false);
    expect(deepEqual(null, {})).toBe(false);
  });
});

describe('markProgrammed', () => {
  const report: StatusReport = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    namespace: 'default',
    name: 'gw',
    generation: 2,
    status: {
      conditions: [
        { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'ok', observedGeneration: 2 },
        { type: 'Programmed', status: 'Unknown', reason: 'Pending', message: 'waiting', observedGeneration: 2 },
      ],
      listeners: [
        { name: 'a', supportedKinds: [], attachedRoutes: 0, conditions: [{ type: 'Programmed', status: 'Unknown', reason: 'Pending', message: 'w', observedGeneration: 2 }] },
        { name: 'b', supportedKinds: [], attachedRoutes: 0, conditions: [{ type: 'Programmed', status: 'False', reason: 'Invalid', message: 'bad cert', observedGeneration: 2 }] },
      ],
    },
  };
  it('turns Pending into Programmed after an ACK, leaving other verdicts alone', () => {
    const r = markProgrammed(report, { acked: true });
    const s = r.status as { conditions: { type: string; status: string; reason: string }[]; listeners: { conditions: { status: string; reason: string }[] }[] };
    expect(s.conditions[1]).toMatchObject({ type: 'Programmed', status: 'True', reason: 'Programmed' });
    expect(s.listeners[0]?.conditions[0]).toMatchObject({ status: 'True', reason: 'Programmed' });
    expect(s.listeners[1]?.conditions[0]).toMatchObject({ status: 'False', reason: 'Invalid' });
    expect((report.status as { conditions: { status: string }[] }).conditions[1]?.status).toBe('Unknown');
  });
  it('turns Pending into Invalid after a NACK', () => {
    const r = markProgrammed(report, { acked: false, message: 'NACK: bad regex' });
    const s = r.status as { conditions: { status: string; reason: string; message: string }[] };
    expect(s.conditions[1]).toMatchObject({ status: 'False', reason: 'Invalid', message: 'NACK: bad regex' });
  });
});
