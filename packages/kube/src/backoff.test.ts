import { describe, expect, it } from '@jest/globals';
import { Backoff, jittered } from './backoff.js';

describe('Backoff', () => {
  it('stays within [ceiling/2, ceiling], the ceiling doubling up to maxMs', () => {
    for (const r of [0, 0.5, 0.999999]) {
      const b = new Backoff({ initialMs: 100, maxMs: 1000 }, () => r);
      const ceilings = [100, 200, 400, 800, 1000, 1000, 1000];
      for (const c of ceilings) {
        const d = b.next();
        expect(d).toBeGreaterThanOrEqual(c / 2);
        expect(d).toBeLessThanOrEqual(c);
      }
    }
  });

  it('spreads delays at random, never above maxMs nor below initialMs/2', () => {
    const b = new Backoff({ initialMs: 50, maxMs: 400 });
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const d = b.next();
      expect(d).toBeGreaterThanOrEqual(25);
      expect(d).toBeLessThanOrEqual(400);
      if (i > 10) seen.add(d);
    }
    expect(seen.size).toBeGreaterThan(20); // jitter, not a fixed step
  });

  it('starts over after reset and counts failures', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 10_000 }, () => 1);
    b.next();
    b.next();
    expect(b.next()).toBe(400);
    expect(b.failures).toBe(3);
    b.reset();
    expect(b.failures).toBe(0);
    expect(b.next()).toBe(100);
  });

  it('survives many failures without overflowing', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 5000 }, () => 1);
    for (let i = 0; i < 5000; i++) b.next();
    expect(b.next()).toBe(5000);
  });

  it('rejects nonsense bounds', () => {
    expect(() => new Backoff({ initialMs: 0, maxMs: 10 })).toThrow();
    expect(() => new Backoff({ initialMs: 100, maxMs: 10 })).toThrow();
  });
});

describe('jittered', () => {
  it('spreads by ±fraction', () => {
    expect(jittered(1000, 0.25, () => 0)).toBe(750);
    expect(jittered(1000, 0.25, () => 1)).toBe(1250);
    expect(jittered(1000, 0.25, () => 0.5)).toBe(1000);
  });
});
