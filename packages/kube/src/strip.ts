// What the store keeps of an object: everything a translator or status writer may read, without
// the bulk nobody reads (managedFields are often larger than the object itself).
import { apiVersionOf, type KindRef } from './kinds.js';
import { isJsonObject, type Json, type JsonObject, type KubeObjectLike } from './objects.js';

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * A copy of `raw` without `metadata.managedFields`, `metadata.selfLink` and the last-applied
 * annotation, with `apiVersion` and `kind` filled in (list responses omit them for built-in kinds),
 * deeply frozen: stored objects are shared, so a change must be a new object. Its short string
 * values are shared with every other stored object that holds the same value (see `shareStrings`).
 */
export function stripObject<T extends KubeObjectLike = KubeObjectLike>(kind: KindRef, raw: JsonObject): T {
  const out: JsonObject = { ...raw, apiVersion: apiVersionOf(kind), kind: kind.kind };
  const meta = raw['metadata'];
  if (isJsonObject(meta)) {
    // Copied without the dropped fields rather than `delete`d: a deletion turns an object into a
    // slow dictionary-mode one, which freezing then gives a hidden class of its own (about 450
    // bytes more per object, so ~7 MB at 15,000 objects).
    const m = without(meta, DROPPED_METADATA);
    const annotations = meta['annotations'];
    if (isJsonObject(annotations) && LAST_APPLIED_ANNOTATION in annotations) {
      const a = without(annotations, DROPPED_ANNOTATIONS);
      if (Object.keys(a).length === 0) delete m['annotations'];
      else m['annotations'] = a;
    }
    out['metadata'] = m;
  }
  return shareAndFreeze(out) as unknown as T;
}

const DROPPED_METADATA: ReadonlySet<string> = new Set(['managedFields', 'selfLink']);
const DROPPED_ANNOTATIONS: ReadonlySet<string> = new Set([LAST_APPLIED_ANNOTATION]);

function without(o: JsonObject, drop: ReadonlySet<string>): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(o)) if (!drop.has(key)) out[key] = o[key] as Json;
  return out;
}

export function deepFreeze<V extends Json>(value: V): V {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * Strings longer than this are kept as parsed: what repeats across objects is short (API groups,
 * kinds, condition types and messages, namespaces, hostnames, timestamps to the second).
 */
const SHARED_MAX_LENGTH = 96;
/** Entries of the table at most; it starts over when full, so its memory stays bounded. */
const SHARED_MAX_ENTRIES = 32_768;
/** Values unique to one object: never worth a table entry. */
const UNIQUE_KEYS: ReadonlySet<string> = new Set(['uid', 'resourceVersion']);
let shared = new Map<string, string>();

/**
 * One copy of `s` for every stored object that holds the same value. JSON.parse makes a new
 * string for every value it reads, so 5,000 HTTPRoutes would otherwise hold 10,000 copies each of
 * "gateway.networking.k8s.io", "ResolvedRefs", the controller name, condition messages...
 */
export function shareString(s: string): string {
  if (s.length > SHARED_MAX_LENGTH) return s;
  const held = shared.get(s);
  if (held !== undefined) return held;
  if (shared.size >= SHARED_MAX_ENTRIES) shared = new Map();
  shared.set(s, s);
  return s;
}

/**
 * Freezes `value` deeply, replacing its string values by their shared copy on the way (objects
 * already frozen are left as they are: they were shared when stored).
 */
function shareAndFreeze<V extends Json>(value: V): V {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v = value[i] as Json;
      if (typeof v === 'string') value[i] = shareString(v);
      else shareAndFreeze(v);
    }
  } else {
    const o = value as JsonObject;
    for (const key of Object.keys(o)) {
      const v = o[key] as Json;
      if (typeof v === 'string') {
        if (!UNIQUE_KEYS.has(key)) o[key] = shareString(v);
      } else shareAndFreeze(v);
    }
  }
  Object.freeze(value);
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
  return shareAndFreeze({ apiVersion: apiVersionOf(kind), kind: kind.kind, metadata: m }) as unknown as T;
}
