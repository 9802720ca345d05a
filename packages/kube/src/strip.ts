// What the store keeps of an object: everything a translator or status writer may read, without
// the bulk nobody reads (managedFields are often larger than the object itself).
import { apiVersionOf, type KindRef } from './kinds.js';
import { isJsonObject, type Json, type JsonObject, type KubeObjectLike } from './objects.js';

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * A copy of `raw` without `metadata.managedFields`, `metadata.selfLink` and the last-applied
 * annotation, with `apiVersion` and `kind` filled in (list responses omit them for built-in kinds),
 * deeply frozen: stored objects are shared, so a change must be a new object.
 */
export function stripObject<T extends KubeObjectLike = KubeObjectLike>(kind: KindRef, raw: JsonObject): T {
  const out: JsonObject = { ...raw, apiVersion: apiVersionOf(kind), kind: kind.kind };
  const meta = raw['metadata'];
  if (isJsonObject(meta)) {
    const m: JsonObject = { ...meta };
    delete m['managedFields'];
    delete m['selfLink'];
    const annotations = m['annotations'];
    if (isJsonObject(annotations) && LAST_APPLIED_ANNOTATION in annotations) {
      const a: JsonObject = { ...annotations };
      delete a[LAST_APPLIED_ANNOTATION];
      if (Object.keys(a).length === 0) delete m['annotations'];
      else m['annotations'] = a;
    }
    out['metadata'] = m;
  }
  return deepFreeze(out) as unknown as T;
}

export function deepFreeze<V extends Json>(value: V): V {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Metadata fields kept of objects watched as metadata only. */
const IDENTITY_FIELDS = ['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'labels'] as const;

/**
 * What the store keeps of a kind watched as metadata only: its identity and labels, nothing else
 * (not annotations or owner references, and no spec or status should the server have sent whole
 * objects), deeply frozen.
 */
export function stripToMetadata<T extends KubeObjectLike = KubeObjectLike>(kind: KindRef, raw: JsonObject): T {
  const meta = raw['metadata'];
  const m: JsonObject = {};
  if (isJsonObject(meta)) for (const f of IDENTITY_FIELDS) if (meta[f] !== undefined) m[f] = meta[f] as Json;
  return deepFreeze({ apiVersion: apiVersionOf(kind), kind: kind.kind, metadata: m }) as unknown as T;
}
