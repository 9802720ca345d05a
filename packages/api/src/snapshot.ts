// The translator's input: plain Kubernetes objects, grouped by kind. Its fields are derived from
// the kind table. Sources (the kube store or files) build it; the translator never mutates it.
import { KIND_TABLE, SNAPSHOT_FIELDS, kindSpec, type KindTypes, type SnapshotField, type SnapshotKind } from './kinds.js';
import type { EndpointSlice, Pod, Service } from './core.js';
import type { KubeObject } from './meta.js';

type FieldKind<F extends SnapshotField> = { [K in SnapshotKind]: (typeof KIND_TABLE)[K]['snapshot'] extends F ? K : never }[SnapshotKind];

export type Snapshot = { readonly [F in SnapshotField]: readonly KindTypes[FieldKind<F>][] } & {
  /** Kinds read by reference only (GatewayParameters, ...), and kinds Gantry does not know. */
  readonly others?: readonly KubeObject[];
  /** Other clusters' Services, EndpointSlices and Pods (`--remote-cluster`), for backends that
   *  select across clusters (VirtualDestination). Absent in file modes and with no remote cluster. */
  readonly remoteClusters?: readonly RemoteClusterSnapshot[];
};

/** What the controller knows of one remote cluster. */
export interface RemoteClusterSnapshot {
  /** The name it was given (`--remote-cluster NAME=KUBECONFIG`); unique, never `local`. */
  readonly name: string;
  /**
   * Synced: its watches are up to date. Stale: the connection is lost and the last known objects
   * are kept for a bounded time. Unreachable: that time has passed; the lists are empty.
   */
  readonly state: 'Synced' | 'Stale' | 'Unreachable';
  readonly services: readonly Service[];
  readonly endpointSlices: readonly EndpointSlice[];
  /** Metadata only (name, namespace, labels), as the local Pods. */
  readonly pods: readonly Pod[];
}

const FIELDS = Object.keys(SNAPSHOT_FIELDS) as SnapshotField[];

export function emptySnapshot(): Snapshot {
  const out: Record<string, readonly KubeObject[]> = {};
  for (const f of FIELDS) out[f] = [];
  return out as unknown as Snapshot;
}

/** Groups objects by kind into a snapshot (in the given order); other kinds go to `others`. */
export function snapshotOf(objects: readonly KubeObject[]): Snapshot {
  const out: Record<string, KubeObject[]> = {};
  for (const f of FIELDS) out[f] = [];
  const others: KubeObject[] = [];
  for (const o of objects) {
    const field = kindSpec(o.kind)?.snapshot;
    const list = field !== undefined ? out[field] : undefined;
    if (list) list.push(o);
    else others.push(o);
  }
  return { ...(out as unknown as Snapshot), others };
}
