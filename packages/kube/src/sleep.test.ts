import { describe, expect, it } from '@jest/globals';
import { sleepUnlessAborted } from './sleep.js';

describe('sleepUnlessAborted', () => {
  it('waits the given time when nothing aborts', async () => {
    const t0 = performance.now();
    await sleepUnlessAborted(30, new AbortController().signal);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
  });

  it('returns as soon as the signal aborts, without rejecting', async () => {
    const abort = new AbortController();
    const t0 = performance.now();
    setTimeout(() => abort.abort(), 10);
    await sleepUnlessAborted(10_000, abort.signal);
    expect(performance.now() - t0).toBeLessThan(5_000);
  });

  it('does not wait at all once aborted', async () => {
    const abort = new AbortController();
    abort.abort();
    const t0 = performance.now();
    await sleepUnlessAborted(10_000, abort.signal);
    expect(performance.now() - t0).toBeLessThan(1_000);
  });
});
