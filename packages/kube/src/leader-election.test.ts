import { describe, expect, it } from '@jest/globals';
import { microTime } from './leader-election.js';
import { isGone } from './resilient-watch.js';

describe('microTime', () => {
  it('writes RFC 3339 with six fractional digits, as MicroTime requires', () => {
    expect(microTime(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)))).toBe('2026-01-02T03:04:05.678000Z');
  });
});

describe('isGone', () => {
  it('recognises 410 and the Expired/Gone reasons', () => {
    expect(isGone({ statusCode: 410 })).toBe(true);
    expect(isGone({ reason: 'Expired' })).toBe(true);
    expect(isGone({ statusCode: 500, reason: 'Gone' })).toBe(true);
    expect(isGone({ statusCode: 500, reason: 'InternalError' })).toBe(false);
    expect(isGone({})).toBe(false);
  });
});
