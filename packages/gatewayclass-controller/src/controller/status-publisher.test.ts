// The status publish after a change looks at what changed, not at every report: the same real
// pipeline (gateway and xds translators) at 100 and at 2,000 routes, one route edited, one
// endpoint changed, one route's status changed by someone else, one route that no longer reaches
// our Gateway; the reports looked at are the same few at both sizes.
import { describe, expect, it } from '@jest/globals';
import { snapshotOf, type EndpointSlice, type Gateway, type GatewayClass, type HTTPRoute, type KubeObject, type Service } from '@gantry/api';
import type { ReportRef, StatusReport } from '@gantry/translator';
import { Pipeline, type PipelineRun } from '../pipeline.js';
import { StatusPublisher, type PublishHooks } from './status-publisher.js';

const CONTROLLER = 'gantry.dev/gatewayclass-controller';
const gatewayClass: GatewayClass = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'gantry' }, spec: { controllerName: CONTROLLER } };
const gateway: Gateway = {
  apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'gw', namespace: 'default', generation: 1 },
  spec: { gatewayClassName: 'gantry', listeners: [{ name: 'http', port: 8080, protocol: 'HTTP' }] },
};

function route(i: number, path = `/r-${i}`, generation = 1): HTTPRoute {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute',
    metadata: { name: `r-${i}`, namespace: 'default', generation, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: {
      parentRefs: [{ name: 'gw' }],
      hostnames: [`h-${i % 10}.example.com`],
      rules: [{ matches: [{ path: { type: 'PathPrefix', value: path } }], backendRefs: [{ name: `svc-${i}`, port: 80 }] }],
    },
  };
}

const service = (i: number): Service => ({
  apiVersion: 'v1', kind: 'Service', metadata: { name: `svc-${i}`, namespace: 'default' },
  spec: { ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] },
});

const slice = (i: number, address: string): EndpointSlice => ({
  apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
  metadata: { name: `svc-${i}-x`, namespace: 'default', labels: { 'kubernetes.io/service-name': `svc-${i}` } },
  addressType: 'IPv4', endpoints: [{ addresses: [address], conditions: { ready: true } }], ports: [{ port: 8080, protocol: 'TCP' }],
});

/** The objects as a store would have them: routes carry a status entry of ours once reported. */
class World {
  readonly routes: HTTPRoute[];
  readonly slices: EndpointSlice[];
  readonly services: Service[];
  /** Routes the store still holds (with an entry of ours) although the translator no longer sees them. */
  readonly storedOnly = new Map<string, HTTPRoute>();
  readonly pipeline = new Pipeline({ sink: { set: () => undefined, delete: () => undefined } });
  readonly publisher = new StatusPublisher();
  run: PipelineRun | undefined;

  constructor(n: number) {
    this.routes = Array.from({ length: n }, (_, i) => route(i));
    this.services = Array.from({ length: n }, (_, i) => service(i));
    this.slices = Array.from({ length: n }, (_, i) => slice(i, '10.0.0.1'));
  }

  translate(): PipelineRun {
    const objects: KubeObject[] = [gatewayClass, gateway, ...this.routes, ...this.services, ...this.slices];
    this.run = this.pipeline.run(snapshotOf(objects));
    this.publisher.markReports(this.run.statusChanges);
    return this.run;
  }

  publish(): { reports: readonly StatusReport[]; visited: number; complete: boolean } {
    const stale = (r: HTTPRoute): StatusReport => ({
      apiVersion: r.apiVersion, kind: 'HTTPRoute', namespace: r.metadata.namespace, name: r.metadata.name, status: { parents: [] },
    });
    const hooks: PublishHooks = {
      routeKinds: new Set(['HTTPRoute']),
      gateway: (r) => r,
      staleRoute: (ref: ReportRef) => {
        const r = ref.kind === 'HTTPRoute' ? this.storedOnly.get(`${ref.namespace}/${ref.name}`) : undefined;
        return r === undefined ? undefined : stale(r);
      },
      staleRoutes: (reported) => [...this.storedOnly.values()].filter((r) => !reported.has(`HTTPRoute ${r.metadata.namespace}/${r.metadata.name}`)).map(stale),
    };
    return this.publisher.collect(this.run!.statuses, hooks);
  }
}

const names = (reports: readonly StatusReport[]): string[] => reports.map((r) => `${r.kind} ${r.name}`).sort();

function perChangeWork(n: number): number[] {
  const w = new World(n);
  w.translate();
  const first = w.publish();
  expect(first.complete).toBe(true);
  expect(first.visited).toBe(n + 2); // the class, the Gateway, every route
  const visited: number[] = [];

  // A route edited: its report changes (observedGeneration), and only it and the Gateway are looked at.
  w.routes[7] = route(7, '/r-7-edited', 2);
  w.translate();
  w.publisher.markObject('HTTPRoute', 'default', 'r-7');
  let p = w.publish();
  expect(p.complete).toBe(false);
  expect(names(p.reports)).toEqual(['Gateway gw', 'HTTPRoute r-7']);
  expect(p.reports.find((r) => r.name === 'r-7')).toBe(w.run!.statuses.find((r) => r.name === 'r-7'));
  visited.push(p.visited);

  // An endpoint change: no report changes; only the Gateway is looked at.
  w.slices[3] = slice(3, '10.0.0.2');
  w.translate();
  p = w.publish();
  expect(names(p.reports)).toEqual(['Gateway gw']);
  visited.push(p.visited);

  // A route's status changed (our write coming back, or someone else's): that route is judged again.
  w.publisher.markObject('HTTPRoute', 'default', 'r-5');
  p = w.publish();
  expect(names(p.reports)).toEqual(['Gateway gw', 'HTTPRoute r-5']);
  visited.push(p.visited);

  // A route that no longer reaches our Gateway (gone from the translator's view) but still carries
  // our entry in the store: the empty report that removes it.
  const gone = w.routes.splice(9, 1)[0]!;
  w.storedOnly.set(`default/${gone.metadata.name}`, gone);
  w.translate();
  p = w.publish();
  expect(names(p.reports)).toEqual(['Gateway gw', 'HTTPRoute r-9']);
  expect(p.reports.find((r) => r.name === 'r-9')?.status).toEqual({ parents: [] });
  visited.push(p.visited);

  // Nothing changed: the Gateway only (its Programmed condition follows the data plane).
  p = w.publish();
  expect(names(p.reports)).toEqual(['Gateway gw']);
  visited.push(p.visited);

  // After markAll (a new leadership): every report again, and the stale route's empty report.
  w.publisher.markAll();
  p = w.publish();
  expect(p.complete).toBe(true);
  expect(p.visited).toBe(n + 1);
  expect(p.reports.filter((r) => r.name === 'r-9')).toHaveLength(1);
  return visited;
}

describe('status publish after a change', () => {
  it('looks at the same reports with 100 and with 2,000 routes', () => {
    const small = perChangeWork(100);
    const large = perChangeWork(2000);
    expect(large).toEqual(small);
    expect(Math.max(...large)).toBeLessThanOrEqual(2);
  }, 120_000);

  it('marks nothing before the first (complete) publish, and ignores kinds that have no status of ours', () => {
    const w = new World(3);
    w.publisher.markObject('Service', 'default', 'svc-1');
    w.translate();
    w.publisher.markObject('HTTPRoute', 'default', 'r-1');
    expect(w.publish().complete).toBe(true);
    w.publisher.markObject('Service', 'default', 'svc-1');
    w.publisher.markObject('EndpointSlice', 'default', 'svc-1-x');
    const p = w.publish();
    expect(p.complete).toBe(false);
    expect(names(p.reports)).toEqual(['Gateway gw']);
  });
});
