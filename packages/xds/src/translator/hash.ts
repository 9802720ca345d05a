// Content hashes for resource versions. A version must change exactly when a resource's bytes
// change, also across control-plane restarts (delta xDS clients present the versions they hold on
// reconnect), so versions derive from content, never from counters.
//
// 53 bits from two 32-bit multiplicative lanes: cheap enough to hash every small resource, and
// composable (hashParts) so a large RouteConfiguration's version is derived from the hashes of the
// parts it is assembled from, without hashing its megabytes again.

/** A non-negative integer below 2^53. */
export type ContentHash = number;

function finish(h1: number, h2: number, length: number): ContentHash {
  h1 ^= length;
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** Hash of a byte string. */
export function hashBytes(bytes: Uint8Array, seed = 0): ContentHash {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  const n = bytes.length;
  const whole = n & ~3;
  let i = 0;
  for (; i < whole; i += 4) {
    const k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    h1 = Math.imul(h1 ^ k, 2654435761);
    h2 = Math.imul(h2 ^ k, 1597334677);
  }
  for (; i < n; i++) {
    const k = bytes[i]!;
    h1 = Math.imul(h1 ^ k, 2654435761);
    h2 = Math.imul(h2 ^ k, 1597334677);
  }
  return finish(h1, h2, n);
}

/**
 * Hash of a sequence of hashes (order matters). Used for messages assembled by concatenating
 * parts: equal parts in equal order give an equal hash, like hashing the concatenated bytes would.
 */
export function hashParts(parts: readonly ContentHash[], seed = 0): ContentHash {
  let h1 = 0x9e3779b9 ^ seed;
  let h2 = 0x85ebca6b ^ seed;
  for (const p of parts) {
    const lo = p >>> 0;
    const hi = Math.floor(p / 4294967296);
    h1 = Math.imul(h1 ^ lo, 2654435761);
    h2 = Math.imul(h2 ^ lo, 1597334677);
    h1 = Math.imul(h1 ^ hi, 2654435761);
    h2 = Math.imul(h2 ^ hi, 1597334677);
  }
  return finish(h1, h2, parts.length);
}

/** Character codes of the hex digits. */
const DIGIT: readonly number[] = Array.from({ length: 16 }, (_, i) => i.toString(16).charCodeAt(0));

/**
 * The version string Envoy sees: 14 hex digits. Made in one step by String.fromCharCode (one flat
 * string; concatenating pieces makes a string per step), and Number#toString(16) is far slower.
 */
export function versionOf(hash: ContentHash): string {
  const lo = hash >>> 0;
  const hi = Math.floor(hash / 4294967296);
  return String.fromCharCode(
    DIGIT[(hi >>> 20) & 15]!, DIGIT[(hi >>> 16) & 15]!, DIGIT[(hi >>> 12) & 15]!, DIGIT[(hi >>> 8) & 15]!, DIGIT[(hi >>> 4) & 15]!, DIGIT[hi & 15]!,
    DIGIT[lo >>> 28]!, DIGIT[(lo >>> 24) & 15]!, DIGIT[(lo >>> 20) & 15]!, DIGIT[(lo >>> 16) & 15]!,
    DIGIT[(lo >>> 12) & 15]!, DIGIT[(lo >>> 8) & 15]!, DIGIT[(lo >>> 4) & 15]!, DIGIT[lo & 15]!,
  );
}
