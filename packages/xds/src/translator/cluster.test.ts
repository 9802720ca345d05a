import { describe, expect, it } from '@jest/globals';
import type { ClusterIR } from '@gantry/ir';
import { Cluster } from '@gantry/envoy-xds-proto';
import { CLUSTER_FIELDS, ClusterEncoder, buildCluster, clusterTemplate, templateKey } from './cluster.js';
import { encodeMessage } from './wire.js';

// Values to try for every field of ClusterIR. Typed over all of its keys, so a field added to the
// IR does not compile until it has samples here (and a role in CLUSTER_FIELDS).
const SAMPLES: { readonly [K in keyof Required<ClusterIR>]: readonly ClusterIR[K][] } = {
  name: ['kube/a/b/80', '', 'upstream/ñs/ü', `kube/long/${'x'.repeat(300)}/80`],
  protocol: ['http1', 'h2c'],
  connectTimeoutMs: [undefined, 0, 1, 1234, 10_000, 2 ** 31],
};

function withField<T, K extends keyof T>(base: T, field: K, value: T[K]): T {
  return { ...base, [field]: value };
}

/** Every combination of the samples. */
function allClusters(): ClusterIR[] {
  let all: ClusterIR[] = [{ name: '', protocol: 'http1' }];
  for (const field of Object.keys(SAMPLES) as (keyof ClusterIR)[]) {
    all = all.flatMap((c) => SAMPLES[field].map((v) => withField(c, field, v)));
  }
  return all;
}

/** Parts that are the same values, as one string (typed, so 1 and '1' differ). */
function partsKey(parts: readonly unknown[]): string {
  return JSON.stringify(parts.map((p) => [typeof p, String(p)]));
}

function fullEncoding(c: ClusterIR): Buffer {
  return Buffer.from(encodeMessage(Cluster.encode, buildCluster(c)));
}

describe('the cluster encoder', () => {
  const clusters = allClusters();

  it('has at least two samples of every field it is keyed on', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual(Object.keys(CLUSTER_FIELDS).sort());
    for (const values of Object.values(SAMPLES)) expect(new Set<unknown>(values).size).toBeGreaterThan(1);
  });

  it('keys templates on every field the template encodes', () => {
    // Same key => same template: a field that changes the template and is missing from the key fails here.
    const byKey = new Map<string, Buffer>();
    for (const c of clusters) {
      const key = partsKey(templateKey(c));
      const template = Buffer.from(clusterTemplate(c));
      const seen = byKey.get(key);
      if (seen === undefined) byKey.set(key, template);
      else expect(template.equals(seen)).toBe(true);
    }
  });

  it('changes the key whenever the full encoding changes', () => {
    // The full key: the fields written per cluster, then the template's key.
    const perCluster = (Object.keys(CLUSTER_FIELDS) as (keyof ClusterIR)[]).filter((f) => !CLUSTER_FIELDS[f].inTemplate);
    const keyed = clusters.map((c) => ({ c, bytes: fullEncoding(c), key: partsKey([...perCluster.map((f) => c[f]), ...templateKey(c)]) }));
    const collisions: [ClusterIR, ClusterIR][] = [];
    for (const a of keyed) {
      for (const b of keyed) if (a.key === b.key && !a.bytes.equals(b.bytes)) collisions.push([a.c, b.c]);
    }
    expect(collisions).toEqual([]);
  });

  it('writes exactly the bytes of an uncached encode, in any order', () => {
    const encoder = new ClusterEncoder();
    const reversed = [...clusters].reverse();
    const interleaved = clusters.flatMap((c, i) => [c, reversed[i] ?? c]);
    for (const c of [...clusters, ...reversed, ...interleaved]) {
      expect(Buffer.from(encoder.encode(c)).equals(fullEncoding(c))).toBe(true);
    }
  });
});
