// Which Gateway an Envoy serves, from the Node it sends on the first request of a stream.
// Convention: node.metadata["gantry.dev/gateway"] = "namespace/name"; if absent, node.cluster when
// it has that form (Envoy's --service-cluster flag). The deployer writes both into the bootstrap.

import type { Node } from '@gantry/envoy-xds-proto';

export const GATEWAY_METADATA_KEY = 'gantry.dev/gateway';

const GATEWAY_KEY = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** True for "namespace/name" with Kubernetes-style DNS names on both sides. */
export function isGatewayKey(value: string): boolean {
  return value.length <= 317 && GATEWAY_KEY.test(value);
}

/** The Gateway key ("ns/name") a Node names, or undefined when it names none. */
export function gatewayKeyOfNode(node: Node | undefined): string | undefined {
  if (node === undefined) return undefined;
  const fromMetadata: unknown = node.metadata?.[GATEWAY_METADATA_KEY];
  if (typeof fromMetadata === 'string' && isGatewayKey(fromMetadata)) return fromMetadata;
  if (isGatewayKey(node.cluster)) return node.cluster;
  return undefined;
}
