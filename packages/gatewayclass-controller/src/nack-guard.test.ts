// NackGuard's choice of what to withhold, without Envoy (the real-Envoy tests are
// nack-resources.test.ts): a NACK that names nothing among several changed resources is narrowed
// by bisection; what Envoy ACKed is kept as the last good version; a fixed resource is tried again.
import { describe, expect, it } from '@jest/globals';
import { SnapshotCache, TypeUrl, emptySnapshot, encodedResource, type XdsSnapshot } from '@gantry/xds';
import { NackGuard } from './nack-withhold.js';

const GW = 'ns/gw';
const te = new TextEncoder();

function snapshot(clusters: Record<string, string>): XdsSnapshot {
  return { ...emptySnapshot(), [TypeUrl.Cluster]: new Map(Object.entries(clusters).map(([n, c]) => [n, encodedResource(n, te.encode(c))])) };
}

/** A stand-in Envoy: refuses any cluster whose content says "bad", naming nothing; else ACKs. */
function settle(cache: SnapshotCache, guard: NackGuard): number {
  let rounds = 0;
  for (let last = -1; rounds < 50; rounds++) {
    const entry = cache.get(GW)!;
    if (entry.version === last) break;
    last = entry.version;
    const bad = [...entry.snapshot[TypeUrl.Cluster].values()].some((r) => new TextDecoder().decode(r.bytes).includes('bad'));
    if (bad) guard.nack(GW, TypeUrl.Cluster, 'Proto constraint validation failed');
    else guard.ack(GW, TypeUrl.Cluster, entry.version);
  }
  return rounds;
}

const served = (cache: SnapshotCache): Record<string, string> =>
  Object.fromEntries([...cache.get(GW)!.snapshot[TypeUrl.Cluster]].map(([n, r]) => [n, new TextDecoder().decode(r.bytes)]));

describe('NackGuard', () => {
  it('bisects a NACK that names nothing down to the one resource at fault, keeping its last ACKed version', () => {
    const cache = new SnapshotCache();
    const guard = new NackGuard(cache);
    const names = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7'];
    guard.set(GW, snapshot(Object.fromEntries(names.map((n) => [n, `${n} v1`]))));
    settle(cache, guard);
    expect(guard.withheld()).toEqual([]);
    // Every cluster changes; c5 is refused.
    guard.set(GW, snapshot(Object.fromEntries(names.map((n) => [n, n === 'c5' ? 'c5 bad' : `${n} v2`]))));
    const rounds = settle(cache, guard);
    expect(guard.withheld().map((w) => [w.name, w.lastGood])).toEqual([['c5', true]]);
    expect(served(cache)).toEqual(Object.fromEntries(names.map((n) => [n, n === 'c5' ? 'c5 v1' : `${n} v2`])));
    expect(rounds).toBeLessThanOrEqual(12);
    expect(guard.failures()[0]?.kind).toBe('cluster');
    // Fixed: tried again and served.
    guard.set(GW, snapshot(Object.fromEntries(names.map((n) => [n, `${n} v3`]))));
    settle(cache, guard);
    expect(guard.withheld()).toEqual([]);
    expect(served(cache).c5).toBe('c5 v3');
  });

  it('withholds the resource the error names; a new one never ACKed is left out', () => {
    const cache = new SnapshotCache();
    const guard = new NackGuard(cache);
    guard.set(GW, snapshot({ a: 'a v1' }));
    guard.ack(GW, TypeUrl.Cluster, cache.get(GW)!.version);
    guard.set(GW, snapshot({ a: 'a v2', 'kube/ns/b/80': 'b v1', 'kube/ns/b/8080': 'b2 v1' }));
    expect(guard.nack(GW, TypeUrl.Cluster, 'Error adding/updating cluster(s) kube/ns/b/80: bad')).toEqual(['kube/ns/b/80']);
    expect(served(cache)).toEqual({ a: 'a v2', 'kube/ns/b/8080': 'b2 v1' });
    expect(guard.withheld()[0]?.lastGood).toBe(false);
  });
});
