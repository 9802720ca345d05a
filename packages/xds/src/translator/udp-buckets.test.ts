import { describe, expect, it } from '@jest/globals';
import { sourcePortBuckets } from './listener.js';

describe('sourcePortBuckets (UDP weights per session)', () => {
  it('shares the 100 two-digit suffixes out by weight, in order, largest remainder first', () => {
    const b = sourcePortBuckets([70, 30]);
    expect(b.map((x) => x.length)).toEqual([70, 30]);
    expect(b[0]?.[0]).toBe('00');
    expect(b[1]?.[0]).toBe('70');
    expect(sourcePortBuckets([1, 1, 1]).map((x) => x.length)).toEqual([34, 33, 33]);
    expect(sourcePortBuckets([5]).map((x) => x.length)).toEqual([100]);
    expect(new Set(sourcePortBuckets([3, 2, 9]).flat()).size).toBe(100);
  });
});
