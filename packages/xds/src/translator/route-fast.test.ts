import { describe, expect, it } from '@jest/globals';
import type { RouteIR } from '@gantry/ir';
import { Route } from '@gantry/envoy-xds-proto';
import { buildRoute } from './route.js';
import { isSimpleRoute, writeSimpleRoute } from './route-fast.js';
import { goldenCases } from './testing/index.js';
import { encodeMessage, sharedWriter } from './wire.js';

function simple(name: string, type: RouteIR['match']['path']['type'], value: string, cluster = 'kube/ns/svc/80'): RouteIR {
  return { name, match: { path: { type, value } }, action: { kind: 'forward', backends: [{ cluster, weight: 1 }] } };
}

const listener = { protocol: 'HTTP', port: 80 } as const;

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
      const w = sharedWriter();
      writeSimpleRoute(r, w);
      const direct = w.finish();
      expect(Buffer.from(direct).equals(Buffer.from(encodeMessage(Route.encode, buildRoute(r, listener))))).toBe(true);
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
              if (!isSimpleRoute(r)) {
                other++;
                continue;
              }
              simpleCount++;
              const w = sharedWriter();
              writeSimpleRoute(r, w);
              expect(Buffer.from(w.finish()).equals(Buffer.from(encodeMessage(Route.encode, buildRoute(r, l))))).toBe(true);
            }
          }
        }
      }
    }
    expect(simpleCount).toBeGreaterThan(5);
    expect(other).toBeGreaterThan(30);
  });
});
