// ClusterIR -> envoy.config.cluster.v3.Cluster (endpoints over EDS on the ADS stream).
import type { ClusterIR } from '@gantry/ir';
import { Cluster, Cluster_DiscoveryType, Cluster_LbPolicy, HttpProtocolOptions, packAny } from '@gantry/envoy-xds-proto';
import { ADS_CONFIG_SOURCE, durationMs } from './proto.js';
import { encodeMessage, sharedWriter } from './wire.js';

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const HTTP_PROTOCOL_OPTIONS_KEY = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

export function buildCluster(cluster: ClusterIR): Cluster {
  return Cluster.fromPartial({
    name: cluster.name,
    clusterDiscoveryType: { $case: 'type', type: Cluster_DiscoveryType.EDS },
    // service_name is left empty: EDS then asks for the cluster's own name.
    edsClusterConfig: { edsConfig: ADS_CONFIG_SOURCE },
    connectTimeout: durationMs(cluster.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS),
    lbPolicy: Cluster_LbPolicy.ROUND_ROBIN,
    typedExtensionProtocolOptions:
      cluster.protocol === 'h2c'
        ? {
            [HTTP_PROTOCOL_OPTIONS_KEY]: packAny(
              HttpProtocolOptions.fromPartial({
                upstreamProtocolOptions: {
                  $case: 'explicitHttpConfig',
                  explicitHttpConfig: { protocolConfig: { $case: 'http2ProtocolOptions', http2ProtocolOptions: {} } },
                },
              }),
            ),
          }
        : {},
  });
}

/**
 * Clusters differ only in name for a given protocol and connect timeout, so each is encoded as
 * its name field followed by the shared encoding of everything else (a message is the
 * concatenation of its fields, in any order). Decodes to exactly `buildCluster(c)` (tested).
 */
export class ClusterEncoder {
  private readonly templates = new Map<string, Uint8Array>();
  /** The template used last: consecutive clusters nearly always share it (no key to build). */
  private last: { readonly protocol: ClusterIR['protocol']; readonly timeout: number | undefined; readonly template: Uint8Array } | undefined;

  encode(c: ClusterIR): Uint8Array {
    let template: Uint8Array | undefined;
    const last = this.last;
    if (last !== undefined && last.protocol === c.protocol && last.timeout === c.connectTimeoutMs) template = last.template;
    else {
      const key = `${c.protocol}/${c.connectTimeoutMs ?? ''}`;
      template = this.templates.get(key);
      if (template === undefined) {
        template = encodeMessage(Cluster.encode, buildCluster({ ...c, name: '' }));
        this.templates.set(key, template);
      }
      this.last = { protocol: c.protocol, timeout: c.connectTimeoutMs, template };
    }
    const w = sharedWriter();
    if (c.name !== '') w.uint32(10).string(c.name);
    return w.raw(template).finish();
  }
}
