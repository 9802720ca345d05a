// ListenerIR -> envoy.config.listener.v3.Listener. Routes come over RDS, certificates over SDS,
// both on the ADS stream, so a listener only changes when ports, SNI names or secret names do.
import type { FilterChainIR, L4ChainIR, L4ListenerIR, ListenerIR } from '@gantry/ir';
import {
  DownstreamTlsContext,
  TcpProxy,
  UdpProxyConfig,
  UdpProxyRoute,
  HttpConnectionManager,
  HttpConnectionManager_CodecType,
  Listener,
  SocketAddress_Protocol,
  TlsInspector,
  packAny,
} from '@gantry/envoy-xds-proto';
import type { FilterChain, HttpConnectionManager as Hcm, HttpFilter } from '@gantry/envoy-xds-proto';
import { HTTP_FILTERS } from './http-filters.js';
import { ADS_CONFIG_SOURCE, type DeepPartial } from './proto.js';

export const HCM_FILTER = 'envoy.filters.network.http_connection_manager';
export const TLS_INSPECTOR = 'envoy.filters.listener.tls_inspector';
export const TLS_TRANSPORT_SOCKET = 'envoy.transport_sockets.tls';
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

/** The HCM of one filter chain; `routes` chooses RDS (the default) or an inline table. */
export function httpConnectionManager(chain: FilterChainIR): DeepPartial<Hcm> {
  return {
    statPrefix: statPrefix(chain.name),
    codecType: HttpConnectionManager_CodecType.AUTO,
    routeSpecifier: { $case: 'rds', rds: { configSource: ADS_CONFIG_SOURCE, routeConfigName: chain.routeConfig.name } },
    httpFilters: httpFilters(),
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

function filterChain(listener: ListenerIR, chain: FilterChainIR): DeepPartial<FilterChain> {
  const out: DeepPartial<FilterChain> = {
    name: chain.name,
    filters: [
      {
        name: HCM_FILTER,
        configType: { $case: 'typedConfig', typedConfig: packAny(HttpConnectionManager.fromPartial(httpConnectionManager(chain))) },
      },
    ],
  };
  if (chain.serverNames.length > 0) out.filterChainMatch = { serverNames: [...chain.serverNames] };
  if (listener.protocol === 'HTTPS') {
    const tls = DownstreamTlsContext.fromPartial({
      commonTlsContext: {
        tlsCertificateSdsSecretConfigs: (chain.tlsSecrets ?? []).map((name) => ({ name, sdsConfig: ADS_CONFIG_SOURCE })),
        alpnProtocols: ['h2', 'http/1.1'],
      },
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

/** UDP: a udp_proxy listener filter sending every datagram session to the first backend. */
function udpProxy(chain: L4ChainIR): UdpProxyConfig {
  const cluster = chain.backends[0]?.cluster ?? NO_BACKEND_CLUSTER;
  return UdpProxyConfig.fromPartial({
    statPrefix: statPrefix(chain.name),
    routeSpecifier: {
      $case: 'matcher',
      matcher: { onNoMatch: { onMatch: { $case: 'action', action: { name: 'route', typedConfig: packAny(UdpProxyRoute.fromPartial({ cluster })) } } } },
    },
  });
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

export function buildListener(listener: ListenerIR, listenAddress: string): Listener {
  return Listener.fromPartial({
    name: listener.name,
    address: socketAddress(listener.port, listenAddress),
    statPrefix: statPrefix(listener.name),
    listenerFilters:
      listener.protocol === 'HTTPS'
        ? [{ name: TLS_INSPECTOR, configType: { $case: 'typedConfig', typedConfig: packAny(TlsInspector.fromPartial({})) } }]
        : [],
    filterChains: listener.filterChains.map((c) => filterChain(listener, c)),
  });
}
