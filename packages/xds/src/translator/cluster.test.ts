import { describe, expect, it } from '@jest/globals';
import type { ClusterIR } from '@gantry/ir';
import { Cluster } from '@gantry/envoy-xds-proto';
import { CLUSTER_FIELDS, ClusterEncoder, buildCluster, clusterTemplate, templateKey } from './cluster.js';
import { encodeMessage } from './wire.js';
import { prng, withField } from '../testing/samples.js';

// Values to try for every field of ClusterIR. Typed over all of its keys, so a field added to the
// IR does not compile until it has samples here (and a role in CLUSTER_FIELDS).
const SAMPLES: { readonly [K in keyof Required<ClusterIR>]: readonly ClusterIR[K][] } = {
  name: ['kube/a/b/80', '', 'upstream/ñs/ü', `kube/long/${'x'.repeat(300)}/80`],
  protocol: ['http1', 'h2c'],
  connectTimeoutMs: [undefined, 0, 1, 1234, 10_000, 2 ** 31],
  discovery: [
    undefined,
    { type: 'static', hosts: [] },
    { type: 'static', hosts: [{ address: '10.0.0.1', port: 80 }] },
    { type: 'static', hosts: [{ address: '10.0.0.1', port: 443, weight: 3, sni: 'a.example.com' }, { address: '::1', port: 8443, weight: 1 }] },
    { type: 'static', hosts: [{ address: '10.0.0.1', port: 443, sni: 'b.example.com' }, { address: '10.0.0.2', port: 443, sni: 'a.example.com' }, { address: '10.0.0.3', port: 443, sni: 'b.example.com' }] },
    { type: 'strictDns', hosts: [{ address: 'localhost', port: 8080 }] },
    { type: 'strictDns', hosts: [{ address: 'api.example.com', port: 443, sni: 'api.example.com' }, { address: 'ñ.example.com', port: 1, weight: 100 }] },
  ],
  loadBalancer: [
    undefined,
    { type: 'roundRobin' },
    { type: 'leastRequest' },
    { type: 'leastRequest', choiceCount: 5 },
    { type: 'random' },
    { type: 'ringHash' },
    { type: 'ringHash', minimumRingSize: 1024 },
    { type: 'ringHash', minimumRingSize: 64, maximumRingSize: 8_388_608 },
    { type: 'maglev' },
    { type: 'maglev', tableSize: 65537 },
  ],
  healthCheck: [
    undefined,
    { intervalMs: 5000, timeoutMs: 1000, unhealthyThreshold: 2, healthyThreshold: 1, check: { type: 'http', path: '/healthz' } },
    {
      intervalMs: 1500,
      timeoutMs: 250,
      unhealthyThreshold: 3,
      healthyThreshold: 2,
      check: { type: 'http', path: '/ready', host: 'svc.internal', expectedStatuses: [{ start: 200, end: 399 }, { start: 418, end: 418 }] },
    },
    { intervalMs: 5000, timeoutMs: 1000, unhealthyThreshold: 2, healthyThreshold: 1, check: { type: 'tcp' } },
    { intervalMs: 5000, timeoutMs: 1000, unhealthyThreshold: 2, healthyThreshold: 1, check: { type: 'tcp', send: 'PING\r\n', receive: ['PONG', 'ü'] } },
    { intervalMs: 5000, timeoutMs: 1000, unhealthyThreshold: 2, healthyThreshold: 1, check: { type: 'grpc' } },
    { intervalMs: 10_000, timeoutMs: 2000, unhealthyThreshold: 1, healthyThreshold: 1, check: { type: 'grpc', serviceName: 'pkg.Svc' } },
  ],
  outlierDetection: [undefined, {}, { consecutive5xx: 3 }, { consecutive5xx: 5, intervalMs: 10_000, baseEjectionTimeMs: 30_000, maxEjectionPercent: 50 }],
  circuitBreakers: [undefined, {}, { maxRequests: 1 }, { maxConnections: 1024, maxPendingRequests: 10, maxRequests: 100, maxRetries: 3 }],
  tls: [
    undefined,
    {},
    { sni: 'a.example.com' },
    { sni: 'other.example.com' },
    { sni: 'a.example.com', verify: { trustedCA: 'CA-PEM', subjectAltNames: [{ type: 'dns', value: 'a.example.com' }] } },
    { sni: 'a.example.com', verify: { systemCA: true, subjectAltNames: [{ type: 'uri', value: 'spiffe://a/b' }, { type: 'dns', value: 'b.example.com' }] } },
  ],
};

/** The fields that existed before Upstreams: every combination of them is tried. */
const CROSSED: readonly (keyof ClusterIR)[] = ['name', 'protocol', 'connectTimeoutMs'];



function setRandom<K extends keyof ClusterIR>(c: ClusterIR, field: K, random: () => number): ClusterIR {
  const values = SAMPLES[field];
  return withField(c, field, values[Math.floor(random() * values.length)] as ClusterIR[K]);
}

/**
 * Every combination of the crossed fields; each with every other field set to each sample, one at
 * a time; and random mixes of all fields (the product of all samples would be too many).
 */
function allClusters(): ClusterIR[] {
  let crossed: ClusterIR[] = [{ name: '', protocol: 'http1' }];
  for (const field of CROSSED) crossed = crossed.flatMap((c) => SAMPLES[field].map((v) => withField(c, field, v)));
  const others = (Object.keys(SAMPLES) as (keyof ClusterIR)[]).filter((f) => !CROSSED.includes(f));
  const single = crossed.flatMap((c) => others.flatMap((field) => SAMPLES[field].map((v) => withField(c, field, v))));
  const random = prng(11);
  const mixes = Array.from({ length: 1500 }, () => {
    let c: ClusterIR = { name: '', protocol: 'http1' };
    for (const field of Object.keys(SAMPLES) as (keyof ClusterIR)[]) if (random() < 0.6) c = setRandom(c, field, random);
    return c;
  });
  return [...crossed, ...single, ...mixes];
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
    // The full key: the fields written per cluster, then the template's key. Same key => same bytes.
    const perCluster = (Object.keys(CLUSTER_FIELDS) as (keyof ClusterIR)[]).filter((f) => !CLUSTER_FIELDS[f].inTemplate);
    const byKey = new Map<string, { readonly c: ClusterIR; readonly bytes: Buffer }>();
    const collisions: [ClusterIR, ClusterIR][] = [];
    for (const c of clusters) {
      const bytes = fullEncoding(c);
      const key = partsKey([...perCluster.map((f) => c[f]), ...templateKey(c)]);
      const seen = byKey.get(key);
      if (seen === undefined) byKey.set(key, { c, bytes });
      else if (!seen.bytes.equals(bytes)) collisions.push([seen.c, c]);
    }
    expect(collisions).toEqual([]);
    // The samples are told apart: most clusters have keys (and bytes) of their own.
    expect(byKey.size).toBeGreaterThan(clusters.length / 2);
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
