// What SotW and delta streams share: which Gateway the stream serves, the per-type "views" a
// response is built from, and the make-before-break rollout of each new snapshot.
//
// Rollout of a snapshot T (one cycle; a newer snapshot waits for the cycle to end, so a slow
// stream skips intermediate snapshots and never starves):
//   1. warm:   clusters, endpoints and secrets of T are added/updated; nothing is removed (old
//              listeners/routes may still use what T drops). Wait (bounded) until those responses
//              are ACKed and Envoy has subscribed to the endpoints of new clusters.
//   2. route:  listeners, route tables and scopes of T (with the removals of listeners and
//              scopes). Wait (bounded) for the ACKs and for Envoy to subscribe to new route
//              configurations and new secrets.
//   3. prune:  clusters, endpoints, secrets and route tables T no longer has are removed. Wait
//              for the ACK.
// A NACK aborts the cycle: nothing further is sent for T, nothing is removed, Envoy keeps its
// last good config, and the next snapshot starts a new cycle. A wait that times out is logged
// and the cycle proceeds.

import { status as GrpcStatus, type ServerDuplexStream } from '@grpc/grpc-js';
import type { Node } from '@gantry/envoy-xds-proto';
import { TypeUrl, type ResourceSet } from '../resources.js';
import type { CachedSnapshot, SnapshotCache, TypeChanges } from '../cache/snapshot-cache.js';
import type { AdsLogger, LogFields } from './logger.js';
import { gatewayKeyOfNode, GATEWAY_METADATA_KEY } from './node-identity.js';

/** What grpc-js knows of the peer: a verified client certificate, when there is one. */
export type AuthContext = ReturnType<ServerDuplexStream<unknown, unknown>['getAuthContext']>;

export const WARM_TYPES: readonly TypeUrl[] = [TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment, TypeUrl.Secret];
export const ROUTE_TYPES: readonly TypeUrl[] = [TypeUrl.Listener, TypeUrl.RouteConfiguration, TypeUrl.ScopedRouteConfiguration];
export const ALL_TYPES: readonly TypeUrl[] = [...WARM_TYPES, ...ROUTE_TYPES];
/** Types whose removals wait for the prune phase. */
const PRUNED_TYPES: readonly TypeUrl[] = [...WARM_TYPES, TypeUrl.RouteConfiguration];

const KNOWN_TYPES: ReadonlySet<string> = new Set<string>(ALL_TYPES);
export function isServedType(typeUrl: string): typeUrl is TypeUrl {
  return KNOWN_TYPES.has(typeUrl);
}

const SHORT: Record<TypeUrl, string> = {
  [TypeUrl.Listener]: 'LDS',
  [TypeUrl.RouteConfiguration]: 'RDS',
  [TypeUrl.ScopedRouteConfiguration]: 'SRDS',
  [TypeUrl.Cluster]: 'CDS',
  [TypeUrl.ClusterLoadAssignment]: 'EDS',
  [TypeUrl.Secret]: 'SDS',
};
export function shortType(typeUrl: string): string {
  return isServedType(typeUrl) ? SHORT[typeUrl] : typeUrl;
}

export type Transport = 'sotw' | 'delta';

/** What a session reports to the server (events, metrics, status). */
export interface SessionHost {
  readonly cache: SnapshotCache;
  readonly logger: AdsLogger;
  readonly phaseTimeoutMs: number;
  readonly controlPlaneId: string;
  connected(session: AdsSession): void;
  disconnected(session: AdsSession): void;
  /** Called once when the stream ends, bound or not. */
  released(session: AdsSession): void;
  pushed(session: AdsSession, typeUrl: TypeUrl, resources: number, removed: number, bytes: number): void;
  acked(session: AdsSession, typeUrl: TypeUrl, version: string, snapshotVersion: number): void;
  nacked(session: AdsSession, typeUrl: TypeUrl, version: string, message: string, code: number): void;
  synced(session: AdsSession, snapshotVersion: number): void;
  /**
   * Whether the peer (its verified TLS certificate, if any) may receive the Gateway its node
   * names: undefined allows, a refusal ends the stream with its gRPC status before anything is sent.
   */
  authorize(gatewayKey: string, peer: AuthContext): StreamRefusal | undefined;
  /** A stream was refused (after `authorize` or for naming no Gateway). */
  refused(session: AdsSession, gatewayKey: string | undefined, refusal: StreamRefusal): void;
}

/** Why a stream gets nothing: a gRPC status code, a machine-readable reason, and a message. */
export interface StreamRefusal {
  readonly code: number;
  /** Metric label: `no-gateway`, `no-certificate`, `wrong-gateway`. */
  readonly reason: string;
  readonly message: string;
}

/** Where responses of one type come from right now. */
export interface TypeView {
  /** undefined until the first cycle reaches this type: requests wait. */
  source: ResourceSet | undefined;
  /** The snapshot version `source` belongs to (0 = none). */
  version: number;
  /** True while a cycle must not remove resources of this type yet (warm and route phases). */
  holdRemovals: boolean;
}

/** What SotW and delta requests both carry that the session reads itself. */
interface XdsRequest {
  readonly node?: Node | undefined;
  readonly typeUrl: string;
}

type PhaseResult = 'ok' | 'timeout' | 'nack' | 'closed';

interface Waiter {
  readonly done: () => boolean;
  readonly nacksAtStart: number;
  readonly resolve: (result: PhaseResult) => void;
  readonly timer: NodeJS.Timeout;
}

const NO_NAMES: ReadonlySet<string> = new Set();

let nextSessionId = 1;

export abstract class AdsSession {
  readonly id = nextSessionId++;
  abstract readonly transport: Transport;
  nodeId = '';
  gatewayKey: string | undefined;
  readonly connectedAt = Date.now();
  /** Last snapshot version whose whole rollout Envoy ACKed. */
  syncedVersion = 0;

  protected closed = false;
  protected readonly views = new Map<TypeUrl, TypeView>(
    ALL_TYPES.map((t) => [t, { source: undefined, version: 0, holdRemovals: false }]),
  );
  private unsubscribeCache: (() => void) | undefined;
  private wake: (() => void) | undefined;
  private waiter: Waiter | undefined;
  private nackCount = 0;
  private cycleVersion = 0;
  /** Set when a cycle ended without full confirmation: a later ACK that leaves nothing pending syncs it. */
  private unconfirmedVersion = 0;
  private nonceCounter = 0;
  private readonly ignoredTypes = new Set<string>();
  private peer: AuthContext = {};
  /** The client's address, for logs. */
  peerAddress = '';
  /** The node id the first request carried (set before authorization, for logs). */
  requestedNodeId = '';

  constructor(protected readonly host: SessionHost) {}

  // ---- implemented per transport -------------------------------------------------------------

  /** Sends what `names` (or everything) of `type` needs, given the current view. */
  protected abstract reconcile(type: TypeUrl, names: TypeChanges): void;
  /**
   * Marks names to be sent again by the next `reconcile` of the type even if the client has them
   * at the same version (a changed cluster is re-warmed by Envoy, which then needs its endpoints).
   */
  protected abstract markForResend(type: TypeUrl, names: Iterable<string>): void;
  /** Sends the removals held back during the warm and route phases. */
  protected abstract releaseHeldRemovals(type: TypeUrl): void;
  protected abstract hasOutstanding(type: TypeUrl): boolean;
  /** The client has asked for this type at least once on this stream. */
  protected abstract hasRequested(type: TypeUrl): boolean;
  protected abstract isSubscribed(type: TypeUrl, name: string): boolean;
  /** The version of this resource the client holds (was sent), if any. */
  protected abstract clientVersion(type: TypeUrl, name: string): string | undefined;
  /** Per-type ACK state for status queries. */
  abstract ackState(): ReadonlyMap<TypeUrl, { version: string; snapshotVersion: number }>;
  /** Ends the gRPC call from the server side (shutdown). */
  abstract endStream(): void;

  // ---- identity and lifecycle ----------------------------------------------------------------

  /**
   * Serves one gRPC stream: the first request binds the stream to the Gateway its node names,
   * requests of the types we serve go to `apply`, and the stream's end closes the session.
   */
  protected serve<Req extends XdsRequest>(call: ServerDuplexStream<Req, Buffer>, apply: (type: TypeUrl, request: Req) => void): void {
    this.peer = call.getAuthContext() ?? {};
    this.peerAddress = call.getPeer();
    call.on('data', (request: Req) => {
      try {
        this.handle(request, apply);
      } catch (err) {
        this.host.logger.error('failed to handle a request', this.logFields({ error: String(err) }));
        this.fail('internal error handling the request', GrpcStatus.INTERNAL);
      }
    });
    call.on('end', () => {
      this.close();
      call.end();
    });
    call.on('cancelled', () => this.close());
    call.on('error', () => this.close());
    call.on('close', () => this.close());
  }

  private handle<Req extends XdsRequest>(request: Req, apply: (type: TypeUrl, request: Req) => void): void {
    if (this.closed) return;
    const firstOnStream = this.gatewayKey === undefined;
    let gatewayKey: string | undefined;
    if (firstOnStream) {
      gatewayKey = gatewayKeyOfNode(request.node);
      this.requestedNodeId = request.node?.id ?? '';
      if (gatewayKey === undefined) {
        const message = `node carries no Gateway: set node.metadata["${GATEWAY_METADATA_KEY}"] to "namespace/name"`;
        this.host.refused(this, undefined, { code: GrpcStatus.INVALID_ARGUMENT, reason: 'no-gateway', message });
        this.fail(message);
        return;
      }
      const refusal = this.host.authorize(gatewayKey, this.peer);
      if (refusal !== undefined) {
        this.host.refused(this, gatewayKey, refusal);
        this.fail(refusal.message, refusal.code);
        return;
      }
    }
    const type = request.typeUrl;
    if (isServedType(type)) {
      apply(type, request);
    } else if (!this.ignoredTypes.has(type)) {
      this.ignoredTypes.add(type);
      this.host.logger.info('ignoring requests for a type this server does not serve', this.logFields({ type }));
    }
    if (firstOnStream) {
      this.bind(gatewayKey!, request.node?.id || `stream-${this.id}`);
    }
    this.noteRequest();
  }

  protected logFields(extra?: LogFields): LogFields {
    return { stream: this.id, transport: this.transport, gateway: this.gatewayKey, node: this.nodeId, ...extra };
  }

  protected nextNonce(): string {
    return (++this.nonceCounter).toString(36);
  }

  /** Binds the stream to its Gateway and starts following the cache. */
  protected bind(gatewayKey: string, nodeId: string): void {
    this.gatewayKey = gatewayKey;
    this.nodeId = nodeId;
    this.unsubscribeCache = this.host.cache.subscribe(gatewayKey, (entry) => {
      if (entry === undefined) this.host.logger.info('snapshot of this gateway deleted; Envoy keeps its last config', this.logFields());
      this.wake?.();
    });
    this.host.connected(this);
    if (this.host.cache.get(gatewayKey) === undefined) {
      this.host.logger.info('waiting for the snapshot of this gateway', this.logFields());
    }
    void this.loop().catch((err: unknown) => {
      this.host.logger.error('rollout loop failed', this.logFields({ error: String(err) }));
      this.fail('internal error', GrpcStatus.INTERNAL);
    });
  }

  /** Tears the stream down on a protocol error (implemented by the transport, which owns the call). */
  protected abstract fail(message: string, code?: number): void;

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribeCache?.();
    this.unsubscribeCache = undefined;
    this.wake?.();
    this.settleWaiter('closed');
    if (this.gatewayKey !== undefined) this.host.disconnected(this);
    this.host.released(this);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  // ---- hooks for the transports --------------------------------------------------------------

  protected view(type: TypeUrl): TypeView {
    return this.views.get(type)!;
  }

  /** Call after an ACK: re-checks a phase wait and late confirmation. */
  protected noteAck(type: TypeUrl, version: string, snapshotVersion: number): void {
    this.host.acked(this, type, version, snapshotVersion);
    this.checkWaiter();
    this.checkLateSync();
  }

  protected noteNack(type: TypeUrl, version: string, message: string, code: number): void {
    this.nackCount++;
    this.unconfirmedVersion = 0;
    this.host.nacked(this, type, version, message, code);
    this.checkWaiter();
  }

  /** Call after a request changed subscriptions. */
  protected noteRequest(): void {
    this.checkWaiter();
  }

  // ---- the rollout ---------------------------------------------------------------------------

  private async loop(): Promise<void> {
    while (!this.closed) {
      const latest = this.host.cache.get(this.gatewayKey!);
      if (latest !== undefined && latest.version !== this.cycleVersion) {
        this.cycleVersion = latest.version;
        await this.runCycle(latest);
        continue;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
  }

  private changesFor(type: TypeUrl, target: CachedSnapshot): TypeChanges {
    const v = this.view(type);
    if (v.source === undefined) return 'all';
    return this.host.cache.changesSince(target.gatewayKey, v.version, type);
  }

  private advance(type: TypeUrl, target: CachedSnapshot, holdRemovals: boolean): TypeChanges {
    const changes = this.changesFor(type, target);
    const v = this.view(type);
    v.source = target.snapshot[type];
    v.version = target.version;
    v.holdRemovals = holdRemovals;
    this.reconcile(type, changes);
    return changes;
  }

  private async runCycle(target: CachedSnapshot): Promise<void> {
    const T = target.snapshot;
    const clusters = T[TypeUrl.Cluster];
    const endpoints = T[TypeUrl.ClusterLoadAssignment];
    const routes = T[TypeUrl.RouteConfiguration];
    const started = performance.now();
    let confirmed = true;

    // 1. warm: upserts of clusters, endpoints, secrets; removals held.
    const clusterChanges = this.changesFor(TypeUrl.Cluster, target);
    const expectedEndpoints: string[] = [];
    const resendEndpoints: string[] = [];
    for (const name of namesOf(clusterChanges, clusters)) {
      const cluster = clusters.get(name);
      // By convention a cluster's ClusterLoadAssignment has the cluster's name.
      if (cluster === undefined || !endpoints.has(name)) continue;
      const held = this.clientVersion(TypeUrl.Cluster, name);
      if (held === undefined) expectedEndpoints.push(name);
      else if (held !== cluster.version) resendEndpoints.push(name);
    }
    // New secrets are typically for new listeners: Envoy asks for them once it has those listeners.
    const secrets = T[TypeUrl.Secret];
    const expectedSecrets: string[] = [];
    for (const name of namesOf(this.changesFor(TypeUrl.Secret, target), secrets)) {
      if (secrets.has(name) && this.clientVersion(TypeUrl.Secret, name) === undefined) expectedSecrets.push(name);
    }
    this.advance(TypeUrl.Cluster, target, true);
    if (resendEndpoints.length > 0) this.markForResend(TypeUrl.ClusterLoadAssignment, resendEndpoints);
    this.advance(TypeUrl.ClusterLoadAssignment, target, true);
    this.advance(TypeUrl.Secret, target, true);
    let result = await this.waitPhase(WARM_TYPES, () => {
      if (clusters.size > 0 && !this.hasRequested(TypeUrl.Cluster)) return false;
      return expectedEndpoints.every((n) => this.isSubscribed(TypeUrl.ClusterLoadAssignment, n));
    });
    if (!this.continueAfter('warm', result, target, { expectedEndpoints: expectedEndpoints.length })) return;
    confirmed &&= result === 'ok';

    // 2. route: listeners and routes, including their removals.
    const routeChanges = this.changesFor(TypeUrl.RouteConfiguration, target);
    const expectedRoutes: string[] = [];
    for (const name of namesOf(routeChanges, routes)) {
      if (routes.has(name) && this.clientVersion(TypeUrl.RouteConfiguration, name) === undefined) expectedRoutes.push(name);
    }
    this.advance(TypeUrl.Listener, target, false);
    // Route tables are removed in the prune phase: a scope (SRDS) may name a table T dropped until
    // Envoy has applied the scopes of T.
    this.advance(TypeUrl.RouteConfiguration, target, true);
    // New scopes before changed ones: Envoy applies a changed scope at once, even when the route
    // table it now names has not arrived; new scopes make it fetch new tables first.
    if (!(await this.addScopesFirst(target, expectedRoutes))) return;
    this.advance(TypeUrl.ScopedRouteConfiguration, target, false);
    // Envoy warms a new listener (serving with the old one meanwhile) until it has its routes and
    // secrets: wait until it asked for them and ACKed the answers before pruning.
    result = await this.waitPhase([...ROUTE_TYPES, TypeUrl.Secret], () => {
      if (T[TypeUrl.Listener].size > 0 && !this.hasRequested(TypeUrl.Listener)) return false;
      return (
        expectedRoutes.every((n) => this.isSubscribed(TypeUrl.RouteConfiguration, n)) &&
        expectedSecrets.every((n) => this.isSubscribed(TypeUrl.Secret, n))
      );
    });
    const pending = { expectedRoutes: expectedRoutes.length, expectedSecrets: expectedSecrets.length };
    if (!this.continueAfter('route', result, target, pending)) return;
    confirmed &&= result === 'ok';

    // 3. prune: what T no longer has.
    for (const type of PRUNED_TYPES) {
      this.view(type).holdRemovals = false;
      this.releaseHeldRemovals(type);
    }
    result = await this.waitPhase(PRUNED_TYPES, () => true);
    if (!this.continueAfter('prune', result, target, {})) return;
    confirmed &&= result === 'ok';

    const ms = Math.round((performance.now() - started) * 10) / 10;
    if (confirmed) {
      this.markSynced(target.version);
      this.host.logger.debug('snapshot rolled out', this.logFields({ snapshot: target.version, ms }));
    } else {
      this.unconfirmedVersion = target.version;
      this.checkLateSync();
    }
  }

  /**
   * When the scopes of T both add names and change existing ones, sends the added ones first
   * (with the scopes the client has) and waits until Envoy holds the route tables they name.
   * False when the cycle must stop.
   */
  private async addScopesFirst(target: CachedSnapshot, expectedRoutes: readonly string[]): Promise<boolean> {
    const view = this.view(TypeUrl.ScopedRouteConfiguration);
    const before = view.source;
    if (before === undefined || expectedRoutes.length === 0) return true;
    const changes = this.changesFor(TypeUrl.ScopedRouteConfiguration, target);
    if (changes === 'all') return true;
    const after = target.snapshot[TypeUrl.ScopedRouteConfiguration];
    const added = [...changes].filter((n) => after.has(n) && !before.has(n));
    if (added.length === 0 || added.length === changes.size) return true;
    const interim = new Map(before);
    for (const name of added) interim.set(name, after.get(name)!);
    view.source = interim;
    this.reconcile(TypeUrl.ScopedRouteConfiguration, new Set(added));
    const result = await this.waitPhase([TypeUrl.RouteConfiguration, TypeUrl.ScopedRouteConfiguration], () =>
      expectedRoutes.every((n) => this.isSubscribed(TypeUrl.RouteConfiguration, n)),
    );
    return this.continueAfter('scopes', result, target, { addedScopes: added.length });
  }

  /** Logs the outcome of a phase; false when the cycle must stop. */
  private continueAfter(phase: string, result: PhaseResult, target: CachedSnapshot, detail: LogFields): boolean {
    if (result === 'closed') return false;
    if (result === 'nack') {
      this.host.logger.warn('rollout stopped by a NACK; Envoy keeps its last good config', this.logFields({ phase, snapshot: target.version }));
      return false;
    }
    if (result === 'timeout') {
      this.host.logger.warn('rollout phase not confirmed in time; proceeding', this.logFields({ phase, snapshot: target.version, timeoutMs: this.host.phaseTimeoutMs, ...detail }));
    }
    return true;
  }

  private waitPhase(types: readonly TypeUrl[], expectations: () => boolean): Promise<PhaseResult> {
    const nacksAtStart = this.nackCount;
    const done = () => types.every((t) => !this.hasOutstanding(t)) && expectations();
    if (this.closed) return Promise.resolve('closed');
    if (done()) return Promise.resolve('ok');
    return new Promise<PhaseResult>((resolve) => {
      const timer = setTimeout(() => this.settleWaiter('timeout'), this.host.phaseTimeoutMs);
      this.waiter = { done, nacksAtStart, resolve, timer };
    });
  }

  private checkWaiter(): void {
    const w = this.waiter;
    if (w === undefined) return;
    if (this.nackCount !== w.nacksAtStart) this.settleWaiter('nack');
    else if (w.done()) this.settleWaiter('ok');
  }

  private settleWaiter(result: PhaseResult): void {
    const w = this.waiter;
    if (w === undefined) return;
    this.waiter = undefined;
    clearTimeout(w.timer);
    w.resolve(result);
  }

  private checkLateSync(): void {
    if (this.unconfirmedVersion === 0 || this.waiter !== undefined) return;
    if (this.unconfirmedVersion !== this.cycleVersion) return;
    if (ALL_TYPES.some((t) => this.hasOutstanding(t))) return;
    const version = this.unconfirmedVersion;
    this.unconfirmedVersion = 0;
    this.markSynced(version);
  }

  private markSynced(version: number): void {
    if (version <= this.syncedVersion) return;
    this.syncedVersion = version;
    this.host.synced(this, version);
  }
}

/** The names a change set covers; for 'all', every name of `all`. */
function namesOf(changes: TypeChanges, all: ResourceSet): Iterable<string> {
  if (changes === 'all') return all.keys();
  return changes.size === 0 ? NO_NAMES : changes;
}
