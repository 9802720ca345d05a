// VirtualDestination beyond the golden files: label changes that move traffic with only endpoints
// changing (and the incremental translation agreeing with a fresh one), and remote clusters
// (a synthetic Snapshot.remoteClusters) giving endpoints their cluster as locality and the
// priorities that make Envoy fail over.
import { describe, expect, it } from '@jest/globals';
import { validate, type ClusterEndpointsIR, type GatewayIR } from '@gantry/ir';
import type { EndpointSlice, Gateway, GatewayClass, HTTPRoute, KubeObject, RemoteClusterSnapshot, Service, Snapshot, VirtualDestination } from '@gantry/api';
import { emptySnapshot } from '@gantry/api';
import { TypeUrl, XdsTranslator, diffResourceSets } from '@gantry/xds';
import { GatewayTranslator, translate } from '../../index.js';
import { printable, toYaml } from '../../testing/index.js';

const NS = 'global';

const gatewayClass: GatewayClass = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'GatewayClass',
  metadata: { name: 'gantry' },
  spec: { controllerName: 'gantry.dev/gatewayclass-controller' },
};

const gateway: Gateway = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'Gateway',
  metadata: { name: 'gw', namespace: NS, generation: 1 },
  spec: { gatewayClassName: 'gantry', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
};

const route: HTTPRoute = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'my-app', namespace: NS, generation: 1 },
  spec: {
    parentRefs: [{ name: 'gw' }],
    hostnames: ['my.app.com'],
    rules: [{ backendRefs: [{ group: 'gateway.gantry.dev', kind: 'VirtualDestination', name: 'global-app-vd', port: 8080 }] }],
  },
};

function vd(spec: Partial<NonNullable<VirtualDestination['spec']>> = {}): VirtualDestination {
  return {
    apiVersion: 'gateway.gantry.dev/v1alpha1',
    kind: 'VirtualDestination',
    metadata: { name: 'global-app-vd', namespace: NS, generation: 1 },
    spec: { hosts: ['my.app.com'], ports: [{ number: 8080, protocol: 'HTTP', targetPort: { number: 9080 } }], services: [{ labels: { app: 'global-app' } }], ...spec },
  };
}

function service(name: string, labels: Record<string, string>, created = '2026-01-01T00:00:00Z'): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: NS, labels, creationTimestamp: created },
    spec: { ports: [{ name: 'http', port: 9080, targetPort: 8080 }] },
  };
}

function slice(svc: string, addresses: string[]): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${svc}-1`, namespace: NS, labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080 }],
    endpoints: addresses.map((a) => ({ addresses: [a] })),
  };
}

function snapshot(parts: Partial<Snapshot>): Snapshot {
  return { ...emptySnapshot(), gatewayClasses: [gatewayClass], gateways: [gateway], httpRoutes: [route], ...parts };
}

const CLUSTER = 'vd/global/global-app-vd/8080';

function endpointsOf(ir: GatewayIR | undefined): ClusterEndpointsIR['endpoints'] {
  return ir?.endpoints.find((e) => e.cluster === CLUSTER)?.endpoints ?? [];
}

function vdStatus(r: ReturnType<typeof translate>): { conditions?: { type: string; status: string; reason: string; message: string }[]; numSelectedBackingServices?: number; selectedBackingServices?: unknown[] } | undefined {
  return r.statuses.find((s) => s.kind === 'VirtualDestination')?.status as ReturnType<typeof vdStatus>;
}

describe('VirtualDestination in one cluster', () => {
  const blue = service('blue', { app: 'global-app' });
  const green = service('green', { app: 'other' }, '2026-01-02T00:00:00Z');
  const base = snapshot({
    services: [blue, green],
    endpointSlices: [slice('blue', ['10.50.0.1', '10.50.0.2']), slice('green', ['10.50.0.3'])],
    others: [vd()],
  });

  it('a Service label change moves traffic: only the endpoints (EDS) change, listeners, routes and clusters keep their identity', () => {
    const t = new GatewayTranslator();
    const x = new XdsTranslator();
    const r1 = t.translate(base);
    const ir1 = r1.gateways.get('global/gw') as GatewayIR;
    expect(endpointsOf(ir1).map((e) => e.address)).toEqual(['10.50.0.1', '10.50.0.2']);
    const xds1 = x.translate(ir1);

    // green takes the label, blue loses it: no route or VirtualDestination edit.
    const moved = { ...base, services: [service('blue', { app: 'retired' }), service('green', { app: 'global-app' }, '2026-01-02T00:00:00Z')] };
    const r2 = t.translate(moved);
    const ir2 = r2.gateways.get('global/gw') as GatewayIR;
    expect(validate(ir2)).toEqual([]);
    expect(endpointsOf(ir2).map((e) => e.address)).toEqual(['10.50.0.3']);
    expect(ir2.listeners).toBe(ir1.listeners);
    expect(ir2.clusters).toBe(ir1.clusters);
    const xds2 = x.translate(ir2);
    const changed = Object.fromEntries(Object.values(TypeUrl).map((type) => [type, [...diffResourceSets(xds1[type], xds2[type])]]));
    expect(changed).toEqual({
      [TypeUrl.Listener]: [],
      [TypeUrl.RouteConfiguration]: [],
      [TypeUrl.ScopedRouteConfiguration]: [],
      [TypeUrl.Cluster]: [],
      [TypeUrl.ClusterLoadAssignment]: [CLUSTER],
      [TypeUrl.Secret]: [],
    });
    expect(vdStatus(r2)?.selectedBackingServices).toEqual([{ cluster: 'local', namespace: NS, name: 'green', port: 9080 }]);
    // The incremental result is a fresh translation's.
    expect(toYaml(printable(r2))).toEqual(toYaml(printable(translate(moved))));

    // Both labelled: Oldest keeps blue (created first) and says so; All keeps both.
    const both = { ...base, services: [blue, service('green', { app: 'global-app' }, '2026-01-02T00:00:00Z')] };
    const r3 = t.translate(both);
    expect(endpointsOf(r3.gateways.get('global/gw')).map((e) => e.address)).toEqual(['10.50.0.1', '10.50.0.2']);
    expect(vdStatus(r3)?.conditions?.map((c) => `${c.type}=${c.status}/${c.reason}`)).toEqual([
      'Accepted=True/Accepted', 'ResolvedRefs=True/ResolvedRefs', 'MultipleServicesSelected=True/OldestSelected',
    ]);
    const all = { ...both, others: [vd({ selection: 'All' })] };
    const r4 = t.translate(all);
    expect(endpointsOf(r4.gateways.get('global/gw')).map((e) => e.address)).toEqual(['10.50.0.1', '10.50.0.2', '10.50.0.3']);
    expect(toYaml(printable(r4))).toEqual(toYaml(printable(translate(all))));
  });

  it('an EndpointSlice change of a selected Service refreshes the endpoints alone', () => {
    const t = new GatewayTranslator();
    const ir1 = t.translate(base).gateways.get('global/gw') as GatewayIR;
    const scaled = { ...base, endpointSlices: [slice('blue', ['10.50.0.1', '10.50.0.2', '10.50.0.9']), slice('green', ['10.50.0.3'])] };
    const ir2 = t.translate(scaled).gateways.get('global/gw') as GatewayIR;
    expect(endpointsOf(ir2).map((e) => e.address)).toEqual(['10.50.0.1', '10.50.0.2', '10.50.0.9']);
    expect(ir2.listeners).toBe(ir1.listeners);
    expect(ir2.clusters).toBe(ir1.clusters);
  });
});

describe('VirtualDestination across clusters (a synthetic Snapshot.remoteClusters)', () => {
  const local = service('global-app', { app: 'global-app' });
  const remote = (name: string, state: RemoteClusterSnapshot['state'], addresses: string[]): RemoteClusterSnapshot => ({
    name,
    state,
    services: [service('global-app', { app: 'global-app' })],
    endpointSlices: [slice('global-app', addresses)],
    pods: [],
  });
  const base = snapshot({
    services: [local],
    endpointSlices: [slice('global-app', ['10.50.0.1'])],
    others: [vd()],
    remoteClusters: [remote('east', 'Synced', ['10.60.0.1', '10.60.0.2']), remote('west', 'Stale', ['10.70.0.1'])],
  });
  const view = (ir: GatewayIR | undefined) => endpointsOf(ir).map((e) => `${e.address} ${e.locality ?? '-'} p${e.priority ?? 0}`);

  it('LocalFirst: local endpoints priority 0, remote ones priority 1, each with its cluster as locality; outlier detection on', () => {
    const r = translate(base);
    const ir = r.gateways.get('global/gw') as GatewayIR;
    expect(validate(ir)).toEqual([]);
    expect(view(ir)).toEqual(['10.50.0.1 local p0', '10.60.0.1 east p1', '10.60.0.2 east p1', '10.70.0.1 west p1']);
    expect(ir.clusters.find((c) => c.name === CLUSTER)?.outlierDetection).toEqual({ consecutive5xx: 3, intervalMs: 1000, baseEjectionTimeMs: 30000, maxEjectionPercent: 100 });
    const status = vdStatus(r);
    expect(status?.numSelectedBackingServices).toBe(3);
    expect(status?.selectedBackingServices).toEqual([
      { cluster: 'east', namespace: NS, name: 'global-app', port: 9080 },
      { cluster: 'local', namespace: NS, name: 'global-app', port: 9080 },
      { cluster: 'west', namespace: NS, name: 'global-app', port: 9080 },
    ]);
    // Stale: its last known endpoints are kept, and the status says so.
    expect(status?.conditions?.find((c) => c.type === 'RemoteClusters')).toMatchObject({ status: 'False', reason: 'ClusterStale', message: 'stale, last known endpoints kept: west' });
  });

  it('Spread: every cluster priority 0; a selector naming a cluster (or local) selects there only', () => {
    expect(view(translate({ ...base, others: [vd({ failover: { policy: 'Spread' } })] }).gateways.get('global/gw'))).toEqual([
      '10.50.0.1 local p0', '10.60.0.1 east p0', '10.60.0.2 east p0', '10.70.0.1 west p0',
    ]);
    expect(view(translate({ ...base, others: [vd({ services: [{ labels: { app: 'global-app' }, cluster: 'east' }] })] }).gateways.get('global/gw'))).toEqual([
      '10.60.0.1 east p1', '10.60.0.2 east p1',
    ]);
    expect(view(translate({ ...base, others: [vd({ services: [{ labels: { app: 'global-app' }, cluster: 'local' }] })] }).gateways.get('global/gw'))).toEqual([
      '10.50.0.1 local p0',
    ]);
  });

  it('incrementally: a remote endpoint change updates endpoints only; an Unreachable cluster contributes none and says so', () => {
    const t = new GatewayTranslator();
    const ir1 = t.translate(base).gateways.get('global/gw') as GatewayIR;
    // East scales down to one pod.
    const s2 = { ...base, remoteClusters: [remote('east', 'Synced', ['10.60.0.2']), (base.remoteClusters as RemoteClusterSnapshot[])[1] as RemoteClusterSnapshot] };
    const r2 = t.translate(s2);
    const ir2 = r2.gateways.get('global/gw') as GatewayIR;
    expect(view(ir2)).toEqual(['10.50.0.1 local p0', '10.60.0.2 east p1', '10.70.0.1 west p1']);
    expect(ir2.listeners).toBe(ir1.listeners);
    expect(ir2.clusters).toBe(ir1.clusters);
    expect(toYaml(printable(r2))).toEqual(toYaml(printable(translate(s2))));
    // West becomes Unreachable (its lists may still hold objects: they are not used).
    const s3 = { ...s2, remoteClusters: [(s2.remoteClusters)[0] as RemoteClusterSnapshot, remote('west', 'Unreachable', ['10.70.0.1'])] };
    const r3 = t.translate(s3);
    expect(view(r3.gateways.get('global/gw'))).toEqual(['10.50.0.1 local p0', '10.60.0.2 east p1']);
    expect(vdStatus(r3)?.conditions?.find((c) => c.type === 'RemoteClusters')).toMatchObject({ status: 'False', reason: 'ClusterUnreachable' });
    expect(toYaml(printable(r3))).toEqual(toYaml(printable(translate(s3))));
    // The local Deployment scaled to zero: the remote endpoints remain (Envoy moves traffic there).
    const s4 = { ...s3, endpointSlices: [slice('global-app', [])] };
    const r4 = t.translate(s4);
    expect(view(r4.gateways.get('global/gw'))).toEqual(['10.60.0.2 east p1']);
    // Every remote cluster gone: plain single-cluster endpoints again.
    const s5 = { ...s4, endpointSlices: [slice('global-app', ['10.50.0.1'])], remoteClusters: [] };
    const r5 = t.translate(s5);
    expect(view(r5.gateways.get('global/gw'))).toEqual(['10.50.0.1 - p0']);
    expect(toYaml(printable(r5))).toEqual(toYaml(printable(translate(s5))));
  });
});

describe('VirtualDestination incrementally, over a random sequence of changes', () => {
  it('always equals a fresh translation', () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    const names = ['a', 'b', 'c'];
    const labels = [{ app: 'global-app' }, { app: 'other' }];
    const state = {
      services: new Map(names.map((n, i) => [n, service(n, pick(labels), `2026-01-0${i + 1}T00:00:00Z`)])),
      slices: new Map(names.map((n, i) => [n, slice(n, [`10.50.0.${i + 1}`])])),
      remotes: new Map<string, RemoteClusterSnapshot>(),
      vd: vd(),
    };
    const t = new GatewayTranslator();
    for (let step = 0; step < 150; step++) {
      const r = rand();
      const n = pick(names);
      if (r < 0.3) state.services.set(n, service(n, pick(labels), state.services.get(n)?.metadata.creationTimestamp));
      else if (r < 0.5) state.slices.set(n, slice(n, Array.from({ length: Math.floor(rand() * 3) }, (_, i) => `10.50.${names.indexOf(n)}.${i + 1}`)));
      else if (r < 0.7) {
        const name = pick(['east', 'west']);
        if (rand() < 0.2) state.remotes.delete(name);
        else {
          state.remotes.set(name, {
            name,
            state: pick(['Synced', 'Stale', 'Unreachable'] as const),
            services: [service(n, pick(labels))],
            endpointSlices: [slice(n, [`10.${name === 'east' ? 60 : 70}.0.${Math.floor(rand() * 4) + 1}`])],
            pods: [],
          });
        }
      } else if (r < 0.85) state.vd = vd({ selection: pick(['Oldest', 'All'] as const), failover: { policy: pick(['LocalFirst', 'Spread'] as const) } });
      else state.vd = vd({ services: [{ labels: pick(labels), cluster: pick(['', 'local', 'east']) }] });
      const s = snapshot({
        services: [...state.services.values()],
        endpointSlices: [...state.slices.values()],
        others: [state.vd],
        remoteClusters: [...state.remotes.values()],
      });
      const got = t.translate(s);
      for (const ir of got.gateways.values()) expect(validate(ir)).toEqual([]);
      const want = toYaml(printable(translate(s)));
      if (toYaml(printable(got)) !== want) throw new Error(`step ${step}: the incremental result differs from a fresh translation`);
    }
  });
});

describe('VirtualDestinations and the Upstreams they select, incrementally, over a random sequence of changes', () => {
  // Upstreams and VirtualDestinations have status records as well as their place among the other
  // objects: selectors over Upstreams, the list of VirtualDestinations (host conflicts) and routes
  // naming an Upstream must follow them as they come, go, change labels and move in the array.
  it('always equals a fresh translation', () => {
    let seed = 4242;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    const tiers = ['legacy', 'other'];
    const upstream = (name: string): KubeObject => ({
      apiVersion: 'gateway.gantry.dev/v1alpha1',
      kind: 'Upstream',
      metadata: { name, namespace: NS, generation: 1, labels: { tier: pick(tiers) } },
      spec: rand() < 0.5 ? { kube: { serviceName: 'a', servicePort: 9080 } } : { static: { hosts: [{ addr: `192.0.2.${Math.floor(rand() * 9) + 1}`, port: 8080 }] } },
    });
    const vds = (name: string, created: string): VirtualDestination => ({
      ...vd({ upstreams: [{ labels: { tier: pick(tiers) } }], selection: pick(['Oldest', 'All'] as const) }),
      metadata: { name, namespace: NS, generation: 1, creationTimestamp: created },
    });
    const toUpstream: HTTPRoute = {
      ...route,
      metadata: { name: 'to-upstream', namespace: NS, generation: 1 },
      spec: { parentRefs: [{ name: 'gw' }], hostnames: ['up.app.com'], rules: [{ backendRefs: [{ group: 'gateway.gantry.dev', kind: 'Upstream', name: 'u1', port: 8080 }] }] },
    };
    const upstreams = new Map(['u1', 'u2', 'u3'].map((n) => [n, upstream(n)]));
    const vdList = new Map<string, VirtualDestination>([['global-app-vd', vds('global-app-vd', '2026-01-02T00:00:00Z')]]);
    let order: KubeObject[] = [];
    const t = new GatewayTranslator();
    for (let step = 0; step < 200; step++) {
      const r = rand();
      if (r < 0.35) {
        const n = pick(['u1', 'u2', 'u3', 'u4']);
        if (rand() < 0.25) upstreams.delete(n);
        else upstreams.set(n, upstream(n));
      } else if (r < 0.6) {
        const n = pick(['global-app-vd', 'second']);
        if (rand() < 0.3) vdList.delete(n);
        else vdList.set(n, vds(n, pick(['2026-01-01T00:00:00Z', '2026-01-03T00:00:00Z'])));
      } else if (r < 0.7) {
        // The same objects in another order.
        order = [...order].sort(() => rand() - 0.5);
      }
      if (r < 0.6 || order.length === 0) {
        const objects: KubeObject[] = [...upstreams.values(), ...vdList.values()];
        order = rand() < 0.5 ? objects : objects.reverse();
      }
      const s = snapshot({
        services: [service('a', { app: 'x' })],
        endpointSlices: [slice('a', ['10.50.0.1'])],
        httpRoutes: [route, toUpstream],
        others: step % 7 === 6 ? [...order] : order,
      });
      const got = t.translate(s);
      for (const ir of got.gateways.values()) expect(validate(ir)).toEqual([]);
      const want = toYaml(printable(translate(s)));
      if (toYaml(printable(got)) !== want) throw new Error(`step ${step}: the incremental result differs from a fresh translation`);
    }
  });
});
