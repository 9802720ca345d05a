// A self-contained bootstrap: every resource of a snapshot as static_resources, so that
// `envoy -c bootstrap.json` serves exactly what the ADS server would, without a control plane.
// Differences from the dynamic form, all mechanical:
//   - HTTP connection managers carry their route table inline (route_config instead of rds; a
//     scoped table lists its scopes inline, each with its shard inline); validate_clusters is
//     off as it is for RDS, so a route naming a missing cluster answers instead of failing the
//     whole bootstrap;
//   - clusters carry their endpoints inline (load_assignment; STATIC, or STRICT_DNS when an
//     endpoint is a name) instead of EDS;
//   - certificates are static secrets referenced by name instead of SDS over ADS.
import { isIP } from 'node:net';
// Deep imports: the package entry loads every generated message (~3 MB of code) into the process.
import { packAny, toEnvoyJson, unpackAnyAs } from '@gantry/envoy-xds-proto/any';
import { Bootstrap } from '@gantry/envoy-xds-proto/generated/envoy/config/bootstrap/v3/bootstrap';
import { Cluster, Cluster_DiscoveryType } from '@gantry/envoy-xds-proto/generated/envoy/config/cluster/v3/cluster';
import { ClusterLoadAssignment } from '@gantry/envoy-xds-proto/generated/envoy/config/endpoint/v3/endpoint';
import { Listener } from '@gantry/envoy-xds-proto/generated/envoy/config/listener/v3/listener';
import { RouteConfiguration } from '@gantry/envoy-xds-proto/generated/envoy/config/route/v3/route';
import { HttpConnectionManager } from '@gantry/envoy-xds-proto/generated/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager';
import { Secret } from '@gantry/envoy-xds-proto/generated/envoy/extensions/transport_sockets/tls/v3/secret';
import { DownstreamTlsContext, UpstreamTlsContext } from '@gantry/envoy-xds-proto/generated/envoy/extensions/transport_sockets/tls/v3/tls';
import type { Any, JsonObject } from '@gantry/envoy-xds-proto';
import { ScopedRouteConfiguration } from '@gantry/envoy-xds-proto/generated/envoy/config/route/v3/scoped_route';
import { ScopedRouteConfigurationsList } from '@gantry/envoy-xds-proto/generated/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager';
import { TypeUrl, type XdsSnapshot } from '../resources.js';
import { admin, type AdminOptions } from './admin.js';
import { gantryRuntime } from './runtime.js';
import { gantryOverloadManager } from './overload.js';
import { jsonObject } from './ads.js';
import { envoyNode } from './node.js';

export interface StaticBootstrapOptions extends AdminOptions {
  /** `namespace/name` of the Gateway (node metadata, for people reading /server_info). */
  readonly gatewayKey?: string;
  /** Default `gantry-static`. */
  readonly nodeId?: string;
}

function byName<T extends { readonly name: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function decodeAll<M>(snapshot: XdsSnapshot, typeUrl: TypeUrl, decode: (b: Uint8Array) => M): M[] {
  return byName([...snapshot[typeUrl].values()]).map((r) => decode(r.bytes));
}

function inlineRoutes(any: Any, routes: ReadonlyMap<string, RouteConfiguration>, scopes: readonly ScopedRouteConfiguration[]): Any {
  if (any.typeUrl !== `type.googleapis.com/${HttpConnectionManager.$type}`) return any;
  const hcm = unpackAnyAs(any, HttpConnectionManager);
  const inline = (name: string): RouteConfiguration => ({ ...(routes.get(name) ?? RouteConfiguration.fromPartial({ name })), validateClusters: false });
  if (hcm.routeSpecifier?.$case === 'rds') {
    hcm.routeSpecifier = { $case: 'routeConfig', routeConfig: inline(hcm.routeSpecifier.rds.routeConfigName) };
  } else if (hcm.routeSpecifier?.$case === 'scopedRoutes') {
    // The Lua filter only writes keys of this HCM's table: its scopes are the ones named after it.
    const scoped = hcm.routeSpecifier.scopedRoutes;
    const own = scopes.filter((s) => s.name.startsWith(`${scoped.name}@`));
    delete scoped.rdsConfigSource;
    scoped.configSpecifier = {
      $case: 'scopedRouteConfigurationsList',
      scopedRouteConfigurationsList: ScopedRouteConfigurationsList.fromPartial({
        scopedRouteConfigurations: own.map((s) => ({
          name: s.name,
          ...(s.key !== undefined ? { key: s.key } : {}),
          routeConfiguration: inline(s.routeConfigurationName),
        })),
      }),
    };
  } else {
    return any;
  }
  return packAny(hcm);
}

function staticCertificates(any: Any): Any {
  if (any.typeUrl !== `type.googleapis.com/${DownstreamTlsContext.$type}`) return any;
  const tls = unpackAnyAs(any, DownstreamTlsContext);
  for (const sds of tls.commonTlsContext?.tlsCertificateSdsSecretConfigs ?? []) delete sds.sdsConfig;
  return packAny(tls);
}

function staticListener(listener: Listener, routes: ReadonlyMap<string, RouteConfiguration>, scopes: readonly ScopedRouteConfiguration[]): Listener {
  for (const chain of listener.filterChains) {
    for (const filter of chain.filters) {
      if (filter.configType?.$case === 'typedConfig') filter.configType.typedConfig = inlineRoutes(filter.configType.typedConfig, routes, scopes);
    }
    const socket = chain.transportSocket;
    if (socket?.configType?.$case === 'typedConfig') socket.configType.typedConfig = staticCertificates(socket.configType.typedConfig);
  }
  return listener;
}

/** A backend client certificate (spec.tls.backend) is a static secret too. */
function staticClientCertificates(cluster: Cluster): void {
  for (const socket of [cluster.transportSocket, ...cluster.transportSocketMatches.map((m) => m.transportSocket)]) {
    if (socket?.configType?.$case !== 'typedConfig' || socket.configType.typedConfig.typeUrl !== `type.googleapis.com/${UpstreamTlsContext.$type}`) continue;
    const tls = unpackAnyAs(socket.configType.typedConfig, UpstreamTlsContext);
    const configs = tls.commonTlsContext?.tlsCertificateSdsSecretConfigs ?? [];
    if (configs.length === 0) continue;
    for (const sds of configs) delete sds.sdsConfig;
    socket.configType.typedConfig = packAny(tls);
  }
}

function staticCluster(cluster: Cluster, assignments: ReadonlyMap<string, ClusterLoadAssignment>): Cluster {
  staticClientCertificates(cluster);
  if (cluster.clusterDiscoveryType?.$case !== 'type' || cluster.clusterDiscoveryType.type !== Cluster_DiscoveryType.EDS) return cluster;
  const assignment = assignments.get(cluster.name) ?? ClusterLoadAssignment.fromPartial({ clusterName: cluster.name });
  const allIps = assignment.endpoints.every((l) =>
    l.lbEndpoints.every((e) => {
      const a = e.hostIdentifier?.$case === 'endpoint' ? e.hostIdentifier.endpoint.address?.address : undefined;
      return a?.$case !== 'socketAddress' || isIP(a.socketAddress.address) !== 0;
    }),
  );
  delete cluster.edsClusterConfig;
  cluster.clusterDiscoveryType = { $case: 'type', type: allIps ? Cluster_DiscoveryType.STATIC : Cluster_DiscoveryType.STRICT_DNS };
  cluster.loadAssignment = { ...assignment, clusterName: cluster.name };
  return cluster;
}

/** Envoy bootstrap JSON with the real private keys: write it with mode 0600, never log it. */
export function staticBootstrap(snapshot: XdsSnapshot, o: StaticBootstrapOptions = {}): JsonObject {
  const routes = new Map(decodeAll(snapshot, TypeUrl.RouteConfiguration, (b) => RouteConfiguration.decode(b)).map((r) => [r.name, r]));
  const scopes = decodeAll(snapshot, TypeUrl.ScopedRouteConfiguration, (b) => ScopedRouteConfiguration.decode(b));
  const assignments = new Map(
    decodeAll(snapshot, TypeUrl.ClusterLoadAssignment, (b) => ClusterLoadAssignment.decode(b)).map((a) => [a.clusterName, a]),
  );
  const bootstrap = Bootstrap.fromPartial({
    node: envoyNode(o.nodeId ?? 'gantry-static', o.gatewayKey),
    staticResources: {
      listeners: decodeAll(snapshot, TypeUrl.Listener, (b) => Listener.decode(b)).map((l) => staticListener(l, routes, scopes)),
      clusters: decodeAll(snapshot, TypeUrl.Cluster, (b) => Cluster.decode(b)).map((c) => staticCluster(c, assignments)),
      secrets: decodeAll(snapshot, TypeUrl.Secret, (b) => Secret.decode(b)),
    },
    admin: admin(o),
    layeredRuntime: gantryRuntime(),
    overloadManager: gantryOverloadManager(),
  });
  return jsonObject(toEnvoyJson(bootstrap));
}
