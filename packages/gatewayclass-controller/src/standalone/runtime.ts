// Standalone mode without the file watching: an ADS server, the pipeline, and one local Envoy per
// accepted Gateway, started when the Gateway appears and stopped when it goes. The `gantry
// standalone` command feeds it the objects that changed (update()); tests may hand it every object
// each time (apply()), which it diffs first. Either way the pipeline gets a snapshot in which only
// changed objects are new, and translates incrementally, as in controller mode.
// Subpaths rather than the package entries: the entries also load what standalone never uses (the
// xDS certificate authority, every Envoy message), and module loading is part of the cold start.
import { AdsServer } from '@gantry/xds/server/ads-server';
import { SnapshotCache } from '@gantry/xds/cache/snapshot-cache';
import { adsBootstrap } from '@gantry/xds/bootstrap/ads';
import { NackGuard, handleNack } from '../nack-withhold.js';
import type { KubeObject, Snapshot } from '@gantry/api';
import { EnvoyProcess } from '../envoy/process.js';
import { logger, type Logger } from '../log.js';
import { Pipeline, type PipelineRun } from '../pipeline.js';
import { ManifestSet, type ObjectChange } from './manifest-set.js';
import { SnapshotStore } from './snapshot-store.js';
import { WarmSink } from './warm-sink.js';
import { CONTROLLER_NAME, type StatusReport } from '@gantry/translator';
import { safeErrorMessage } from '@gantry/ir';

export interface StandaloneOptions {
  readonly envoyPath: string;
  /** Address the Envoy listeners bind to. */
  readonly listenAddress: string;
  readonly xdsHost?: string;
  /** 0 picks a free port. */
  readonly xdsPort?: number;
  /** Admin port of the first Gateway's Envoy; the next ones count up. 0 lets each pick a free port. */
  readonly adminPortBase?: number;
  readonly envoyLogLevel?: string;
  /** The install namespace: its Upstreams may name Services in any namespace (default gantry-system). */
  readonly installNamespace?: string;
  /** Refuse backendRefs to Services: routes must name Upstreams. */
  readonly disableKubernetesDestinations?: boolean;
  /** Use state-of-the-world xDS instead of delta. */
  readonly sotw?: boolean;
  /** Keep every per-cluster stat of the Envoys (see adsBootstrap's trimClusterStats). */
  readonly allClusterStats?: boolean;
}

interface RunningEnvoy {
  readonly process: EnvoyProcess;
  readonly adminPort: number;
}

export class StandaloneRuntime {
  readonly cache = new SnapshotCache();
  /** Between the pipeline and the cache: withholds the resources Envoy refused (NACKs). */
  readonly guard: NackGuard;
  readonly server: AdsServer;
  /** Between the pipeline and the guard: holds back listeners and routes while the first load is partial. */
  private readonly warm: WarmSink;
  /** True between preload() and the next update(): the objects so far are not the whole input. */
  private loading = false;
  /** Objects preloaded while the Envoys were still applying the previous preload: translated once they are done. */
  private preloadDeferred = false;
  private readonly pipeline: Pipeline;
  private readonly envoys = new Map<string, RunningEnvoy>();
  private readonly log: Logger = logger('standalone');
  private xdsPort = 0;
  /** The status reports of the last run, and the status last logged per object. */
  private reportsSeen = new Set<StatusReport>();
  private readonly statusText = new Map<string, string>();
  private nextAdminPort: number;
  private readonly store = new SnapshotStore();
  /** The objects apply() was last given. */
  private readonly applied = new ManifestSet();
  private chain: Promise<void> = Promise.resolve();
  private queued: Promise<PipelineRun> | undefined;
  private readonly stageMs = { gateway: 0, xds: 0 };
  /** Status lines of earlier runs still being written (in order, after each run's push). */
  private statusLog: Promise<void> = Promise.resolve();

  constructor(private readonly opts: StandaloneOptions) {
    this.server = new AdsServer({
      cache: this.cache,
      logger: logger('ads'),
      plaintextReason: 'standalone mode on loopback, where only processes on this host (the Envoy it starts) can connect',
    });
    this.guard = new NackGuard(this.cache, () => { void this.enqueue([]).catch(() => undefined); });
    this.warm = new WarmSink(this.guard);
    this.pipeline = new Pipeline({
      sink: this.warm,
      withheldResources: () => this.guard.failures(),
      listenAddress: opts.listenAddress,
      ...(opts.installNamespace !== undefined ? { installNamespace: opts.installNamespace } : {}),
      ...(opts.disableKubernetesDestinations ? { disableKubernetesDestinations: true } : {}),
      onStage: (stage, ms) => { this.stageMs[stage] = Math.round(ms * 100) / 100; },
    });
    this.nextAdminPort = opts.adminPortBase ?? 19000;
    // How long each Envoy takes to apply a push (debug level): where a change's time goes.
    const pushed = new Map<string, number>();
    this.server.on('push', (gateway: string, nodeId: string, typeUrl: string) => {
      pushed.set(`${gateway} ${nodeId} ${typeUrl}`, performance.now());
    });
    this.server.on('ack', (gateway, typeUrl, _version, nodeId, snapshotVersion) => {
      this.guard.ack(gateway, typeUrl, snapshotVersion);
      const key = `${gateway} ${nodeId} ${typeUrl}`;
      const at = pushed.get(key);
      if (at === undefined) return;
      pushed.delete(key);
      this.log.debug('envoy applied a push', { gateway, type: typeUrl.slice(typeUrl.lastIndexOf('.') + 1), ms: Math.round((performance.now() - at) * 100) / 100 });
    });
    this.server.on('synced', () => {
      if (!this.preloadDeferred || !this.loading || !this.envoysSynced()) return;
      this.preloadDeferred = false;
      void this.enqueue([]).catch(() => undefined);
    });
    this.server.on('nack', (gateway, typeUrl, version, nodeId, message) => {
      this.log.error('envoy rejected configuration; it keeps serving the last good one', { gateway, typeUrl, version, nodeId, message });
      // The route it names is withheld (answered 500) and the rest goes on being applied.
      const { route, resources: names = [] } = handleNack(this.pipeline, this.guard, this.cache, gateway, typeUrl, message);
      if (route === undefined) {
        // Anything else it refused: withheld by the guard (last ACKed version served, or left out).
        if (names.length > 0) this.log.warn('Envoy rejected a resource: withheld until it changes', { gateway, typeUrl, names });
        return;
      }
      this.log.warn('Envoy rejected a route: withheld (answered 500) until it changes', { gateway, route });
      void this.enqueue([]).catch(() => undefined);
    });
  }

  async start(): Promise<number> {
    this.xdsPort = await this.server.start(this.opts.xdsHost ?? '127.0.0.1', this.opts.xdsPort ?? 0);
    this.log.info('xDS server listening', { host: this.opts.xdsHost ?? '127.0.0.1', port: this.xdsPort });
    return this.xdsPort;
  }

  /**
   * Makes `objects` the whole input (later duplicates of a kind/namespace/name are dropped) and
   * translates; only objects that differ from the previous call's count as changed.
   */
  apply(objects: readonly KubeObject[]): Promise<PipelineRun> {
    this.applied.setFile('', objects);
    return this.update(this.applied.flush());
  }

  /**
   * Takes the objects that changed now and translates them: at once, or right after the run in
   * progress, together with every change that arrives meanwhile (the latest objects win).
   * Publishes each Gateway's snapshot and starts/stops Envoys to match.
   */
  update(changes: readonly ObjectChange[]): Promise<PipelineRun> {
    this.loading = false;
    this.preloadDeferred = false;
    return this.enqueue(changes);
  }

  /**
   * During the first load of a large directory: takes the objects read so far, translates them,
   * and publishes only what Envoy needs before any listener (clusters, endpoints, secrets), so that
   * the Envoy creates its clusters while the rest is read. Nothing is served and no status is
   * logged until update() hands over the rest: from then on, runs publish everything again.
   * While the Envoys are still applying the previous preload, the objects are only stored (and
   * undefined is returned): they are translated together once the Envoys are done, so that the
   * translations are as few as the Envoys can take in.
   */
  preload(changes: readonly ObjectChange[]): Promise<PipelineRun | undefined> {
    this.loading = true;
    if (this.queued !== undefined || this.envoysSynced()) return this.enqueue(changes);
    this.store.apply(changes);
    this.preloadDeferred = true;
    return Promise.resolve(undefined);
  }

  /** Whether every Gateway's Envoys have applied its current snapshot. */
  private envoysSynced(): boolean {
    for (const key of this.cache.keys()) {
      const current = this.cache.get(key);
      if (current !== undefined && !this.server.isSynced(key, current.version)) return false;
    }
    return true;
  }

  private enqueue(changes: readonly ObjectChange[]): Promise<PipelineRun> {
    this.store.apply(changes);
    if (!this.queued) {
      const run = this.chain.then(() => {
        this.queued = undefined;
        return this.translate();
      });
      this.queued = run;
      // Only the order: the chain does not keep the run's result (its statuses, the IR of the run)
      // until the next run.
      this.chain = run.then(() => undefined, () => undefined);
    }
    return this.queued;
  }

  private async translate(): Promise<PipelineRun> {
    const snapshot = this.store.toSnapshot();
    // Envoys of Gateways of our classes start before the translation, so that their boot (their
    // own process) overlaps with it; one whose Gateway turns out not accepted is stopped below.
    for (const key of likelyGateways(snapshot)) if (!this.envoys.has(key)) await this.startEnvoy(key);
    const started = performance.now();
    const warming = this.loading;
    this.warm.warming = warming;
    const run = this.pipeline.run(snapshot);
    if (warming) {
      this.log.debug('preloaded', { objects: this.store.size, ms: Math.round((performance.now() - started) * 100) / 100 });
      return run;
    }
    this.warm.release();
    this.log.info('translated', {
      objects: this.store.size,
      gateways: run.result.gateways.size,
      changed: run.changed.length,
      ms: Math.round((performance.now() - started) * 100) / 100,
      gatewayMs: this.stageMs.gateway,
      xdsMs: this.stageMs.xds,
    });
    // After the push: the session sends the new snapshot from a microtask, and writing the status
    // of 10,000 routes takes longer than translating them (it held the first push by seconds).
    const statuses = run.statuses;
    this.statusLog = this.statusLog
      .then(() => this.logStatusChanges(statuses))
      .catch((err: unknown) => {
        this.log.warn('status not logged', { error: safeErrorMessage(err) });
      });
    for (const f of run.failures) this.log.warn('not encoded for Envoy; the rest of the Gateway is served', { ...f });
    for (const key of [...this.envoys.keys()]) if (!run.result.gateways.has(key)) await this.stopEnvoy(key);
    for (const key of run.result.gateways.keys()) if (!this.envoys.has(key)) await this.startEnvoy(key);
    return run;
  }

  adminPort(gatewayKey: string): number | undefined {
    return this.envoys.get(gatewayKey)?.adminPort;
  }

  /** Resolves once every Envoy of the Gateway has ACKed the Gateway's current snapshot. */
  async waitSynced(gatewayKey: string, timeoutMs = 30000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const current = this.cache.get(gatewayKey);
      if (current && this.server.isSynced(gatewayKey, current.version)) return;
      if (Date.now() > deadline) throw new Error(`Envoy of ${gatewayKey} did not sync within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(): Promise<void> {
    await this.statusLog;
    await Promise.all([...this.envoys.keys()].map((k) => this.stopEnvoy(k)));
    await this.server.stop();
  }

  private async startEnvoy(gatewayKey: string): Promise<void> {
    const adminPort = this.nextAdminPort === 0 ? 0 : this.nextAdminPort++;
    const proc = new EnvoyProcess({
      envoyPath: this.opts.envoyPath,
      name: gatewayKey,
      logLevel: this.opts.envoyLogLevel,
      log: logger('envoy'),
      bootstrap: adsBootstrap({
        gatewayKey,
        nodeId: `standalone-${gatewayKey.replace('/', '-')}`,
        xdsHost: this.opts.xdsHost ?? '127.0.0.1',
        xdsPort: this.xdsPort,
        adminPort,
        sotw: this.opts.sotw,
        // A local Envoy serving a directory is started often and with every cluster at once.
        deferredClusterStats: true,
        trimClusterStats: this.opts.allClusterStats !== true,
      }),
    });
    this.envoys.set(gatewayKey, { process: proc, adminPort });
    await proc.start();
    this.log.info('envoy started', { gateway: gatewayKey, pid: proc.pid, adminPort });
  }

  private async stopEnvoy(gatewayKey: string): Promise<void> {
    const running = this.envoys.get(gatewayKey);
    if (!running) return;
    this.envoys.delete(gatewayKey);
    await running.process.stop();
    this.log.info('envoy stopped', { gateway: gatewayKey });
  }

  /** Resolves once the status lines of every run so far are written. */
  statusLogged(): Promise<void> {
    return this.statusLog;
  }

  /**
   * Standalone has no API server to write status to: conditions that changed go to the log. Runs
   * outside the change's path, yielding to the event loop every STATUS_LOG_SLICE reports so that
   * xDS requests and ACKs are answered meanwhile.
   */
  private async logStatusChanges(reports: readonly StatusReport[]): Promise<void> {
    // winston formats every line before its transport drops it by level: below info (the
    // default of `--log-level warn`), comparing and formatting 10,000 statuses would be for nothing.
    if (!this.log.isInfoEnabled()) return;
    await new Promise((resolve) => setImmediate(resolve));
    // Reports of unchanged objects keep their identity: only new report objects are compared.
    const next = new Set(reports);
    const written = new Set<string>();
    let sinceYield = 0;
    for (const r of reports) {
      if (this.reportsSeen.has(r)) continue;
      const key = reportKey(r);
      const text = JSON.stringify(r.status);
      written.add(key);
      if (this.statusText.get(key) !== text) this.log.info('status', { object: key, status: r.status });
      this.statusText.set(key, text);
      if (++sinceYield === STATUS_LOG_SLICE) {
        sinceYield = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    for (const r of this.reportsSeen) {
      if (next.has(r)) continue;
      const key = reportKey(r);
      if (!written.has(key)) this.statusText.delete(key);
    }
    this.reportsSeen = next;
  }
}

/** Status reports compared (and logged when changed) between two turns of the event loop. */
const STATUS_LOG_SLICE = 500;

/** `namespace/name` of the Gateways whose class is ours (the translator decides whether they are accepted). */
function likelyGateways(snapshot: Snapshot): string[] {
  const ours = new Set(snapshot.gatewayClasses.filter((c) => c.spec?.controllerName === CONTROLLER_NAME).map((c) => c.metadata.name));
  return snapshot.gateways
    .filter((g) => ours.has(g.spec?.gatewayClassName ?? ''))
    .map((g) => `${g.metadata.namespace ?? 'default'}/${g.metadata.name}`);
}

function reportKey(r: StatusReport): string {
  return `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
}
