import { describe, expect, it, jest } from '@jest/globals';
import type { ClusterIR, GatewayIR, ListenerIR, RouteIR, VirtualHostIR } from '@gantry/ir';
import { Cluster, ClusterLoadAssignment, Listener, Route, RouteConfiguration, Secret, toEnvoyJson } from '@gantry/envoy-xds-proto';
import { ScopedRouteConfiguration } from '@gantry/envoy-xds-proto/generated/envoy/config/route/v3/scoped_route';
import { TypeUrl } from '../resources.js';
import { ClusterEncoder, buildCluster } from './cluster.js';
import { buildLoadAssignment, encodeLoadAssignment } from './endpoints.js';
import { hashBytes, hashParts, versionOf } from './hash.js';
import { snapshotToEnvoyJson } from './json.js';
import { buildRoute } from './route.js';
import { CHUNK_SIZE, RouteTableEncoder } from './route-config.js';
import { goldenCases } from './testing/index.js';
import { XdsTranslator, translateXds } from './translator.js';

const CLUSTER = 'kube/default/echo/8080';

function route(i: number, prefix = `/r/${i}`): RouteIR {
  return {
    name: `httproute/default/r${i}/rule/0/match/0`,
    match: { path: { type: 'PathPrefix', value: prefix } },
    action: i % 7 === 0 ? { kind: 'redirect', hostname: 'elsewhere.example.com', statusCode: 301 } : { kind: 'forward', backends: [{ cluster: CLUSTER, weight: 1 }] },
    ...(i % 5 === 0 ? { requestHeaders: { set: [{ name: 'x-i', value: String(i) }] } } : {}),
  };
}

function vhost(name: string, routes: readonly RouteIR[]): VirtualHostIR {
  return { name, domains: [name, `*.${name}`], routes };
}

function listenerWith(virtualHosts: readonly VirtualHostIR[], port = 80): ListenerIR {
  return {
    name: `http-${port}`,
    port,
    protocol: 'HTTP',
    filterChains: [{ name: `http-${port}`, serverNames: [], routeConfig: { name: `http-${port}`, virtualHosts } }],
  };
}

function gateway(listeners: readonly ListenerIR[], clusters: readonly ClusterIR[] = [{ name: CLUSTER, protocol: 'http1' }]): GatewayIR {
  return {
    key: 'default/gw',
    namespace: 'default',
    name: 'gw',
    listeners,
    clusters,
    endpoints: [{ cluster: CLUSTER, endpoints: [{ address: '10.0.0.1', port: 8080 }] }],
    secrets: [],
  };
}

/** The route table encoded the plain way: one message, one encode. */
function plainRouteTable(l: ListenerIR): Uint8Array {
  const rc = l.filterChains[0]!.routeConfig;
  const ctx = { protocol: l.protocol, port: l.port };
  return RouteConfiguration.encode(
    RouteConfiguration.fromPartial({
      name: rc.name,
      virtualHosts: rc.virtualHosts.map((vh) => ({ name: vh.name, domains: [...vh.domains], routes: vh.routes.map((r) => buildRoute(r, ctx)) })),
      ignorePortInHostMatching: true,
    }),
  ).finish();
}

describe('route tables assembled from cached parts', () => {
  const shapes: Record<string, VirtualHostIR[]> = {
    'a few small virtual hosts': [vhost('a.example.com', [route(1), route(2)]), vhost('b.example.com', [route(3)])],
    'one virtual host with several chunks of routes': [vhost('big.example.com', Array.from({ length: CHUNK_SIZE * 2 + 17 }, (_, i) => route(i)))],
    'more virtual hosts than a chunk holds': Array.from({ length: CHUNK_SIZE + 40 }, (_, i) => vhost(`h${i}.example.com`, [route(i)])),
    'small and large hosts mixed': [
      vhost('s1.example.com', [route(1)]),
      vhost('l.example.com', Array.from({ length: CHUNK_SIZE + 1 }, (_, i) => route(i + 10))),
      vhost('s2.example.com', []),
    ],
    'no virtual hosts': [],
  };
  for (const [shape, virtualHosts] of Object.entries(shapes)) {
    it(`equal a plain encode byte for byte: ${shape}`, () => {
      const l = listenerWith(virtualHosts);
      const assembled = new RouteTableEncoder().encode([l], 'single').routes.get('http-80')!;
      expect(Buffer.from(assembled.bytes).equals(Buffer.from(plainRouteTable(l)))).toBe(true);
      expect(toEnvoyJson(RouteConfiguration.decode(assembled.bytes))).toEqual(toEnvoyJson(RouteConfiguration.decode(plainRouteTable(l))));
    });
  }

  it('stay equal to a plain encode across edits (change, insert, remove, move between hosts)', () => {
    const encoder = new RouteTableEncoder();
    const big = Array.from({ length: CHUNK_SIZE * 3 }, (_, i) => route(i));
    const edits: VirtualHostIR[][] = [
      [vhost('a.example.com', big), vhost('b.example.com', [route(9000)])],
      [vhost('a.example.com', big.map((r, i) => (i === 200 ? route(200, '/changed') : r))), vhost('b.example.com', [route(9000)])],
      [vhost('a.example.com', [route(5000), ...big]), vhost('b.example.com', [route(9000)])],
      [vhost('a.example.com', big.slice(1)), vhost('b.example.com', [route(9000), big[0]!])],
      [vhost('b.example.com', [route(9000)]), vhost('a.example.com', big.slice(0, 3))],
    ];
    for (const virtualHosts of edits) {
      const l = listenerWith(virtualHosts);
      const assembled = encoder.encode([l], 'single').routes.get('http-80')!;
      expect(Buffer.from(assembled.bytes).equals(Buffer.from(plainRouteTable(l)))).toBe(true);
      expect(assembled.version).toEqual(new RouteTableEncoder().encode([l], 'single').routes.get('http-80')!.version);
    }
  });

  it('encode a redirect once per listener port, other routes once in all', () => {
    const shared = [route(7), route(8)];
    const ir = gateway([listenerWith([vhost('x.example.com', shared)], 80), listenerWith([vhost('x.example.com', shared)], 8080)]);
    const spy = jest.spyOn(Route, 'encode');
    try {
      const s = translateXds(ir);
      // route(8) is a plain forward (direct encoder, no Route.encode); route(7) redirects.
      expect(spy).toHaveBeenCalledTimes(2);
      const json = (name: string): string => JSON.stringify(toEnvoyJson(RouteConfiguration.decode(s[TypeUrl.RouteConfiguration].get(name)!.bytes)));
      expect(json('http-80')).not.toContain('portRedirect');
      expect(json('http-8080')).toContain('"portRedirect":8080');
    } finally {
      spy.mockRestore();
    }
  });
});

describe('incremental translation', () => {
  const routes = Array.from({ length: 500 }, (_, i) => route(i));
  const hosts = Array.from({ length: 5 }, (_, h) => vhost(`h${h}.example.com`, routes.slice(h * 100, h * 100 + 100)));
  const base = gateway([listenerWith(hosts), listenerWith([vhost('other.example.com', [route(1)])], 9090)]);

  function withRoute(ir: GatewayIR, r: RouteIR): GatewayIR {
    const [first, second] = ir.listeners;
    const vhs = first!.filterChains[0]!.routeConfig.virtualHosts.map((vh) =>
      vh.routes.some((x) => x.name === r.name) ? { ...vh, routes: vh.routes.map((x) => (x.name === r.name ? r : x)) } : vh,
    );
    return { ...ir, listeners: [listenerWith(vhs), second!] };
  }

  it('re-encodes only the changed route, and versions move exactly with the bytes', () => {
    const translator = new XdsTranslator();
    const before = translator.translate(base);
    const spy = jest.spyOn(Route, 'encode');
    try {
      const edited = withRoute(base, route(250, '/edited'));
      const after = translator.translate(edited);
      expect(spy).toHaveBeenCalledTimes(1);

      const rds = TypeUrl.RouteConfiguration;
      expect(after[rds].get('http-80')!.version).not.toEqual(before[rds].get('http-80')!.version);
      expect(after[rds].get('http-9090')).toBe(before[rds].get('http-9090'));
      expect(after[TypeUrl.Cluster]).toBe(before[TypeUrl.Cluster]);
      expect(after[TypeUrl.ClusterLoadAssignment]).toBe(before[TypeUrl.ClusterLoadAssignment]);
      expect(after[TypeUrl.Listener].get('http-80')!.version).toEqual(before[TypeUrl.Listener].get('http-80')!.version);

      // Back to equal content in new objects: the version is the original one again.
      const reverted = translator.translate(withRoute(edited, route(250)));
      expect(reverted[rds].get('http-80')!.version).toEqual(before[rds].get('http-80')!.version);
      expect(Buffer.from(reverted[rds].get('http-80')!.bytes).equals(Buffer.from(before[rds].get('http-80')!.bytes))).toBe(true);
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      spy.mockRestore();
    }
  });

  it('does not encode a listener again when only its routes changed, and does when its chains did', () => {
    const translator = new XdsTranslator();
    const before = translator.translate(base);
    const spy = jest.spyOn(Listener, 'encode');
    try {
      const after = translator.translate(withRoute(base, route(250, '/edited')));
      expect(spy).not.toHaveBeenCalled();
      expect(after[TypeUrl.Listener].get('http-80')).toBe(before[TypeUrl.Listener].get('http-80'));
      // The same routes behind another table name: the listener names that table, so it changes.
      const [first, second] = base.listeners;
      const chain = first!.filterChains[0]!;
      const renamed = { ...base, listeners: [{ ...first!, filterChains: [{ ...chain, routeConfig: { ...chain.routeConfig, name: 'renamed' } }] }, second!] };
      const third = translator.translate(renamed);
      expect(spy).toHaveBeenCalledTimes(1);
      expect(third[TypeUrl.Listener].get('http-80')!.version).not.toEqual(before[TypeUrl.Listener].get('http-80')!.version);
      expect(Buffer.from(third[TypeUrl.Listener].get('http-80')!.bytes).equals(Buffer.from(translateXds(renamed)[TypeUrl.Listener].get('http-80')!.bytes))).toBe(true);
    } finally {
      spy.mockRestore();
    }
  });

  it('returns the same snapshot for the same IR, and replaces only assignments on an endpoint change', () => {
    const translator = new XdsTranslator();
    const s1 = translator.translate(base);
    expect(translator.translate(base)).toBe(s1);
    const s2 = translator.translate({ ...base, endpoints: [{ cluster: CLUSTER, endpoints: [{ address: '10.0.0.2', port: 8080 }] }] });
    expect(s2[TypeUrl.RouteConfiguration]).toBe(s1[TypeUrl.RouteConfiguration]);
    expect(s2[TypeUrl.Cluster]).toBe(s1[TypeUrl.Cluster]);
    expect(s2[TypeUrl.ClusterLoadAssignment].get(CLUSTER)!.version).not.toEqual(s1[TypeUrl.ClusterLoadAssignment].get(CLUSTER)!.version);
  });

  it('serves an empty assignment to a cluster without endpoints', () => {
    const s = translateXds({ ...base, clusters: [{ name: 'a/empty', protocol: 'http1' }, { name: CLUSTER, protocol: 'http1' }] });
    expect([...s[TypeUrl.ClusterLoadAssignment].keys()]).toEqual(['a/empty', CLUSTER]);
    expect(ClusterLoadAssignment.decode(s[TypeUrl.ClusterLoadAssignment].get('a/empty')!.bytes).endpoints).toEqual([]);
  });
});

describe('listeners', () => {
  it('bind dual-stack on ::, and a listener without filter chains is left out', () => {
    const ir = gateway([listenerWith([vhost('a.example.com', [route(1)])]), { name: 'https-443', port: 443, protocol: 'HTTPS', filterChains: [] }]);
    const s = translateXds(ir, { listenAddress: '::' });
    expect([...s[TypeUrl.Listener].keys()]).toEqual(['http-80']);
    expect(toEnvoyJson(Listener.decode(s[TypeUrl.Listener].get('http-80')!.bytes))).toMatchObject({
      address: { socketAddress: { address: '::', portValue: 80, ipv4Compat: true } },
    });
  });
});

describe('direct encoders', () => {
  it('encode assignments exactly as the generated code does', () => {
    const cases = [
      { cluster: 'kube/ns/svc/80', endpoints: [] },
      { cluster: 'kube/ns/svc/80', endpoints: [{ address: '10.0.0.1', port: 80 }, { address: 'fd00::1', port: 65535 }, { address: '10.0.0.2', port: 0 }] },
      { cluster: 'upstream/ns/ünïcode', endpoints: Array.from({ length: 300 }, (_, i) => ({ address: `10.0.${i >> 8}.${i & 255}`, port: 8000 + i })) },
      { cluster: 'bad-ports', endpoints: [{ address: '10.0.0.1', port: -1 }, { address: '10.0.0.2', port: 70000 }, { address: '10.0.0.3', port: 1.5 }] },
      { cluster: 'some-bad', endpoints: [{ address: '10.0.0.1', port: 0 }, { address: '10.0.0.2', port: 80 }] },
      // Localities and priorities (a VirtualDestination across clusters): grouped, priorities made dense.
      { cluster: 'vd/global/app/8080', endpoints: [
        { address: '10.0.0.1', port: 9080, locality: 'local' },
        { address: '10.60.0.1', port: 9080, locality: 'east', priority: 1 },
        { address: '10.70.0.1', port: 9080, locality: 'west', priority: 1 },
        { address: '10.0.0.2', port: 9080, locality: 'local' },
      ] },
      { cluster: 'remote-only', endpoints: [{ address: '10.60.0.1', port: 9080, locality: 'east', priority: 1 }] },
      { cluster: 'spread', endpoints: [{ address: '10.60.0.1', port: 9080, locality: 'east' }, { address: '10.0.0.1', port: 9080, locality: '' }] },
    ];
    for (const c of cases) {
      const reference = ClusterLoadAssignment.encode(buildLoadAssignment(c)).finish();
      expect(Buffer.from(encodeLoadAssignment(c)).equals(Buffer.from(reference))).toBe(true);
    }
  });

  it('encode clusters that decode to the generated message', () => {
    const encoder = new ClusterEncoder();
    const clusters: ClusterIR[] = [
      { name: 'kube/a/b/80', protocol: 'http1' },
      { name: 'kube/a/c/80', protocol: 'h2c', connectTimeoutMs: 1234 },
      { name: 'kube/a/d/80', protocol: 'h2c', connectTimeoutMs: 1234 },
    ];
    for (const c of clusters) {
      expect(toEnvoyJson(Cluster.decode(encoder.encode(c)))).toEqual(toEnvoyJson(buildCluster(c)));
    }
  });
});

describe('every golden resource', () => {
  it('decodes and re-encodes to the same message', () => {
    function roundTrip<M>(codec: { decode(b: Uint8Array): M; encode(m: M): { finish(): Uint8Array } }, bytes: Uint8Array): void {
      const decoded = codec.decode(bytes);
      expect(codec.decode(codec.encode(decoded).finish())).toEqual(decoded);
    }
    for (const c of goldenCases()) {
      const s = translateXds(c.ir);
      for (const r of s[TypeUrl.Listener].values()) roundTrip(Listener, r.bytes);
      for (const r of s[TypeUrl.RouteConfiguration].values()) roundTrip(RouteConfiguration, r.bytes);
      for (const r of s[TypeUrl.ScopedRouteConfiguration].values()) roundTrip(ScopedRouteConfiguration, r.bytes);
      for (const r of s[TypeUrl.Cluster].values()) roundTrip(Cluster, r.bytes);
      for (const r of s[TypeUrl.ClusterLoadAssignment].values()) roundTrip(ClusterLoadAssignment, r.bytes);
      for (const r of s[TypeUrl.Secret].values()) roundTrip(Secret, r.bytes);
    }
  });
});

describe('secrets in JSON', () => {
  const tls = goldenCases().find((c) => c.ir.secrets.length > 0)!;
  it('are redacted by default', () => {
    const out = JSON.stringify(snapshotToEnvoyJson(translateXds(tls.ir)));
    expect(out).toContain('<redacted>');
    expect(out).not.toContain('PRIVATE KEY');
    expect(out).toContain('BEGIN CERTIFICATE');
  });
  it('carry the key only when asked', () => {
    expect(JSON.stringify(snapshotToEnvoyJson(translateXds(tls.ir), { redactSecrets: false }))).toContain('PRIVATE KEY');
  });
});

describe('the shared writer', () => {
  it('starts clean after an encode that threw half-way', () => {
    const bad: RouteIR = { ...route(1), action: { kind: 'forward', backends: [{ cluster: CLUSTER, weight: 1 }], retry: { attempts: -1 } } };
    const failing = new XdsTranslator();
    failing.translate(gateway([listenerWith([vhost('a.example.com', [bad])])]), { routeLayout: 'single' });
    expect(failing.failures.map((f) => f.kind)).toEqual(['route']);
    const l = listenerWith([vhost('a.example.com', [route(1), route(2)])]);
    const s = translateXds(gateway([l]), { routeLayout: 'single' });
    expect(Buffer.from(s[TypeUrl.RouteConfiguration].get('http-80')!.bytes).equals(Buffer.from(plainRouteTable(l)))).toBe(true);
  });
});

describe('an object that cannot be encoded', () => {
  it('is answered 500 (a route) or left out (a cluster keeps no hosts), the rest served, and forgotten once gone', () => {
    const bad: RouteIR = { ...route(1), action: { kind: 'forward', backends: [{ cluster: CLUSTER, weight: 1 }], retry: { attempts: 2 ** 32 } } };
    const t = new XdsTranslator();
    const s = t.translate(gateway([listenerWith([vhost('a.example.com', [bad, route(2)])])]));
    const table = RouteConfiguration.decode(s[TypeUrl.RouteConfiguration].get('http-80')!.bytes);
    const routes = table.virtualHosts[0]!.routes;
    expect(routes.map((r) => r.name)).toEqual([bad.name, route(2).name]);
    expect(routes[0]!.action).toMatchObject({ $case: 'directResponse' });
    expect(t.failures).toEqual([{ kind: 'route', name: bad.name, message: expect.stringContaining('uint32') }]);
    t.translate(gateway([listenerWith([vhost('a.example.com', [route(2)])])]));
    expect(t.failures).toEqual([]);
  });
});

describe('content hashes', () => {
  it('are 14 hex digits and depend on every byte and on order', () => {
    const a = hashBytes(new Uint8Array([1, 2, 3, 4, 5]));
    expect(versionOf(a)).toMatch(/^[0-9a-f]{14}$/);
    expect(hashBytes(new Uint8Array([1, 2, 3, 4, 6]))).not.toEqual(a);
    expect(hashBytes(new Uint8Array([1, 2, 3, 4, 5, 0]))).not.toEqual(a);
    expect(hashParts([1, 2])).not.toEqual(hashParts([2, 1]));
    expect(versionOf(2 ** 53 - 1)).toBe('1fffffffffffff');
    expect(versionOf(0)).toBe('00000000000000');
  });
});
