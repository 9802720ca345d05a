// ListenerIR -> envoy.config.listener.v3.Listener. Routes come over RDS, certificates over SDS,
// both on the ADS stream, so a listener only changes when ports, SNI names or secret names do.
import type { FilterChainIR, ListenerIR } from '@gantry/ir';
import {
  DownstreamTlsContext,
  HttpConnectionManager,
  HttpConnectionManager_CodecType,
  Listener,
  TlsInspector,
  packAny,
} from '@gantry/envoy-xds-proto';
import type { FilterChain, HttpConnectionManager as Hcm, HttpFilter } from '@gantry/envoy-xds-proto';
import { Rds, ScopedRoutes } from '@gantry/envoy-xds-proto/generated/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager';
import { HTTP_FILTERS } from './http-filters.js';
import { DEFAULT_ROUTE_LAYOUT, type RouteLayout } from './route-config.js';
import { LUA_FILTER, SCOPE_HEADER, UPGRADE_GUARD_FILTER, scopeLuaConfig, upgradeGuardConfig } from './route-scopes.js';
import { ADS_CONFIG_SOURCE, type DeepPartial } from './proto.js';

export const HCM_FILTER = 'envoy.filters.network.http_connection_manager';
export const TLS_INSPECTOR = 'envoy.filters.listener.tls_inspector';
export const TLS_TRANSPORT_SOCKET = 'envoy.transport_sockets.tls';

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

/** The HCM of one filter chain: routes over RDS, or scoped (the scope-picking Lua filter first). */
export function httpConnectionManager(chain: FilterChainIR, layout: RouteLayout = DEFAULT_ROUTE_LAYOUT): DeepPartial<Hcm> {
  const table = chain.routeConfig.name;
  const scopeFilter: DeepPartial<HttpFilter>[] =
    layout === 'scoped'
      ? [
          { name: LUA_FILTER, configType: { $case: 'typedConfig', typedConfig: scopeLuaConfig(table) } },
          { name: UPGRADE_GUARD_FILTER, configType: { $case: 'typedConfig', typedConfig: upgradeGuardConfig() } },
        ]
      : [];
  return {
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

function filterChain(listener: ListenerIR, chain: FilterChainIR, layout: RouteLayout): DeepPartial<FilterChain> {
  const out: DeepPartial<FilterChain> = {
    name: chain.name,
    filters: [
      {
        name: HCM_FILTER,
        configType: { $case: 'typedConfig', typedConfig: packAny(HttpConnectionManager.fromPartial(httpConnectionManager(chain, layout))) },
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

export function buildListener(listener: ListenerIR, listenAddress: string, layout: RouteLayout = DEFAULT_ROUTE_LAYOUT): Listener {
  return Listener.fromPartial({
    name: listener.name,
    address: {
      address: {
        $case: 'socketAddress',
        socketAddress: {
          address: listenAddress,
          portSpecifier: { $case: 'portValue', portValue: listener.port },
          // `::` accepts IPv4 connections too (dual stack), as `0.0.0.0`-style "everywhere" implies.
          ...(listenAddress === '::' ? { ipv4Compat: true } : {}),
        },
      },
    },
    statPrefix: statPrefix(listener.name),
    listenerFilters:
      listener.protocol === 'HTTPS'
        ? [{ name: TLS_INSPECTOR, configType: { $case: 'typedConfig', typedConfig: packAny(TlsInspector.fromPartial({})) } }]
        : [],
    filterChains: listener.filterChains.map((c) => filterChain(listener, c, layout)),
  });
}
