// Turning discovery off removes what it created and nothing else: every Upstream of the install
// namespace that carries discovery's label (an Upstream whose label a user removed is theirs).
// Run by the chart when discovery.enabled goes false (a hook Job), or by hand:
// `gantry discovery-cleanup --namespace gantry-system`.
import { KIND_TABLE } from '@gantry/api';
import { collectionPath, deleteIfUnchanged, requestOk, type Logger } from '@gantry/kube';
import type { KubeAccess } from '@gantry/kube';
import { DISCOVERED_SELECTOR } from './desired.js';

interface Listed {
  readonly items?: readonly { readonly metadata: { readonly name: string; readonly uid?: string } }[];
  readonly metadata?: { readonly continue?: string };
}

/** Deletes discovery's Upstreams in `namespace`; resolves with how many were deleted. */
export async function removeDiscoveredUpstreams(kc: KubeAccess, namespace: string, log: Logger): Promise<number> {
  let deleted = 0;
  let cont: string | undefined;
  do {
    const page = (await requestOk(kc, collectionPath(KIND_TABLE.Upstream, namespace), {
      query: { labelSelector: DISCOVERED_SELECTOR, limit: 500, ...(cont ? { continue: cont } : {}) },
    })) as Listed | undefined;
    for (const item of page?.items ?? []) {
      const result = await deleteIfUnchanged(kc, KIND_TABLE.Upstream, namespace, item.metadata.name, item.metadata.uid ? { uid: item.metadata.uid } : {});
      if (result === 'deleted') deleted++;
    }
    cont = page?.metadata?.continue || undefined;
  } while (cont);
  log.info('discovered Upstreams removed', { namespace, deleted });
  return deleted;
}
