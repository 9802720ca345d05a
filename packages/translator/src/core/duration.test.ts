import { describe, expect, it } from '@jest/globals';
import { parseDurationMs } from './duration.js';

describe('parseDurationMs (GEP-2257)', () => {
  it.each([
    ['0s', 0],
    ['0h', 0],
    ['1h', 3_600_000],
    ['500ms', 500],
    ['1h2m3s4ms', 3_723_004],
    ['1h30m30s500ms', 5_430_500],
    ['00060m', 3_600_000],
    ['1h2h20m10m', 3 * 3_600_000 + 30 * 60_000],
    ['99999ms', 99_999],
  ])('%s = %d ms', (text, ms) => expect(parseDurationMs(text)).toBe(ms));

  it.each(['', '0', '1', '1m1', '1d', '1.5s', '-1s', '1h30m10s20ms50h', '999999h', '1 s', '1S', 'ms'])('rejects %p', (text) =>
    expect(parseDurationMs(text)).toBeUndefined(),
  );
});
