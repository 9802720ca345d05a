// Test helpers for the exhaustive IR tests (cluster keys, the simple-route fast path): a seeded
// PRNG, so random mixes are the same on every run, and a copy with one field changed.

/** A deterministic PRNG (mulberry32) in [0, 1). */
export function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function withField<T, K extends keyof T>(base: T, field: K, value: T[K]): T {
  return { ...base, [field]: value };
}
