// Server-side apply and guarded deletes: how a controller that owns some objects (discovery's
// Upstreams) writes them without ever clobbering fields or objects that are not its own.
import type { KubeAccess } from './kubeconfig.js';
import { objectPath, type KindRef } from './kinds.js';
import { isJsonObject, type JsonObject } from './objects.js';
import { errorFromResponse, requestJson } from './rest.js';

/** JSON is YAML: the apply patch content type takes either. */
export const APPLY_PATCH = 'application/apply-patch+yaml';

export interface ApplyOptions {
  /** The field manager that owns what the body sets (and gives up what it no longer sets). */
  readonly fieldManager: string;
  /** Take over fields another manager set (conflicts otherwise fail with 409). */
  readonly force?: boolean;
  readonly signal?: AbortSignal;
}

/** Applies `body` (a full object with apiVersion, kind, metadata.name) server-side; resolves with the stored object. */
export async function serverSideApply(kc: KubeAccess, kind: KindRef, namespace: string | undefined, body: JsonObject, opts: ApplyOptions): Promise<JsonObject> {
  const meta = isJsonObject(body['metadata']) ? body['metadata'] : {};
  const name = typeof meta['name'] === 'string' ? meta['name'] : '';
  const path = objectPath(kind, namespace, name);
  const r = await requestJson(kc, path, {
    method: 'PATCH',
    body,
    contentType: APPLY_PATCH,
    query: { fieldManager: opts.fieldManager, ...(opts.force ? { force: 'true' } : {}) },
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  if (r.status < 200 || r.status >= 300 || !isJsonObject(r.body)) throw errorFromResponse(r.status, r.body, `apply ${path}`);
  return r.body;
}

export type GuardedDeleteResult = 'deleted' | 'gone' | 'changed';

/**
 * Deletes an object only if it is still the one that was looked at (same uid and, when given,
 * resourceVersion): an object replaced or edited meanwhile is left alone (`changed`).
 */
export async function deleteIfUnchanged(
  kc: KubeAccess,
  kind: KindRef,
  namespace: string | undefined,
  name: string,
  preconditions: { readonly uid?: string; readonly resourceVersion?: string },
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan',
): Promise<GuardedDeleteResult> {
  const path = objectPath(kind, namespace, name);
  const r = await requestJson(kc, path, {
    method: 'DELETE',
    body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { ...preconditions }, ...(propagationPolicy ? { propagationPolicy } : {}) },
  });
  if (r.status === 404) return 'gone';
  if (r.status === 409) return 'changed';
  if (r.status < 200 || r.status >= 300) throw errorFromResponse(r.status, r.body, `delete ${path}`);
  return 'deleted';
}
