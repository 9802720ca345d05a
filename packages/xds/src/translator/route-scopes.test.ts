import { describe, expect, it } from '@jest/globals';
import type { ListenerIR, RouteIR, VirtualHostIR } from '@gantry/ir';
import { HttpConnectionManager, Listener, RouteConfiguration, unpackAny } from '@gantry/envoy-xds-proto';
import { ScopedRouteConfiguration } from '@gantry/envoy-xds-proto/generated/envoy/config/route/v3/scoped_route';
import { buildRoute } from './route.js';
import { RouteTableEncoder } from './route-config.js';
import { SCOPE_COUNT, SCOPE_HEADER, SHARD_ROUTES, UPGRADE_GUARD_FILTER, hostScope, scopeKey, scopeLua, shardName, virtualHostScopes } from './route-scopes.js';
import { buildListener } from './listener.js';

const CLUSTER = 'kube/default/echo/8080';

function route(i: number): RouteIR {
  return {
    name: `httproute/default/r${i}/rule/0/match/0`,
    match: { path: { type: 'PathPrefix', value: `/r/${i}` } },
    action: { kind: 'forward', backends: [{ cluster: CLUSTER, weight: 1 }] },
  };
}

function vhost(domain: string, routes: readonly RouteIR[]): VirtualHostIR {
  return { name: `http-80/${domain}`, domains: [domain], routes };
}

function listenerWith(virtualHosts: readonly VirtualHostIR[]): ListenerIR {
  return { name: 'http-80', port: 80, protocol: 'HTTP', filterChains: [{ name: 'http-80', serverNames: [], routeConfig: { name: 'http-80', virtualHosts } }] };
}

/** N exact hosts with `per` routes each, plus a wildcard and a catch-all host. */
function bigTable(hosts: number, per: number): VirtualHostIR[] {
  let n = 0;
  const exact = Array.from({ length: hosts }, (_, h) => vhost(`app-${h}.example.com`, Array.from({ length: per }, () => route(n++))));
  return [...exact, vhost('*.example.com', [route(n++)]), vhost('*', [route(n++)])];
}

/** What a shard must be: the table's virtual hosts that can match a host of the shard, in table order. */
function expectedShard(table: readonly VirtualHostIR[], name: string, shard: number, count: number): Uint8Array {
  const ctx = { protocol: 'HTTP' as const, port: 80 };
  const virtualHosts = table.filter((vh) => {
    const scopes = virtualHostScopes(vh);
    return scopes === 'all' || scopes.some((s) => s % count === shard);
  });
  return RouteConfiguration.encode(
    RouteConfiguration.fromPartial({
      name,
      virtualHosts: virtualHosts.map((vh) => ({ name: vh.name, domains: [...vh.domains], routes: vh.routes.map((r) => buildRoute(r, ctx)) })),
      requestHeadersToRemove: [SCOPE_HEADER],
      ignorePortInHostMatching: true,
    }),
  ).finish();
}

describe('scoped route tables', () => {
  it('hash hosts the way the Lua filter does (31h + byte mod 2^31-1, then mod SCOPE_COUNT)', () => {
    expect(hostScope('')).toBe(0);
    let h = 0;
    for (const c of 'app-7.example.com') h = (h * 31 + c.charCodeAt(0)) % 2147483647;
    expect(hostScope('app-7.example.com')).toBe(h % SCOPE_COUNT);
    expect(scopeLua('http-80')).toContain(`h % ${SCOPE_COUNT}`);
    expect(scopeLua('http-80')).toContain('(h * 31 + byte(host, i)) % 2147483647');
  });

  it('keep a small table whole, under its own name, and point every scope at it', () => {
    const table = [vhost('a.example.com', [route(1)]), vhost('*', [route(2)])];
    const out = new RouteTableEncoder().encode([listenerWith(table)], 'scoped');
    expect([...out.routes.keys()]).toEqual(['http-80']);
    expect(out.scopes.size).toBe(SCOPE_COUNT);
    const scope = ScopedRouteConfiguration.decode(out.scopes.get('http-80@5')!.bytes);
    expect(scope.routeConfigurationName).toBe('http-80');
    expect(scope.key?.fragments[0]?.type).toEqual({ $case: 'stringKey', stringKey: scopeKey('http-80', 5) });
    expect(Buffer.from(out.routes.get('http-80')!.bytes).equals(Buffer.from(expectedShard(table, 'http-80', 0, 1)))).toBe(true);
  });

  it('split a large table into shards that each hold every host able to match their scopes', () => {
    const table = bigTable(100, 30);
    const out = new RouteTableEncoder().encode([listenerWith(table)], 'scoped');
    const count = out.routes.size;
    expect(count).toBeGreaterThan(1);
    expect(count).toBeLessThanOrEqual(SCOPE_COUNT);
    expect(3000 / count).toBeGreaterThanOrEqual(SHARD_ROUTES);
    for (let k = 0; k < count; k++) {
      const name = shardName('http-80', k, count);
      expect(Buffer.from(out.routes.get(name)!.bytes).equals(Buffer.from(expectedShard(table, name, k, count)))).toBe(true);
    }
    for (let i = 0; i < SCOPE_COUNT; i++) {
      expect(ScopedRouteConfiguration.decode(out.scopes.get(`http-80@${i}`)!.bytes).routeConfigurationName).toBe(shardName('http-80', i % count, count));
    }
    // Every exact host is in the shard its hash names; the wildcard and catch-all hosts in all.
    for (const vh of table.slice(0, 100)) {
      const shard = shardName('http-80', hostScope(vh.domains[0]!) % count, count);
      expect(RouteConfiguration.decode(out.routes.get(shard)!.bytes).virtualHosts.map((v) => v.name)).toContain(vh.name);
    }
  });

  it('change one shard (and no scope) when one route changes', () => {
    const encoder = new RouteTableEncoder();
    const table = bigTable(100, 30);
    const before = encoder.encode([listenerWith(table)], 'scoped');
    const edited = table.map((vh, i) => (i === 42 ? { ...vh, routes: vh.routes.map((r, j) => (j === 3 ? route(99_999) : r)) } : vh));
    const after = encoder.encode([listenerWith(edited)], 'scoped');
    const changed = [...after.routes].filter(([name, r]) => before.routes.get(name) !== r).map(([name]) => name);
    expect(changed).toEqual([shardName('http-80', hostScope('app-42.example.com') % after.routes.size, after.routes.size)]);
    for (const [name, scope] of after.scopes) expect(before.scopes.get(name)).toBe(scope);
    const fresh = new RouteTableEncoder().encode([listenerWith(edited)], 'scoped');
    for (const [name, r] of after.routes) expect(Buffer.from(r.bytes).equals(Buffer.from(fresh.routes.get(name)!.bytes))).toBe(true);
  });

  it('put the scope-picking Lua filter first and take routes from SRDS', () => {
    const listener = buildListener(listenerWith([vhost('a.example.com', [route(1)])]), '0.0.0.0', { layout: 'scoped' });
    const typed = listener.filterChains[0]!.filters[0]!.configType;
    if (typed?.$case !== 'typedConfig') throw new Error('no HCM');
    const hcm = unpackAny(typed.typedConfig) as HttpConnectionManager;
    expect(hcm.httpFilters.map((f) => f.name).slice(0, 2)).toEqual(['envoy.filters.http.lua', UPGRADE_GUARD_FILTER]);
    expect(hcm.httpFilters[hcm.httpFilters.length - 1]!.name).toBe('envoy.filters.http.router');
    expect(hcm.routeSpecifier?.$case).toBe('scopedRoutes');
    const single = Listener.toJSON(buildListener(listenerWith([vhost('a.example.com', [route(1)])]), '0.0.0.0', { layout: 'single' })) as { filterChains: unknown[] };
    expect(JSON.stringify(single)).not.toContain('lua');
  });

  it('re-shard under new names when the table grows past a power of two, re-pointing every scope', () => {
    const encoder = new RouteTableEncoder();
    const small = encoder.encode([listenerWith(bigTable(100, 2))], 'scoped');
    const large = encoder.encode([listenerWith(bigTable(100, 40))], 'scoped');
    expect(small.routes.size).toBeLessThan(large.routes.size);
    for (const name of large.routes.keys()) expect(small.routes.has(name)).toBe(false);
    for (const [name, scope] of large.scopes) {
      // Picked scopes are re-pointed; warm scopes (one per shard, keys the Lua filter never
      // writes) are new names, so Envoy loads the new shards before the picked scopes move.
      if (name.includes('/warm-')) expect(small.scopes.has(name)).toBe(false);
      else expect(scope.version).not.toBe(small.scopes.get(name)!.version);
      expect(large.routes.has(ScopedRouteConfiguration.decode(scope.bytes).routeConfigurationName)).toBe(true);
    }
    expect(large.scopes.size).toBe(SCOPE_COUNT + large.routes.size);
  });

  it('lets upgrades through (guard off) only on routes that allow websocket, and only when scoped', () => {
    const ws: RouteIR = { ...route(1), action: { kind: 'forward', backends: [{ cluster: CLUSTER, weight: 1 }], websocket: true } };
    const table = [vhost('a.example.com', [ws, route(2)])];
    const scoped = RouteConfiguration.decode(new RouteTableEncoder().encode([listenerWith(table)], 'scoped').routes.get('http-80')!.bytes);
    const [wsRoute, plainRoute] = scoped.virtualHosts[0]!.routes;
    expect(Object.keys(wsRoute!.typedPerFilterConfig)).toEqual([UPGRADE_GUARD_FILTER]);
    expect(Object.keys(plainRoute!.typedPerFilterConfig)).toEqual([]);
    const single = RouteConfiguration.decode(new RouteTableEncoder().encode([listenerWith(table)], 'single').routes.get('http-80')!.bytes);
    expect(Object.keys(single.virtualHosts[0]!.routes[0]!.typedPerFilterConfig)).toEqual([]);
  });
});
