// `gantry controller`: watches → store → pipeline → ADS server on every replica; the leader also
// writes status and deploys each Gateway's Envoy. One serialized loop with a short holdoff turns
// bursts of watch events into one translation.
import type { KubeAccess } from '@gantry/kube';
import { LeaderElector, type CurrentObject, type KubeObjectLike } from '@gantry/kube';
import { AdsServer, SnapshotCache, shortType, type TypeUrl, type XdsSnapshot } from '@gantry/xds';
import { NackGuard, handleNack } from '../nack-withhold.js';
import { createAdminServer, type AdminServer } from '../admin/index.js';
import type { DiscoveryScope } from '@gantry/discovery';
import { KIND_TABLE, REPORTED_KINDS, apiVersionOf, type Gateway, type GatewayClass, type GatewayParameters, type GatewayStatus, type HTTPRouteStatus, type RouteParentKind, type Snapshot } from '@gantry/api';
import { Deployer } from '../deployer/index.js';
import { logger, getLogLevel, setLogLevel } from '../log.js';
import { Registry, createGantryMetrics, forgetGateway, instrumentAdsServer, recordEncodeFailures, recordSnapshotResources, type GantryMetrics } from '../metrics/index.js';
import { Pipeline, type PipelineRun } from '../pipeline.js';
import { dataPlaneOutcome, reportKey, resolveProgrammed, watchDataPlane, type DataPlaneOutcome, type ObjectStatus } from '../status/index.js';
import { CONTROLLER_NAME, DEFAULT_INSTALL_NAMESPACE, type StatusReport } from '@gantry/translator';
import { withDeployment } from './deploy-status.js';
import { Deployments, type WantedDeployment } from './deployments.js';
import { DATA_PLANE_REPORTS, KubeSources, OWNED_PREFIX } from './sources.js';
import { DataPlaneReporter } from './data-plane-reporter.js';
import { combineDataPlane, localDataPlane, otherReports, snapshotDigest, type DataPlaneReport, type GatewayDataPlane } from './data-plane.js';
import { NOT_CACHED, StatusWriter } from './status-writer.js';
import { StatusPublisher, type PublishHooks } from './status-publisher.js';
import { gatewayParametersReports } from '../deployer/parameters-status.js';
import { DiscoveryLoop } from './discovery-loop.js';
import { REMOTE_STATE_VALUE, RemoteClusters, type RemoteClusterConfig } from './remote-clusters.js';
import { XdsAuthority, XdsClientSecrets } from '../xds-auth/index.js';
import { nextBurstLevel, translationDue } from './translation-timing.js';

export interface ControllerOptions {
  readonly kubeConfig: KubeAccess;
  /**
   * Test-only: every snapshot the xds translator emits passes through this before it is served
   * (to make one Envoy refuses, which the translator never emits). Not a CLI flag.
   */
  readonly snapshotHook?: (gatewayKey: string, snapshot: XdsSnapshot) => XdsSnapshot;
  readonly controllerName?: string;
  /** The controller's namespace: its Upstreams may name Services in any namespace. */
  readonly installNamespace?: string;
  /** Refuse backendRefs to Services: routes must name Upstreams. */
  readonly disableKubernetesDestinations?: boolean;
  /** Where the ADS server listens. */
  readonly xdsBind?: { readonly host: string; readonly port: number };
  /** Where Envoys reach the ADS server (the xDS Service); required for the deployer. */
  readonly xdsAdvertise?: { readonly host: string; readonly port: number };
  /** Health, readiness and metrics (what the kubelet and Prometheus reach). */
  readonly admin?: { readonly host: string; readonly port: number };
  /** Debug views and the log level: keep it on loopback. */
  readonly debug?: { readonly host: string; readonly port: number };
  /**
   * Authenticated xDS: TLS with a CA kept in a Secret of the install namespace (created unless it
   * exists), and a client certificate per Gateway that its Envoys must present. Without it, xDS
   * is plaintext and unauthenticated.
   */
  readonly xdsTls?: {
    readonly caSecretName?: string;
    /**
     * How often the leader reconciles every Gateway again, so that client certificates due within
     * 30 days are issued again even when nothing else changes (default 24 h).
     */
    readonly certificateCheckMs?: number;
  };
  /** Leader election; without it this replica always leads (a single replica). */
  readonly leaderElection?: {
    readonly namespace: string;
    readonly name: string;
    readonly identity: string;
    readonly leaseDurationMs?: number;
    readonly renewDeadlineMs?: number;
    readonly retryPeriodMs?: number;
    /** How often a replica renews its data-plane report (default 10 s). */
    readonly dataPlaneReportMs?: number;
  };
  /** Deploy an Envoy per Gateway (default true). */
  readonly deploy?: boolean;
  readonly envoyImage?: string;
  /** Address the Envoy listeners bind to (default 0.0.0.0: in a Pod; loopback for local runs). */
  readonly envoyListenAddress?: string;
  /**
   * Least time between two translations (default 30 ms). A change after a quiet period is
   * translated at once; changes that follow within this window (a burst) wait and are translated
   * together: when none came for this long, or `burstMaxWaitMs` after the first of them.
   */
  readonly debounceMs?: number;
  /**
   * In a burst of changes that keeps coming (a storm of creates), a translation still happens
   * 2 × debounceMs after the burst's first untranslated change, then twice as long each time the
   * burst goes on, up to this (default 1000 ms): 1,000 routes applied at once cost a handful of
   * translations, not one per window.
   */
  readonly burstMaxWaitMs?: number;
  /** Service discovery (leader only): an Upstream per Service port, in the install namespace. */
  readonly discovery?: { readonly scope?: DiscoveryScope };
  /**
   * Other clusters whose Services, EndpointSlices and Pods (metadata) are watched, read only, for
   * backends that select across clusters (VirtualDestination). They never gate readiness.
   */
  readonly remoteClusters?: {
    readonly clusters: readonly RemoteClusterConfig[];
    /** How long a cluster whose connection is lost keeps its last known objects (default 5 min). */
    readonly staleAfterMs?: number;
    /** How often each remote API server is probed (default 2 s). */
    readonly probeIntervalMs?: number;
  };
}

/** Kinds whose status.parents Gantry shares with other controllers (the route kinds). */
const ROUTE_PARENT_KINDS: ReadonlySet<RouteParentKind> = new Set(
  REPORTED_KINDS.filter((k): k is RouteParentKind => KIND_TABLE[k].status.merge === 'route-parents'),
);

export class Controller {
  // With Node.js's and the process's own metrics (CPU, memory, event-loop lag, GC, heap).
  readonly metrics: GantryMetrics = createGantryMetrics(new Registry({ defaultMetrics: true }));
  readonly cache = new SnapshotCache();
  /** Between the pipeline and the cache: withholds the resources Envoy refused (NACKs). */
  readonly guard: NackGuard;
  readonly server: AdsServer;
  private readonly log = logger('controller');
  private readonly sources: KubeSources;
  private readonly pipeline: Pipeline;
  private readonly statusWriter: StatusWriter;
  /** Which reports the next publish looks at (the changed ones; all after a new leadership). */
  private readonly publisher = new StatusPublisher();
  private readonly deployments: Deployments | undefined;
  private readonly discovery: DiscoveryLoop | undefined;
  private readonly remotes: RemoteClusters | undefined;
  /** The last snapshot handed to the pipeline, kept so an unchanged input stays the same object. */
  private lastInput: { local: Omit<Snapshot, 'remoteClusters'>; remote: Snapshot['remoteClusters']; value: Snapshot } | undefined;
  private readonly elector: LeaderElector | undefined;
  private readonly reporter: DataPlaneReporter | undefined;
  private readonly reportStaleMs: number;
  private admin: AdminServer | undefined;
  private readonly authority: XdsAuthority | undefined;
  private leading: boolean;
  private lastRun: PipelineRun | undefined;
  private readonly snapshotVersions = new Map<string, number>();
  /** When the first change not yet translated arrived (for gantry_config_propagation_seconds). */
  private firstChangeAt: number | undefined;
  /** Per Gateway: the earliest change whose configuration its Envoys have not ACKed yet. */
  private readonly unprogrammedSince = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private certificateTimer: NodeJS.Timeout | undefined;
  private publishTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private rerun = false;
  /** When the last translation loop ended (performance.now()), for the debounce window. */
  private lastLoopEnd = -Infinity;
  /** When the first change not yet translated arrived, and the last one (performance.now()). */
  private pendingSince: number | undefined;
  private lastChangeAt = -Infinity;
  /**
   * The changes waiting are dense (a burst): more than one, or one that came within the window
   * after the change before it. A lone change that merely lands soon after a translation is not.
   */
  private pendingDense = false;
  /** When the armed timer fires (performance.now()). */
  private timerDue = Infinity;
  /** Translations in a row that changes kept arriving for (the burst's length so far). */
  private burstLevel = 0;
  private stopped = false;
  private detach: (() => void)[] = [];
  xdsPort = 0;
  adminPort = 0;
  debugPort = 0;

  constructor(private readonly opts: ControllerOptions) {
    const controllerName = opts.controllerName ?? CONTROLLER_NAME;
    const kubeLog = logger('kube');
    if (opts.xdsTls) {
      this.authority = new XdsAuthority({
        kubeConfig: opts.kubeConfig,
        namespace: opts.installNamespace ?? DEFAULT_INSTALL_NAMESPACE,
        ...(opts.xdsTls.caSecretName ? { secretName: opts.xdsTls.caSecretName } : {}),
        serverNames: [...new Set([opts.xdsAdvertise?.host, opts.xdsBind?.host].filter((h): h is string => h !== undefined && h !== '0.0.0.0' && h !== '::'))],
        logger: logger('xds-auth'),
      });
    }
    this.server = new AdsServer({ cache: this.cache, logger: logger('ads'), ...(this.authority ? { tls: { certificates: this.authority.provider } } : {}) });
    this.guard = new NackGuard(this.cache, () => this.schedule());
    this.pipeline = new Pipeline({
      sink: opts.snapshotHook === undefined ? this.guard : {
        // No change hint: the pipeline's does not know what the hook changed (the cache diffs).
        set: (key, snapshot) => { this.guard.set(key, opts.snapshotHook!(key, snapshot)); },
        delete: (key) => { this.guard.delete(key); },
      },
      withheldResources: () => this.guard.failures(),
      listenAddress: opts.envoyListenAddress ?? '0.0.0.0',
      controllerName,
      ...(opts.installNamespace !== undefined ? { installNamespace: opts.installNamespace } : {}),
      ...(opts.disableKubernetesDestinations ? { disableKubernetesDestinations: true } : {}),
      onStage: (stage, ms) => this.metrics.translationDuration.observe({ stage }, ms / 1000),
    });
    const deploy = opts.deploy ?? true;
    this.sources = new KubeSources({
      kubeConfig: opts.kubeConfig,
      logger: kubeLog,
      deployer: deploy,
      onWatchRestart: (kind) => this.metrics.watchRestarts.inc({ kind }),
      ...(opts.leaderElection ? { dataPlaneReports: { namespace: opts.leaderElection.namespace, electionLease: opts.leaderElection.name } } : {}),
    });
    this.sources.onChange(({ translate, bucket, object }) => {
      // The object's status is judged again at the next publish (a status someone else changed,
      // an object recreated under the same name, our own write coming back).
      if (this.leading) {
        if (object === undefined) this.publisher.markKind(bucket);
        else this.publisher.markObject(bucket, object.metadata.namespace, object.metadata.name);
      }
      if (translate) {
        this.firstChangeAt ??= Date.now();
        this.schedule();
      } else {
        // Only a status changed (mostly our own writes coming back): nothing to translate, but the
        // status writer judges the object again (a status someone else changed is rewritten).
        this.schedulePublish();
      }
    });
    if (opts.remoteClusters && opts.remoteClusters.clusters.length > 0) {
      const remoteLog = logger('remote-clusters');
      const rc = opts.remoteClusters;
      this.remotes = new RemoteClusters({
        clusters: rc.clusters,
        logger: remoteLog,
        ...(rc.staleAfterMs !== undefined ? { staleAfterMs: rc.staleAfterMs } : {}),
        ...(rc.probeIntervalMs !== undefined ? { probeIntervalMs: rc.probeIntervalMs } : {}),
        onChange: () => {
          this.firstChangeAt ??= Date.now();
          this.schedule();
        },
        onState: (cluster, state, previous, reason) => {
          this.metrics.remoteClusterState.set({ cluster }, REMOTE_STATE_VALUE[state]);
          this.metrics.remoteClusterTransitions.inc({ cluster, state });
          const fields = { cluster, state, previous, reason };
          if (state === 'Synced') remoteLog.info('remote cluster synced', fields);
          else if (state === 'Stale') remoteLog.warn('remote cluster connection lost; keeping its last known objects', fields);
          else remoteLog.warn('remote cluster unreachable; its objects are dropped', fields);
        },
        onWatchRestart: (cluster, kind) => this.metrics.remoteClusterWatchRestarts.inc({ cluster, kind }),
      });
      for (const cluster of this.remotes.names) this.metrics.remoteClusterState.set({ cluster }, REMOTE_STATE_VALUE.Unreachable);
      const remotes = this.remotes;
      this.detach.push(this.metrics.registry.onCollect(() => {
        for (const { cluster, kind, count } of remotes.counts()) this.metrics.remoteClusterObjects.set({ cluster, kind }, count);
      }));
    }
    this.statusWriter = new StatusWriter({
      kubeConfig: opts.kubeConfig,
      controllerName,
      metrics: this.metrics,
      logger: logger('status'),
      known: (r) => this.sources.store.get<KubeObjectLike & CurrentObject>(r.kind, r.namespace, r.name),
    });
    const authority = this.authority;
    if (deploy) {
      if (!opts.xdsAdvertise) throw new Error('the deployer needs the address Envoys reach the xDS server at (xdsAdvertise)');
      const deployer = new Deployer({
        kubeConfig: opts.kubeConfig,
        xds: opts.xdsAdvertise,
        ...(opts.envoyImage ? { defaults: { envoyImage: opts.envoyImage } } : {}),
        parameters: (key) => this.sources.store.get(KIND_TABLE.GatewayParameters.kind, key.namespace, key.name) as never,
        ...(authority ? { xdsClientSecrets: new XdsClientSecrets(opts.kubeConfig, () => authority.ca) } : {}),
      });
      this.deployments = new Deployments({ deployer, logger: logger('deployer'), onResult: () => this.schedulePublish() });
    }
    if (opts.discovery) {
      this.discovery = new DiscoveryLoop({
        kubeConfig: opts.kubeConfig,
        installNamespace: opts.installNamespace ?? DEFAULT_INSTALL_NAMESPACE,
        ...(opts.discovery.scope ? { scope: opts.discovery.scope } : {}),
        store: this.sources.store,
        metrics: this.metrics,
        logger: logger('discovery'),
      });
    }
    const reportMs = opts.leaderElection?.dataPlaneReportMs ?? 10_000;
    this.reportStaleMs = 3 * reportMs;
    if (opts.leaderElection) {
      const le = opts.leaderElection;
      this.reporter = new DataPlaneReporter({
        kubeConfig: opts.kubeConfig, namespace: le.namespace, electionLease: le.name, identity: le.identity, refreshMs: reportMs,
        logger: logger('data-plane'), local: () => localDataPlane(this.server, this.cache, this.guard),
      });
      this.elector = new LeaderElector(opts.kubeConfig, { ...opts.leaderElection, logger: logger('leader') });
      this.leading = false;
      this.elector.on('started-leading', () => this.setLeading(true));
      this.elector.on('stopped-leading', () => this.setLeading(false));
    } else {
      this.leading = true;
    }
    this.metrics.leader.set(undefined, this.leading ? 1 : 0);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  async start(): Promise<void> {
    const bind = this.opts.xdsBind ?? { host: '0.0.0.0', port: 18000 };
    // The CA first: the ADS server serves nothing until it has its certificate.
    await this.authority?.start();
    this.xdsPort = await this.server.start(bind.host, bind.port);
    this.detach.push(instrumentAdsServer(this.server, this.metrics));
    // A route table Envoy refused: the route it names is withheld (answered 500, reported on its
    // route) and the rest of the Gateway's changes go on being applied.
    // Any other resource it refused is withheld by the guard (its last ACKed version served, or
    // left out) until it changes.
    const onNack = (gateway: string, typeUrl: TypeUrl, _version: string, _node: string, message: string): void => {
      const { route, resources: names = [] } = handleNack(this.pipeline, this.guard, this.cache, gateway, typeUrl, message);
      if (route !== undefined) {
        this.log.warn('Envoy rejected a route: withheld (answered 500) until it changes; the rest of the Gateway is served', { gateway, route });
        this.schedule();
        return;
      }
      if (names.length > 0) this.log.warn('Envoy rejected a resource: withheld (its last accepted version served, or left out) until it changes; the rest of the Gateway is served', { gateway, type: shortType(typeUrl), names });
    };
    const onAck = (gateway: string, typeUrl: TypeUrl, _version: string, _node: string, snapshotVersion: number): void => {
      this.guard.ack(gateway, typeUrl, snapshotVersion);
    };
    this.server.on('nack', onNack);
    this.server.on('ack', onAck);
    this.detach.push(() => { this.server.off('nack', onNack); this.server.off('ack', onAck); });
    // An ACK or a NACK changes a Gateway's Programmed condition. A rollout brings a burst of
    // them (one per resource type and Envoy): one publish per burst.
    this.detach.push(watchDataPlane(this.server, () => {
      this.schedulePublish();
      this.reporter?.changed();
    }));
    if (this.opts.admin || this.opts.debug) {
      this.admin = createAdminServer({
        metrics: this.metrics,
        readiness: () => this.readiness(),
        debug: {
          gateways: () => this.pipeline.gatewayKeys(),
          ir: (key) => this.pipeline.ir(key),
          xds: (key) => this.cache.get(key)?.snapshot,
          envoys: (key) => this.server.envoys(key),
        },
        logLevel: { get: getLogLevel, set: setLogLevel },
        log: logger('admin'),
      });
      if (this.opts.admin) this.adminPort = await this.admin.start(this.opts.admin.host, this.opts.admin.port);
      if (this.opts.debug) this.debugPort = await this.admin.startDebug(this.opts.debug.host, this.opts.debug.port);
    }
    if (this.authority && this.deployments) {
      this.certificateTimer = setInterval(() => {
        if (!this.leading || this.stopped) return;
        this.log.info('re-checking every Gateway\'s xDS client certificate');
        this.deployments?.reset();
        this.schedule();
      }, this.opts.xdsTls?.certificateCheckMs ?? 86_400_000);
      this.certificateTimer.unref();
    }
    this.sources.start();
    this.remotes?.start();
    this.reporter?.start();
    this.elector?.start();
    this.log.info('controller started', { xdsPort: this.xdsPort, xdsTls: this.authority !== undefined, adminPort: this.adminPort, debugPort: this.debugPort, leaderElection: this.elector !== undefined });
  }

  /**
   * Stops everything. The lease is released (a successor starts at once) unless `releaseLease`
   * is false: then it expires as after a crash.
   */
  async stop(opts: { releaseLease?: boolean } = {}): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.certificateTimer);
    clearTimeout(this.publishTimer);
    this.timer = undefined;
    this.publishTimer = undefined;
    // Watches first: a loop still waiting for the first lists (API server unreachable) ends then.
    await this.sources.stop();
    await this.remotes?.stop();
    await this.running;
    for (const d of this.detach) d();
    await this.elector?.stop({ release: opts.releaseLease !== false });
    // A crash leaves the report to go stale; a clean stop removes it.
    if (opts.releaseLease !== false) await this.reporter?.stop();
    else this.reporter?.abandon();
    await this.deployments?.stop();
    await this.discovery?.stop();
    await this.statusWriter.close();
    await this.admin?.stop();
    await this.server.stop();
    this.authority?.stop();
  }

  /** Ready once every watch has synced and the first snapshot has been published. */
  readiness(): { ready: boolean; reasons: string[] } {
    const reasons = this.sources.unsynced().map((k) => `watch ${k} has not synced`);
    if (this.lastRun === undefined) reasons.push('no snapshot has been translated yet');
    return { ready: reasons.length === 0, reasons };
  }

  /** Resolves when queued translations and status writes are done (tests). */
  async settled(): Promise<void> {
    while (this.timer !== undefined || this.running !== undefined || this.publishTimer !== undefined) {
      await (this.running ?? new Promise((r) => setTimeout(r, 5)));
    }
    await this.statusWriter.idle();
  }

  /** Remote clusters, when any is configured (tests look at them). */
  get remoteClusters(): RemoteClusters | undefined {
    return this.remotes;
  }

  /** The translator's input: the local store's snapshot, plus the remote clusters when any. */
  private input(): Snapshot {
    const local = this.sources.store.toSnapshot<Omit<Snapshot, 'remoteClusters'>>();
    if (!this.remotes) return local;
    const remote = this.remotes.snapshot();
    const prev = this.lastInput;
    if (prev && prev.local === local && prev.remote === remote) return prev.value;
    const value: Snapshot = Object.freeze({ ...local, remoteClusters: remote });
    this.lastInput = { local, remote, value };
    return value;
  }

  /** Discovery, when enabled (tests and the benchmark look at it). */
  get discoveryLoop(): DiscoveryLoop | undefined {
    return this.discovery;
  }

  private setLeading(leading: boolean): void {
    this.leading = leading;
    this.metrics.leader.set(undefined, leading ? 1 : 0);
    this.log.info(leading ? 'became the leader: writing status and deploying' : 'lost the leadership');
    if (leading) {
      this.statusWriter.reset();
      this.publisher.markAll();
      this.deployments?.reset();
      this.discovery?.reset();
      this.schedule();
    } else {
      // Whatever is still queued is the new leader's business now.
      this.statusWriter.drop();
    }
  }

  private schedulePublish(): void {
    if (this.stopped || this.publishTimer !== undefined) return;
    this.publishTimer = setTimeout(() => {
      this.publishTimer = undefined;
      this.publish();
    }, this.opts.debounceMs ?? 30);
  }

  private schedule(): void {
    if (this.stopped) return;
    const now = performance.now();
    this.pendingDense = this.pendingSince !== undefined || now < this.lastChangeAt + (this.opts.debounceMs ?? 30);
    this.pendingSince ??= now;
    this.lastChangeAt = now;
    if (this.running) {
      this.rerun = true;
      return;
    }
    this.arm();
  }

  /** Arms (or moves) the translation timer for when `translationDue` says. */
  private arm(): void {
    const since = this.pendingSince;
    if (since === undefined || this.stopped) return;
    const pending = { since, lastAt: this.lastChangeAt, dense: this.pendingDense };
    const timing = { windowMs: this.opts.debounceMs ?? 30, burstMaxWaitMs: this.opts.burstMaxWaitMs ?? 1000 };
    const due = translationDue(pending, this.lastLoopEnd, this.burstLevel, timing);
    if (this.timer !== undefined) {
      if (due.at === this.timerDue) return;
      clearTimeout(this.timer);
    }
    this.timerDue = due.at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerDue = Infinity;
      // Changes still arriving: the burst goes on, and the next wait is longer.
      this.burstLevel = nextBurstLevel({ ...pending, lastAt: this.lastChangeAt }, due, this.burstLevel, performance.now());
      this.running = this.runLoop().finally(() => {
        this.running = undefined;
        this.lastLoopEnd = performance.now();
        if (this.rerun) {
          this.rerun = false;
          this.arm();
        }
      });
    }, Math.max(0, due.at - performance.now()));
  }

  private async runLoop(): Promise<void> {
    this.rerun = false;
    // Nothing is translated before every watch has delivered its first list: a partial
    // snapshot would publish a config with routes missing.
    if (this.sources.unsynced().length > 0) {
      await this.sources.synced.catch(() => undefined); // rejects when stopped before syncing
      if (this.stopped) return;
    }
    const waited = this.pendingSince === undefined ? 0 : performance.now() - this.pendingSince;
    this.pendingSince = undefined;
    this.pendingDense = false;
    this.rerun = false;
    try {
      const started = performance.now();
      this.translate();
      this.log.debug('translated', { waitedMs: Math.round(waited), ms: Math.round(performance.now() - started), burstLevel: this.burstLevel });
    } catch (err) {
      this.metrics.translations.inc({ result: 'error' });
      this.log.error('translation failed; the last good configuration keeps serving', { error: err instanceof Error ? err.stack : String(err) });
    }
    await new Promise((r) => setImmediate(r));
  }

  private translate(): void {
    const changedAt = this.firstChangeAt ?? Date.now();
    this.firstChangeAt = undefined;
    const run = this.pipeline.run(this.input());
    this.metrics.translations.inc({ result: 'ok' });
    recordEncodeFailures(this.metrics, run.failures);
    this.logFailures(run);
    for (const key of run.changed) {
      const entry = this.cache.get(key);
      if (entry) {
        if (!this.unprogrammedSince.has(key)) this.unprogrammedSince.set(key, changedAt);
        this.snapshotVersions.set(key, entry.version);
        recordSnapshotResources(this.metrics, key, entry.snapshot);
      }
    }
    for (const key of run.removed) {
      this.snapshotVersions.delete(key);
      this.unprogrammedSince.delete(key);
      forgetGateway(this.metrics, key);
    }
    this.lastRun = run;
    if (this.leading) this.publisher.markReports(run.statusChanges);
    if (run.changed.length > 0 || run.removed.length > 0) this.reporter?.changed();
    if (!this.leading) return;
    // Not now: the new snapshot's push to Envoy goes out first.
    this.schedulePublish();
    this.syncDeployments(run);
    // After the first translation, so every watch has synced: discovery never judges a partial view.
    this.discovery?.schedule();
  }

  private failuresLogged = new Set<string>();

  /** Each object the xds translator could not encode, logged once while it fails. */
  private logFailures(run: PipelineRun): void {
    const now = new Set<string>();
    for (const f of run.failures) {
      const key = `${f.gateway} ${f.kind} ${f.name} ${f.message}`;
      now.add(key);
      if (!this.failuresLogged.has(key)) this.log.warn('not encoded for Envoy; the rest of the Gateway is served', { ...f });
    }
    this.failuresLogged = now;
  }

  /**
   * Hands the reports of what changed since the last publish (every report after a new
   * leadership), with the data plane's verdict folded into the Gateways', to the status writer.
   */
  private publish(): void {
    const run = this.lastRun;
    if (!run || !this.leading || this.stopped) return;
    const store = this.sources.store;
    const others = this.reporter ? otherReports(store.list(DATA_PLANE_REPORTS), this.reporter.identity, Date.now(), this.reportStaleMs) : [];
    const controllerName = this.opts.controllerName ?? CONTROLLER_NAME;
    const ours = (route: KubeObjectLike & { status?: HTTPRouteStatus }): boolean =>
      (route.status?.parents ?? []).some((p) => p.controllerName === controllerName);
    // Routes that still carry an entry of ours but no longer reach one of our Gateways: an empty
    // parents list removes our stale entries (the translator reports nothing for such routes).
    const emptyReport = (kind: RouteParentKind, route: KubeObjectLike): StatusReport => ({
      apiVersion: route.apiVersion ?? apiVersionOf(KIND_TABLE[kind]), kind, namespace: route.metadata.namespace, name: route.metadata.name,
      generation: route.metadata.generation, status: { parents: [] },
    });
    const routeReportKey = (kind: RouteParentKind, route: KubeObjectLike): string => this.routeReportKey(kind, route);
    const hooks: PublishHooks = {
      routeKinds: ROUTE_PARENT_KINDS,
      gateway: (report) => {
        const r = withDeployment(report, this.deploymentOf(report));
        const key = `${r.namespace}/${r.name}`;
        const current = store.get<Gateway & KubeObjectLike>('Gateway', r.namespace, r.name)?.status as GatewayStatus | undefined;
        const outcome = this.dataPlaneOutcome(key, others);
        const since = this.unprogrammedSince.get(key);
        if (outcome.state === 'acked' && since !== undefined) {
          this.unprogrammedSince.delete(key);
          this.metrics.configPropagation.observe(undefined, (Date.now() - since) / 1000);
        }
        return resolveProgrammed(r, outcome, current);
      },
      staleRoute: (ref) => {
        const kind = ref.kind as RouteParentKind;
        const route = store.get<KubeObjectLike & { status?: HTTPRouteStatus }>(kind, ref.namespace, ref.name);
        return route !== undefined && ours(route) ? emptyReport(kind, route) : undefined;
      },
      staleRoutes: function* (this: void, reported: ReadonlySet<string>) {
        for (const kind of ROUTE_PARENT_KINDS) {
          // Unsorted: the order does not matter here.
          for (const route of store.values<KubeObjectLike & { status?: HTTPRouteStatus }>(kind)) {
            if (ours(route) && !reported.has(routeReportKey(kind, route))) yield emptyReport(kind, route);
          }
        }
      },
    };
    const publication = this.publisher.collect(run.statuses, hooks);
    // GatewayParameters: Accepted and usedBy, from the store (the translator does not report them).
    const reports = [...publication.reports, ...gatewayParametersReports(
      store.list<GatewayParameters & KubeObjectLike>(KIND_TABLE.GatewayParameters.kind),
      store.list<GatewayClass & KubeObjectLike>('GatewayClass'),
      store.list<Gateway & KubeObjectLike>('Gateway'),
      controllerName,
    )];
    this.statusWriter.submit(reports, (r) => {
      const o = store.get<KubeObjectLike & { status?: ObjectStatus }>(r.kind, r.namespace, r.name);
      return o === undefined ? NOT_CACHED : o.status;
    }, publication.complete);
  }

  /** A stored route's reportKey, remembered while the store keeps the object (identity). */
  private readonly routeKeys = new WeakMap<KubeObjectLike, string>();
  private routeReportKey(kind: RouteParentKind, route: KubeObjectLike): string {
    let key = this.routeKeys.get(route);
    if (key === undefined) {
      key = reportKey({ kind, namespace: route.metadata.namespace, name: route.metadata.name });
      this.routeKeys.set(route, key);
    }
    return key;
  }

  /** What the Gateway's Envoys, on this replica and the others, made of its current snapshot. */
  private dataPlaneOutcome(key: string, others: readonly DataPlaneReport[]): DataPlaneOutcome {
    const local = dataPlaneOutcome(this.server, key, this.snapshotVersions.get(key));
    if (this.reporter === undefined) return local;
    // Of the pipeline's snapshot, as the other replicas report it (not of what is served when
    // something is withheld: this replica's own status already names what is withheld).
    const snapshot = this.guard.gatewayState(key)?.latest ?? this.cache.get(key)?.snapshot;
    const digest = snapshot === undefined ? undefined : snapshotDigest(snapshot);
    const views: GatewayDataPlane[] = [];
    const envoys = this.server.envoys(key).length;
    if (digest !== undefined && envoys > 0) views.push({ digest, state: local.state, ...(local.state === 'rejected' ? { message: local.message } : {}), envoys });
    for (const report of others) {
      const view = report[key];
      if (view !== undefined) views.push(view);
    }
    return combineDataPlane(digest, views);
  }

  private deploymentOf(report: StatusReport) {
    if (!this.deployments) return undefined;
    if (report.kind === 'Gateway') return this.deployments.result(`${report.namespace}/${report.name}`);
    return undefined;
  }

  private syncDeployments(run: PipelineRun): void {
    if (!this.deployments) return;
    const store = this.sources.store;
    // GatewayParameters by generation: the leader writes their status, which must not re-apply
    // every Gateway's objects.
    const parameters = store.list<GatewayParameters & KubeObjectLike>(KIND_TABLE.GatewayParameters.kind)
      .map((p) => `${p.metadata.uid ?? ''}:${p.metadata.generation ?? ''}`).sort().join(',');
    const shared = [parameters, ...['Deployment', 'Service', 'ConfigMap', 'ServiceAccount'].map((k) => store.version(`${OWNED_PREFIX}${k}`))].join('.');
    const wanted = new Map<string, WantedDeployment>();
    for (const key of run.result.gateways.keys()) {
      const [ns, name] = key.split('/') as [string, string];
      const gateway = store.get<Gateway & KubeObjectLike>('Gateway', ns, name);
      const className = gateway?.spec?.gatewayClassName;
      const gatewayClass = className === undefined ? undefined : store.get<GatewayClass & KubeObjectLike>('GatewayClass', undefined, className);
      if (!gateway || !gatewayClass) continue;
      // Generations, not resourceVersions: our own status writes must not trigger a re-apply.
      const fingerprint = [gateway.metadata.uid, gateway.metadata.generation, gatewayClass.metadata.uid, gatewayClass.metadata.generation, shared].join('|');
      wanted.set(key, { gateway, gatewayClass, fingerprint });
    }
    const removed = run.removed
      .map((key) => key.split('/') as [string, string])
      .map(([ns, name]) => store.get<Gateway & KubeObjectLike>('Gateway', ns, name))
      .filter((g): g is Gateway & KubeObjectLike => g !== undefined);
    this.deployments.sync(wanted, removed);
  }
}
