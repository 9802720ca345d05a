// What the benchmarks share: summary statistics, a route swapped into a snapshot, and waiting
// until the bench Gateway's Envoy has ACKed a snapshot.
import type { AdsServer } from '@gantry/xds';
import type { KubeObject, Snapshot } from '@gantry/api';
import { BENCH_GATEWAY } from './fixtures.js';

export interface Summary {
  readonly median: number;
  readonly p99: number;
  readonly min: number;
}

export function summarize(samples: readonly number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { median: at(0.5), p99: at(0.99), min: s[0]! };
}

/** "median … ms  p99 … ms  min … ms  (n=…)" */
export function formatSummary(samples: readonly number[]): string {
  const { median, p99, min } = summarize(samples);
  return `median ${median.toFixed(2).padStart(8)} ms  p99 ${p99.toFixed(2).padStart(8)} ms  min ${min.toFixed(2).padStart(8)} ms  (n=${samples.length})`;
}

/** The snapshot with HTTPRoute number `index` replaced. */
export function withRoute(snapshot: Snapshot, index: number, route: KubeObject): Snapshot {
  const httpRoutes = snapshot.httpRoutes.slice();
  httpRoutes[index] = route as (typeof httpRoutes)[number];
  return { ...snapshot, httpRoutes };
}

/** Resolves once the bench Gateway's Envoy has ACKed snapshot `version` (or a later one). */
export function syncedTo(server: AdsServer, version: number, timeoutMs = 10_000): Promise<void> {
  if (server.envoys(BENCH_GATEWAY).some((e) => e.syncedVersion >= version)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      server.off('synced', listener);
      reject(new Error(`the xDS client did not ACK snapshot ${version} within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (gateway: string, _node: string, synced: number): void => {
      if (gateway !== BENCH_GATEWAY || synced < version) return;
      server.off('synced', listener);
      clearTimeout(timer);
      resolve();
    };
    server.on('synced', listener);
  });
}
