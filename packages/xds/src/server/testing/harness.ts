// A real ADS server on 127.0.0.1 (random port) with an event recorder, for tests and the benchmark.

import { SnapshotCache } from '../../cache/snapshot-cache.js';
import { AdsServer, type AdsServerEvents, type AdsServerOptions } from '../ads-server.js';

export interface RecordedEvent {
  readonly name: keyof AdsServerEvents;
  readonly args: readonly unknown[];
}

export interface Harness {
  readonly cache: SnapshotCache;
  readonly server: AdsServer;
  readonly port: number;
  readonly events: RecordedEvent[];
  /** Resolves with the args of the next (or an already recorded, unconsumed) matching event. */
  waitFor<K extends keyof AdsServerEvents>(name: K, match?: (...args: AdsServerEvents[K]) => boolean, timeoutMs?: number): Promise<AdsServerEvents[K]>;
  stop(): Promise<void>;
}

const EVENT_NAMES: readonly (keyof AdsServerEvents)[] = ['connect', 'disconnect', 'ack', 'nack', 'synced', 'push', 'refused'];

export async function startHarness(options: Partial<AdsServerOptions> = {}): Promise<Harness> {
  const cache = options.cache ?? new SnapshotCache();
  const server = new AdsServer({ phaseTimeoutMs: 1000, ...options, cache });
  const port = await server.start('127.0.0.1', 0);
  const events: RecordedEvent[] = [];
  const consumed = new WeakSet<RecordedEvent>();
  type Waiter = { name: keyof AdsServerEvents; match: (args: readonly unknown[]) => boolean; resolve: (e: RecordedEvent) => void };
  const waiters: Waiter[] = [];
  for (const name of EVENT_NAMES) {
    server.on(name, (...args: unknown[]) => {
      const event: RecordedEvent = { name, args };
      events.push(event);
      const i = waiters.findIndex((w) => w.name === name && w.match(args));
      if (i >= 0) {
        consumed.add(event);
        waiters.splice(i, 1)[0]!.resolve(event);
      }
    });
  }
  return {
    cache,
    server,
    port,
    events,
    waitFor<K extends keyof AdsServerEvents>(name: K, match?: (...args: AdsServerEvents[K]) => boolean, timeoutMs = 5000) {
      const test = (args: readonly unknown[]) => match === undefined || match(...(args as AdsServerEvents[K]));
      const already = events.find((e) => e.name === name && !consumed.has(e) && test(e.args));
      if (already !== undefined) {
        consumed.add(already);
        return Promise.resolve(already.args as AdsServerEvents[K]);
      }
      return new Promise<AdsServerEvents[K]>((resolve, reject) => {
        const waiter: Waiter = {
          name,
          match: test,
          resolve: (e) => {
            clearTimeout(timer);
            resolve(e.args as AdsServerEvents[K]);
          },
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`timed out waiting for event "${name}"`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    stop: () => server.stop(500),
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
