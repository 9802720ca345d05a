// The translator's caches must only save work: after any sequence of changes the result equals a
// fresh translation, and the IR objects a change did not touch keep their identity.
import { describe, expect, it } from '@jest/globals';
import { validate, type GatewayIR, type VirtualHostIR } from '@gantry/ir';
import type { EndpointSlice, Gateway, GatewayClass, HTTPRoute, KubeObject, Namespace, Pod, ReferenceGrant, Secret, Service, Snapshot, Upstream } from '@gantry/api';
import { emptySnapshot } from '@gantry/api';
import { TypeUrl, XdsTranslator, diffResourceSets, translateXds, type XdsSnapshot } from '@gantry/xds';
import { GatewayTranslator, translate } from '../index.js';
import { printable, routesOf, toYaml } from '../testing/index.js';
import { seededRandom } from '../testing/seeded-random.js';

const gatewayClass: GatewayClass = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'GatewayClass',
  metadata: { name: 'gantry' },
  spec: { controllerName: 'gantry.dev/gatewayclass-controller' },
};

function gateway(listeners: Gateway['spec'] extends infer S ? (S extends { listeners?: infer L } ? L : never) : never, name = 'gw'): Gateway {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name, namespace: 'default', generation: 1 },
    spec: { gatewayClassName: 'gantry', listeners },
  };
}

function route(name: string, opts: { hostnames?: string[]; path?: string; backend?: string; ns?: string; section?: string; gw?: string; upstream?: boolean } = {}): HTTPRoute {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, namespace: opts.ns ?? 'default', generation: 1, creationTimestamp: '2024-01-01T00:00:00Z' },
    spec: {
      parentRefs: [{ name: opts.gw ?? 'gw', namespace: 'default', ...(opts.section ? { sectionName: opts.section } : {}) }],
      ...(opts.hostnames ? { hostnames: opts.hostnames } : {}),
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: opts.path ?? `/${name}` } }],
          backendRefs: [
            opts.upstream
              ? { group: 'gateway.gantry.dev', kind: 'Upstream', name: opts.backend ?? name, namespace: 'default' }
              : { name: opts.backend ?? name, namespace: 'default', port: 80 },
          ],
        },
      ],
    },
  };
}

function service(name: string, appProtocol?: string): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: { ports: [{ name: 'http', port: 80, ...(appProtocol ? { appProtocol } : {}) }] },
  };
}

function upstream(name: string, spec: Upstream['spec']): Upstream {
  return { apiVersion: 'gateway.gantry.dev/v1alpha1', kind: 'Upstream', metadata: { name, namespace: 'default', generation: 1 }, spec };
}

function pod(name: string, labels: Record<string, string>): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels } };
}

/** Endpoints with targetRefs to the Pods `p-<last octet>`. */
function podSlice(svc: string, addresses: string[], suffix = 'a'): EndpointSlice {
  const s = slice(svc, addresses, suffix);
  return { ...s, endpoints: addresses.map((a) => ({ addresses: [a], targetRef: { kind: 'Pod', name: `p-${a.split('.')[3]}`, namespace: 'default' } })) };
}

function slice(svc: string, addresses: string[], suffix = 'a'): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${svc}-${suffix}`, namespace: 'default', labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080 }],
    endpoints: addresses.map((a) => ({ addresses: [a] })),
  };
}

function snapshot(parts: Partial<Snapshot>): Snapshot {
  return { ...emptySnapshot(), gatewayClasses: [gatewayClass], ...parts };
}


function vhost(ir: GatewayIR, name: string): VirtualHostIR {
  for (const l of ir.listeners) for (const fc of l.filterChains) for (const vh of fc.routeConfig.virtualHosts) if (vh.name === name) return vh;
  throw new Error(`no vhost ${name}`);
}

describe('structural sharing', () => {
  const names = ['a', 'b', 'c', 'd'];
  const base = snapshot({
    gateways: [gateway([{ name: 'http', port: 80, protocol: 'HTTP' }])],
    httpRoutes: names.map((n) => route(n, { hostnames: [`${n}.example.com`] })),
    services: names.map((n) => service(n)),
    endpointSlices: names.map((n) => slice(n, ['10.0.0.1', '10.0.0.2'])),
  });

  it('returns the very same objects when nothing changed', () => {
    const t = new GatewayTranslator();
    const r1 = t.translate(base);
    const r2 = t.translate({ ...base, httpRoutes: [...base.httpRoutes], services: [...base.services] });
    expect(r2.gateways.get('default/gw')).toBe(r1.gateways.get('default/gw'));
    expect(r2.statuses).toBe(r1.statuses);
  });

  it('routes moving between Services (clusters added and dropped several at a time) give a fresh translation\'s clusters and endpoints', () => {
    const services = Array.from({ length: 40 }, (_, i) => `s${String(i).padStart(2, '0')}`);
    const fixed = {
      gateways: [gateway([{ name: 'http', port: 80, protocol: 'HTTP' as const }])],
      services: services.map((n) => service(n)),
      endpointSlices: services.map((n, i) => slice(n, [`10.0.${i}.1`, `10.0.${i}.2`])),
    };
    // Unchanged routes stay the same objects, so the assembler patches rather than rebuilds.
    let routes = Array.from({ length: 30 }, (_, i) => route(`r${i}`, { hostnames: [`h${i % 5}.example.com`], backend: services[i % 20]! }));
    const t = new GatewayTranslator();
    t.translate(snapshot({ ...fixed, httpRoutes: routes }));
    let seed = 7;
    const next = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
    for (let step = 0; step < 40; step++) {
      routes = routes.slice();
      for (let k = 0, moves = 1 + next(4); k < moves; k++) {
        const i = next(routes.length);
        routes[i] = route(`r${i}`, { hostnames: [`h${i % 5}.example.com`], backend: services[next(services.length)]! });
      }
      const s = snapshot({ ...fixed, httpRoutes: routes });
      const ir = t.translate(s).gateways.get('default/gw') as GatewayIR;
      const fresh = translate(s).gateways.get('default/gw') as GatewayIR;
      expect(ir.clusters.map((c) => c.name)).toEqual(fresh.clusters.map((c) => c.name));
      expect(ir.endpoints).toEqual(fresh.endpoints);
    }
  });

  it('a route change replaces only that route, its virtual host and what contains them', () => {
    const t = new GatewayTranslator();
    const r1 = t.translate(base);
    const ir1 = r1.gateways.get('default/gw') as GatewayIR;
    const changed = route('b', { hostnames: ['b.example.com'], path: '/other' });
    const r2 = t.translate({ ...base, httpRoutes: base.httpRoutes.map((r) => (r.metadata.name === 'b' ? changed : r)) });
    const ir2 = r2.gateways.get('default/gw') as GatewayIR;
    expect(ir2).not.toBe(ir1);
    expect(vhost(ir2, 'http-80/b.example.com')).not.toBe(vhost(ir1, 'http-80/b.example.com'));
    for (const n of ['a', 'c', 'd']) expect(vhost(ir2, `http-80/${n}.example.com`)).toBe(vhost(ir1, `http-80/${n}.example.com`));
    expect(ir2.clusters).toBe(ir1.clusters);
    expect(ir2.endpoints).toBe(ir1.endpoints);
    expect(ir2.secrets).toBe(ir1.secrets);
    // Status: only the changed route's report is new (its spec changed, not its status).
    const byName = (r: typeof r1, name: string) => r.statuses.find((s) => s.name === name);
    for (const n of ['a', 'c', 'd', 'gw', 'gantry']) expect(byName(r2, n)).toBe(byName(r1, n));
    expect(toYaml(printable(r2))).toEqual(toYaml(printable(translate({ ...base, httpRoutes: base.httpRoutes.map((r) => (r.metadata.name === 'b' ? changed : r)) }))));
  });

  it('an endpoint change replaces only that cluster\'s endpoints', () => {
    const t = new GatewayTranslator();
    const ir1 = t.translate(base).gateways.get('default/gw') as GatewayIR;
    const s2 = { ...base, endpointSlices: base.endpointSlices.map((s) => (s.metadata.name === 'c-a' ? slice('c', ['10.0.0.9']) : s)) };
    const r2 = t.translate(s2);
    const ir2 = r2.gateways.get('default/gw') as GatewayIR;
    expect(ir2.listeners).toBe(ir1.listeners);
    expect(ir2.clusters).toBe(ir1.clusters);
    expect(ir2.endpoints).not.toBe(ir1.endpoints);
    ir2.endpoints.forEach((e, i) => {
      if (e.cluster === 'kube/default/c/80') {
        expect(e).not.toBe(ir1.endpoints[i]);
        expect(e.endpoints).toEqual([{ address: '10.0.0.9', port: 8080 }]);
      } else expect(e).toBe(ir1.endpoints[i]);
    });
    // No route was re-translated: every status report is the same object.
    expect(r2.statuses).toBe(t.translate(s2).statuses);
  });

  it('a slice change that does not change ready endpoints changes nothing', () => {
    const t = new GatewayTranslator();
    const ir1 = t.translate(base).gateways.get('default/gw');
    const notReady: EndpointSlice = { ...slice('a', ['10.0.0.1', '10.0.0.2']), endpoints: [{ addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.2'] }, { addresses: ['10.0.0.3'], conditions: { ready: false } }] };
    const ir2 = t.translate({ ...base, endpointSlices: base.endpointSlices.map((s) => (s.metadata.name === 'a-a' ? notReady : s)) }).gateways.get('default/gw');
    expect(ir2).toBe(ir1);
  });

  it('a Service change re-translates the routes that use it, keeping equal RouteIR objects', () => {
    const t = new GatewayTranslator();
    const ir1 = t.translate(base).gateways.get('default/gw') as GatewayIR;
    // Same content, new object: nothing visible changes.
    const same = t.translate({ ...base, services: base.services.map((s) => (s.metadata.name === 'a' ? service('a') : s)) });
    expect(same.gateways.get('default/gw')).toBe(ir1);
    // appProtocol h2c: the cluster changes, the route does not.
    const h2c = t.translate({ ...base, services: base.services.map((s) => (s.metadata.name === 'a' ? service('a', 'kubernetes.io/h2c') : s)) });
    const ir3 = h2c.gateways.get('default/gw') as GatewayIR;
    expect(ir3.clusters.find((c) => c.name === 'kube/default/a/80')?.protocol).toBe('h2c');
    expect(ir3.listeners).toBe(ir1.listeners);
    expect(ir3.clusters.find((c) => c.name === 'kube/default/b/80')).toBe(ir1.clusters.find((c) => c.name === 'kube/default/b/80'));
  });

  it('a listener change rebuilds the Gateway but keeps unchanged virtual hosts and routes', () => {
    const t = new GatewayTranslator();
    const ir1 = t.translate(base).gateways.get('default/gw') as GatewayIR;
    const gw2 = gateway([
      { name: 'http', port: 80, protocol: 'HTTP' },
      { name: 'other', port: 8080, protocol: 'HTTP' },
    ]);
    const ir2 = t.translate({ ...base, gateways: [gw2] }).gateways.get('default/gw') as GatewayIR;
    expect(ir2.listeners.map((l) => l.name)).toEqual(['http-80', 'http-8080']);
    expect(ir2.listeners[0]).toBe(ir1.listeners[0]);
    const routes1 = new Set(routesOf(ir1));
    for (const r of routesOf(ir2).filter((r) => ir2.listeners[0]?.filterChains[0]?.routeConfig.virtualHosts.some((vh) => vh.routes.includes(r)))) {
      expect(routes1.has(r)).toBe(true);
    }
  });
});

// Test-only self-signed certificate (generated for these tests; not used anywhere else).
const TEST_CERT = 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJxVENDQVZDZ0F3SUJBZ0lVRHVFNmZ5Nnl0Zm5sSHgrWjQyMUk1TFZGKzA0d0NnWUlLb1pJemowRUF3SXcKRmpFVU1CSUdBMVVFQXd3TFpYaGhiWEJzWlM1amIyMHdJQmNOTWpZeE1USXhNVGsxTnpFMFdoZ1BNakV5TmpFdwpNamd4T1RVM01UUmFNQll4RkRBU0JnTlZCQU1NQzJWNFlXMXdiR1V1WTI5dE1Ga3dFd1lIS29aSXpqMENBUVlJCktvWkl6ajBEQVFjRFFnQUV6WjJZL01ZbFRPQlBpYis1OTQ2azAyVHZTYW0weGR4WTlpWit3WGROZWMydmFaQ04KQXYzVFRHcXdiUThibGYxWlZSNEc1UmZNeVVmTWEwOE8vb3lZQmFONk1IZ3dIUVlEVlIwT0JCWUVGRWx3bVpCYQpIeWs1cGc4R2ZtSnJvTTJFTGlyaU1COEdBMVVkSXdRWU1CYUFGRWx3bVpCYUh5azVwZzhHZm1Kcm9NMkVMaXJpCk1BOEdBMVVkRXdFQi93UUZNQU1CQWY4d0pRWURWUjBSQkI0d0hJSUxaWGhoYlhCc1pTNWpiMjJDRFNvdVpYaGgKYlhCc1pTNWpiMjB3Q2dZSUtvWkl6ajBFQXdJRFJ3QXdSQUlnYnRmUmF5eHM1dStaVkV5cDZLc1Bud1NLRlRadgoxREFDanhqb01jbWJBN29DSUZsVHk4NnVHMjA1N2Y3Zk9wTzRKYW8zVmJiL2I5UHpEaDhGYUFDRnovaTUKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=';
const TEST_KEY = 'LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JR0hBZ0VBTUJNR0J5cUdTTTQ5QWdFR0NDcUdTTTQ5QXdFSEJHMHdhd0lCQVFRZ0EvRkpTaW9IWHo4OTNvUHAKUnJ2ZFBpeVp3U3R3RGtNYk5ZV3VhQTBkdzl5aFJBTkNBQVROblpqOHhpVk00RStKdjduM2pxVFRaTzlKcWJURgozRmoySm43QmQwMTV6YTlwa0kwQy9kTk1hckJ0RHh1Vi9WbFZIZ2JsRjh6SlI4eHJUdzcrakpnRgotLS0tLUVORCBQUklWQVRFIEtFWS0tLS0tCg==';

function certSecret(): Secret {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'cert', namespace: 'default' }, type: 'kubernetes.io/tls', data: { 'tls.crt': TEST_CERT, 'tls.key': TEST_KEY } };
}

// ---- randomised equivalence -----------------------------------------------------------------

describe('Upstreams with a pod selector, and Upstream status', () => {
  const base = snapshot({
    gateways: [gateway([{ name: 'http', port: 80, protocol: 'HTTP' }])],
    httpRoutes: [route('r', { hostnames: ['r.example.com'], backend: 'v2', upstream: true })],
    services: [service('s')],
    endpointSlices: [podSlice('s', ['10.0.0.1', '10.0.0.2', '10.0.0.3'])],
    pods: [pod('p-1', { version: 'v1' }), pod('p-2', { version: 'v2' }), pod('p-3', { version: 'v1' })],
    others: [upstream('v2', { kube: { serviceName: 's', servicePort: 80, selector: { version: 'v2' } } })],
  });
  const endpointsOf = (ir: GatewayIR) => ir.endpoints.flatMap((e) => e.endpoints.map((x) => x.address));
  const upstreamStatus = (r: { statuses: readonly { kind: string; name: string; status: unknown }[] }, name: string) =>
    r.statuses.find((s) => s.kind === 'Upstream' && s.name === name)?.status as { endpoints?: number; conditions?: { type: string; status: string; reason: string }[] } | undefined;

  it('a Pod label change sends endpoints only: listeners and clusters keep their identity', () => {
    const t = new GatewayTranslator();
    const r1 = t.translate(base);
    const ir1 = r1.gateways.get('default/gw') as GatewayIR;
    expect(endpointsOf(ir1)).toEqual(['10.0.0.2']);
    expect(upstreamStatus(r1, 'v2')?.endpoints).toBe(1);
    const relabelled = { ...base, pods: base.pods.map((p) => (p.metadata.name === 'p-3' ? pod('p-3', { version: 'v2' }) : p)) };
    const r2 = t.translate(relabelled);
    const ir2 = r2.gateways.get('default/gw') as GatewayIR;
    expect(endpointsOf(ir2)).toEqual(['10.0.0.2', '10.0.0.3']);
    expect(ir2.listeners).toBe(ir1.listeners);
    expect(ir2.clusters).toBe(ir1.clusters);
    expect(upstreamStatus(r2, 'v2')?.endpoints).toBe(2);
    // A Pod that changes without a label change (a status update, seen as metadata) changes nothing.
    const touched = { ...relabelled, pods: relabelled.pods.map((p) => ({ ...p, metadata: { ...p.metadata, resourceVersion: '2' } })) };
    const r3 = t.translate(touched);
    expect(r3.gateways.get('default/gw')).toBe(ir2);
    expect(r3.statuses).toBe(r2.statuses);
  });

  it('the endpoint count follows the Service scaling, whether a route uses the Upstream or not', () => {
    const t = new GatewayTranslator();
    const unused = { ...base, httpRoutes: [], others: [upstream('all', { kube: { serviceName: 's', servicePort: 80 } })] };
    expect(upstreamStatus(t.translate(unused), 'all')?.endpoints).toBe(3);
    const scaled = { ...unused, endpointSlices: [podSlice('s', ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5'])] };
    expect(upstreamStatus(t.translate(scaled), 'all')?.endpoints).toBe(5);
    expect(upstreamStatus(t.translate({ ...scaled, endpointSlices: [] }), 'all')?.endpoints).toBe(0);
  });

  it('a grant that appears resolves a cross-namespace Upstream; a deleted Upstream loses its report', () => {
    const t = new GatewayTranslator();
    const elsewhere: Upstream = { ...upstream('x', { kube: { serviceName: 's', serviceNamespace: 'default', servicePort: 80 } }), metadata: { name: 'x', namespace: 'team', generation: 1 } };
    const s1 = { ...base, others: [elsewhere] };
    const refused = upstreamStatus(t.translate(s1), 'x');
    expect(refused?.conditions?.map((c) => `${c.type}=${c.status}/${c.reason}`)).toEqual(['Accepted=True/Accepted', 'ResolvedRefs=False/RefNotPermitted']);
    expect(refused?.endpoints).toBe(0);
    const grant: ReferenceGrant = {
      apiVersion: 'gateway.networking.k8s.io/v1beta1',
      kind: 'ReferenceGrant',
      metadata: { name: 'g', namespace: 'default' },
      spec: { from: [{ group: 'gateway.gantry.dev', kind: 'Upstream', namespace: 'team' }], to: [{ group: '', kind: 'Service', name: 's' }] },
    };
    const granted = upstreamStatus(t.translate({ ...s1, referenceGrants: [grant] }), 'x');
    expect(granted?.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual(['Accepted=True', 'ResolvedRefs=True']);
    expect(granted?.endpoints).toBe(3);
    expect(upstreamStatus(t.translate({ ...s1, referenceGrants: [grant], others: [] }), 'x')).toBeUndefined();
  });
});

describe('BackendTLSPolicy', () => {
  const CA = "-----BEGIN CERTIFICATE-----\nMIIBfjCCASWgAwIBAgIUDFDzNmSnWRTzzlm8oHfCd3yQuvMwCgYIKoZIzj0EAwIw\nFDESMBAGA1UEAwwJZ29sZGVuLWNhMCAXDTI2MTIwNDIxMjgwMFoYDzIxMjYxMTEw\nMjEyODAwWjAUMRIwEAYDVQQDDAlnb2xkZW4tY2EwWTATBgcqhkjOPQIBBggqhkjO\nPQMBBwNCAASOgb2GalaO09EKDV4irNb5mxwtoqnQj9S9d5wBfX8OOUzCmX1uI4nJ\nlyLEBhAfA5ovdVlQSpqoSJItiNFbMo+Uo1MwUTAdBgNVHQ4EFgQUDvyblS73vnBf\nGgLpvY5XMvqYEtMwHwYDVR0jBBgwFoAUDvyblS73vnBfGgLpvY5XMvqYEtMwDwYD\nVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNHADBEAiB+I2vbBFPGk9oPd6hsXuG1\noQYd8Aancaxj0OYlvem2FwIgeUci4KUHh4EebBEjIhnhtTTb42BHjBSue6pRlug0\nbCY=\n-----END CERTIFICATE-----\n";
  const base = snapshot({
    gateways: [gateway([{ name: 'http', port: 80, protocol: 'HTTP' }])],
    httpRoutes: [route('a'), route('b')],
    services: [service('a'), service('b')],
    endpointSlices: [slice('a', ['10.0.0.1']), slice('b', ['10.0.0.2'])],
  });
  const configMap = (data: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ca', namespace: 'default' }, data } as KubeObject);
  const policy: KubeObject = {
    apiVersion: 'gateway.networking.k8s.io/v1', kind: 'BackendTLSPolicy', metadata: { name: 'tls-a', namespace: 'default', generation: 1 },
    spec: { targetRefs: [{ group: '', kind: 'Service', name: 'a', sectionName: 'http' }], validation: { hostname: 'a.example.com', caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'ca' }] } },
  } as KubeObject;
  const clusterA = (ir: GatewayIR | undefined) => ir?.clusters.find((c) => c.name === 'kube/default/a/80');
  const fresh = (s: Snapshot) => toYaml(printable(translate(s)));

  it('a policy (and its CA) that comes, changes and goes re-translates the routes of its Service', () => {
    const t = new GatewayTranslator();
    const r1 = t.translate(base);
    expect(clusterA(r1.gateways.get('default/gw'))?.tls).toBeUndefined();
    const withPolicy = { ...base, others: [policy, { ...configMap(CA) } as KubeObject] };
    // Shaped like a ConfigMap from the API server: data at the top.
    (withPolicy.others[1] as unknown as { data: Record<string, string> }).data = { 'ca.crt': CA };
    const r2 = t.translate(withPolicy);
    expect(clusterA(r2.gateways.get('default/gw'))?.tls).toMatchObject({ sni: 'a.example.com', verify: { subjectAltNames: [{ type: 'dns', value: 'a.example.com' }] } });
    expect(toYaml(printable(r2))).toEqual(fresh(withPolicy));
    const bRoute = (r: typeof r1) => r.statuses.find((x) => x.name === 'b');
    expect(bRoute(r2)).toBe(bRoute(r1));

    const badCA = { ...base, others: [policy, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ca', namespace: 'default' }, data: { 'ca.crt': 'garbage' } } as KubeObject] };
    const r3 = t.translate(badCA);
    expect(clusterA(r3.gateways.get('default/gw'))).toBeUndefined();
    expect(JSON.stringify(r3.statuses.find((x) => x.kind === 'BackendTLSPolicy'))).toContain('NoValidCACertificate');
    expect(toYaml(printable(r3))).toEqual(fresh(badCA));

    const r4 = t.translate(base);
    expect(clusterA(r4.gateways.get('default/gw'))?.tls).toBeUndefined();
    expect(r4.statuses.some((x) => x.kind === 'BackendTLSPolicy')).toBe(false);
    expect(toYaml(printable(r4))).toEqual(fresh(base));
  });
});

describe('incremental equals fresh', () => {
  it('over a long random sequence of changes', () => {
    const rand = seededRandom(42);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    const hosts = ['a.example.com', 'b.example.com', '*.example.com', 'x.other.org', '*.other.org'];
    const listenerSets: Gateway['spec'] extends infer S ? (S extends { listeners?: infer L } ? L : never)[] : never = [
      [{ name: 'http', port: 80, protocol: 'HTTP' }],
      [
        { name: 'http', port: 80, protocol: 'HTTP' },
        { name: 'wild', port: 80, protocol: 'HTTP', hostname: '*.example.com' },
      ],
      [
        { name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'All' } } },
        { name: 'sel', port: 8080, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { team: 'x' } } } } },
      ],
      [
        { name: 'https', port: 443, protocol: 'HTTPS', tls: { certificateRefs: [{ name: 'cert' }] } },
        { name: 'https-a', port: 443, protocol: 'HTTPS', hostname: 'a.example.com', tls: { certificateRefs: [{ name: 'cert' }] } },
        { name: 'http', port: 80, protocol: 'HTTP' },
      ],
    ];
    const svcNames = ['s1', 's2', 's3', 'missing'];
    const upstreamNames = ['u1', 'u2'];
    let state = {
      gateways: [gateway(listenerSets[0] ?? []), gateway([{ name: 'http', port: 9090, protocol: 'HTTP' }], 'gw2')],
      routes: new Map<string, HTTPRoute>(),
      services: new Map<string, Service>(svcNames.slice(0, 3).map((n) => [n, service(n)])),
      slices: new Map<string, EndpointSlice>(svcNames.slice(0, 3).map((n) => [n, podSlice(n, ['10.0.0.1'])])),
      upstreams: new Map<string, Upstream>(),
      pods: new Map<string, Pod>(),
      namespaces: [] as Namespace[],
      grants: [] as ReferenceGrant[],
      secrets: [] as Secret[],
    };
    const build = (): Snapshot =>
      snapshot({
        gateways: state.gateways,
        httpRoutes: [...state.routes.values()],
        services: [...state.services.values()],
        endpointSlices: [...state.slices.values()],
        pods: [...state.pods.values()],
        others: [...state.upstreams.values()],
        namespaces: state.namespaces,
        referenceGrants: state.grants,
        secrets: state.secrets,
      });
    const t = new GatewayTranslator();
    const xds = new Map<string, { translator: XdsTranslator; snapshot: XdsSnapshot }>();
    for (let step = 0; step < 400; step++) {
      const op = rand();
      if (op < 0.35) {
        const name = `r${Math.floor(rand() * 12)}`;
        const ns = rand() < 0.8 ? 'default' : 'team';
        const hostnames = rand() < 0.3 ? undefined : [pick(hosts), ...(rand() < 0.3 ? [pick(hosts)] : [])];
        const toUpstream = rand() < 0.4;
        const backend = toUpstream ? pick(upstreamNames) : pick(svcNames);
        state.routes.set(`${ns}/${name}`, route(name, { ns, backend, upstream: toUpstream, path: pick(['/', '/a', '/a/b', '/c']), gw: rand() < 0.8 ? 'gw' : 'gw2', ...(hostnames ? { hostnames } : {}) }));
      } else if (op < 0.45) {
        const keys = [...state.routes.keys()];
        if (keys.length > 0) state.routes.delete(pick(keys));
      } else if (op < 0.55) {
        const n = pick(svcNames);
        if (rand() < 0.2) state.services.delete(n);
        else state.services.set(n, service(n, pick([undefined, 'kubernetes.io/h2c', 'kubernetes.io/ws', 'bogus'])));
      } else if (op < 0.7) {
        const n = pick(svcNames);
        const addrs = Array.from({ length: Math.floor(rand() * 3) }, () => `10.0.0.${Math.floor(rand() * 5)}`);
        const which = rand();
        if (which < 0.15) state.slices.delete(n);
        else if (which < 0.35) {
          // A second slice that moves between Services (its service-name label changes).
          const moving = slice(n, addrs, 'moving');
          state.slices.set('moving', { ...moving, metadata: { ...moving.metadata, name: 'moving' } });
        } else state.slices.set(n, podSlice(n, addrs));
      } else if (op < 0.8) {
        // Upstreams of Services (with or without a pod selector) or static hosts, and Pod labels.
        const which = rand();
        const n = pick(upstreamNames);
        if (which < 0.1) state.upstreams.delete(n);
        else if (which < 0.45) {
          const selector = rand() < 0.8 ? { selector: { version: pick(['v1', 'v2']) } } : {};
          state.upstreams.set(n, upstream(n, { kube: { serviceName: pick(svcNames), servicePort: rand() < 0.9 ? 80 : 81, ...selector } }));
        } else if (which < 0.52) state.upstreams.set(n, upstream(n, { static: { hosts: [{ addr: '10.9.0.1', port: 8080 }] } }));
        else {
          const p = `p-${Math.floor(rand() * 5)}`;
          if (rand() < 0.2) state.pods.delete(p);
          else state.pods.set(p, pod(p, { version: pick(['v1', 'v2']) }));
        }
      } else if (op < 0.83) {
        state.gateways = [gateway(pick(listenerSets)), ...state.gateways.slice(1)];
      } else if (op < 0.88) {
        state.namespaces = rand() < 0.5 ? [] : [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team', labels: { team: 'x' } } }];
      } else if (op < 0.94) {
        state.grants =
          rand() < 0.5
            ? []
            : [
                {
                  apiVersion: 'gateway.networking.k8s.io/v1beta1',
                  kind: 'ReferenceGrant',
                  metadata: { name: 'g', namespace: 'default' },
                  spec: { from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'team' }], to: [{ group: '', kind: 'Service' }] },
                },
              ];
      } else if (op < 0.97) {
        // Certificate appears, disappears or rotates (same content, new object).
        state.secrets = rand() < 0.3 ? [] : [certSecret()];
      } else {
        // A no-op: same objects, new arrays.
        state = { ...state, gateways: [...state.gateways] };
      }
      const snap = build();
      const result = t.translate(snap);
      const incremental = JSON.stringify(printable(result));
      const fresh = JSON.stringify(printable(translate(snap)));
      if (incremental !== fresh) throw new Error(`step ${step}: incremental result differs from a fresh translation`);
      // Downstream, the xds translator patches its sets from IR changes: same resources as a fresh
      // translation, and a change hint that names everything that changed.
      for (const [key, ir] of result.gateways) {
        const problems = validate(ir);
        if (problems.length > 0) throw new Error(`step ${step}: ${key}: invalid IR: ${problems.join('; ')}`);
        let entry = xds.get(key);
        const before = entry?.snapshot;
        entry ??= { translator: new XdsTranslator(), snapshot: translateXds(ir) };
        entry.snapshot = entry.translator.translate(ir);
        xds.set(key, entry);
        const again = translateXds(ir);
        for (const type of Object.values(TypeUrl)) {
          const got = [...entry.snapshot[type].values()].map((r) => `${r.name}@${r.version}`);
          const want = [...again[type].values()].map((r) => `${r.name}@${r.version}`);
          if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`step ${step}: ${key} ${type} differs from a fresh xDS translation`);
          const hint = entry.translator.lastChanges?.[type];
          if (before === undefined || entry.translator.lastChanges === undefined) continue;
          const named = new Set(hint ?? []);
          for (const name of diffResourceSets(before[type], entry.snapshot[type])) {
            if (!named.has(name)) throw new Error(`step ${step}: ${key} ${type} ${name} changed but the hint does not name it`);
          }
        }
      }
    }
    expect(true).toBe(true);
  });
});
