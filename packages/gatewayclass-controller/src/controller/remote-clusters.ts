// Remote clusters (`--remote-cluster NAME=KUBECONFIG`): per cluster, resilient watches on its
// Services, EndpointSlices and Pods (metadata only) into a store of its own, and a state machine
// that says how far the controller can trust what it holds:
//
//   Synced ──(a watch fails, or the health probe fails)──► Stale ──(staleAfterMs)──► Unreachable
//     ▲                                                     │                          │
//     └────────────(every watch relisted, probe ok)─────────┴──────────────────────────┘
//
// Stale keeps the last known objects (endpoints keep serving through a short API-server outage);
// Unreachable empties the snapshot's lists, so a cluster that is really gone stops receiving
// traffic. (The store itself keeps following the watches: when the cluster answers again, what
// it holds is current, whether the watches relisted or their streams survived.)
// Nothing is ever written to a remote cluster: it is read with list and watch only (plus GET
// /version as the health probe, which every authenticated client may do).
import type { KubeAccess } from '@gantry/kube';
import { KIND_TABLE, type EndpointSlice, type Pod, type RemoteClusterSnapshot, type Service } from '@gantry/api';
import { ObjectStore, ResilientWatch, requestJson, type BackoffOptions, type KindRef, type KubeObjectLike, type Logger } from '@gantry/kube';

export type RemoteClusterState = RemoteClusterSnapshot['state'];

/** The value of gantry_remote_cluster_state for each state. */
export const REMOTE_STATE_VALUE: Readonly<Record<RemoteClusterState, number>> = { Synced: 0, Stale: 1, Unreachable: 2 };

export interface RemoteClusterConfig {
  /** Unique, DNS-label-like, never `local`. */
  readonly name: string;
  readonly kubeConfig: KubeAccess;
}

export interface RemoteClusterEvents {
  /** A state change (logged and counted by the caller). */
  onState?(cluster: string, state: RemoteClusterState, previous: RemoteClusterState, reason: string): void;
  /** A watch stream was re-established. */
  onWatchRestart?(cluster: string, kind: string): void;
}

export interface RemoteClustersOptions extends RemoteClusterEvents {
  readonly clusters: readonly RemoteClusterConfig[];
  readonly logger: Logger;
  /** Called after anything that changes `snapshot()` (objects or a state). */
  readonly onChange: () => void;
  /** How long a cluster stays Stale (last known objects kept) before it is Unreachable. Default 5 min. */
  readonly staleAfterMs?: number;
  /** How often each cluster's health is checked (GET /version and the watches). Default 2 s. */
  readonly probeIntervalMs?: number;
  /** Time limit of a probe. Default 2 s. */
  readonly probeTimeoutMs?: number;
  /** Watch backoff (tests shorten it). */
  readonly backoff?: BackoffOptions;
  /** Watch watchdog (no byte for this long: relist). Default ResilientWatch's. */
  readonly watchdogMs?: number;
}

export const DEFAULT_STALE_AFTER_MS = 5 * 60_000;
const DEFAULT_PROBE_INTERVAL_MS = 2_000;
const DEFAULT_PROBE_TIMEOUT_MS = 2_000;

const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Why a cluster name is refused, or undefined. */
export function remoteClusterNameError(name: string): string | undefined {
  if (!NAME.test(name)) return `"${name}" is not a DNS label (lowercase letters, digits and '-', at most 63)`;
  if (name === 'local') return '"local" names the controller\'s own cluster';
  return undefined;
}

type Bucket = 'services' | 'endpointSlices' | 'pods';

const WATCHED: readonly { readonly bucket: Bucket; readonly kind: KindRef; readonly metadataOnly: boolean }[] = [
  { bucket: 'services', kind: kindRef(KIND_TABLE.Service), metadataOnly: false },
  { bucket: 'endpointSlices', kind: kindRef(KIND_TABLE.EndpointSlice), metadataOnly: false },
  { bucket: 'pods', kind: kindRef(KIND_TABLE.Pod), metadataOnly: true },
];

function kindRef(k: { kind: string; group: string; version: string; plural: string; namespaced: boolean }): KindRef {
  return { kind: k.kind, group: k.group, version: k.version, plural: k.plural, namespaced: k.namespaced };
}

const EMPTY: readonly never[] = Object.freeze([]);

interface WatchHealth {
  readonly watch: ResilientWatch<KubeObjectLike>;
  /** errors + watchdog firings seen when the watch last delivered a full list. */
  failuresAtLastList: number;
}

function failures(w: ResilientWatch<KubeObjectLike>): number {
  return w.stats.errors + w.stats.watchdogFirings;
}

class RemoteCluster {
  readonly store = new ObjectStore();
  watches: WatchHealth[] = [];
  state: RemoteClusterState = 'Unreachable';
  /** When it last left Synced (Stale → Unreachable is measured from here). */
  staleSince: number | undefined;
  probeOk = false;
  /** Whether any full list has ever arrived (before that it is Unreachable, not Stale). */
  everSynced = false;
  /**
   * The probe failed since the watches last listed. A silently cut stream (packets dropped, no
   * reset) looks healthy to its watch until the watchdog fires minutes later, so the watches are
   * made again, and list, before the cluster counts as Synced.
   */
  needsRelist = false;
  private snap: RemoteClusterSnapshot | undefined;
  private probing = false;
  private stopped = false;

  constructor(readonly config: RemoteClusterConfig, private readonly owner: RemoteClusters, private readonly opts: RemoteClustersOptions) {
    this.watches = this.makeWatches();
  }

  private makeWatches(): WatchHealth[] {
    const { config, opts } = this;
    const out: WatchHealth[] = [];
    for (const spec of WATCHED) {
      const watch = new ResilientWatch<KubeObjectLike>(config.kubeConfig, spec.kind, {
        metadataOnly: spec.metadataOnly,
        logger: opts.logger,
        ...(opts.backoff ? { backoff: opts.backoff } : {}),
        ...(opts.watchdogMs !== undefined ? { watchdogMs: opts.watchdogMs } : {}),
      });
      const health: WatchHealth = { watch, failuresAtLastList: 0 };
      let restarts = 0;
      watch.onEvent((event) => {
        if (!this.watches.includes(health)) return; // a replaced watch, still stopping
        if (event.type === 'RESYNC') health.failuresAtLastList = failures(watch);
        // Always applied, also while hidden (Unreachable), so the store follows the watches.
        const changed = this.store.apply(spec.bucket, event);
        if (watch.restarts !== restarts) {
          restarts = watch.restarts;
          opts.onWatchRestart?.(config.name, spec.kind.kind);
        }
        // A list brings the cluster back at once; a plain event only matters while it is visible.
        if (event.type === 'RESYNC') this.owner.evaluate(this);
        else if (changed && this.state !== 'Unreachable') this.owner.changed();
      });
      out.push(health);
    }
    return out;
  }

  /** Replaces the watches with new ones (which list first); the old ones stop in the background. */
  relist(): void {
    if (this.stopped) return;
    const old = this.watches;
    this.watches = this.makeWatches();
    for (const h of old) void h.watch.stop();
    for (const h of this.watches) h.watch.start();
  }

  /** Every watch has listed since its last failure. */
  get watchesHealthy(): boolean {
    return this.watches.every((h) => h.watch.hasSynced && failures(h.watch) === h.failuresAtLastList);
  }

  start(): void {
    for (const h of this.watches) h.watch.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.watches.map((h) => h.watch.stop()));
  }

  async probe(timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    try {
      const r = await requestJson(this.config.kubeConfig, '/version', { timeoutMs, signal });
      this.probeOk = r.status === 200;
    } catch {
      this.probeOk = false;
    } finally {
      if (!this.probeOk && this.everSynced) this.needsRelist = true;
      this.probing = false;
    }
  }

  snapshot(): RemoteClusterSnapshot {
    const visible = this.state !== 'Unreachable';
    const services = visible ? this.store.list<Service & KubeObjectLike>('services') : EMPTY;
    const endpointSlices = visible ? this.store.list<EndpointSlice & KubeObjectLike>('endpointSlices') : EMPTY;
    const pods = visible ? this.store.list<Pod & KubeObjectLike>('pods') : EMPTY;
    const prev = this.snap;
    if (prev && prev.state === this.state && prev.services === services && prev.endpointSlices === endpointSlices && prev.pods === pods) return prev;
    this.snap = Object.freeze({ name: this.config.name, state: this.state, services, endpointSlices, pods });
    return this.snap;
  }

  counts(): Readonly<Record<string, number>> {
    return { Service: this.store.size('services'), EndpointSlice: this.store.size('endpointSlices'), Pod: this.store.size('pods') };
  }
}

export class RemoteClusters {
  private readonly clusters: RemoteCluster[];
  private readonly staleAfterMs: number;
  private readonly probeIntervalMs: number;
  private readonly probeTimeoutMs: number;
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private snap: readonly RemoteClusterSnapshot[] | undefined;
  private stopped = false;

  constructor(private readonly opts: RemoteClustersOptions) {
    const seen = new Set<string>();
    for (const c of opts.clusters) {
      const problem = remoteClusterNameError(c.name);
      if (problem) throw new Error(`remote cluster: ${problem}`);
      if (seen.has(c.name)) throw new Error(`remote cluster "${c.name}" is given twice`);
      seen.add(c.name);
    }
    this.staleAfterMs = opts.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
    this.probeIntervalMs = opts.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS;
    this.probeTimeoutMs = opts.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
    this.clusters = [...opts.clusters].sort((a, b) => (a.name < b.name ? -1 : 1)).map((c) => new RemoteCluster(c, this, opts));
  }

  get names(): string[] {
    return this.clusters.map((c) => c.config.name);
  }

  start(): void {
    for (const c of this.clusters) c.start();
    const tick = (): void => {
      if (this.stopped) return;
      void Promise.all(this.clusters.map(async (c) => {
        await c.probe(this.probeTimeoutMs, this.abort.signal);
        if (!this.stopped) this.evaluate(c);
      })).finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.probeIntervalMs);
      });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort.abort();
    await Promise.all(this.clusters.map((c) => c.stop()));
  }

  /**
   * Every remote cluster, sorted by name; the same array (and the same entry per cluster) until
   * something in it changes, so translation of unchanged clusters stays cheap.
   */
  snapshot(): readonly RemoteClusterSnapshot[] {
    const next = this.clusters.map((c) => c.snapshot());
    const prev = this.snap;
    if (prev && prev.length === next.length && prev.every((s, i) => s === next[i])) return prev;
    this.snap = Object.freeze(next);
    return this.snap;
  }

  state(name: string): RemoteClusterState | undefined {
    return this.clusters.find((c) => c.config.name === name)?.state;
  }

  /** Per cluster: objects held, by kind (metrics). */
  counts(): { cluster: string; kind: string; count: number }[] {
    return this.clusters.flatMap((c) => Object.entries(c.counts()).map(([kind, count]) => ({ cluster: c.config.name, kind, count })));
  }

  /** @internal */
  changed(): void {
    if (!this.stopped) this.opts.onChange();
  }

  /** @internal Re-judges a cluster's state from its watches, its probe and the clock. */
  evaluate(c: RemoteCluster): void {
    if (this.stopped) return;
    const now = Date.now();
    if (c.probeOk && c.needsRelist) {
      c.needsRelist = false;
      c.relist();
    }
    const healthy = c.watchesHealthy && c.probeOk;
    let next: RemoteClusterState;
    let reason: string;
    if (healthy) {
      c.everSynced = true;
      c.staleSince = undefined;
      next = 'Synced';
      reason = 'every watch is listed and the API server answers';
    } else if (!c.everSynced) {
      next = 'Unreachable';
      reason = 'no complete list yet';
    } else {
      c.staleSince ??= now;
      next = now - c.staleSince >= this.staleAfterMs ? 'Unreachable' : 'Stale';
      reason = !c.probeOk ? 'the API server does not answer' : 'a watch failed and has not relisted yet';
      if (next === 'Unreachable') reason = `${reason} for ${Math.round((now - c.staleSince) / 1000)}s (stale-after ${Math.round(this.staleAfterMs / 1000)}s)`;
    }
    const previous = c.state;
    if (next === previous) return;
    c.state = next;
    this.opts.onState?.(c.config.name, next, previous, reason);
    this.changed();
  }
}
