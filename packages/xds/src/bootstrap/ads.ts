// The bootstrap of an Envoy fed by Gantry's ADS server: one static cluster that reaches the
// server over HTTP/2, everything else (listeners, clusters, and through them routes, endpoints,
// secrets) fetched over one aggregated stream, delta xDS by default.
import { isIP } from 'node:net';
// Deep imports: the package entry loads every generated message (~3 MB of code) into the process.
import { packAny, toEnvoyJson } from '@gantry/envoy-xds-proto/any';
import { Bootstrap } from '@gantry/envoy-xds-proto/generated/envoy/config/bootstrap/v3/bootstrap';
import { Cluster_DiscoveryType } from '@gantry/envoy-xds-proto/generated/envoy/config/cluster/v3/cluster';
import { ApiConfigSource_ApiType, ApiVersion } from '@gantry/envoy-xds-proto/generated/envoy/config/core/v3/config_source';
import { SubjectAltNameMatcher_SanType } from '@gantry/envoy-xds-proto/generated/envoy/extensions/transport_sockets/tls/v3/common';
import { UpstreamTlsContext } from '@gantry/envoy-xds-proto/generated/envoy/extensions/transport_sockets/tls/v3/tls';
import { HttpProtocolOptions } from '@gantry/envoy-xds-proto/generated/envoy/extensions/upstreams/http/v3/http_protocol_options';
import type { Cluster, JsonObject } from '@gantry/envoy-xds-proto';
import { HTTP_PROTOCOL_OPTIONS_KEY } from '../translator/cluster.js';
import { ADS_CONFIG_SOURCE, durationMs, type DeepPartial } from '../translator/proto.js';
import { admin, type AdminOptions } from './admin.js';
import { gantryRuntime } from './runtime.js';
import { gantryOverloadManager } from './overload.js';
import { envoyNode } from './node.js';
import { CONTROLLER_IDENTITY } from '../security/identity.js';
import { TLS_TRANSPORT_SOCKET } from '../translator/upstream-tls.js';

export const XDS_CLUSTER_NAME = 'gantry-xds';

export interface AdsBootstrapOptions extends AdminOptions {
  /** `namespace/name` of the Gateway this Envoy serves. */
  readonly gatewayKey: string;
  /** Unique per Envoy instance (the pod name in a cluster). */
  readonly nodeId: string;
  /** IP address or DNS name of the ADS server. */
  readonly xdsHost: string;
  readonly xdsPort: number;
  /** State-of-the-world instead of delta xDS. */
  readonly sotw?: boolean;
  /** Default 5000. */
  readonly xdsConnectTimeoutMs?: number;
  /**
   * Create each cluster's traffic stats when the cluster is first used, not when it is created
   * (Envoy's deferred stat creation). With thousands of clusters that is most of what Envoy spends
   * on a CDS update: 10,000 clusters took 2.3–2.4 s instead of 5.5–9.3 s on a 2-core machine.
   * Stats of clusters that never carried traffic are then absent rather than zero.
   */
  readonly deferredClusterStats?: boolean;
  /**
   * Leave out the per-cluster stats that stay zero for every cluster Gantry configures (see
   * ALWAYS_ZERO_CLUSTER_STATS) and each cluster's own EDS bookkeeping (see
   * CLUSTER_EDS_BOOKKEEPING_STATS): with thousands of clusters, creating stats is most of what
   * Envoy spends on a CDS update, deferred or not. They are then absent from /stats and Prometheus.
   */
  readonly trimClusterStats?: boolean;
  /** mTLS to the ADS server (files inside the Envoy's filesystem); plaintext without it. */
  readonly xdsTls?: XdsClientTls;
}

/** Paths of the PEM files an Envoy uses to reach an authenticated ADS server. */
export interface XdsClientTls {
  /** The xDS CA: the server's certificate must chain to it. */
  readonly caFile: string;
  /** This Envoy's client certificate (names its Gateway) and key, issued by the same CA. */
  readonly certFile: string;
  readonly keyFile: string;
}

/**
 * The xDS cluster's TLS: present the Gateway's client certificate, trust only the xDS CA, and
 * accept only a server certificate that carries the controller's identity (a certificate the CA
 * issued to a Gateway cannot pose as the server). ALPN h2: the gRPC server speaks nothing else.
 */
export function xdsTransportSocket(tls: XdsClientTls): DeepPartial<Cluster>['transportSocket'] {
  return {
    name: TLS_TRANSPORT_SOCKET,
    configType: {
      $case: 'typedConfig',
      typedConfig: packAny(
        UpstreamTlsContext.fromPartial({
          commonTlsContext: {
            alpnProtocols: ['h2'],
            tlsCertificates: [
              {
                certificateChain: { specifier: { $case: 'filename', filename: tls.certFile } },
                privateKey: { specifier: { $case: 'filename', filename: tls.keyFile } },
              },
            ],
            validationContextType: {
              $case: 'validationContext',
              validationContext: {
                trustedCa: { specifier: { $case: 'filename', filename: tls.caFile } },
                matchTypedSubjectAltNames: [
                  { sanType: SubjectAltNameMatcher_SanType.URI, matcher: { matchPattern: { $case: 'exact', exact: CONTROLLER_IDENTITY } } },
                ],
              },
            },
          },
        }),
      ),
    },
  };
}

/**
 * The static cluster of the ADS server: STATIC when the host is an IP address, STRICT_DNS for a
 * name (a Kubernetes Service), HTTP/2 with keepalive pings so a dead server is noticed.
 */
export function xdsCluster(host: string, port: number, connectTimeoutMs: number, tls?: XdsClientTls): DeepPartial<Cluster> {
  return {
    name: XDS_CLUSTER_NAME,
    ...(tls !== undefined ? { transportSocket: xdsTransportSocket(tls) } : {}),
    clusterDiscoveryType: { $case: 'type', type: isIP(host) !== 0 ? Cluster_DiscoveryType.STATIC : Cluster_DiscoveryType.STRICT_DNS },
    connectTimeout: durationMs(connectTimeoutMs),
    loadAssignment: {
      clusterName: XDS_CLUSTER_NAME,
      endpoints: [
        {
          lbEndpoints: [
            {
              hostIdentifier: {
                $case: 'endpoint',
                endpoint: {
                  address: {
                    address: { $case: 'socketAddress', socketAddress: { address: host, portSpecifier: { $case: 'portValue', portValue: port } } },
                  },
                },
              },
            },
          ],
        },
      ],
    },
    typedExtensionProtocolOptions: {
      [HTTP_PROTOCOL_OPTIONS_KEY]: packAny(
        HttpProtocolOptions.fromPartial({
          upstreamProtocolOptions: {
            $case: 'explicitHttpConfig',
            explicitHttpConfig: {
              protocolConfig: {
                $case: 'http2ProtocolOptions',
                http2ProtocolOptions: { connectionKeepalive: { interval: durationMs(30_000), timeout: durationMs(5_000) } },
              },
            },
          },
        }),
      ),
    },
  };
}

/**
 * Per-cluster stats (`cluster.<name>.<stat>`) that no cluster of Gantry's can move: Gantry
 * configures no subset load balancer (lb_subsets_*), no local cluster, without which Envoy does no
 * zone-aware routing (lb_zone_*, lb_recalculate_zone_structures), and no route of high priority
 * (circuit_breakers.high.*). Each pattern has an underscore, which no Kubernetes name (and so no
 * cluster name) can contain.
 */
export const ALWAYS_ZERO_CLUSTER_STATS: readonly string[] = ['.lb_subsets_', '.lb_zone_', '.lb_recalculate_zone_structures', '.circuit_breakers.high.'];

/**
 * Each EDS cluster's own subscription stats (`cluster.<name>.update_*`, `version`, `version_text`,
 * `init_fetch_timeout`, `warming_state`, `assignment_*`): one set per cluster for what is one ADS
 * stream, whose pushes, ACKs and NACKs the control plane logs itself. Anchored on `cluster.` so
 * that the CDS, LDS and RDS subscriptions' stats of the same names stay (`cluster_manager.cds.*`,
 * `listener_manager.lds.*`, `http.<prefix>.rds.*`). About a fifth of an Envoy's CPU at a cold
 * start with 10,000 clusters.
 */
export const CLUSTER_EDS_BOOKKEEPING_STATS = String.raw`^cluster\..+\.(update_[a-z_]+|version|version_text|init_fetch_timeout|warming_state|assignment_[a-z_]+)$`;

/** Envoy bootstrap JSON (write it to a file and run `envoy -c`). */
export function adsBootstrap(o: AdsBootstrapOptions): JsonObject {
  const bootstrap = Bootstrap.fromPartial({
    node: envoyNode(o.nodeId, o.gatewayKey),
    dynamicResources: {
      adsConfig: {
        apiType: o.sotw === true ? ApiConfigSource_ApiType.GRPC : ApiConfigSource_ApiType.DELTA_GRPC,
        transportApiVersion: ApiVersion.V3,
        grpcServices: [{ targetSpecifier: { $case: 'envoyGrpc', envoyGrpc: { clusterName: XDS_CLUSTER_NAME } } }],
        setNodeOnFirstMessageOnly: true,
      },
      ldsConfig: ADS_CONFIG_SOURCE,
      cdsConfig: ADS_CONFIG_SOURCE,
    },
    staticResources: { clusters: [xdsCluster(o.xdsHost, o.xdsPort, o.xdsConnectTimeoutMs ?? 5_000, o.xdsTls)] },
    admin: admin(o),
    layeredRuntime: gantryRuntime(),
    overloadManager: gantryOverloadManager(),
    ...(o.deferredClusterStats === true ? { deferredStatOptions: { enableDeferredCreationStats: true } } : {}),
    ...(o.trimClusterStats === true
      ? {
          statsConfig: {
            statsMatcher: {
              statsMatcher: {
                $case: 'exclusionList' as const,
                exclusionList: {
                  patterns: [
                    ...ALWAYS_ZERO_CLUSTER_STATS.map((s) => ({ matchPattern: { $case: 'contains' as const, contains: s } })),
                    { matchPattern: { $case: 'safeRegex' as const, safeRegex: { regex: CLUSTER_EDS_BOOKKEEPING_STATS } } },
                  ],
                },
              },
            },
          },
        }
      : {}),
  });
  return jsonObject(toEnvoyJson(bootstrap));
}

export function jsonObject(value: unknown): JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('expected a JSON object');
  return value as JsonObject;
}
