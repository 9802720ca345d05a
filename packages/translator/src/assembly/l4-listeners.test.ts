// TLS, TCP and UDP listeners follow route changes one at a time like HTTP ones: after each change
// the result equals a fresh translation, and an unrelated change keeps their IR objects.
import { describe, expect, it } from '@jest/globals';
import { validate } from '@gantry/ir';
import type { Snapshot } from '@gantry/api';
import { GatewayTranslator, translate } from '../index.js';
import { printable, snapshotFromYaml, toYaml } from '../testing/index.js';

const BASE = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gantry}
spec: {controllerName: gantry.dev/gatewayclass-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: default, generation: 1}
spec:
  gatewayClassName: gantry
  listeners:
  - {name: tls, port: 443, protocol: TLS, tls: {mode: Passthrough}}
  - {name: tcp, port: 9000, protocol: TCP}
  - {name: http, port: 80, protocol: HTTP}
---
apiVersion: v1
kind: Service
metadata: {name: a, namespace: default}
spec: {ports: [{name: p, port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: b, namespace: default}
spec: {ports: [{name: p, port: 80, targetPort: 8080}]}
`;

function tcpRoute(backends: string): string {
  return `
apiVersion: gateway.networking.k8s.io/v1
kind: TCPRoute
metadata: {name: t, namespace: default, generation: 1}
spec:
  parentRefs: [{name: gw, sectionName: tcp}]
  rules: [{backendRefs: [${backends}]}]`;
}

function tlsRoute(host: string): string {
  return `
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: s, namespace: default, generation: 1}
spec:
  parentRefs: [{name: gw, sectionName: tls}]
  hostnames: [${host}]
  rules: [{backendRefs: [{name: a, port: 80}]}]`;
}

function httpRoute(path: string): string {
  return `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: h, namespace: default, generation: 1}
spec:
  parentRefs: [{name: gw, sectionName: http}]
  rules: [{matches: [{path: {value: ${path}}}], backendRefs: [{name: b, port: 80}]}]`;
}

const world = (...docs: string[]): Snapshot => snapshotFromYaml([BASE, ...docs].join('\n---\n'));

describe('L4 listeners, change by change', () => {
  it('equal a fresh translation after each change; untouched listeners keep their identity', () => {
    const steps = [
      world(tcpRoute('{name: a, port: 80}'), tlsRoute('x.example.com'), httpRoute('/one')),
      world(tcpRoute('{name: a, port: 80, weight: 3}, {name: b, port: 80}'), tlsRoute('x.example.com'), httpRoute('/one')),
      world(tcpRoute('{name: a, port: 80, weight: 3}, {name: b, port: 80}'), tlsRoute('y.example.com'), httpRoute('/one')),
      world(tcpRoute('{name: a, port: 80, weight: 3}, {name: b, port: 80}'), tlsRoute('y.example.com'), httpRoute('/two')),
      world(tlsRoute('y.example.com'), httpRoute('/two')),
      world(),
      world(tcpRoute('{name: b, port: 80}')),
    ];
    const t = new GatewayTranslator();
    let previous: ReturnType<GatewayTranslator['translate']> | undefined;
    for (const [i, snapshot] of steps.entries()) {
      const got = t.translate(snapshot);
      const fresh = translate(snapshot);
      expect({ step: i, out: toYaml(printable(got)) }).toEqual({ step: i, out: toYaml(printable(fresh)) });
      for (const ir of got.gateways.values()) expect(validate(ir)).toEqual([]);
      const ir = got.gateways.get('default/gw');
      const before = previous?.gateways.get('default/gw');
      // Step 3 changes only the HTTPRoute: the L4 listeners are the same objects.
      if (i === 3) expect(ir?.l4Listeners).toBe(before?.l4Listeners);
      if (i === 5) expect(ir?.l4Listeners).toBeUndefined();
      previous = got;
    }
    const last = previous?.gateways.get('default/gw');
    expect(last?.l4Listeners?.map((l) => l.name)).toEqual(['tcp-9000']);
    expect(last?.clusters.map((c) => c.name)).toEqual(['kube/default/b/80']);
  });
});
