// JSON merge patch (RFC 7386) as pure functions: what the API server will do with a patch, so
// writes that would change nothing can be skipped before they are sent.
import { deepEqual } from './object-store.js';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The result of applying `patch` to `target` (neither is modified). */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}

/** Whether applying `patch` to `target` would change it. */
export function mergePatchChanges(target: unknown, patch: unknown): boolean {
  if (!isPlainObject(patch)) return !deepEqual(target, patch);
  if (!isPlainObject(target)) return true;
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) {
      if (Object.prototype.hasOwnProperty.call(target, k)) return true;
    } else if (!Object.prototype.hasOwnProperty.call(target, k) || mergePatchChanges(target[k], v)) {
      return true;
    }
  }
  return false;
}
