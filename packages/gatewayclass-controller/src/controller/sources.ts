// The controller's inputs: one resilient watch per kind, feeding one store. The store's snapshot
// is the translator's input (GatewayParameters included: a GatewayClass or Gateway whose
// parametersRef resolves to nothing is not accepted); the deployer's own objects are watched too,
// so drift triggers a reconcile.
import { ALL_KINDS, OTHER_KINDS, SNAPSHOT_FIELDS } from '@gantry/api';
import type { KubeConfig } from '@kubernetes/client-node';
import { CORE_KINDS, ObjectStore, ResilientWatch, type KindRef, type KubeObjectLike, type Logger } from '@gantry/kube';
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
  readonly kubeConfig: KubeConfig;
  readonly logger: Logger;
  /** Also watch the deployer's objects. */
  readonly deployer: boolean;
  readonly onWatchRestart?: (kind: string) => void;
  /** Also watch the replicas' data-plane reports (with leader election). */
  readonly dataPlaneReports?: { readonly namespace: string; readonly electionLease: string };
}

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
        this.store.apply(bucket, event);
        if (watch.restarts !== restarts) {
          restarts = watch.restarts;
          opts.onWatchRestart?.(bucket);
        }
      });
      this.watches.push(watch);
    }
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
