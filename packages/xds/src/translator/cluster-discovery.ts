// ClusterIR.discovery -> how the cluster learns its endpoints: EDS over ADS (absent), or hosts the
// cluster carries itself (STATIC for IP addresses, STRICT_DNS for names Envoy resolves).
import type { ClusterDiscoveryIR, ClusterIR, StaticHostIR } from '@gantry/ir';
import { Cluster_DiscoveryType, Cluster_DnsLookupFamily } from '@gantry/envoy-xds-proto/generated/envoy/config/cluster/v3/cluster';
import type { Cluster, LbEndpoint } from '@gantry/envoy-xds-proto';
import { ADS_CONFIG_SOURCE, type DeepPartial } from './proto.js';
import { hostSocketMatch } from './upstream-tls.js';

/** True when Envoy learns the cluster's endpoints over EDS (and so needs a ClusterLoadAssignment). */
export function usesEds(c: ClusterIR): boolean {
  return c.discovery === undefined;
}

const DISCOVERY_TYPE: { readonly [K in ClusterDiscoveryIR['type']]: Cluster_DiscoveryType } = {
  static: Cluster_DiscoveryType.STATIC,
  strictDns: Cluster_DiscoveryType.STRICT_DNS,
};

function lbEndpoint(host: StaticHostIR, c: ClusterIR): DeepPartial<LbEndpoint> {
  const out: DeepPartial<LbEndpoint> = {
    hostIdentifier: {
      $case: 'endpoint',
      endpoint: {
        address: {
          address: { $case: 'socketAddress', socketAddress: { address: host.address, portSpecifier: { $case: 'portValue', portValue: host.port } } },
        },
      },
    },
  };
  // Unset means 1 to Envoy; written only when given, so that the IR's two spellings of 1 are visible.
  if (host.weight !== undefined) out.loadBalancingWeight = host.weight;
  const match = hostSocketMatch(host, c.tls);
  if (match !== undefined) out.metadata = { filterMetadata: { 'envoy.transport_socket_match': match } };
  return out;
}

/**
 * The discovery fields of the Cluster message. EDS leaves service_name empty: Envoy then asks for
 * the cluster's own name. Inline hosts form one locality; the load assignment must name the
 * cluster (Envoy rejects an empty cluster_name), which is why such clusters are not templated.
 */
export function discoveryFields(c: ClusterIR): DeepPartial<Cluster> {
  const d = c.discovery;
  if (d === undefined) {
    return { clusterDiscoveryType: { $case: 'type', type: Cluster_DiscoveryType.EDS }, edsClusterConfig: { edsConfig: ADS_CONFIG_SOURCE } };
  }
  const out: DeepPartial<Cluster> = {
    clusterDiscoveryType: { $case: 'type', type: DISCOVERY_TYPE[d.type] },
    loadAssignment: {
      clusterName: c.name,
      endpoints: d.hosts.length === 0 ? [] : [{ lbEndpoints: d.hosts.map((h) => lbEndpoint(h, c)) }],
    },
  };
  if (d.type === 'strictDns') {
    // IPv4 first, IPv6 when a name has no A record (AUTO would prefer IPv6: `localhost` would be
    // ::1 where most test and sidecar servers listen on 127.0.0.1 only). Names are re-resolved
    // every dns_refresh_rate (Envoy's 5 s): Cluster.respect_dns_ttl is deprecated in current
    // Envoy, and its replacement (the envoy.clusters.dns extension) is not in our protos.
    out.dnsLookupFamily = Cluster_DnsLookupFamily.V4_PREFERRED;
  }
  return out;
}
