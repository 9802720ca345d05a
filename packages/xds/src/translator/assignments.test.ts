// The assignment set with clusters that carry their own hosts: none for them, through every path
// of XdsTranslator.assignmentSet (paired walk, name sets, patches of a previous set).
import { describe, expect, it } from '@jest/globals';
import type { ClusterEndpointsIR, ClusterIR, GatewayIR } from '@gantry/ir';
import { TypeUrl, type XdsSnapshot } from '../resources.js';
import { XdsTranslator, translateXds } from './translator.js';

/** The same object for the same arguments: unchanged IR keeps its identity between steps, as the gateway translator's does. */
function memo<A extends unknown[], T>(make: (...args: A) => T): (...args: A) => T {
  const made = new Map<string, T>();
  return (...args) => {
    const key = JSON.stringify(args);
    let v = made.get(key);
    if (v === undefined) made.set(key, (v = make(...args)));
    return v;
  };
}

const eds = memo((name: string): ClusterIR => ({ name, protocol: 'http1' }));
const own = memo(
  (name: string, type: 'static' | 'strictDns'): ClusterIR => ({
    name,
    protocol: 'http1',
    discovery: { type, hosts: [{ address: type === 'static' ? '10.9.0.1' : 'svc.example.com', port: 80 }] },
  }),
);
const ep = memo((cluster: string, address: string): ClusterEndpointsIR => ({ cluster, endpoints: [{ address, port: 8080 }] }));

function gateway(clusters: readonly ClusterIR[], endpoints: readonly ClusterEndpointsIR[]): GatewayIR {
  return { key: 'ns/gw', namespace: 'ns', name: 'gw', listeners: [], clusters, endpoints, secrets: [] };
}

function assignments(s: XdsSnapshot): Record<string, string> {
  return Object.fromEntries([...s[TypeUrl.ClusterLoadAssignment]].map(([name, r]) => [name, r.version]));
}

// Each step changes a few clusters or endpoints, so the warm translator patches its sets.
const STEPS: readonly [string, GatewayIR][] = [
  ['EDS, static and DNS clusters, endpoints paired', gateway([eds('a'), eds('b'), own('c', 'static'), own('d', 'strictDns')], [ep('a', '10.0.0.1'), ep('b', '10.0.0.1')])],
  ['an EDS cluster without endpoints gets an empty one', gateway([eds('a'), eds('b'), own('c', 'static'), own('d', 'strictDns')], [ep('a', '10.0.0.1')])],
  ['an EDS cluster becomes static', gateway([eds('a'), own('b', 'static'), own('c', 'static'), own('d', 'strictDns')], [ep('a', '10.0.0.1')])],
  ['and back, with endpoints', gateway([eds('a'), eds('b'), own('c', 'static'), own('d', 'strictDns')], [ep('a', '10.0.0.1'), ep('b', '10.0.0.2')])],
  ['a static cluster becomes EDS, without endpoints', gateway([eds('a'), eds('b'), eds('c'), own('d', 'strictDns')], [ep('a', '10.0.0.1'), ep('b', '10.0.0.2')])],
  ['endpoints listed for a static cluster are ignored', gateway([eds('a'), eds('b'), own('c', 'static'), own('d', 'strictDns')], [ep('a', '10.0.0.1'), ep('b', '10.0.0.1'), ep('c', '10.0.0.1')])],
  ['only clusters with hosts of their own', gateway([own('c', 'static'), own('d', 'strictDns')], [])],
  ['none at all', gateway([], [])],
];

const EXPECTED_NAMES: readonly string[][] = [['a', 'b'], ['a', 'b'], ['a'], ['a', 'b'], ['a', 'b', 'c'], ['a', 'b'], [], []];

describe('assignments of clusters with hosts of their own', () => {
  it('exist only for EDS clusters, and a warm translator agrees with a fresh one at every step', () => {
    const warm = new XdsTranslator();
    STEPS.forEach(([what, ir], i) => {
      const fresh = translateXds(ir);
      const patched = warm.translate(ir);
      expect([what, Object.keys(assignments(fresh))]).toEqual([what, EXPECTED_NAMES[i]]);
      expect([what, assignments(patched)]).toEqual([what, assignments(fresh)]);
      expect([what, [...patched[TypeUrl.Cluster].keys()]]).toEqual([what, ir.clusters.map((c) => c.name)]);
    });
  });

  it('the same steps in reverse', () => {
    const warm = new XdsTranslator();
    for (const [what, ir] of [...STEPS].reverse()) expect([what, assignments(warm.translate(ir))]).toEqual([what, assignments(translateXds(ir))]);
  });
});
