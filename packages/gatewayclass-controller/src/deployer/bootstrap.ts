// The bootstrap in a Gateway's ConfigMap: Gantry's ADS bootstrap (identity, xDS server, admin on
// loopback) plus one static listener that answers the kubelet's readiness probe.
//
// Why a listener: the admin API (and its /ready) stays on 127.0.0.1, which the kubelet cannot
// reach, and must not be exposed. Envoy's health_check filter answers GET /ready itself with 200,
// or 503 once Envoy is draining or told to fail health checks. Envoy only starts accepting on any
// listener, this one included, after its initialization (the first LDS/CDS responses, or their
// initial fetch timeout), so "ready" also means "has been configured once". Every other path gets
// a 404: nothing is proxied from this port.
import type { Json, JsonObject } from '@gantry/kube';
import { adsBootstrap, type XdsClientTls } from '@gantry/xds';

export type BootstrapJson = JsonObject;

export const READINESS_LISTENER_NAME = 'gantry-readiness';
export const READINESS_PATH = '/ready';
/** Envoy's own stats for Prometheus: only this admin path is reachable, through its own listener. */
export const METRICS_LISTENER_NAME = 'gantry-metrics';
export const METRICS_PATH = '/stats/prometheus';
export const ADMIN_CLUSTER_NAME = 'gantry-admin';

export interface GatewayBootstrapOptions {
  /** `namespace/name` of the Gateway (node metadata, how the ADS server picks the snapshot). */
  readonly gatewayKey: string;
  /** Placeholder node id: the Deployment overrides it per Pod with `--service-node $(POD_NAME)`. */
  readonly nodeId: string;
  readonly xdsHost: string;
  readonly xdsPort: number;
  readonly sotw?: boolean;
  readonly adminPort: number;
  readonly readinessAddress: string;
  readonly readinessPort: number;
  /** Where the metrics listener binds (`readinessAddress` too); none without it. */
  readonly metricsPort?: number;
  /** mTLS to the xDS server (paths inside the Pod). */
  readonly xdsTls?: XdsClientTls;
}

export function gatewayBootstrap(o: GatewayBootstrapOptions): BootstrapJson {
  const ads = adsBootstrap({
    gatewayKey: o.gatewayKey,
    nodeId: o.nodeId,
    xdsHost: o.xdsHost,
    xdsPort: o.xdsPort,
    adminPort: o.adminPort,
    ...(o.sotw !== undefined ? { sotw: o.sotw } : {}),
    ...(o.xdsTls ? { xdsTls: o.xdsTls } : {}),
  });
  const bootstrap = JSON.parse(JSON.stringify(ads)) as BootstrapJson;
  const staticResources = (bootstrap['staticResources'] ?? {}) as { [key: string]: Json };
  const listeners = Array.isArray(staticResources['listeners']) ? staticResources['listeners'] : [];
  staticResources['listeners'] = [
    ...listeners,
    readinessListener(o.readinessAddress, o.readinessPort),
    ...(o.metricsPort !== undefined ? [metricsListener(o.readinessAddress, o.metricsPort)] : []),
  ];
  if (o.metricsPort !== undefined) {
    const clusters = Array.isArray(staticResources['clusters']) ? staticResources['clusters'] : [];
    staticResources['clusters'] = [...clusters, adminCluster(o.adminPort)];
  }
  bootstrap['staticResources'] = staticResources;
  return bootstrap;
}

/** A static listener with one HTTP connection manager: its routes, then its HTTP filters and the router. */
function httpListener(name: string, statPrefix: string, address: string, port: number, routes: Json[], filters: Json[] = []): Json {
  return {
    name,
    address: { socketAddress: { address, portValue: port } },
    filterChains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typedConfig: {
              '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
              statPrefix,
              routeConfig: { name, virtualHosts: [{ name, domains: ['*'], routes }] },
              httpFilters: [
                ...filters,
                { name: 'envoy.filters.http.router', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
              ],
            },
          },
        ],
      },
    ],
  };
}

const NOT_FOUND: Json = { match: { prefix: '/' }, directResponse: { status: 404 } };

function readinessListener(address: string, port: number): Json {
  return httpListener(READINESS_LISTENER_NAME, 'gantry_readiness', address, port, [NOT_FOUND], [
    {
      name: 'envoy.filters.http.health_check',
      typedConfig: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.http.health_check.v3.HealthCheck',
        passThroughMode: false,
        headers: [{ name: ':path', stringMatch: { exact: READINESS_PATH } }],
      },
    },
  ]);
}

/**
 * GET /stats/prometheus on the metrics port, proxied to the admin API on loopback; every other
 * path is a 404, so the admin API itself (which can reconfigure or stop Envoy) stays unreachable.
 */
function metricsListener(address: string, port: number): Json {
  return httpListener(METRICS_LISTENER_NAME, 'gantry_metrics', address, port, [
    { match: { path: METRICS_PATH, headers: [{ name: ':method', stringMatch: { exact: 'GET' } }] }, route: { cluster: ADMIN_CLUSTER_NAME } },
    NOT_FOUND,
  ]);
}

function adminCluster(adminPort: number): Json {
  return {
    name: ADMIN_CLUSTER_NAME,
    type: 'STATIC',
    connectTimeout: '1s',
    loadAssignment: {
      clusterName: ADMIN_CLUSTER_NAME,
      endpoints: [{ lbEndpoints: [{ endpoint: { address: { socketAddress: { address: '127.0.0.1', portValue: adminPort } } } }] }],
    },
  };
}
