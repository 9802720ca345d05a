// Waiting that a shutdown cuts short: loops that back off or renew must stop promptly on stop().
import { setTimeout as delay } from 'node:timers/promises';

/** Waits `ms`, or less if `signal` aborts first; never rejects. */
export async function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return;
  // The only rejection is the AbortError: the wait is over either way.
  await delay(ms, undefined, { signal }).catch(() => undefined);
}
