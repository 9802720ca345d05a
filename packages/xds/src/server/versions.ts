// State-of-the-world version_info: derived from the resources it covers, so the same content gets
// the same version on every stream and after a restart. The digest is order-independent (a sum of
// per-resource hashes of name and version), so it needs no sort, and the per-resource hashes are
// memoized on the EncodedResource objects, which the translator shares between snapshots.

import type { EncodedResource } from '../resources.js';

const memo = new WeakMap<EncodedResource, readonly [number, number]>();

function fnv1a(text: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function resourceHash(resource: EncodedResource): readonly [number, number] {
  let h = memo.get(resource);
  if (h === undefined) {
    const key = `${resource.name}\u0000${resource.version}`;
    h = [fnv1a(key, 0x811c9dc5), fnv1a(key, 0x01234567)];
    memo.set(resource, h);
  }
  return h;
}

/** A version string for a set of resources: equal sets give equal strings, in any order. */
export function contentVersion(resources: Iterable<EncodedResource>): string {
  let a = 0;
  let b = 0;
  let n = 0;
  for (const r of resources) {
    const [h1, h2] = resourceHash(r);
    a = (a + h1) >>> 0;
    b = (b + h2) >>> 0;
    n++;
  }
  return `${n}-${a.toString(16).padStart(8, '0')}${b.toString(16).padStart(8, '0')}`;
}
