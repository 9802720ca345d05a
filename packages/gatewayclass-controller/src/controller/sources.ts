// The controller's inputs: one resilient watch per kind, feeding one store. The store's snapshot
// is the translator's input (GatewayParameters included: a GatewayClass or Gateway whose
// parametersRef resolves to nothing is not accepted); the deployer's own objects are watched too,
// so drift triggers a reconcile.
import { ALL_KINDS, OTHER_KINDS, REPORTED_KINDS, SNAPSHOT_FIELDS } from '@gantry/api';
import type { KubeAccess } from '@gantry/kube';
import { CORE_KINDS, ObjectStore, ResilientWatch, deepEqual, type KindRef, type KubeObjectLike, type Logger, type WatchEvent } from '@gantry/kube';
import { OWNED_OBJECT_SELECTOR } from '../deployer/index.js';
import { REPORT_LABEL } from './data-plane.js';




/** Owned objects live in the store under their own kind name, apart from the translator's Services. */
export const OWNED_PREFIX = 'Owned';

/** The store bucket of the replicas' data-plane reports (Leases). */
export const DATA_PLANE_REPORTS = 'DataPlaneReport';

export interface WatchSpec {
  readonly kind: KindRef;
  /** The store bucket; defaults to the kind name. */
  readonly bucket?: string;
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** Watch only the objects' metadata (the kind table's metadataOnly). */
  readonly metadataOnly?: boolean;
}

export interface SourcesOptions {
  readonly kubeConfig: KubeAccess;
  readonly logger: Logger;
  /** Also watch the deployer's objects. */
  readonly deployer: boolean;
  readonly onWatchRestart?: (kind: string) => void;
  /** Also watch the replicas' data-plane reports (with leader election). */
  readonly dataPlaneReports?: { readonly namespace: string; readonly electionLease: string };
}

/**
 * Kinds whose status the translator never reads: the kinds it reports status for (the kind
 * table's `status`). Gateway API and Gantry kinds carry a status subresource, so their
 * metadata.generation moves with the spec and only with it. (The translator reads the status of
 * one kind, Pods' podIP, which is not among them.)
 */
const STATUS_UNREAD: ReadonlySet<string> = new Set(REPORTED_KINDS);

/**
 * Whether `next` differs from `prev` only in what translation does not read: its status, its
 * resourceVersion (and managedFields, which the store strips). Decided by generation for the spec
 * (the API server bumps it on every spec change of these kinds), and by comparing the rest of the
 * metadata (labels, annotations, deletionTimestamp, finalizers, owners) and any other top-level
 * field. Without a generation on either side the spec is compared too.
 */
export function translationUnchanged(prev: KubeObjectLike, next: KubeObjectLike): boolean {
  const a = prev as unknown as Record<string, unknown>;
  const b = next as unknown as Record<string, unknown>;
  const byGeneration = prev.metadata.generation !== undefined && next.metadata.generation !== undefined;
  if (byGeneration && prev.metadata.generation !== next.metadata.generation) return false;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    if (key === 'status' || (key === 'spec' && byGeneration)) continue;
    if (key === 'metadata') {
      const { resourceVersion: _ra, managedFields: _ma, ...ma } = a[key] as Record<string, unknown>;
      const { resourceVersion: _rb, managedFields: _mb, ...mb } = b[key] as Record<string, unknown>;
      if (!deepEqual(ma, mb)) return false;
    } else if (!deepEqual(a[key], b[key])) return false;
  }
  return true;
}

/**
 * What a store change means to the controller: `translate` when the translator's input changed,
 * false when only a status (or resourceVersion) changed, e.g. our own status writes coming back:
 * then only the status writer needs to look again (a status someone else changed is rewritten).
 */
export type SourcesChangeListener = (change: {
  readonly translate: boolean;
  /** The store bucket (the kind, for the translator's kinds). */
  readonly bucket: string;
  /** The object added, modified or deleted; undefined for a relist (any object may have changed). */
  readonly object?: KubeObjectLike;
}) => void;

/** The store's snapshot: the translator's kinds, where the kind table places them. */
export const TRANSLATOR_STORE = { snapshotFields: SNAPSHOT_FIELDS, otherKinds: OTHER_KINDS } as const;

/** One watch per kind of the table; a fieldSelector keeps what the translator never reads out of memory. */
export function translatorWatches(): WatchSpec[] {
  return ALL_KINDS.map((kind) => ({
    kind,
    ...(kind.fieldSelector ? { fieldSelector: kind.fieldSelector } : {}),
    ...(kind.metadataOnly ? { metadataOnly: true } : {}),
  }));
}

export class KubeSources {
  readonly store = new ObjectStore(TRANSLATOR_STORE);
  private readonly watches: ResilientWatch<KubeObjectLike>[] = [];
  private readonly listeners = new Set<SourcesChangeListener>();
  /** Status-only changes seen (metrics, tests). */
  statusOnlyChanges = 0;

  constructor(opts: SourcesOptions) {
    const specs = translatorWatches();
    if (opts.deployer) {
      specs.push(
        ...[CORE_KINDS.Deployment, CORE_KINDS.Service, CORE_KINDS.ConfigMap, CORE_KINDS.ServiceAccount].map((kind) => ({
          kind, bucket: `${OWNED_PREFIX}${kind.kind}`, labelSelector: OWNED_OBJECT_SELECTOR,
        })),
      );
    }
    if (opts.dataPlaneReports) {
      const { namespace, electionLease } = opts.dataPlaneReports;
      specs.push({ kind: CORE_KINDS.Lease, bucket: DATA_PLANE_REPORTS, namespace, labelSelector: `${REPORT_LABEL}=${electionLease}` });
    }
    for (const spec of specs) {
      const watch = new ResilientWatch<KubeObjectLike>(opts.kubeConfig, spec.kind, {
        ...(spec.namespace !== undefined ? { namespace: spec.namespace } : {}),
        labelSelector: spec.labelSelector,
        fieldSelector: spec.fieldSelector,
        metadataOnly: spec.metadataOnly,
        logger: opts.logger,
      });
      const bucket = spec.bucket ?? spec.kind.kind;
      let restarts = 0;
      watch.onEvent((event) => {
        const translate = !this.statusOnly(bucket, event);
        if (this.store.apply(bucket, event)) {
          if (!translate) this.statusOnlyChanges++;
          const change = { translate, bucket, ...(event.object !== undefined ? { object: event.object } : {}) };
          for (const l of this.listeners) l(change);
        }
        if (watch.restarts !== restarts) {
          restarts = watch.restarts;
          opts.onWatchRestart?.(bucket);
        }
      });
      this.watches.push(watch);
    }
  }

  /** Called after every event that changed the store (synchronously). */
  onChange(listener: SourcesChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * A MODIFIED event of a kind whose status translation does not read, changing nothing else; or
   * any change of the replicas' data-plane reports (Leases this controller writes after its own
   * translations): only the status writer reads them (Programmed), never the translator.
   */
  private statusOnly(bucket: string, event: WatchEvent<KubeObjectLike>): boolean {
    if (bucket === DATA_PLANE_REPORTS) return true;
    if (event.type !== 'MODIFIED' || event.object === undefined || !STATUS_UNREAD.has(bucket)) return false;
    const prev = this.store.get(bucket, event.object.metadata.namespace, event.object.metadata.name);
    return prev !== undefined && translationUnchanged(prev, event.object);
  }

  start(): void {
    for (const w of this.watches) w.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.watches.map((w) => w.stop()));
  }

  /** Kinds whose first list has not arrived yet (readiness). */
  unsynced(): string[] {
    return this.watches.filter((w) => !w.hasSynced).map((w) => `${w.kind.kind}${w.namespace ? ` in ${w.namespace}` : ''}`);
  }

  get synced(): Promise<void> {
    return Promise.all(this.watches.map((w) => w.synced)).then(() => undefined);
  }
}
