// Writing status: a JSON merge patch on the /status subresource. The content type is set
// explicitly because client-node 1.x picks application/json-patch+json for its generated patch
// calls unless told otherwise (there: `setHeaderOptions('Content-Type', PatchStrategy.MergePatch)`).
//
// Merge-patch semantics to keep in mind: objects merge key by key, but arrays (conditions,
// parents, listeners) are replaced whole and `null` deletes. So the caller sends the complete
// array it wants, having kept other controllers' entries itself (updateStatusWithRetry gives it
// the current object to merge with).
import type { KubeAccess } from './kubeconfig.js';
import { objectPath, type KindRef } from './kinds.js';
import { mergePatchChanges } from './merge-patch.js';
import { isJsonObject, type Json } from './objects.js';
import { errorFromResponse, requestJson } from './rest.js';

export const MERGE_PATCH = 'application/merge-patch+json';
export const DEFAULT_FIELD_MANAGER = 'gantry';

export type PatchStatusResult = 'patched' | 'conflict' | 'notfound';

export interface PatchStatusOptions {
  /**
   * Sent as `metadata.resourceVersion` in the patch: the server then refuses (409) a patch
   * against any other version, which is how a read-modify-write detects a concurrent writer.
   */
  readonly resourceVersion?: string;
  readonly fieldManager?: string;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Merge-patches `status` onto the object's status subresource. 404 → 'notfound' (the object or
 * the kind is gone), 409 → 'conflict'; anything else unexpected throws a KubeApiError.
 */
export async function patchStatus(
  kc: KubeAccess,
  kind: KindRef,
  namespace: string | undefined,
  name: string,
  status: object,
  opts: PatchStatusOptions = {},
): Promise<PatchStatusResult> {
  const path = `${objectPath(kind, namespace, name)}/status`;
  const body = opts.resourceVersion === undefined ? { status } : { metadata: { resourceVersion: opts.resourceVersion }, status };
  const r = await requestJson(kc, path, {
    method: 'PATCH',
    query: { fieldManager: opts.fieldManager ?? DEFAULT_FIELD_MANAGER },
    body,
    contentType: MERGE_PATCH,
    timeoutMs: opts.timeoutMs,
    signal: opts.signal,
  });
  if (r.status === 200 || r.status === 201) return 'patched';
  if (r.status === 404) return 'notfound';
  if (r.status === 409) return 'conflict';
  throw errorFromResponse(r.status, r.body, `patch status of ${kind.kind} ${namespace ? `${namespace}/` : ''}${name}`);
}

export type UpdateStatusResult = 'written' | 'unchanged' | 'notfound' | 'gave-up';

export interface UpdateStatusOptions {
  /** GET-mutate-patch rounds before giving up on conflicts. Default 5. */
  readonly attempts?: number;
  readonly fieldManager?: string;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /**
   * The object as last seen (a watch's copy, with its resourceVersion): the first round patches
   * against it without a GET. If it is stale, the server refuses the patch (409) and the next
   * round reads the object afresh.
   */
  readonly known?: CurrentObject;
}

/** The object as read, for `mutate` to compute the status from. */
export interface CurrentObject {
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly resourceVersion?: string; readonly generation?: number };
  readonly status?: Json;
  readonly [field: string]: unknown;
}

/**
 * Read-modify-write of a status: GET the object (or start from `known`), `mutate(current)` returns
 * the status to write (undefined: nothing to write), merge-patch it guarded by the read
 * resourceVersion, and on 409 start again from a fresh GET. A patch that would change nothing is
 * not sent ('unchanged'); with `known`, "nothing" is judged against the known copy.
 */
export async function updateStatusWithRetry(
  kc: KubeAccess,
  kind: KindRef,
  namespace: string | undefined,
  name: string,
  mutate: (current: CurrentObject) => object | undefined | Promise<object | undefined>,
  opts: UpdateStatusOptions = {},
): Promise<UpdateStatusResult> {
  const attempts = opts.attempts ?? 5;
  const path = objectPath(kind, namespace, name);
  const read = async (): Promise<CurrentObject | 'notfound'> => {
    const r = await requestJson(kc, path, { timeoutMs: opts.timeoutMs, signal: opts.signal });
    if (r.status === 404) return 'notfound';
    if (r.status !== 200 || !isJsonObject(r.body) || !isJsonObject(r.body['metadata'])) {
      throw errorFromResponse(r.status, r.body, `get ${kind.kind} ${namespace ? `${namespace}/` : ''}${name}`);
    }
    return r.body as unknown as CurrentObject;
  };
  const known = opts.known?.metadata.resourceVersion !== undefined ? opts.known : undefined;
  for (let i = 0; i < attempts; i++) {
    const current = i === 0 && known !== undefined ? known : await read();
    if (current === 'notfound') return 'notfound';
    const status = await mutate(current);
    if (status === undefined || !mergePatchChanges(current.status ?? {}, status)) return 'unchanged';
    const outcome = await patchStatus(kc, kind, namespace, name, status, {
      resourceVersion: current.metadata.resourceVersion,
      fieldManager: opts.fieldManager,
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
    });
    if (outcome === 'patched') return 'written';
    if (outcome === 'notfound') return 'notfound';
  }
  return 'gave-up';
}
