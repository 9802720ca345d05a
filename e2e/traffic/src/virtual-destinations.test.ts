// Traffic through a real Envoy to VirtualDestinations (one cluster, standalone mode): the seed's
// north-south example (my.app.com → a VirtualDestination on port 8080 → the Services labelled
// app=global-app on their port 9080), targetPort by name, Oldest against All with two matching
// Services, rewriteHost, ReferenceGrants both ways (route → VirtualDestination, selector →
// Service in another namespace), and a Service label change that moves traffic under steady
// load without a failed request.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Agent } from 'node:http';
import type { EchoServer } from '@gantry/gatewayclass-controller/examples/echo-backend';
import { echo, send } from './client.js';
import { GATEWAY_CLASS, TrafficHarness, docs, freePort, gatewayYaml, routeConditions, statusOf, type Applied } from './harness.js';

let h: TrafficHarness;
let port: number;
/** The "pods" of each Service: one echo server each. */
const pods: Record<string, EchoServer> = {};

beforeAll(async () => {
  h = await TrafficHarness.start();
  port = await freePort();
  for (const name of ['blue', 'green', 'team-a-app']) pods[name] = await h.backend(name);
});

afterAll(async () => {
  await h?.stop();
});

/** A Service with these labels, port 9080 (named http) → its pod's port, created at `created`. */
function service(name: string, labels: Record<string, string>, created: string, ns = 'global', pod = name): string {
  const server = pods[pod] as EchoServer;
  return `
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${ns}, labels: ${JSON.stringify(labels)}, creationTimestamp: "${created}"}
spec: {ports: [{name: http, port: 9080, targetPort: ${server.port}}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ${name}-1, namespace: ${ns}, labels: {kubernetes.io/service-name: ${name}}}
addressType: IPv4
ports: [{name: http, port: ${server.port}}]
endpoints: [{addresses: [127.0.0.1], conditions: {ready: true}}]
`;
}

interface World {
  blueLabels?: Record<string, string>;
  greenLabels?: Record<string, string>;
  extra?: string;
}

function world(w: World = {}): string {
  return docs(
    GATEWAY_CLASS,
    gatewayYaml(`{name: http, protocol: HTTP, port: ${port}, allowedRoutes: {namespaces: {from: All}}}`),
    `
apiVersion: v1
kind: Namespace
metadata: {name: global}
---
apiVersion: v1
kind: Namespace
metadata: {name: team-a}
---
apiVersion: v1
kind: Namespace
metadata: {name: apps}
`,
    service('blue', w.blueLabels ?? { app: 'global-app' }, '2026-01-01T00:00:00Z'),
    service('green', w.greenLabels ?? { app: 'canary' }, '2026-01-02T00:00:00Z'),
    service('app', { app: 'team-a-app' }, '2026-01-01T00:00:00Z', 'team-a', 'team-a-app'),
    // The seed's north-south example.
    `
apiVersion: gateway.gantry.dev/v1alpha1
kind: VirtualDestination
metadata: {name: global-app-vd, namespace: global}
spec:
  hosts: [my.app.com]
  ports: [{number: 8080, protocol: HTTP, targetPort: {number: 9080}}]
  services: [{labels: {app: global-app}}]
---
apiVersion: gateway.gantry.dev/v1alpha1
kind: VirtualDestination
metadata: {name: by-name, namespace: global}
spec:
  ports: [{number: 80, protocol: HTTP, targetPort: {name: http}}]
  services: [{labels: {app: global-app}}]
---
apiVersion: gateway.gantry.dev/v1alpha1
kind: VirtualDestination
metadata: {name: oldest, namespace: global}
spec:
  ports: [{number: 8080, protocol: HTTP, targetPort: {number: 9080}}]
  services: [{labels: {app: global-app}}, {labels: {app: canary}}]
---
apiVersion: gateway.gantry.dev/v1alpha1
kind: VirtualDestination
metadata: {name: all, namespace: global}
spec:
  hosts: [all.internal]
  ports: [{number: 8080, protocol: HTTP, targetPort: {number: 9080}}]
  services: [{labels: {app: global-app}}, {labels: {app: canary}}]
  selection: All
  rewriteHost: true
---
apiVersion: gateway.gantry.dev/v1alpha1
kind: VirtualDestination
metadata: {name: team-a, namespace: global}
spec:
  ports: [{number: 8080, protocol: HTTP, targetPort: {number: 9080}}]
  services: [{labels: {app: team-a-app}, namespace: team-a}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: my-app, namespace: global}
spec:
  parentRefs: [{name: gw, namespace: default}]
  hostnames: [my.app.com]
  rules:
  - backendRefs: [{group: gateway.gantry.dev, kind: VirtualDestination, name: global-app-vd, port: 8080}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: vds, namespace: global}
spec:
  parentRefs: [{name: gw, namespace: default}]
  rules:
  - matches: [{path: {value: /by-name}}]
    backendRefs: [{group: gateway.gantry.dev, kind: VirtualDestination, name: by-name}]
  - matches: [{path: {value: /oldest}}]
    backendRefs: [{group: gateway.gantry.dev, kind: VirtualDestination, name: oldest, port: 8080}]
  - matches: [{path: {value: /all}}]
    backendRefs: [{group: gateway.gantry.dev, kind: VirtualDestination, name: all, port: 8080}]
  - matches: [{path: {value: /team-a}}]
    backendRefs: [{group: gateway.gantry.dev, kind: VirtualDestination, name: team-a, port: 8080}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: cross, namespace: apps}
spec:
  parentRefs: [{name: gw, namespace: default}]
  hostnames: [cross.example]
  rules:
  - backendRefs: [{group: gateway.gantry.dev, kind: VirtualDestination, name: global-app-vd, namespace: global, port: 8080}]
`,
    w.extra ?? '',
  );
}

const SELECTOR_GRANT = `
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: vds-from-global, namespace: team-a}
spec:
  from: [{group: gateway.gantry.dev, kind: VirtualDestination, namespace: global}]
  to: [{group: "", kind: Service}]
`;

const ROUTE_GRANT = `
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: routes-from-apps, namespace: global}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: apps}]
  to: [{group: gateway.gantry.dev, kind: VirtualDestination}]
`;

/** Which backends answer `n` requests. */
async function spread(path: string, n: number, host = 'vd.example'): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  try {
    for (let i = 0; i < n; i += 50) {
      const batch = await Promise.all(Array.from({ length: Math.min(50, n - i) }, () => echo({ port, host, path, agent })));
      for (const e of batch) counts[e.backend] = (counts[e.backend] ?? 0) + 1;
    }
  } finally {
    agent.destroy();
  }
  return counts;
}

function vdStatus(applied: Applied, name: string): { numSelectedBackingServices?: number; conditions?: { type: string; status: string; reason: string }[]; selectedBackingServices?: unknown[] } {
  return (statusOf(applied.run, 'VirtualDestination', 'global', name)?.status ?? {}) as ReturnType<typeof vdStatus>;
}

describe('the seed example: my.app.com → VirtualDestination :8080 → Services labelled app=global-app on 9080', () => {
  let applied: Applied;
  beforeAll(async () => {
    applied = await h.apply(world());
  });

  it('routes my.app.com to the labelled Service\'s pods', async () => {
    expect(await spread('/', 50, 'my.app.com')).toEqual({ blue: 50 });
    expect(vdStatus(applied, 'global-app-vd')).toMatchObject({
      numSelectedBackingServices: 1,
      selectedBackingServices: [{ cluster: 'local', namespace: 'global', name: 'blue', port: 9080 }],
    });
  });

  it('finds the target port by name, and takes the only port when the backendRef names none', async () => {
    expect(await spread('/by-name', 20)).toEqual({ blue: 20 });
  });
});

describe('two matching Services', () => {
  it('Oldest sends everything to the older one and warns; All spreads over both and rewrites the Host', async () => {
    const applied = await h.apply(world());
    expect(await spread('/oldest', 100)).toEqual({ blue: 100 });
    expect(vdStatus(applied, 'oldest').conditions?.map((c) => `${c.type}=${c.status}:${c.reason}`)).toContain('MultipleServicesSelected=True:OldestSelected');
    const all = await spread('/all', 200);
    expect(Object.keys(all).sort()).toEqual(['blue', 'green']);
    expect((all.blue ?? 0) + (all.green ?? 0)).toBe(200);
    expect((await echo({ port, host: 'vd.example', path: '/all' })).host).toBe('all.internal');
  });
});

describe('references across namespaces', () => {
  it('a selector reaching into team-a needs a grant there: no endpoints (503) and RefNotPermitted without, routed with', async () => {
    const denied = await h.apply(world());
    expect((await send({ port, host: 'vd.example', path: '/team-a' })).status).toBe(503);
    expect(vdStatus(denied, 'team-a').conditions?.map((c) => `${c.type}=${c.status}:${c.reason}`)).toContain('ResolvedRefs=False:RefNotPermitted');
    const granted = await h.apply(world({ extra: SELECTOR_GRANT }));
    expect((await echo({ port, host: 'vd.example', path: '/team-a' })).backend).toBe('team-a-app');
    expect(vdStatus(granted, 'team-a').conditions?.map((c) => `${c.type}=${c.status}:${c.reason}`)).toContain('ResolvedRefs=True:ResolvedRefs');
  });

  it('a route in another namespace needs a grant to the VirtualDestination: 500 and RefNotPermitted without, routed with', async () => {
    const denied = await h.apply(world());
    expect((await send({ port, host: 'cross.example', path: '/' })).status).toBe(500);
    expect(routeConditions(denied.run, 'apps', 'cross')).toContain('ResolvedRefs=False:RefNotPermitted');
    await h.apply(world({ extra: ROUTE_GRANT }));
    expect((await echo({ port, host: 'cross.example', path: '/' })).backend).toBe('blue');
  });
});

describe('a label change under steady traffic', () => {
  it('moves my.app.com from blue to green with no route edit and no failed request', async () => {
    await h.apply(world());
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const seen: string[] = [];
    let failures = 0;
    let running = true;
    const load = (async () => {
      while (running) {
        const batch = await Promise.allSettled(Array.from({ length: 8 }, () => echo({ port, host: 'my.app.com', path: '/', agent })));
        for (const r of batch) {
          if (r.status === 'fulfilled') seen.push(r.value.backend);
          else failures++;
        }
      }
    })();
    try {
      await new Promise((r) => setTimeout(r, 300));
      const before = seen.length;
      // green takes the label, blue loses it (one apply: both Services change).
      const started = Date.now();
      await h.apply(world({ blueLabels: { app: 'retired' }, greenLabels: { app: 'global-app' } }));
      const applied = Date.now() - started;
      await new Promise((r) => setTimeout(r, 300));
      const after = seen.slice(before);
      // Once applied (Envoy ACKed), only green answers.
      const lastBlue = after.lastIndexOf('blue');
      expect(after.slice(lastBlue + 1).length).toBeGreaterThan(20);
      expect(new Set(after.slice(lastBlue + 1))).toEqual(new Set(['green']));
      expect(seen.slice(0, before).every((b) => b === 'blue')).toBe(true);
      process.stdout.write(`label change: ${seen.length} requests, ${failures} failed, applied and ACKed in ${applied} ms\n`);
    } finally {
      running = false;
      await load;
      agent.destroy();
    }
    expect(failures).toBe(0);
  });
});
