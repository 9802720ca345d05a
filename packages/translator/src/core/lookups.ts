// Every read a translation makes, recorded as dependency keys (see recording-lookups.ts).
import type { KubeObject, LabelSelector, ReferenceGrant, RemoteClusterSnapshot, Secret, Service } from '@gantry/api';

export interface RemoteClusterState {
  readonly name: string;
  readonly state: RemoteClusterSnapshot['state'];
}
import type { Target } from './object-queries.js';
import type { GatewayAttachment } from '../gateway/model.js';

/**
 * Every read a translation makes goes through this, so the translator can record what the result
 * depends on and redo it only when one of those inputs changes.
 */
export interface Lookups {
  /** A Gateway of ours (undefined: absent, or another controller's). */
  gateway(namespace: string, name: string): GatewayAttachment | undefined;
  /** `key`: the caller's `namespace/name` when it has built one (saves building it twice). */
  service(namespace: string, name: string, key?: string): Service | undefined;
  secret(namespace: string, name: string): Secret | undefined;
  /** Labels of a namespace, always including `kubernetes.io/metadata.name`. */
  namespaceLabels(name: string): Readonly<Record<string, string>>;
  referenceGrants(namespace: string): readonly ReferenceGrant[];
  /** Any other object (Gantry kinds, ...) by API group and kind. */
  object(group: string, kind: string, namespace: string, name: string): KubeObject | undefined;
  /** Objects of a kind in a namespace whose labels match the selector (Services, or Gantry kinds). */
  select(group: string, kind: string, namespace: string, selector: LabelSelector): readonly KubeObject[];
  /**
   * Services in a namespace of a Kubernetes cluster (`local`, or a remote cluster's name) whose
   * labels match the selector, ordered by name.
   */
  selectServices(cluster: string, namespace: string, selector: LabelSelector): readonly Service[];
  /** The remote clusters Gantry knows and their state (empty: one cluster). */
  remoteClusters(): readonly RemoteClusterState[];
  /** Every object of a kind of ours (e.g. every VirtualDestination, for hosts uniqueness). */
  objectsOf(group: string, kind: string): readonly KubeObject[];
  /** Policies of a kind (a Gantry kind) whose targetRefs name the target. */
  targeting(policyGroup: string, policyKind: string, target: Target): readonly KubeObject[];
  /**
   * The same for a route asking which targetRef policies (the translator's targetRef kinds) name
   * it, NOT recorded: every route asks, so the translator instead re-translates the routes a
   * changed policy names (before and after the change), without a dependency per route.
   */
  policiesNaming(policyGroup: string, policyKind: string, route: Target): readonly KubeObject[];
  /**
   * `compute()` once per translation for an input object (e.g. judging an Upstream, which its
   * routes and its own status both need), its reads recorded for every caller.
   */
  memo<T>(key: object, compute: () => T): T;
  /** The same, `compute(key, arg)` without a closure per call (callers asking by the thousand). */
  memo<K extends object, A, T>(key: K, compute: (key: K, arg: A) => T, arg: A): T;
}

/** The `group/kind` of an object key `group/kind/namespace/name`. */
export function groupKindOfKey(key: string): string {
  return key.slice(0, key.indexOf('/', key.indexOf('/') + 1));
}

/** Dependency keys, shared by the recorder and the invalidation index. */
export const Dep = {
  gatewayClass: (name: string) => `gc:${name}`,
  namespace: (name: string) => `ns:${name}`,
  grants: (namespace: string) => `grant:${namespace}`,
  secret: (key: string) => `secret:${key}`,
  object: (group: string, kind: string, key: string) => `obj:${group}/${kind}/${key}`,
  /** Dep.object of a `group/kind/namespace/name` key. */
  objectKey: (groupKindKey: string) => `obj:${groupKindKey}`,
  /** A label-selector query over a kind in a namespace: any object of it there changed. */
  selection: (group: string, kind: string, namespace: string) => `sel:${group}/${kind}/${namespace}`,
  /** The set of remote clusters or the state of one changed. */
  remoteClusters: () => 'remote:',
  /** Any object of a kind of ours changed (objectsOf). */
  kind: (group: string, kind: string) => `kind:${group}/${kind}`,
  /** A targetRef query: a policy of the kind naming the target (its key) changed. */
  targeting: (group: string, kind: string, target: string) => `tgt:${group}/${kind}/${target}`,
} as const;
