// ListenerIR -> envoy.config.listener.v3.Listener. Routes come over RDS, certificates over SDS,
// both on the ADS stream, so a listener only changes when ports, SNI names or secret names do.
import { CertificateValidationContext_TrustChainVerification } from '@gantry/envoy-xds-proto/generated/envoy/extensions/transport_sockets/tls/v3/common';
import type { FilterChainIR, L4ChainIR, L4ListenerIR, ListenerIR } from '@gantry/ir';
import { StdoutAccessLog } from '@gantry/envoy-xds-proto/generated/envoy/extensions/access_loggers/stream/v3/stream';
import { DownstreamTlsContext } from '@gantry/envoy-xds-proto/generated/envoy/extensions/transport_sockets/tls/v3/tls';
import { TcpProxy } from '@gantry/envoy-xds-proto/generated/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy';
import { UdpProxyConfig } from '@gantry/envoy-xds-proto/generated/envoy/extensions/filters/udp/udp_proxy/v3/udp_proxy';
import { Route as UdpProxyRoute } from '@gantry/envoy-xds-proto/generated/envoy/extensions/filters/udp/udp_proxy/v3/route';
import { HttpConnectionManager, HttpConnectionManager_CodecType } from '@gantry/envoy-xds-proto/generated/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager';
import { Listener } from '@gantry/envoy-xds-proto/generated/envoy/config/listener/v3/listener';
import { SocketAddress_Protocol } from '@gantry/envoy-xds-proto/generated/envoy/config/core/v3/address';
import { SourcePortInput } from '@gantry/envoy-xds-proto/generated/envoy/extensions/matching/common_inputs/network/v3/network_inputs';
import { TlsInspector } from '@gantry/envoy-xds-proto/generated/envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector';
import { packAny } from '@gantry/envoy-xds-proto/any';
import type { AccessLog, FilterChain, HttpConnectionManager as Hcm, HttpFilter } from '@gantry/envoy-xds-proto';
import type { AccessLogOptions } from './options.js';
import type { Matcher_MatcherList_FieldMatcher, Matcher_OnMatch } from '@gantry/envoy-xds-proto/generated/xds/type/matcher/v3/matcher';
import { Rds, ScopedRoutes } from '@gantry/envoy-xds-proto/generated/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager';
import { HTTP_FILTERS } from './http-filters.js';
import { DEFAULT_ROUTE_LAYOUT, type RouteLayout } from './route-config.js';
import { LUA_FILTER, SCOPE_HEADER, UPGRADE_GUARD_FILTER, scopeLuaConfig, upgradeGuardConfig } from './route-scopes.js';
import { ADS_CONFIG_SOURCE, type DeepPartial } from './proto.js';

export const HCM_FILTER = 'envoy.filters.network.http_connection_manager';
export const TLS_INSPECTOR = 'envoy.filters.listener.tls_inspector';
export const TLS_TRANSPORT_SOCKET = 'envoy.transport_sockets.tls';
export const STDOUT_ACCESS_LOG = 'envoy.access_loggers.stdout';

/** The HCM's access log: Envoy's stdout, JSON fields or a text line. */
export function stdoutAccessLog(options: AccessLogOptions): DeepPartial<AccessLog> {
  const logFormat = options.format === 'json'
    ? { format: { $case: 'jsonFormat' as const, jsonFormat: { ...options.json } } }
    : options.text !== undefined
      ? { format: { $case: 'textFormat' as const, textFormat: options.text.endsWith('\n') ? options.text : `${options.text}\n` } }
      : undefined;
  const log = StdoutAccessLog.fromPartial(logFormat !== undefined ? { accessLogFormat: { $case: 'logFormat', logFormat } } : {});
  return { name: STDOUT_ACCESS_LOG, configType: { $case: 'typedConfig', typedConfig: packAny(log) } };
}
export const TCP_PROXY_FILTER = 'envoy.filters.network.tcp_proxy';
export const UDP_PROXY_FILTER = 'envoy.filters.udp_listener.udp_proxy';
/** A cluster name no Gateway has: a chain without backends closes its connections. */
export const NO_BACKEND_CLUSTER = 'gantry/no-backend';

/** Stat prefixes become metric names: keep them to characters every stats sink accepts. */
export function statPrefix(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_');
}

function httpFilters(): DeepPartial<HttpFilter>[] {
  return HTTP_FILTERS.map((f) => ({ name: f.name, configType: { $case: 'typedConfig', typedConfig: f.typedConfig() } }));
}

/**
 * Where the HCM takes its routes from: one RouteConfiguration over RDS, or (scoped) the table's
 * scopes over SRDS, each naming a shard fetched over RDS (route-scopes.ts).
 */
function routeSpecifier(table: string, layout: RouteLayout): Hcm['routeSpecifier'] & DeepPartial<Hcm['routeSpecifier']> {
  if (layout === 'single') return { $case: 'rds', rds: Rds.fromPartial({ configSource: ADS_CONFIG_SOURCE, routeConfigName: table }) };
  return {
    $case: 'scopedRoutes',
    scopedRoutes: ScopedRoutes.fromPartial({
      name: table,
      scopeKeyBuilder: {
        fragments: [{ type: { $case: 'headerValueExtractor', headerValueExtractor: { name: SCOPE_HEADER, extractType: { $case: 'index', index: 0 } } } }],
      },
      rdsConfigSource: ADS_CONFIG_SOURCE,
      configSpecifier: { $case: 'scopedRds', scopedRds: { scopedRdsConfigSource: ADS_CONFIG_SOURCE } },
    }),
  };
}

/** How the HCMs of a listener are built: where routes come from, and the access log. */
export interface HcmOptions {
  readonly layout?: RouteLayout;
  readonly accessLog?: AccessLogOptions;
}

/** The HCM of one filter chain: routes over RDS, or scoped (the scope-picking Lua filter first). */
export function httpConnectionManager(chain: FilterChainIR, opts: HcmOptions = {}): DeepPartial<Hcm> {
  const { layout = DEFAULT_ROUTE_LAYOUT, accessLog } = opts;
  const table = chain.routeConfig.name;
  const scopeFilter: DeepPartial<HttpFilter>[] =
    layout === 'scoped'
      ? [
          { name: LUA_FILTER, configType: { $case: 'typedConfig', typedConfig: scopeLuaConfig(table) } },
          { name: UPGRADE_GUARD_FILTER, configType: { $case: 'typedConfig', typedConfig: upgradeGuardConfig() } },
        ]
      : [];
  return {
    ...(accessLog !== undefined ? { accessLog: [stdoutAccessLog(accessLog)] } : {}),
    statPrefix: statPrefix(chain.name),
    codecType: HttpConnectionManager_CodecType.AUTO,
    routeSpecifier: routeSpecifier(table, layout),
    httpFilters: [...scopeFilter, ...httpFilters()],
    // Envoy is the edge: it sets X-Forwarded-For from the peer address and trusts no client XFF.
    useRemoteAddress: true,
    // Normalise `.`/`..` segments so route rules cannot be bypassed; leave slashes and escapes as
    // the client sent them (backends see the path they were sent, minus dot segments).
    normalizePath: true,
    mergeSlashes: false,
    // No strip_*_host_port: the backend receives Host exactly as the client sent it, port included
    // (route tables ignore the port when matching hostnames: ignore_port_in_host_matching).
    // Declared but off: routes whose backends speak websocket switch it on (RouteAction.upgrade_configs).
    upgradeConfigs: [{ upgradeType: 'websocket', enabled: false }],
  };
}

function filterChain(listener: ListenerIR, chain: FilterChainIR, opts: HcmOptions): DeepPartial<FilterChain> {
  const out: DeepPartial<FilterChain> = {
    name: chain.name,
    filters: [
      {
        name: HCM_FILTER,
        configType: { $case: 'typedConfig', typedConfig: packAny(HttpConnectionManager.fromPartial(httpConnectionManager(chain, opts))) },
      },
    ],
  };
  if (chain.serverNames.length > 0) out.filterChainMatch = { serverNames: [...chain.serverNames] };
  if (listener.protocol === 'HTTPS') {
    const v = chain.clientValidation;
    const tls = DownstreamTlsContext.fromPartial({
      commonTlsContext: {
        tlsCertificateSdsSecretConfigs: (chain.tlsSecrets ?? []).map((name) => ({ name, sdsConfig: ADS_CONFIG_SOURCE })),
        alpnProtocols: ['h2', 'http/1.1'],
        // Client certificates (spec.tls.frontend): checked against the CA; with the insecure
        // fallback, asked for but neither required nor verified to the end.
        ...(v !== undefined
          ? {
              validationContextType: {
                $case: 'validationContext' as const,
                validationContext: {
                  trustedCa: { specifier: { $case: 'inlineString' as const, inlineString: v.trustedCA } },
                  ...(v.insecureFallback === true ? { trustChainVerification: CertificateValidationContext_TrustChainVerification.ACCEPT_UNTRUSTED } : {}),
                },
              },
            }
          : {}),
      },
      ...(v !== undefined && v.insecureFallback !== true ? { requireClientCertificate: true } : {}),
    });
    out.transportSocket = { name: TLS_TRANSPORT_SOCKET, configType: { $case: 'typedConfig', typedConfig: packAny(tls) } };
  }
  return out;
}

function socketAddress(port: number, listenAddress: string, udp = false): DeepPartial<Listener>['address'] {
  return {
    address: {
      $case: 'socketAddress',
      socketAddress: {
        ...(udp ? { protocol: SocketAddress_Protocol.UDP } : {}),
        address: listenAddress,
        portSpecifier: { $case: 'portValue', portValue: port },
        // `::` accepts IPv4 connections too (dual stack), as `0.0.0.0`-style "everywhere" implies.
        ...(listenAddress === '::' ? { ipv4Compat: true } : {}),
      },
    },
  };
}

/** TCP proxy to the chain's backends (weighted when several). */
function tcpProxy(chain: L4ChainIR): TcpProxy {
  const b = chain.backends;
  return TcpProxy.fromPartial({
    statPrefix: statPrefix(chain.name),
    clusterSpecifier:
      b.length === 1
        ? { $case: 'cluster', cluster: (b[0] as { cluster: string }).cluster }
        : b.length === 0
          ? { $case: 'cluster', cluster: NO_BACKEND_CLUSTER }
          : { $case: 'weightedClusters', weightedClusters: { clusters: b.map((x) => ({ name: x.cluster, weight: x.weight })) } },
  });
}

function l4FilterChain(chain: L4ChainIR): DeepPartial<FilterChain> {
  const out: DeepPartial<FilterChain> = {
    name: chain.name,
    filters: [{ name: TCP_PROXY_FILTER, configType: { $case: 'typedConfig', typedConfig: packAny(tcpProxy(chain)) } }],
  };
  if (chain.serverNames.length > 0) out.filterChainMatch = { serverNames: [...chain.serverNames] };
  if (chain.tlsSecrets !== undefined) {
    const tls = DownstreamTlsContext.fromPartial({
      commonTlsContext: { tlsCertificateSdsSecretConfigs: chain.tlsSecrets.map((name) => ({ name, sdsConfig: ADS_CONFIG_SOURCE })) },
    });
    out.transportSocket = { name: TLS_TRANSPORT_SOCKET, configType: { $case: 'typedConfig', typedConfig: packAny(tls) } };
  }
  return out;
}

function udpRoute(cluster: string): DeepPartial<Matcher_OnMatch> {
  return { onMatch: { $case: 'action', action: { name: 'route', typedConfig: packAny(UdpProxyRoute.fromPartial({ cluster })) } } };
}

/**
 * UDP: a udp_proxy listener filter. udp_proxy routes a session (a client address and port) to one
 * cluster and has no weighted clusters, so weights are applied per session: the last two digits of
 * the client's source port (ephemeral ports are spread evenly over them; the regex must match
 * the whole port) pick one of 100 buckets, each backend owning a share of buckets proportional to
 * its weight.
 */
function udpProxy(chain: L4ChainIR): UdpProxyConfig {
  const backends = chain.backends;
  const first = backends[0]?.cluster ?? NO_BACKEND_CLUSTER;
  const matchers: DeepPartial<Matcher_MatcherList_FieldMatcher>[] = [];
  if (backends.length > 1) {
    const buckets = sourcePortBuckets(backends.map((b) => b.weight));
    for (let i = 0; i < backends.length; i++) {
      const mine = buckets[i] as readonly string[];
      if (mine.length === 0) continue;
      matchers.push({
        predicate: {
          matchType: {
            $case: 'singlePredicate',
            singlePredicate: {
              input: { name: 'source-port', typedConfig: packAny(SourcePortInput.fromPartial({})) },
              matcher: { $case: 'valueMatch', valueMatch: { matchPattern: { $case: 'safeRegex', safeRegex: { engineType: { $case: 'googleRe2', googleRe2: {} }, regex: `[0-9]*(?:${mine.join('|')})` } } } },
            },
          },
        },
        onMatch: udpRoute((backends[i] as { cluster: string }).cluster),
      });
    }
  }
  return UdpProxyConfig.fromPartial({
    statPrefix: statPrefix(chain.name),
    routeSpecifier: {
      $case: 'matcher',
      matcher: {
        ...(matchers.length > 0 ? { matcherType: { $case: 'matcherList', matcherList: { matchers } } } : {}),
        onNoMatch: udpRoute(first),
      },
    },
  });
}

/** The two-digit source port suffixes (`00`..`99`) of each weight, in shares of 100 (largest remainder). */
export function sourcePortBuckets(weights: readonly number[]): string[][] {
  const total = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (total > 0 ? (w * 100) / total : 0));
  const counts = exact.map(Math.floor);
  let left = 100 - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    if ((weights[i] ?? 0) <= 0) continue;
    counts[i] = (counts[i] ?? 0) + 1;
    left--;
  }
  const out: string[][] = [];
  let next = 0;
  for (const c of counts) {
    const mine: string[] = [];
    for (let k = 0; k < c; k++, next++) mine.push(String(next).padStart(2, '0'));
    out.push(mine);
  }
  return out;
}

/** A TLS (SNI-routed), TCP or UDP listener. */
export function buildL4Listener(listener: L4ListenerIR, listenAddress: string): Listener {
  if (listener.protocol === 'UDP') {
    const chain = listener.chains[0] as L4ChainIR;
    return Listener.fromPartial({
      name: listener.name,
      address: socketAddress(listener.port, listenAddress, true),
      statPrefix: statPrefix(listener.name),
      udpListenerConfig: {},
      listenerFilters: [{ name: UDP_PROXY_FILTER, configType: { $case: 'typedConfig', typedConfig: packAny(udpProxy(chain)) } }],
    });
  }
  return Listener.fromPartial({
    name: listener.name,
    address: socketAddress(listener.port, listenAddress),
    statPrefix: statPrefix(listener.name),
    listenerFilters:
      listener.protocol === 'TLS'
        ? [{ name: TLS_INSPECTOR, configType: { $case: 'typedConfig', typedConfig: packAny(TlsInspector.fromPartial({})) } }]
        : [],
    filterChains: listener.chains.map(l4FilterChain),
  });
}

export function buildListener(listener: ListenerIR, listenAddress: string, opts: HcmOptions = {}): Listener {
  return Listener.fromPartial({
    name: listener.name,
    address: socketAddress(listener.port, listenAddress),
    statPrefix: statPrefix(listener.name),
    listenerFilters:
      listener.protocol === 'HTTPS'
        ? [{ name: TLS_INSPECTOR, configType: { $case: 'typedConfig', typedConfig: packAny(TlsInspector.fromPartial({})) } }]
        : [],
    // TLS listeners of the same port (TLSRouteModeMixed): their chains beside the HTTPS ones,
    // Envoy choosing among all of them by SNI.
    filterChains: [...listener.filterChains.map((c) => filterChain(listener, c, opts)), ...(listener.tlsChains ?? []).map(l4FilterChain)],
  });
}
