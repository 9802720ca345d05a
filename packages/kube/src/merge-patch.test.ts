import { describe, expect, it } from '@jest/globals';
import { applyMergePatch, mergePatchChanges } from './merge-patch.js';

describe('JSON merge patch', () => {
  const status = { conditions: [{ type: 'Accepted', status: 'True' }], addresses: [{ value: '10.0.0.1' }], listeners: [] };

  it('applies RFC 7386: objects merge, arrays replace, null deletes', () => {
    expect(applyMergePatch({ a: { b: 1, c: 2 }, d: [1, 2] }, { a: { c: null, e: 3 }, d: [3] })).toEqual({ a: { b: 1, e: 3 }, d: [3] });
    expect(applyMergePatch('x', { a: 1 })).toEqual({ a: 1 });
  });

  it('sees no change when the patch restates the current values', () => {
    expect(mergePatchChanges(status, { conditions: [{ type: 'Accepted', status: 'True' }] })).toBe(false);
    expect(mergePatchChanges(status, {})).toBe(false);
    expect(mergePatchChanges(status, { missing: null })).toBe(false);
  });

  it('sees a change for a different array, a new key, or a deletion', () => {
    expect(mergePatchChanges(status, { conditions: [{ type: 'Accepted', status: 'False' }] })).toBe(true);
    expect(mergePatchChanges(status, { conditions: [] })).toBe(true);
    expect(mergePatchChanges(status, { newField: 1 })).toBe(true);
    expect(mergePatchChanges(status, { addresses: null })).toBe(true);
  });

  it('agrees with applyMergePatch', () => {
    const cases: [unknown, unknown][] = [
      [status, { listeners: [] }],
      [status, { listeners: [{ name: 'http' }] }],
      [{ a: { b: { c: 1 } } }, { a: { b: { c: 1 } } }],
      [{ a: { b: { c: 1 } } }, { a: { b: { c: 2 } } }],
      [{ a: 1 }, { a: { b: 1 } }],
    ];
    for (const [t, p] of cases) {
      expect(mergePatchChanges(t, p)).toBe(JSON.stringify(applyMergePatch(t, p)) !== JSON.stringify(t));
    }
  });
});
