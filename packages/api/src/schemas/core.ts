// Structural schemas of the core Kubernetes kinds Gantry reads from files.
import { any, arr, bool, int, obj, oneOf, port, str, strMap, strings, type ManifestSchema, type Schema } from '../schema.js';

const service = obj({
  type: str, clusterIP: str, clusterIPs: strings, selector: strMap, externalName: str,
  ports: arr(obj({
    name: str, port, targetPort: any, protocol: oneOf('TCP', 'UDP', 'SCTP'), appProtocol: str, nodePort: int(),
  }, ['port'])),
  ipFamilies: strings, ipFamilyPolicy: str, sessionAffinity: str, publishNotReadyAddresses: bool,
  externalTrafficPolicy: str, internalTrafficPolicy: str, loadBalancerIP: str, loadBalancerClass: str,
  allocateLoadBalancerNodePorts: bool, healthCheckNodePort: int(),
});

/** Top-level fields outside spec (EndpointSlice and Secret keep their data at the top). */
const endpointSliceTop: Record<string, Schema> = {
  addressType: oneOf('IPv4', 'IPv6', 'FQDN'),
  endpoints: arr(obj({
    addresses: strings,
    conditions: obj({ ready: bool, serving: bool, terminating: bool }),
    hostname: str, nodeName: str, zone: str, targetRef: any, hints: any,
  }, ['addresses'])),
  ports: arr(obj({ name: str, port, protocol: str, appProtocol: str })),
};
const secretTop: Record<string, Schema> = {
  type: str, data: strMap, stringData: strMap, immutable: bool,
};

export const NAMESPACE_SCHEMA: ManifestSchema = { spec: any };
export const SERVICE_SCHEMA: ManifestSchema = { spec: service };
export const ENDPOINT_SLICE_SCHEMA: ManifestSchema = { top: endpointSliceTop };
export const SECRET_SCHEMA: ManifestSchema = { top: secretTop };
export const CONFIG_MAP_SCHEMA: ManifestSchema = { top: { data: strMap, binaryData: strMap, immutable: bool } };
/** Pods are read for metadata.labels and status.podIP; their spec is not looked at. */
export const POD_SCHEMA: ManifestSchema = { spec: any };
