import { describe, expect, it } from '@jest/globals';
import type { EncodedResource } from './resources.js';
import { SortedResourceSet } from './sorted-resource-set.js';

const r = (name: string, version = '1'): EncodedResource => ({ name, version, bytes: new Uint8Array([name.length]) });

describe('SortedResourceSet', () => {
  it('iterates in name order, whatever order it was given, and a later duplicate wins', () => {
    const b2 = r('b', '2');
    const set = SortedResourceSet.of([r('c'), r('a'), r('b'), b2]);
    expect([...set.keys()]).toEqual(['a', 'b', 'c']);
    expect(set.get('b')).toBe(b2);
    expect(set.size).toBe(3);
    expect(set.has('c')).toBe(true);
    expect(set.has('d')).toBe(false);
    expect(set.get('0')).toBeUndefined();
    expect([...set].map(([k, v]) => `${k}=${v.version}`)).toEqual(['a=1', 'b=2', 'c=1']);
    const seen: string[] = [];
    set.forEach((v, k, m) => {
      expect(m).toBe(set);
      seen.push(`${k}:${v.name}`);
    });
    expect(seen).toEqual(['a:a', 'b:b', 'c:c']);
  });

  it('with(): removes, inserts in order and replaces, leaving the original as it was', () => {
    const a = r('a');
    const set = SortedResourceSet.of([a, r('c'), r('e')]);
    const next = set.with(['c', 'missing'], [r('d'), r('b'), r('e', '2'), r('f')]);
    expect([...next.values()].map((x) => `${x.name}@${x.version}`)).toEqual(['a@1', 'b@1', 'd@1', 'e@2', 'f@1']);
    expect(next.get('a')).toBe(a);
    expect([...set.keys()]).toEqual(['a', 'c', 'e']);
    expect(set.with([], [a])).toBe(set);
    expect(set.with(['zzz'], [])).toBe(set);
  });

  it('changedNames(): added, removed and re-versioned names in one walk; equal objects are skipped', () => {
    const a = r('a');
    const before = SortedResourceSet.of([a, r('b'), r('c'), r('d')]);
    const after = before.with(['b'], [r('c', '2'), r('e'), r('d')]);
    expect([...SortedResourceSet.changedNames(before, after)].sort()).toEqual(['b', 'c', 'e']);
    expect(SortedResourceSet.changedNames(before, before).size).toBe(0);
    expect([...SortedResourceSet.changedNames(SortedResourceSet.of([]), before)]).toEqual(['a', 'b', 'c', 'd']);
    expect([...SortedResourceSet.changedNames(before, SortedResourceSet.of([]))]).toEqual(['a', 'b', 'c', 'd']);
  });

  it('changedNames of a set made by with() looks only at what with() touched, with the answer of a full walk', () => {
    const base = SortedResourceSet.of(Array.from({ length: 50 }, (_, i) => r(`n${String(i).padStart(2, '0')}`)));
    const same = r('n10'); // replaced by an equal version: not a change
    const next = base.with(['n03', 'n40', 'absent'], [r('n07', '2'), same, r('n99'), r('a')]);
    const walked = SortedResourceSet.changedNames(SortedResourceSet.of([...base.values()]), SortedResourceSet.of([...next.values()]));
    expect(SortedResourceSet.changedNames(base, next)).toEqual(walked);
    expect([...walked].sort()).toEqual(['a', 'n03', 'n07', 'n40', 'n99']);
    // Two steps on: not derived from `base` in one step, so walked in full (same answer).
    const later = next.with([], [r('n20', '3')]);
    expect(SortedResourceSet.changedNames(base, later)).toEqual(new Set([...walked, 'n20']));
    expect(SortedResourceSet.changedNames(next, later)).toEqual(new Set(['n20']));
    expect(SortedResourceSet.changedNames(later, later).size).toBe(0);
  });
});
