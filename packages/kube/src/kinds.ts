// KindRefs and the REST paths that address them. A KindRef carries the
// plural and scope so no discovery round trip is needed.

export interface KindRef {
  /** '' for the core group. */
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

function kindRef(group: string, version: string, kind: string, plural: string, namespaced: boolean): KindRef {
  return Object.freeze({ group, version, kind, plural, namespaced });
}

/**
 * The built-in Kubernetes kinds the control plane itself handles (leases, owned objects). Kinds
 * that callers translate come from the callers (Gantry's kind table); this package knows none.
 */
export const CORE_KINDS = Object.freeze({
  Namespace: kindRef('', 'v1', 'Namespace', 'namespaces', false),
  Service: kindRef('', 'v1', 'Service', 'services', true),
  Secret: kindRef('', 'v1', 'Secret', 'secrets', true),
  ConfigMap: kindRef('', 'v1', 'ConfigMap', 'configmaps', true),
  ServiceAccount: kindRef('', 'v1', 'ServiceAccount', 'serviceaccounts', true),
  EndpointSlice: kindRef('discovery.k8s.io', 'v1', 'EndpointSlice', 'endpointslices', true),
  Deployment: kindRef('apps', 'v1', 'Deployment', 'deployments', true),
  Lease: kindRef('coordination.k8s.io', 'v1', 'Lease', 'leases', true),
});

/** `group/version`, or just `version` for the core group: the objects' `apiVersion`. */
export function apiVersionOf(kind: KindRef): string {
  return kind.group === '' ? kind.version : `${kind.group}/${kind.version}`;
}

function groupVersionPath(kind: KindRef): string {
  return kind.group === '' ? `/api/${kind.version}` : `/apis/${kind.group}/${kind.version}`;
}

/**
 * The collection: all namespaces when `namespace` is undefined for a namespaced kind.
 */
export function collectionPath(kind: KindRef, namespace?: string): string {
  const base = groupVersionPath(kind);
  if (kind.namespaced && namespace !== undefined) {
    return `${base}/namespaces/${encodeURIComponent(namespace)}/${kind.plural}`;
  }
  return `${base}/${kind.plural}`;
}

export function objectPath(kind: KindRef, namespace: string | undefined, name: string): string {
  if (kind.namespaced && namespace === undefined) {
    throw new Error(`${kind.kind} is namespaced: a namespace is required to address ${name}`);
  }
  return `${collectionPath(kind, kind.namespaced ? namespace : undefined)}/${encodeURIComponent(name)}`;
}

/** Key of an object within its kind, as used by the store: `namespace/name` or `name`. */
export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}
