// Real Envoy resources for the server's tests and benchmark, encoded once like the translator does.

import { createHash } from 'node:crypto';
import {
  Cluster,
  ClusterLoadAssignment,
  Listener,
  RouteConfiguration,
  Secret,
  type JsonObject,
} from '@gantry/envoy-xds-proto';
import { TypeUrl, type EncodedResource, type ResourceSet, type XdsSnapshot } from '../../resources.js';

interface Codec<M> {
  fromJSON(object: unknown): M;
  encode(message: M): { finish(): Uint8Array };
}

export function encodeJson<M>(codec: Codec<M>, name: string, json: JsonObject): EncodedResource {
  const bytes = codec.encode(codec.fromJSON({ ...json, name })).finish();
  const version = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  return { name, version, bytes };
}

const ADS_SOURCE: JsonObject = { ads: {}, resource_api_version: 'V3' };

export function edsCluster(name: string, extra: JsonObject = {}): EncodedResource {
  return encodeJson(Cluster, name, {
    type: 'EDS',
    connect_timeout: '1s',
    eds_cluster_config: { eds_config: ADS_SOURCE },
    ...extra,
  });
}

export function endpoints(clusterName: string, ports: number[], address = '127.0.0.1'): EncodedResource {
  return encodeJson(ClusterLoadAssignment, clusterName, {
    cluster_name: clusterName,
    endpoints: [
      {
        lb_endpoints: ports.map((port) => ({
          endpoint: { address: { socket_address: { address, port_value: port } } },
        })),
      },
    ],
  });
}

const ROUTER = { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } };
const HCM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

/** A listener whose routes come from RDS. */
export function rdsListener(name: string, port: number, routeName: string, address = '127.0.0.1'): EncodedResource {
  return encodeJson(Listener, name, {
    address: { socket_address: { address, port_value: port } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': HCM_TYPE,
              stat_prefix: name,
              rds: { route_config_name: routeName, config_source: ADS_SOURCE },
              http_filters: [ROUTER],
            },
          },
        ],
      },
    ],
  });
}

/** A listener that answers every request itself: needs no cluster and no RDS. */
export function directResponseListener(name: string, port: number, body: string, address = '127.0.0.1'): EncodedResource {
  return encodeJson(Listener, name, {
    address: { socket_address: { address, port_value: port } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': HCM_TYPE,
              stat_prefix: name,
              route_config: {
                name: `${name}-inline`,
                virtual_hosts: [
                  {
                    name: 'all',
                    domains: ['*'],
                    routes: [{ match: { prefix: '/' }, direct_response: { status: 200, body: { inline_string: body } } }],
                  },
                ],
              },
              http_filters: [ROUTER],
            },
          },
        ],
      },
    ],
  });
}

/** A route configuration sending everything to one cluster. */
export function routeTo(name: string, clusterName: string): EncodedResource {
  return encodeJson(RouteConfiguration, name, {
    virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: clusterName } }] }],
  });
}

export function genericSecret(name: string, value: string): EncodedResource {
  return encodeJson(Secret, name, { generic_secret: { secret: { inline_string: value } } });
}

/** Arbitrary bytes under a name, where content does not matter. */
export function opaque(name: string, content: string): EncodedResource {
  const bytes = new TextEncoder().encode(content);
  return { name, version: createHash('sha256').update(bytes).digest('hex').slice(0, 16), bytes };
}

export interface SnapshotParts {
  listeners?: readonly EncodedResource[];
  routes?: readonly EncodedResource[];
  clusters?: readonly EncodedResource[];
  endpoints?: readonly EncodedResource[];
  secrets?: readonly EncodedResource[];
  scopes?: readonly EncodedResource[];
}

function setOf(resources: readonly EncodedResource[] | undefined): ResourceSet {
  return new Map((resources ?? []).map((r) => [r.name, r]));
}

export function snapshotOf(parts: SnapshotParts): XdsSnapshot {
  return {
    [TypeUrl.Listener]: setOf(parts.listeners),
    [TypeUrl.RouteConfiguration]: setOf(parts.routes),
    [TypeUrl.ScopedRouteConfiguration]: setOf(parts.scopes),
    [TypeUrl.Cluster]: setOf(parts.clusters),
    [TypeUrl.ClusterLoadAssignment]: setOf(parts.endpoints),
    [TypeUrl.Secret]: setOf(parts.secrets),
  };
}
