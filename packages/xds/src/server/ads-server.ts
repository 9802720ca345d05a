// The ADS gRPC server: StreamAggregatedResources (state of the world) and DeltaAggregatedResources
// (incremental) on one port, each stream bound to one Gateway's snapshot in the cache. It reports
// what Envoys ACK and NACK (events, counters, a status query) so the controller can mark a Gateway
// Programmed only once its Envoys run the config.

import { EventEmitter } from 'node:events';
import {
  Server,
  ServerCredentials,
  experimental,
  status as GrpcStatus,
  type ChannelOptions,
  type ServerDuplexStream,
  type ServiceDefinition,
} from '@grpc/grpc-js';
// Deep imports: the package entry loads every generated message (~3 MB of code) into the process.
import type { DeltaDiscoveryRequest, DiscoveryRequest } from '@gantry/envoy-xds-proto';
import { AggregatedDiscoveryServiceService } from '@gantry/envoy-xds-proto/generated/envoy/service/discovery/v3/ads';
import type { TypeUrl } from '../resources.js';
import type { SnapshotCache } from '../cache/snapshot-cache.js';
import { noopLogger, type AdsLogger } from './logger.js';
import { AdsSession, shortType, type AuthContext, type SessionHost, type StreamRefusal, type Transport } from './session.js';
import { gatewayKeysOfCertificate } from '../security/identity.js';
import { DeltaSession, DEFAULT_MAX_DELTA_RESPONSE_BYTES } from './delta-session.js';
import { SotwSession } from './sotw-session.js';

export interface AdsServerOptions {
  readonly cache: SnapshotCache;
  readonly logger?: AdsLogger;
  /** Bound on each make-before-break wait (ACKs, subscriptions) before the rollout proceeds. */
  readonly phaseTimeoutMs?: number;
  /** Delta responses larger than this are split (initial sync of big Gateways). */
  readonly maxDeltaResponseBytes?: number;
  /** ControlPlane.identifier in every response (shows in Envoy's config dump). */
  readonly controlPlaneId?: string;
  /** gRPC server options, over DEAD_PEER_KEEPALIVE. */
  readonly grpcOptions?: ChannelOptions;
  /**
   * TLS, and Gateway identity from client certificates: a stream is served only when the client
   * presented a certificate issued by one of `certificates`' CAs that names the Gateway its node
   * names (see security/identity.ts). Without it the server speaks plaintext and serves anyone.
   */
  readonly tls?: AdsServerTls;
  /**
   * Why plaintext is fine here (e.g. standalone mode on loopback): logged at info instead of the
   * warning a plaintext server otherwise logs. Ignored when the server listens beyond loopback.
   */
  readonly plaintextReason?: string;
}

export interface AdsServerTls {
  /** CA bundle, server certificate and key; updates apply to new connections (open streams stay). */
  readonly certificates: experimental.CertificateProvider;
}

/**
 * HTTP/2 pings to every Envoy: a peer that vanished without a FIN or RST (its host or network gone)
 * is noticed and its stream closed, instead of holding its Gateway's rollouts (and Programmed) and
 * a clean shutdown forever. Envoy answers pings by itself.
 */
export const DEAD_PEER_KEEPALIVE: ChannelOptions = {
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
};

/** Event name → listener arguments. */
export interface AdsServerEvents {
  connect: [gatewayKey: string, nodeId: string];
  disconnect: [gatewayKey: string, nodeId: string];
  /** `snapshotVersion`: the cache version of the snapshot the ACKed response came from. */
  ack: [gatewayKey: string, typeUrl: TypeUrl, version: string, nodeId: string, snapshotVersion: number];
  nack: [gatewayKey: string, typeUrl: TypeUrl, version: string, nodeId: string, errorMessage: string];
  /** An Envoy ACKed the whole rollout of a snapshot (cache version). */
  synced: [gatewayKey: string, nodeId: string, snapshotVersion: number];
  /** A stream was refused: it gets no resources. `gatewayKey` is what its node named, if anything. */
  refused: [gatewayKey: string | undefined, reason: string, message: string];
  /** A response was written (for metrics and benchmarks). */
  push: [gatewayKey: string, nodeId: string, typeUrl: TypeUrl, resources: number, removed: number, bytes: number];
}

export interface AckedTypeState {
  /** The wire version: SotW version_info, or delta system_version_info. */
  readonly version: string;
  /** The cache version of the snapshot the ACKed response came from. */
  readonly snapshotVersion: number;
}

export interface NackInfo {
  readonly typeUrl: TypeUrl;
  readonly version: string;
  readonly message: string;
  readonly code: number;
  readonly at: number;
}

export interface EnvoyStatus {
  readonly streamId: number;
  readonly nodeId: string;
  readonly gatewayKey: string;
  readonly transport: Transport;
  readonly connectedAt: number;
  readonly acked: ReadonlyMap<TypeUrl, AckedTypeState>;
  /** The last NACK, until a later ACK of the same type. */
  readonly lastNack: NackInfo | undefined;
  /** Last snapshot version whose whole rollout this Envoy ACKed (0 = none yet). */
  readonly syncedVersion: number;
}

export interface GatewayCounters {
  connected: number;
  pushes: number;
  resourcesPushed: number;
  bytesPushed: number;
  acks: number;
  nacks: number;
}

const ADS = AggregatedDiscoveryServiceService;

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/**
 * The ADS service with a pass-through response serializer: sessions hand grpc-js bytes they
 * encoded from the pre-encoded resources, so nothing is encoded twice.
 */
const adsService: ServiceDefinition = {
  streamAggregatedResources: {
    path: ADS.streamAggregatedResources.path,
    requestStream: true,
    responseStream: true,
    requestSerialize: ADS.streamAggregatedResources.requestSerialize,
    requestDeserialize: ADS.streamAggregatedResources.requestDeserialize,
    responseSerialize: (payload: Buffer) => payload,
    responseDeserialize: (payload: Buffer) => payload,
  },
  deltaAggregatedResources: {
    path: ADS.deltaAggregatedResources.path,
    requestStream: true,
    responseStream: true,
    requestSerialize: ADS.deltaAggregatedResources.requestSerialize,
    requestDeserialize: ADS.deltaAggregatedResources.requestDeserialize,
    responseSerialize: (payload: Buffer) => payload,
    responseDeserialize: (payload: Buffer) => payload,
  },
};

export class AdsServer extends EventEmitter<AdsServerEvents> {
  private readonly cache: SnapshotCache;
  private readonly logger: AdsLogger;
  private readonly host: SessionHost;
  private readonly maxDeltaResponseBytes: number;
  private readonly grpcOptions: ChannelOptions;
  private readonly sessions = new Set<AdsSession>();
  private readonly nacks = new Map<AdsSession, NackInfo>();
  private readonly counters = new Map<string, GatewayCounters>();
  private readonly refusalCounts = new Map<string, number>();
  private readonly tls: AdsServerTls | undefined;
  private readonly plaintextReason: string | undefined;
  private server: Server | undefined;
  private boundPort: number | undefined;

  constructor(options: AdsServerOptions) {
    super();
    this.cache = options.cache;
    this.logger = options.logger ?? noopLogger;
    this.maxDeltaResponseBytes = options.maxDeltaResponseBytes ?? DEFAULT_MAX_DELTA_RESPONSE_BYTES;
    this.grpcOptions = { ...DEAD_PEER_KEEPALIVE, ...options.grpcOptions };
    this.tls = options.tls;
    this.plaintextReason = options.plaintextReason;
    this.host = this.makeHost(options.phaseTimeoutMs ?? 5000, options.controlPlaneId ?? 'gantry');
  }

  /** Listens on host:port (port 0 picks one); resolves with the bound port. */
  async start(host = '127.0.0.1', port = 0): Promise<number> {
    if (this.server !== undefined) throw new Error('ADS server already started');
    const server = new Server(this.grpcOptions);
    server.addService(adsService, {
      streamAggregatedResources: (call: ServerDuplexStream<DiscoveryRequest, Buffer>) => {
        this.track(new SotwSession(this.host, call));
      },
      deltaAggregatedResources: (call: ServerDuplexStream<DeltaDiscoveryRequest, Buffer>) => {
        this.track(new DeltaSession(this.host, call, this.maxDeltaResponseBytes));
      },
    });
    const address = host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
    const bound = await new Promise<number>((resolve, reject) => {
      server.bindAsync(address, this.credentials(), (err, p) => (err ? reject(err) : resolve(p)));
    });
    // A certificate provider delivers its material asynchronously (ours: on the next turn of the
    // event loop): wait a turn so that no connection is dropped for want of credentials.
    if (this.tls) await new Promise((resolve) => setImmediate(resolve));
    this.server = server;
    this.boundPort = bound;
    if (this.tls) {
      this.logger.info('ADS server listening (TLS; each Envoy must present the client certificate of the Gateway it names)', { address: host, port: bound });
    } else if (this.plaintextReason !== undefined && isLoopback(host)) {
      this.logger.info(`ADS server listening in plaintext without authentication: ${this.plaintextReason}`, { address: host, port: bound });
    } else {
      this.logger.warn('ADS server listening in PLAINTEXT without authentication: any client that reaches this port gets the configuration, TLS keys included, of any Gateway it names', { address: host, port: bound });
    }
    return bound;
  }

  /** Whether streams need a client certificate naming their Gateway. */
  get authenticated(): boolean {
    return this.tls !== undefined;
  }

  /** Refused streams by reason (monotonic). */
  refusals(): ReadonlyMap<string, number> {
    return this.refusalCounts;
  }

  private credentials(): ServerCredentials {
    if (!this.tls) return ServerCredentials.createInsecure();
    // Client certificates are requested but not required by the TLS handshake: a client without
    // one (or with one we do not trust: grpc-js then reports no certificate) reaches the stream
    // handler, which refuses it with a gRPC status that is logged and counted.
    return experimental.createCertificateProviderServerCredentials(this.tls.certificates, this.tls.certificates, false);
  }

  /** The ADS server's authorization: the peer's verified certificate must name the Gateway. */
  private authorize(gatewayKey: string, peer: AuthContext): StreamRefusal | undefined {
    if (!this.tls) return undefined;
    const cert = peer.sslPeerCertificate;
    if (cert === undefined) {
      return {
        code: GrpcStatus.UNAUTHENTICATED,
        reason: 'no-certificate',
        message: `a client certificate issued by Gantry's xDS CA is required (the stream names Gateway ${gatewayKey})`,
      };
    }
    const named = gatewayKeysOfCertificate(cert);
    if (!named.includes(gatewayKey)) {
      return {
        code: GrpcStatus.PERMISSION_DENIED,
        reason: 'wrong-gateway',
        message: `the client certificate (${named.length > 0 ? `Gateway ${named.join(', ')}` : 'no Gateway identity'}) does not allow Gateway ${gatewayKey}`,
      };
    }
    return undefined;
  }

  get port(): number | undefined {
    return this.boundPort;
  }

  /**
   * Ends every stream (Envoys reconnect, to another replica or to us after a restart), then waits
   * up to `graceMs` for in-flight writes before forcing the server down.
   */
  async stop(graceMs = 2000): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    for (const session of [...this.sessions]) session.endStream();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, graceMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    for (const session of [...this.sessions]) session.close();
    this.boundPort = undefined;
    this.logger.info('ADS server stopped');
  }

  /** The Envoys connected now (of one Gateway, or all). */
  envoys(gatewayKey?: string): EnvoyStatus[] {
    const out: EnvoyStatus[] = [];
    for (const s of this.sessions) {
      if (s.gatewayKey === undefined || (gatewayKey !== undefined && s.gatewayKey !== gatewayKey)) continue;
      out.push({
        streamId: s.id,
        nodeId: s.nodeId,
        gatewayKey: s.gatewayKey,
        transport: s.transport,
        connectedAt: s.connectedAt,
        acked: s.ackState(),
        lastNack: this.nacks.get(s),
        syncedVersion: s.syncedVersion,
      });
    }
    return out;
  }

  /**
   * What each connected Envoy of the Gateway has ACKed for a type: node id → wire version
   * (a node id that appears on two streams gets "#<stream>" appended on the second).
   */
  ackedVersions(gatewayKey: string, typeUrl: TypeUrl): Map<string, string> {
    const out = new Map<string, string>();
    for (const e of this.envoys(gatewayKey)) {
      const acked = e.acked.get(typeUrl);
      if (acked === undefined) continue;
      const key = out.has(e.nodeId) ? `${e.nodeId}#${e.streamId}` : e.nodeId;
      out.set(key, acked.version);
    }
    return out;
  }

  /** True when at least one Envoy of the Gateway is connected and every one has ACKed the rollout of `snapshotVersion` (or later). */
  isSynced(gatewayKey: string, snapshotVersion: number): boolean {
    const envoys = this.envoys(gatewayKey);
    return envoys.length > 0 && envoys.every((e) => e.syncedVersion >= snapshotVersion);
  }

  /** Counters per Gateway for metrics (monotonic, except `connected`). */
  gatewayCounters(): ReadonlyMap<string, Readonly<GatewayCounters>> {
    return this.counters;
  }

  private counter(gatewayKey: string): GatewayCounters {
    let c = this.counters.get(gatewayKey);
    if (c === undefined) {
      c = { connected: 0, pushes: 0, resourcesPushed: 0, bytesPushed: 0, acks: 0, nacks: 0 };
      this.counters.set(gatewayKey, c);
    }
    return c;
  }

  private track(session: AdsSession): void {
    this.sessions.add(session);
  }

  private makeHost(phaseTimeoutMs: number, controlPlaneId: string): SessionHost {
    const logger = this.logger;
    return {
      cache: this.cache,
      logger,
      phaseTimeoutMs,
      controlPlaneId,
      connected: (s) => {
        const gw = s.gatewayKey!;
        this.counter(gw).connected++;
        logger.info('Envoy connected', { gateway: gw, node: s.nodeId, stream: s.id, transport: s.transport });
        this.emit('connect', gw, s.nodeId);
      },
      disconnected: (s) => {
        const gw = s.gatewayKey!;
        this.counter(gw).connected--;
        logger.info('Envoy disconnected', { gateway: gw, node: s.nodeId, stream: s.id });
        this.emit('disconnect', gw, s.nodeId);
      },
      released: (s) => {
        this.sessions.delete(s);
        this.nacks.delete(s);
      },
      pushed: (s, typeUrl, resources, removed, bytes) => {
        const gw = s.gatewayKey!;
        const c = this.counter(gw);
        c.pushes++;
        c.resourcesPushed += resources;
        c.bytesPushed += bytes;
        logger.debug('pushed', { gateway: gw, node: s.nodeId, type: shortType(typeUrl), resources, removed, bytes });
        this.emit('push', gw, s.nodeId, typeUrl, resources, removed, bytes);
      },
      acked: (s, typeUrl, version, snapshotVersion) => {
        const gw = s.gatewayKey!;
        this.counter(gw).acks++;
        if (this.nacks.get(s)?.typeUrl === typeUrl) this.nacks.delete(s);
        logger.debug('ACK', { gateway: gw, node: s.nodeId, type: shortType(typeUrl), version });
        this.emit('ack', gw, typeUrl, version, s.nodeId, snapshotVersion);
      },
      nacked: (s, typeUrl, version, message, code) => {
        const gw = s.gatewayKey!;
        this.counter(gw).nacks++;
        this.nacks.set(s, { typeUrl, version, message, code, at: Date.now() });
        logger.warn('NACK', { gateway: gw, node: s.nodeId, type: shortType(typeUrl), version, code, error: message });
        this.emit('nack', gw, typeUrl, version, s.nodeId, message);
      },
      authorize: (gatewayKey, peer) => this.authorize(gatewayKey, peer),
      refused: (s, gatewayKey, refusal) => {
        this.refusalCounts.set(refusal.reason, (this.refusalCounts.get(refusal.reason) ?? 0) + 1);
        const peer = s.peerAddress;
        logger.warn('xDS stream refused', { stream: s.id, node: s.requestedNodeId, gateway: gatewayKey, peer, reason: refusal.reason, code: refusal.code, error: refusal.message });
        this.emit('refused', gatewayKey, refusal.reason, refusal.message);
      },
      synced: (s, snapshotVersion) => {
        const gw = s.gatewayKey!;
        logger.debug('Envoy synced', { gateway: gw, node: s.nodeId, snapshot: snapshotVersion });
        this.emit('synced', gw, s.nodeId, snapshotVersion);
      },
    };
  }
}
