import { describe, expect, it } from '@jest/globals';
import { nextBurstLevel, translationDue } from './translation-timing.js';

const timing = { windowMs: 30, burstMaxWaitMs: 1000 };

describe('translationDue', () => {
  it('translates a change after a quiet period at once', () => {
    expect(translationDue({ since: 1000, lastAt: 1000, dense: false }, 900, 0, timing)).toMatchObject({ at: 1000, leading: true });
  });
  it('holds a lone change that lands just after a translation only until the window has passed, whatever the burst level', () => {
    // A bench adding one route every ~150 ms: the next lands 28 ms after the last translation.
    for (const level of [0, 3, 16]) {
      expect(translationDue({ since: 1028, lastAt: 1028, dense: false }, 1000, level, timing).at).toBe(1030);
    }
  });
  it('in a burst, waits for the quiet, then for a wait that doubles per translation the burst has lasted', () => {
    expect(translationDue({ since: 1010, lastAt: 1020, dense: true }, 1000, 0, timing).at).toBe(1050);
    // Changes still coming at level 3: the quiet is 120 ms, the first change is held up to 480 ms.
    expect(translationDue({ since: 1010, lastAt: 1400, dense: true }, 1000, 3, timing).at).toBe(1490);
    expect(translationDue({ since: 1010, lastAt: 1480, dense: true }, 1000, 3, timing).at).toBe(1490);
    // Never more than burstMaxWaitMs after the first change.
    expect(translationDue({ since: 1010, lastAt: 1990, dense: true }, 1000, 16, timing).at).toBe(2010);
  });
});

describe('nextBurstLevel', () => {
  it('rises only while dense changes keep coming, and falls back to 0 otherwise', () => {
    const dense = { since: 1010, lastAt: 1045, dense: true };
    const due = translationDue(dense, 1000, 2, timing);
    expect(nextBurstLevel(dense, due, 2, 1050)).toBe(3);
    expect(nextBurstLevel(dense, due, 2, dense.lastAt + due.quietMs)).toBe(0);
    const lone = { since: 1028, lastAt: 1028, dense: false };
    expect(nextBurstLevel(lone, translationDue(lone, 1000, 16, timing), 16, 1030)).toBe(0);
  });
});
