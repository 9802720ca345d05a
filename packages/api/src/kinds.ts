// The one kind table: every kind Gantry reads or owns, with what each part of Gantry needs to know
// about it. The snapshot's fields, the store's snapshot mapping, the controller's watches, the
// manifest loader's schemas, the status writer's kinds and order, and Gantry's CRDs all derive
// from it; a new kind is one entry here (plus its types and, for ours, its CrdSource).
import type { ConfigMap, EndpointSlice, Namespace, Pod, Secret, Service } from './core.js';
import { BACKEND_TLS_POLICY_KIND, type BackendTLSPolicy, type BackendTLSPolicyStatus } from './backend-tls-policy.js';
import { manifestSchemaOf, type CrdSource } from './crd.js';
import { GATEWAY_PARAMETERS_CRD, GATEWAY_PARAMETERS_KIND, type GatewayParameters, type GatewayParametersStatus } from './gantry/gateway-parameters.js';
import { GANTRY_API_GROUP } from './gantry/group.js';
import { ROUTE_OPTION_CRD, ROUTE_OPTION_KIND, type RouteOption, type RouteOptionStatus } from './gantry/route-option.js';
import { VIRTUAL_DESTINATION_CRD, VIRTUAL_DESTINATION_KIND, type VirtualDestination, type VirtualDestinationStatus } from './gantry/virtual-destination.js';
import { UPSTREAM_CRD, UPSTREAM_KIND, type Upstream, type UpstreamStatus } from './gantry/upstream.js';
import { GATEWAY_API_GROUP, type Gateway, type GatewayClass, type GatewayClassStatus, type GatewayStatus, type GRPCRoute, type ListenerSet, type ListenerSetStatus, type HTTPRoute, type HTTPRouteStatus, type ReferenceGrant, type RouteStatus, type TCPRoute, type TLSRoute, type UDPRoute } from './gateway-api.js';
import type { ManifestSchema } from './schema.js';
import { CONFIG_MAP_SCHEMA, ENDPOINT_SLICE_SCHEMA, NAMESPACE_SCHEMA, POD_SCHEMA, SECRET_SCHEMA, SERVICE_SCHEMA } from './schemas/core.js';
import { BACKEND_TLS_POLICY_SCHEMA, GATEWAY_CLASS_SCHEMA, GATEWAY_SCHEMA, LISTENER_SET_SCHEMA, GRPC_ROUTE_SCHEMA, HTTP_ROUTE_SCHEMA, L4_ROUTE_SCHEMA, TLS_ROUTE_SCHEMA, REFERENCE_GRANT_SCHEMA } from './schemas/gateway-api.js';

/**
 * How a kind's status is written. `gateway-class` and `gateway`: the status is ours as a whole
 * (Gateway addresses come from the deployer); `route-parents`: status.parents is shared with
 * other controllers, only entries with our controllerName change; `policy-ancestors`: a policy's
 * status.ancestors (Gateway API PolicyAncestorStatus) is shared the same way, and its
 * status.conditions are ours; `owned`: a kind of ours whose status (conditions and plain
 * fields) Gantry writes whole.
 */
export type StatusMerge = 'gateway-class' | 'gateway' | 'route-parents' | 'policy-ancestors' | 'owned';

export interface KindSpec {
  readonly kind: string;
  /** '' for the core group. */
  readonly group: string;
  /** The version Gantry watches and writes. */
  readonly version: string;
  /** Every apiVersion a manifest file may use. */
  readonly apiVersions: readonly string[];
  readonly plural: string;
  readonly namespaced: boolean;
  /**
   * Where the translator finds its objects: a typed snapshot field, or `others` (kinds the
   * translator only reads by reference, through `Lookups.object`).
   */
  readonly snapshot: string;
  /** The controller watches only these (e.g. TLS Secrets: other Secrets never enter memory). */
  readonly fieldSelector?: string;
  /**
   * The controller watches only the objects' metadata (Pods: their labels are all Gantry reads,
   * and whole Pods would be most of its memory in a large cluster).
   */
  readonly metadataOnly?: boolean;
  /** Whether Gantry writes its status, how, and in which order among kinds (lower first). */
  readonly status?: { readonly merge: StatusMerge; readonly order: number };
  /** What the manifest loader checks; kinds without one are passed through. */
  readonly schema?: ManifestSchema;
  /** Gantry's own kinds: the CRD, generated into charts/gantry-crds. */
  readonly crd?: CrdSource;
}

const gatewayApi = (...versions: string[]) => versions.map((v) => `${GATEWAY_API_GROUP}/${v}`);

export const KIND_TABLE = {
  GatewayClass: {
    kind: 'GatewayClass', group: GATEWAY_API_GROUP, version: 'v1', apiVersions: gatewayApi('v1', 'v1beta1'),
    plural: 'gatewayclasses', namespaced: false, snapshot: 'gatewayClasses',
    status: { merge: 'gateway-class', order: 0 }, schema: GATEWAY_CLASS_SCHEMA,
  },
  Gateway: {
    kind: 'Gateway', group: GATEWAY_API_GROUP, version: 'v1', apiVersions: gatewayApi('v1', 'v1beta1'),
    plural: 'gateways', namespaced: true, snapshot: 'gateways',
    status: { merge: 'gateway', order: 1 }, schema: GATEWAY_SCHEMA,
  },
  HTTPRoute: {
    kind: 'HTTPRoute', group: GATEWAY_API_GROUP, version: 'v1', apiVersions: gatewayApi('v1', 'v1beta1'),
    plural: 'httproutes', namespaced: true, snapshot: 'httpRoutes',
    status: { merge: 'route-parents', order: 2 }, schema: HTTP_ROUTE_SCHEMA,
  },
  GRPCRoute: {
    kind: 'GRPCRoute', group: GATEWAY_API_GROUP, version: 'v1', apiVersions: gatewayApi('v1'),
    plural: 'grpcroutes', namespaced: true, snapshot: 'grpcRoutes',
    status: { merge: 'route-parents', order: 2 }, schema: GRPC_ROUTE_SCHEMA,
  },
  TLSRoute: {
    kind: 'TLSRoute', group: GATEWAY_API_GROUP, version: 'v1', apiVersions: gatewayApi('v1'),
    plural: 'tlsroutes', namespaced: true, snapshot: 'tlsRoutes',
    status: { merge: 'route-parents', order: 2 }, schema: TLS_ROUTE_SCHEMA,
  },
  TCPRoute: {
    kind: 'TCPRoute', group: GATEWAY_API_GROUP, version: 'v1', apiVersions: gatewayApi('v1'),
    plural: 'tcproutes', namespaced: true, snapshot: 'tcpRoutes',
    status: { merge: 'route-parents', order: 2 }, schema: L4_ROUTE_SCHEMA,
  },
  UDPRoute: {
    kind: 'UDPRoute', group: GATEWAY_API_GROUP, version: 'v1', apiVersions: gatewayApi('v1'),
    plural: 'udproutes', namespaced: true, snapshot: 'udpRoutes',
    status: { merge: 'route-parents', order: 2 }, schema: L4_ROUTE_SCHEMA,
  },
  // v1beta1 is the storage version in v1.6.1 and the only one older installs serve.
  ReferenceGrant: {
    kind: 'ReferenceGrant', group: GATEWAY_API_GROUP, version: 'v1beta1', apiVersions: gatewayApi('v1beta1', 'v1alpha2', 'v1'),
    plural: 'referencegrants', namespaced: true, snapshot: 'referenceGrants', schema: REFERENCE_GRANT_SCHEMA,
  },
  Namespace: {
    kind: 'Namespace', group: '', version: 'v1', apiVersions: ['v1'],
    plural: 'namespaces', namespaced: false, snapshot: 'namespaces', schema: NAMESPACE_SCHEMA,
  },
  Service: {
    kind: 'Service', group: '', version: 'v1', apiVersions: ['v1'],
    plural: 'services', namespaced: true, snapshot: 'services', schema: SERVICE_SCHEMA,
  },
  EndpointSlice: {
    kind: 'EndpointSlice', group: 'discovery.k8s.io', version: 'v1', apiVersions: ['discovery.k8s.io/v1'],
    plural: 'endpointslices', namespaced: true, snapshot: 'endpointSlices', schema: ENDPOINT_SLICE_SCHEMA,
  },
  // Read for their labels only (an Upstream's kube.selector).
  Pod: {
    kind: 'Pod', group: '', version: 'v1', apiVersions: ['v1'],
    plural: 'pods', namespaced: true, snapshot: 'pods', metadataOnly: true, schema: POD_SCHEMA,
  },
  Secret: {
    kind: 'Secret', group: '', version: 'v1', apiVersions: ['v1'],
    plural: 'secrets', namespaced: true, snapshot: 'secrets', fieldSelector: 'type=kubernetes.io/tls', schema: SECRET_SCHEMA,
  },
  // Read by reference only (a GatewayClass or Gateway parametersRef must resolve). Its status
  // (Accepted, usedBy) is written by the controller, not the translator.
  GatewayParameters: {
    kind: GATEWAY_PARAMETERS_KIND, group: GANTRY_API_GROUP, version: 'v1alpha1', apiVersions: [`${GANTRY_API_GROUP}/v1alpha1`],
    plural: 'gatewayparameters', namespaced: true, snapshot: 'others', crd: GATEWAY_PARAMETERS_CRD,
    status: { merge: 'owned', order: 6 },
  },
  // Read by reference (an HTTPRoute backendRef of kind Upstream); every one gets a status.
  Upstream: {
    kind: UPSTREAM_KIND, group: GANTRY_API_GROUP, version: 'v1alpha1', apiVersions: [`${GANTRY_API_GROUP}/v1alpha1`],
    plural: 'upstreams', namespaced: true, snapshot: 'others', crd: UPSTREAM_CRD,
    status: { merge: 'owned', order: 3 },
  },
  // Read by reference (an HTTPRoute rule's ExtensionRef filter) and by targetRefs; its status
  // lists the routes it applies to.
  RouteOption: {
    kind: ROUTE_OPTION_KIND, group: GANTRY_API_GROUP, version: 'v1alpha1', apiVersions: [`${GANTRY_API_GROUP}/v1alpha1`],
    plural: 'routeoptions', namespaced: true, snapshot: 'others', crd: ROUTE_OPTION_CRD,
    status: { merge: 'policy-ancestors', order: 4 },
  },
  // Read by reference (an HTTPRoute backendRef of kind VirtualDestination); every one gets a status.
  VirtualDestination: {
    kind: VIRTUAL_DESTINATION_KIND, group: GANTRY_API_GROUP, version: 'v1alpha1', apiVersions: [`${GANTRY_API_GROUP}/v1alpha1`],
    plural: 'virtualdestinations', namespaced: true, snapshot: 'others', crd: VIRTUAL_DESTINATION_CRD,
    status: { merge: 'owned', order: 5 },
  },
  // Targets Services (by port name) and Upstreams: TLS from Envoy to them. Its status lists the
  // Gateways whose routes reach a target.
  BackendTLSPolicy: {
    kind: BACKEND_TLS_POLICY_KIND, group: GATEWAY_API_GROUP, version: 'v1', apiVersions: gatewayApi('v1', 'v1alpha3'),
    plural: 'backendtlspolicies', namespaced: true, snapshot: 'others',
    status: { merge: 'policy-ancestors', order: 5 }, schema: BACKEND_TLS_POLICY_SCHEMA,
  },
  // Experimental: listeners added to a Gateway from other objects (and namespaces its
  // spec.allowedListeners admits); their status is ours as a whole, like a Gateway's.
  ListenerSet: {
    kind: 'ListenerSet', group: GATEWAY_API_GROUP, version: 'v1', apiVersions: gatewayApi('v1'),
    plural: 'listenersets', namespaced: true, snapshot: 'others',
    status: { merge: 'gateway', order: 1 }, schema: LISTENER_SET_SCHEMA,
  },
  // Read by reference only (a BackendTLSPolicy's caCertificateRefs).
  ConfigMap: {
    kind: 'ConfigMap', group: '', version: 'v1', apiVersions: ['v1'],
    plural: 'configmaps', namespaced: true, snapshot: 'others', schema: CONFIG_MAP_SCHEMA,
  },
} as const satisfies Record<string, KindSpec>;

export type TableKind = keyof typeof KIND_TABLE;

/** The TypeScript type of each kind's objects (a kind missing here fails to compile). */
export interface KindTypes {
  GatewayClass: GatewayClass;
  Gateway: Gateway;
  HTTPRoute: HTTPRoute;
  GRPCRoute: GRPCRoute;
  TLSRoute: TLSRoute;
  TCPRoute: TCPRoute;
  UDPRoute: UDPRoute;
  ReferenceGrant: ReferenceGrant;
  Namespace: Namespace;
  Service: Service;
  EndpointSlice: EndpointSlice;
  Pod: Pod;
  Secret: Secret;
  GatewayParameters: GatewayParameters;
  Upstream: Upstream;
  RouteOption: RouteOption;
  VirtualDestination: VirtualDestination;
  BackendTLSPolicy: BackendTLSPolicy;
  ConfigMap: ConfigMap;
  ListenerSet: ListenerSet;
}

/** The status the translator reports for each kind whose status Gantry writes. */
export interface StatusTypes {
  GatewayClass: GatewayClassStatus;
  Gateway: GatewayStatus;
  HTTPRoute: HTTPRouteStatus;
  GRPCRoute: RouteStatus;
  TLSRoute: RouteStatus;
  TCPRoute: RouteStatus;
  UDPRoute: RouteStatus;
  Upstream: UpstreamStatus;
  RouteOption: RouteOptionStatus;
  VirtualDestination: VirtualDestinationStatus;
  GatewayParameters: GatewayParametersStatus;
  BackendTLSPolicy: BackendTLSPolicyStatus;
  ListenerSet: ListenerSetStatus;
}

type Entry<K extends TableKind> = (typeof KIND_TABLE)[K];

/** Kinds with a typed snapshot field. */
export type SnapshotKind = { [K in TableKind]: Entry<K>['snapshot'] extends 'others' ? never : K }[TableKind];
export type SnapshotField = Entry<SnapshotKind>['snapshot'];

/** Kinds whose status Gantry writes. */
export type ReportedKind = { [K in TableKind]: Entry<K> extends { readonly status: object } ? K : never }[TableKind];

/** Kinds whose status.parents is shared with other controllers: the route kinds. */
export type RouteParentKind = { [K in ReportedKind]: Entry<K>['status']['merge'] extends 'route-parents' ? K : never }[ReportedKind];

// Compile-time: the status types and the table agree on which kinds report status.
const reportedKindsAgree: [ReportedKind, keyof StatusTypes] extends [keyof StatusTypes, ReportedKind] ? true : never = true;
void reportedKindsAgree;

/** Every kind of the table, in table order. */
export const ALL_KINDS: readonly KindSpec[] = Object.values(KIND_TABLE);

export function kindSpec(kind: string): KindSpec | undefined {
  return Object.prototype.hasOwnProperty.call(KIND_TABLE, kind) ? (KIND_TABLE as Record<string, KindSpec>)[kind] : undefined;
}

/** Snapshot field → kind name, for every kind with a typed field (the store's mapping). */
export const SNAPSHOT_FIELDS: Readonly<Record<SnapshotField, SnapshotKind>> = Object.fromEntries(
  ALL_KINDS.filter((k) => k.snapshot !== 'others').map((k) => [k.snapshot, k.kind]),
) as Record<SnapshotField, SnapshotKind>;

/** Kinds the translator reads by reference from `others`. */
export const OTHER_KINDS: readonly string[] = ALL_KINDS.filter((k) => k.snapshot === 'others').map((k) => k.kind);

/** Kinds whose status Gantry writes, in write order. */
export const REPORTED_KINDS: readonly ReportedKind[] = ALL_KINDS.filter((k) => k.status !== undefined)
  .sort((a, b) => (a.status?.order ?? 0) - (b.status?.order ?? 0))
  .map((k) => k.kind as ReportedKind);

/** Gantry's own kinds that have a CRD. */
export const CRD_KINDS: readonly (KindSpec & { readonly crd: CrdSource })[] = ALL_KINDS.filter(
  (k): k is KindSpec & { readonly crd: CrdSource } => k.crd !== undefined,
);

/** `group/version`, or just `version` for the core group: the objects' `apiVersion`. */
export function apiVersionOf(k: Pick<KindSpec, 'group' | 'version'>): string {
  return k.group === '' ? k.version : `${k.group}/${k.version}`;
}

const derivedSchemas = new Map<string, ManifestSchema | undefined>();

/** What the manifest loader checks for a kind: its own schema, or one derived from its CRD. */
export function manifestSchemaOfKind(k: KindSpec): ManifestSchema | undefined {
  if (k.schema || !k.crd) return k.schema;
  if (!derivedSchemas.has(k.kind)) derivedSchemas.set(k.kind, { spec: manifestSchemaOf(k.crd.spec) });
  return derivedSchemas.get(k.kind);
}
