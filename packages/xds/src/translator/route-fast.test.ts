import { describe, expect, it } from '@jest/globals';
import type { ForwardActionIR, PathMatchIR, RouteIR, RouteMatchIR, WeightedBackendIR } from '@gantry/ir';
import { Route } from '@gantry/envoy-xds-proto';
import { buildRoute, type ListenerContext } from './route.js';
import { isSimpleRoute, writeSimpleRoute } from './route-fast.js';
import { goldenCases } from './testing/index.js';
import { encodeMessage, sharedWriter } from './wire.js';
import { prng, withField } from '../testing/samples.js';

function simple(name: string, type: RouteIR['match']['path']['type'], value: string, cluster = 'kube/ns/svc/80'): RouteIR {
  return { name, match: { path: { type, value } }, action: { kind: 'forward', backends: [{ cluster, weight: 1 }] } };
}

const listener = { protocol: 'HTTP', port: 80 } as const;

/** The direct encoder's bytes, or undefined when the route is not simple. */
function direct(r: RouteIR): Buffer | undefined {
  if (!isSimpleRoute(r)) return undefined;
  const w = sharedWriter();
  writeSimpleRoute(r, w);
  return Buffer.from(w.finish());
}

function general(r: RouteIR, l: ListenerContext = listener): Buffer {
  return Buffer.from(encodeMessage(Route.encode, buildRoute(r, l)));
}

// Values to set every field of the IR types the fast path reaches to, optional ones included:
// typed over all their keys, so a field added to them does not compile until it has samples here.
type Samples<T> = { readonly [K in keyof T]-?: readonly Exclude<T[K], undefined>[] };


/** The base with each field set to each of its samples, one field at a time. */
function variants<T extends object>(base: T, samples: Samples<T>): T[] {
  return (Object.keys(samples) as (keyof T)[]).flatMap((field) => samples[field].map((v) => withField(base, field, v)));
}


const random = prng(8);

function pick<T>(list: readonly T[]): T {
  const v = list[Math.floor(random() * list.length)];
  if (v === undefined) throw new Error('pick: empty list');
  return v;
}

/** The base with several fields set at once, each to a random sample. */
function mixed<T extends object>(base: T, samples: Samples<T>, share = 0.3): T {
  let out = base;
  for (const field of Object.keys(samples) as (keyof T)[]) if (random() < share) out = withField(out, field, pick(samples[field]));
  return out;
}

function withMixes<T extends object>(base: T, samples: Samples<T>, mixes = 40): T[] {
  return [...variants(base, samples), ...Array.from({ length: mixes }, () => mixed(base, samples))];
}

const PATH: Samples<PathMatchIR> = {
  type: ['Exact', 'PathPrefix', 'RegularExpression'],
  value: ['/', '', '/foo', '/foo/', '//', '/ünï', '/re/[0-9]+'],
};

const MATCH: Samples<RouteMatchIR> = {
  path: withMixes({ type: 'PathPrefix', value: '/a' }, PATH),
  headers: [[], [{ name: 'x-a', type: 'Exact', value: '1' }], [{ name: 'x-b', type: 'RegularExpression', value: 'v.*' }]],
  queryParams: [[], [{ name: 'Q', type: 'Exact', value: '1' }]],
  method: ['GET', ''],
};

const BACKEND: Samples<WeightedBackendIR> = {
  cluster: ['', 'kube/ns/other/8080', 'upstream/ñs/ü'],
  weight: [0, 1, 7],
  requestHeaders: [{}, { set: [{ name: 'x-set', value: 'v' }] }, { remove: ['x-r'] }],
  responseHeaders: [{}, { add: [{ name: 'x-add', value: 'v' }] }],
  hostRewrite: ['my.app.com', ''],
};

const backend: WeightedBackendIR = { cluster: 'kube/ns/svc/80', weight: 1 };

const FORWARD: Samples<ForwardActionIR> = {
  kind: ['forward'],
  backends: [[], [backend, { cluster: 'kube/ns/b/80', weight: 2 }], ...withMixes(backend, BACKEND).map((b) => [b])],
  urlRewrite: [
    {},
    { hostname: 'h.example.com' },
    { autoHostname: true },
    { path: { type: 'ReplacePrefixMatch', value: '/x' } },
    { path: { type: 'ReplaceFullPath', value: '/y' } },
    { path: { type: 'RegexReplace', value: '^/v1/(.*)', substitution: '/\\1' } },
  ],
  mirrors: [[], [{ cluster: 'kube/ns/m/80' }], [{ cluster: 'kube/ns/m/80', percent: 50 }]],
  timeouts: [{}, { requestMs: 0 }, { requestMs: 100 }, { backendRequestMs: 50 }, { idleMs: 60_000 }],
  retry: [{}, { attempts: 2 }, { codes: [503], backoffMs: 10 }, { on: ['5xx', 'connect-failure'], perTryTimeoutMs: 1000 }],
  websocket: [false, true],
  invalidBackendWeight: [0, 1],
  hashPolicies: [
    [],
    [{ type: 'header', name: 'x-user' }],
    [{ type: 'cookie', name: 'session', ttlMs: 3_600_000, path: '/' }, { type: 'sourceIP' }],
    [{ type: 'cookie', name: 'sticky' }, { type: 'queryParameter', name: 'user' }],
  ],
};

const ROUTE: Samples<RouteIR> = {
  name: ['', 'httproute/a/b/rule/0/match/0', 'httproute/ünï/cødé/rule/0/match/0'],
  match: withMixes({ path: { type: 'PathPrefix', value: '/a' } }, MATCH),
  action: [
    ...withMixes({ kind: 'forward', backends: [backend] }, FORWARD),
    { kind: 'redirect', scheme: 'https', port: 443, statusCode: 301 },
    { kind: 'redirect', hostname: 'h.example.com', path: { type: 'ReplaceFullPath', value: '/z' }, statusCode: 302 },
    { kind: 'directResponse', status: 500 },
    { kind: 'directResponse', status: 421, body: 'no' },
  ],
  requestHeaders: [{}, { set: [{ name: 'host', value: 'h.example.com' }] }, { add: [{ name: 'x-a', value: '1' }] }],
  responseHeaders: [{}, { remove: ['server'] }],
  cors: [{ allowOrigins: ['*'] }, { allowOrigins: [] }],
  faults: [{}, { abort: { percent: 100, status: 418 } }, { delay: { percent: 50, fixedDelayMs: 100 } }],
};

const baseRoute: RouteIR = simple('httproute/a/b/rule/0/match/0', 'PathPrefix', '/a');

describe('the direct route encoder', () => {
  it('writes exactly the bytes of the generated encoder', () => {
    const routes = [
      simple('httproute/a/b/rule/0/match/0', 'PathPrefix', '/'),
      simple('httproute/a/b/rule/0/match/1', 'PathPrefix', '/foo/'),
      simple('httproute/a/b/rule/0/match/2', 'Exact', '/exact'),
      simple('httproute/a/b/rule/0/match/3', 'RegularExpression', '/re/[0-9]+'),
      simple('httproute/ünï/cødé/rule/0/match/0', 'PathPrefix', '/ünïcødé', 'upstream/ñs/ü'),
      simple('', 'Exact', '', ''),
      simple(`httproute/long/${'x'.repeat(300)}/rule/0/match/0`, 'PathPrefix', `/${'y'.repeat(200)}`),
    ];
    for (const r of routes) {
      expect(isSimpleRoute(r)).toBe(true);
      expect(direct(r)?.equals(general(r))).toBe(true);
    }
  });

  it('leaves every golden route with more than a path and one backend to the generated encoder', () => {
    let simpleCount = 0;
    let other = 0;
    for (const c of goldenCases()) {
      for (const l of c.ir.listeners) {
        for (const fc of l.filterChains) {
          for (const vh of fc.routeConfig.virtualHosts) {
            for (const r of vh.routes) {
              const bytes = direct(r);
              if (bytes === undefined) {
                other++;
                continue;
              }
              simpleCount++;
              expect(bytes.equals(general(r, l))).toBe(true);
            }
          }
        }
      }
    }
    expect(simpleCount).toBeGreaterThan(5);
    expect(other).toBeGreaterThan(30);
  });

  // Every field of every IR type the fast path reaches, set one at a time and in random mixes:
  // either the route is not simple or its bytes are the general encoder's. An allow-list entry
  // that lets through a value writeSimpleRoute does not write fails here.
  it('writes the general bytes, or declines, whatever a route has', () => {
    const routes = withMixes(baseRoute, ROUTE, 2000);
    const wrong: RouteIR[] = [];
    let simpleCount = 0;
    for (const r of routes) {
      const bytes = direct(r);
      if (bytes === undefined) continue;
      simpleCount++;
      if (!bytes.equals(general(r))) wrong.push(r);
    }
    expect(wrong).toEqual([]);
    // Neither all nor none: the allow-list lets through what it should, and the samples reach past it.
    expect(simpleCount).toBeGreaterThan(50);
    expect(routes.length - simpleCount).toBeGreaterThan(500);
  });

  it('has samples of every field', () => {
    for (const samples of [PATH, MATCH, BACKEND, FORWARD, ROUTE]) {
      for (const values of Object.values(samples)) expect(values.length).toBeGreaterThan(0);
    }
  });
});
