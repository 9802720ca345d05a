// Real gRPC ADS clients for tests: they speak to the server over a socket with the generated
// ts-proto client, queue what they receive, and can behave like Envoy (ACK everything, subscribe to
// the endpoints of EDS clusters and to the routes of RDS listeners they receive).

import { credentials, type ChannelCredentials, type ClientDuplexStream } from '@grpc/grpc-js';
import {
  AggregatedDiscoveryServiceClient,
  Cluster,
  Cluster_DiscoveryType,
  DeltaDiscoveryRequest,
  DeltaDiscoveryResponse,
  DiscoveryRequest,
  DiscoveryResponse,
  HttpConnectionManager,
  Listener,
  Node,
  Status,
  unpackAnyAs,
} from '@gantry/envoy-xds-proto';
import { ScopedRouteConfiguration } from '@gantry/envoy-xds-proto/generated/envoy/config/route/v3/scoped_route';
import { TypeUrl } from '../../resources.js';
import { GATEWAY_METADATA_KEY } from '../node-identity.js';

export interface ClientOptions {
  readonly port: number;
  /** "ns/name"; undefined sends no Gateway metadata. */
  readonly gateway: string | undefined;
  readonly nodeId?: string;
  /** ACK every response and follow EDS/RDS references, like Envoy. */
  readonly envoyLike?: boolean;
  /** Delay before subscribing to referenced EDS/RDS names (a slow Envoy). */
  readonly followDelayMs?: number;
  /** Default: plaintext. */
  readonly credentials?: ChannelCredentials;
}

/** What arrived, in order, as (type, names sent, names removed). */
export interface LogEntry {
  readonly type: string;
  readonly names: readonly string[];
  readonly removed: readonly string[];
}

function makeNode(options: ClientOptions): Node {
  return Node.fromPartial({
    id: options.nodeId ?? 'test-node',
    cluster: 'test',
    metadata: options.gateway === undefined ? {} : { [GATEWAY_METADATA_KEY]: options.gateway },
  });
}

/** Names of EDS clusters' load assignments (service_name or cluster name). */
export function edsNamesOf(clusterBytes: Uint8Array): string[] {
  const c = Cluster.decode(clusterBytes);
  if (c.clusterDiscoveryType?.$case !== 'type' || c.clusterDiscoveryType.type !== Cluster_DiscoveryType.EDS) return [];
  return [c.edsClusterConfig?.serviceName || c.name];
}

/** Route configuration names an RDS listener refers to. */
export function rdsNamesOf(listenerBytes: Uint8Array): string[] {
  const l = Listener.decode(listenerBytes);
  const out: string[] = [];
  for (const chain of l.filterChains) {
    for (const f of chain.filters) {
      if (f.configType?.$case !== 'typedConfig') continue;
      if (!f.configType.typedConfig.typeUrl.endsWith('HttpConnectionManager')) continue;
      const hcm = unpackAnyAs(f.configType.typedConfig, HttpConnectionManager);
      if (hcm.routeSpecifier?.$case === 'rds') out.push(hcm.routeSpecifier.rds.routeConfigName);
    }
  }
  return out;
}

/** Whether a listener's HTTP connection managers take their routes from scopes (SRDS). */
export function usesScopedRoutes(listenerBytes: Uint8Array): boolean {
  const l = Listener.decode(listenerBytes);
  return l.filterChains.some((chain) =>
    chain.filters.some(
      (f) =>
        f.configType?.$case === 'typedConfig' &&
        f.configType.typedConfig.typeUrl.endsWith('HttpConnectionManager') &&
        unpackAnyAs(f.configType.typedConfig, HttpConnectionManager).routeSpecifier?.$case === 'scopedRoutes',
    ),
  );
}

class Inbox<T> {
  private readonly items: T[] = [];
  private readonly waiters: { match: (t: T) => boolean; resolve: (t: T) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }[] = [];

  push(item: T): void {
    const i = this.waiters.findIndex((w) => w.match(item));
    if (i >= 0) {
      const [w] = this.waiters.splice(i, 1);
      clearTimeout(w!.timer);
      w!.resolve(item);
    } else {
      this.items.push(item);
    }
  }

  take(match: (t: T) => boolean, timeoutMs: number, what: string): Promise<T> {
    const i = this.items.findIndex(match);
    if (i >= 0) return Promise.resolve(this.items.splice(i, 1)[0]!);
    return new Promise<T>((resolve, reject) => {
      const waiter = {
        match,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  pending(): readonly T[] {
    return this.items;
  }

  clear(): void {
    this.items.length = 0;
  }

  failAll(err: Error): void {
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(err);
    }
  }
}

abstract class BaseClient<Req, Res extends { typeUrl: string }> {
  protected readonly client: AggregatedDiscoveryServiceClient;
  protected readonly stream: ClientDuplexStream<Req, Res>;
  protected readonly inbox = new Inbox<Res>();
  readonly log: LogEntry[] = [];
  private nodeSent = false;
  ended: Error | undefined;
  readonly endedPromise: Promise<Error>;

  constructor(
    protected readonly options: ClientOptions,
    open: (client: AggregatedDiscoveryServiceClient) => ClientDuplexStream<Req, Res>,
  ) {
    this.client = new AggregatedDiscoveryServiceClient(`127.0.0.1:${options.port}`, options.credentials ?? credentials.createInsecure());
    this.stream = open(this.client);
    this.endedPromise = new Promise<Error>((resolve) => {
      this.stream.on('error', (err: Error) => {
        this.ended = err;
        this.inbox.failAll(err);
        resolve(err);
      });
      this.stream.on('end', () => {
        const err = new Error('stream ended');
        this.ended ??= err;
        this.inbox.failAll(err);
        resolve(err);
      });
    });
    this.stream.on('data', (res: Res) => this.receive(res));
  }

  protected abstract receive(res: Res): void;

  protected withNode<T extends { node?: Node | undefined }>(req: T): T {
    if (this.nodeSent) return req;
    this.nodeSent = true;
    return { ...req, node: makeNode(this.options) };
  }

  /** The next response (of a type), in arrival order. */
  next(type?: string, timeoutMs = 3000): Promise<Res> {
    return this.inbox.take((r) => type === undefined || r.typeUrl === type, timeoutMs, `a response${type ? ` of ${type}` : ''}`);
  }

  /** Resolves true if no response (of a type) arrives within `ms`. */
  async quiet(ms: number, type?: string): Promise<boolean> {
    try {
      await this.inbox.take((r) => type === undefined || r.typeUrl === type, ms, 'nothing');
      return false;
    } catch {
      return true;
    }
  }

  /** Drops received but unconsumed responses (after an initial sync). */
  clearInbox(): void {
    this.inbox.clear();
  }

  pendingResponses(): readonly Res[] {
    return this.inbox.pending();
  }

  close(): void {
    this.stream.cancel();
    this.client.close();
  }
}

export class DeltaTestClient extends BaseClient<DeltaDiscoveryRequest, DeltaDiscoveryResponse> {
  /** What the client holds: type → name → version. */
  readonly held = new Map<string, Map<string, string>>();
  /** Bytes of what the client holds: type → name → bytes. */
  readonly bytes = new Map<string, Map<string, Uint8Array>>();
  private readonly edsRefs = new Map<string, string[]>();
  /** Route table names by the listener or scope (SRDS) that names them. */
  private readonly rdsRefs = new Map<string, string[]>();
  private readonly subscribedEds = new Set<string>();
  private readonly subscribedRds = new Set<string>();
  private subscribedSrds = false;
  /** Called for every response before the automatic ACK (envoyLike); return an error message to NACK. */
  validate: ((res: DeltaDiscoveryResponse) => string | undefined) | undefined;

  constructor(options: ClientOptions) {
    super(options, (c) => c.deltaAggregatedResources());
  }

  holding(type: string): Map<string, string> {
    let m = this.held.get(type);
    if (m === undefined) {
      m = new Map();
      this.held.set(type, m);
    }
    return m;
  }

  send(partial: Partial<Omit<DeltaDiscoveryRequest, '$type'>> & { typeUrl: string }): void {
    this.stream.write(this.withNode(DeltaDiscoveryRequest.fromPartial(partial)));
  }

  subscribe(typeUrl: string, names: string[] = [], initialResourceVersions: Record<string, string> = {}): void {
    this.send({ typeUrl, resourceNamesSubscribe: names, initialResourceVersions });
  }

  unsubscribe(typeUrl: string, names: string[]): void {
    this.send({ typeUrl, resourceNamesUnsubscribe: names });
  }

  ack(res: DeltaDiscoveryResponse): void {
    this.send({ typeUrl: res.typeUrl, responseNonce: res.nonce });
  }

  nack(res: DeltaDiscoveryResponse, message: string, code = 3): void {
    this.send({ typeUrl: res.typeUrl, responseNonce: res.nonce, errorDetail: Status.fromPartial({ code, message }) });
  }

  protected receive(res: DeltaDiscoveryResponse): void {
    this.log.push({ type: res.typeUrl, names: res.resources.map((r) => r.name), removed: res.removedResources });
    const error = this.validate?.(res);
    if (error === undefined) {
      const held = this.holding(res.typeUrl);
      let bytes = this.bytes.get(res.typeUrl);
      if (bytes === undefined) {
        bytes = new Map();
        this.bytes.set(res.typeUrl, bytes);
      }
      for (const r of res.resources) {
        held.set(r.name, r.version);
        bytes.set(r.name, r.resource?.value ?? new Uint8Array());
      }
      for (const name of res.removedResources) {
        held.delete(name);
        bytes.delete(name);
      }
    }
    if (!this.options.envoyLike) {
      this.inbox.push(res);
      return;
    }
    if (error !== undefined) {
      this.nack(res, error);
      this.inbox.push(res);
      return;
    }
    this.ack(res);
    if (res.typeUrl === TypeUrl.Cluster) {
      for (const r of res.resources) this.edsRefs.set(r.name, edsNamesOf(r.resource?.value ?? new Uint8Array()));
      for (const name of res.removedResources) this.edsRefs.delete(name);
      this.follow(TypeUrl.ClusterLoadAssignment, this.edsRefs, this.subscribedEds);
    } else if (res.typeUrl === TypeUrl.Listener) {
      for (const r of res.resources) this.rdsRefs.set(r.name, rdsNamesOf(r.resource?.value ?? new Uint8Array()));
      for (const name of res.removedResources) this.rdsRefs.delete(name);
      this.follow(TypeUrl.RouteConfiguration, this.rdsRefs, this.subscribedRds);
      // Like Envoy: scoped route configurations are a wildcard subscription, made once a listener needs them.
      if (!this.subscribedSrds && res.resources.some((r) => usesScopedRoutes(r.resource?.value ?? new Uint8Array()))) {
        this.subscribedSrds = true;
        this.subscribe(TypeUrl.ScopedRouteConfiguration);
      }
    } else if (res.typeUrl === TypeUrl.ScopedRouteConfiguration) {
      for (const r of res.resources) {
        const scope = ScopedRouteConfiguration.decode(r.resource?.value ?? new Uint8Array());
        this.rdsRefs.set(`scope:${r.name}`, [scope.routeConfigurationName]);
      }
      for (const name of res.removedResources) this.rdsRefs.delete(`scope:${name}`);
      this.follow(TypeUrl.RouteConfiguration, this.rdsRefs, this.subscribedRds);
    }
    this.inbox.push(res);
  }

  private follow(type: string, refs: Map<string, string[]>, subscribed: Set<string>): void {
    const wanted = new Set([...refs.values()].flat());
    const add = [...wanted].filter((n) => !subscribed.has(n));
    const drop = [...subscribed].filter((n) => !wanted.has(n));
    for (const n of add) subscribed.add(n);
    for (const n of drop) {
      subscribed.delete(n);
      this.holding(type).delete(n);
    }
    if (add.length === 0 && drop.length === 0) return;
    const request = () => this.send({ typeUrl: type, resourceNamesSubscribe: add, resourceNamesUnsubscribe: drop });
    if (this.options.followDelayMs) setTimeout(request, this.options.followDelayMs);
    else request();
  }
}

export class SotwTestClient extends BaseClient<DiscoveryRequest, DiscoveryResponse> {
  private readonly names = new Map<string, string[]>();
  private readonly lastNonce = new Map<string, string>();
  private readonly acceptedVersion = new Map<string, string>();
  /** type → names in the last accepted response. */
  readonly held = new Map<string, Set<string>>();
  private readonly edsRefs = new Map<string, string[]>();
  private readonly rdsRefs = new Map<string, string[]>();

  constructor(options: ClientOptions) {
    super(options, (c) => c.streamAggregatedResources());
  }

  /** Sends a request for these names (replacing the previous list of the type). */
  request(typeUrl: string, names: string[] = [], extra: Partial<Omit<DiscoveryRequest, '$type'>> = {}): void {
    this.names.set(typeUrl, names);
    this.stream.write(
      this.withNode(
        DiscoveryRequest.fromPartial({
          typeUrl,
          resourceNames: names,
          versionInfo: this.acceptedVersion.get(typeUrl) ?? '',
          responseNonce: this.lastNonce.get(typeUrl) ?? '',
          ...extra,
        }),
      ),
    );
  }

  ack(res: DiscoveryResponse): void {
    this.acceptedVersion.set(res.typeUrl, res.versionInfo);
    this.held.set(res.typeUrl, new Set(res.resources.map((a) => this.nameOf(res.typeUrl, a.value))));
    this.stream.write(
      DiscoveryRequest.fromPartial({
        typeUrl: res.typeUrl,
        resourceNames: this.names.get(res.typeUrl) ?? [],
        versionInfo: res.versionInfo,
        responseNonce: res.nonce,
      }),
    );
  }

  nack(res: DiscoveryResponse, message: string, code = 3): void {
    this.stream.write(
      DiscoveryRequest.fromPartial({
        typeUrl: res.typeUrl,
        resourceNames: this.names.get(res.typeUrl) ?? [],
        versionInfo: this.acceptedVersion.get(res.typeUrl) ?? '',
        responseNonce: res.nonce,
        errorDetail: Status.fromPartial({ code, message }),
      }),
    );
  }

  /** Names of resources in a response (decoding the type's name field). */
  namesIn(res: DiscoveryResponse): string[] {
    return res.resources.map((a) => this.nameOf(res.typeUrl, a.value));
  }

  private nameOf(typeUrl: string, bytes: Uint8Array): string {
    if (typeUrl === TypeUrl.Cluster) return Cluster.decode(bytes).name;
    if (typeUrl === TypeUrl.Listener) return Listener.decode(bytes).name;
    // The other types used in tests are ClusterLoadAssignment (cluster_name = 1) and
    // RouteConfiguration / Secret (name = 1): field 1 is the name in all three.
    return readField1String(bytes);
  }

  protected receive(res: DiscoveryResponse): void {
    this.lastNonce.set(res.typeUrl, res.nonce);
    this.log.push({ type: res.typeUrl, names: this.namesIn(res), removed: [] });
    if (!this.options.envoyLike) {
      this.inbox.push(res);
      return;
    }
    this.ack(res);
    if (res.typeUrl === TypeUrl.Cluster) {
      this.edsRefs.clear();
      for (const a of res.resources) this.edsRefs.set(Cluster.decode(a.value).name, edsNamesOf(a.value));
      this.followSotw(TypeUrl.ClusterLoadAssignment, this.edsRefs);
    } else if (res.typeUrl === TypeUrl.Listener) {
      this.rdsRefs.clear();
      for (const a of res.resources) this.rdsRefs.set(Listener.decode(a.value).name, rdsNamesOf(a.value));
      this.followSotw(TypeUrl.RouteConfiguration, this.rdsRefs);
    }
    this.inbox.push(res);
  }

  private followSotw(type: string, refs: Map<string, string[]>): void {
    const wanted = [...new Set([...refs.values()].flat())].sort();
    const current = [...(this.names.get(type) ?? [])].sort();
    if (wanted.join('\u0000') !== current.join('\u0000') || !this.names.has(type)) {
      if (wanted.length === 0 && !this.names.has(type)) return;
      if (this.options.followDelayMs) {
        setTimeout(() => this.request(type, wanted), this.options.followDelayMs);
      } else {
        this.request(type, wanted);
      }
    }
  }
}

function readField1String(bytes: Uint8Array): string {
  // tag 0x0a = field 1, length-delimited; the length is a varint.
  if (bytes[0] !== 0x0a) return '';
  let len = 0;
  let shift = 0;
  let i = 1;
  for (;;) {
    const b = bytes[i++]!;
    len |= (b & 0x7f) << shift;
    if (b < 0x80) break;
    shift += 7;
  }
  return new TextDecoder().decode(bytes.subarray(i, i + len));
}
