// Node identity convention (binding for the deployer, the bootstraps and the ADS server):
//
//   node.id                                = unique per Envoy instance (e.g. the pod name)
//   node.cluster                           = "gantry"
//   node.metadata["gantry.dev/gateway"]    = "<namespace>/<name>" of the Gateway it serves
//
// The ADS server picks the snapshot to serve from the metadata key, so one server can feed the
// Envoys of every Gateway.
import type { Node } from '@gantry/envoy-xds-proto';
import type { DeepPartial } from '../translator/proto.js';

export const NODE_GATEWAY_METADATA_KEY = 'gantry.dev/gateway';
export const NODE_CLUSTER = 'gantry';

export function envoyNode(nodeId: string, gatewayKey: string | undefined): DeepPartial<Node> {
  return {
    id: nodeId,
    cluster: NODE_CLUSTER,
    ...(gatewayKey !== undefined ? { metadata: { [NODE_GATEWAY_METADATA_KEY]: gatewayKey } } : {}),
  };
}
