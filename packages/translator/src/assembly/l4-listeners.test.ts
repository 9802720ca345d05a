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

const MIXED = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gantry}
spec: {controllerName: gantry.dev/gatewayclass-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: mixed, namespace: default, generation: 1}
spec:
  gatewayClassName: gantry
  listeners:
  - {name: https, port: 443, protocol: HTTPS, hostname: www.example.com, tls: {certificateRefs: [{name: cert}]}}
  - {name: pass, port: 443, protocol: TLS, tls: {mode: Passthrough}}
---
apiVersion: v1
kind: Secret
metadata: {name: cert, namespace: default}
type: kubernetes.io/tls
data: {tls.crt: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJxVENDQVZDZ0F3SUJBZ0lVRHVFNmZ5Nnl0Zm5sSHgrWjQyMUk1TFZGKzA0d0NnWUlLb1pJemowRUF3SXcKRmpFVU1CSUdBMVVFQXd3TFpYaGhiWEJzWlM1amIyMHdJQmNOTWpZeE1USXhNVGsxTnpFMFdoZ1BNakV5TmpFdwpNamd4T1RVM01UUmFNQll4RkRBU0JnTlZCQU1NQzJWNFlXMXdiR1V1WTI5dE1Ga3dFd1lIS29aSXpqMENBUVlJCktvWkl6ajBEQVFjRFFnQUV6WjJZL01ZbFRPQlBpYis1OTQ2azAyVHZTYW0weGR4WTlpWit3WGROZWMydmFaQ04KQXYzVFRHcXdiUThibGYxWlZSNEc1UmZNeVVmTWEwOE8vb3lZQmFONk1IZ3dIUVlEVlIwT0JCWUVGRWx3bVpCYQpIeWs1cGc4R2ZtSnJvTTJFTGlyaU1COEdBMVVkSXdRWU1CYUFGRWx3bVpCYUh5azVwZzhHZm1Kcm9NMkVMaXJpCk1BOEdBMVVkRXdFQi93UUZNQU1CQWY4d0pRWURWUjBSQkI0d0hJSUxaWGhoYlhCc1pTNWpiMjJDRFNvdVpYaGgKYlhCc1pTNWpiMjB3Q2dZSUtvWkl6ajBFQXdJRFJ3QXdSQUlnYnRmUmF5eHM1dStaVkV5cDZLc1Bud1NLRlRadgoxREFDanhqb01jbWJBN29DSUZsVHk4NnVHMjA1N2Y3Zk9wTzRKYW8zVmJiL2I5UHpEaDhGYUFDRnovaTUKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=, tls.key: LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JR0hBZ0VBTUJNR0J5cUdTTTQ5QWdFR0NDcUdTTTQ5QXdFSEJHMHdhd0lCQVFRZ0EvRkpTaW9IWHo4OTNvUHAKUnJ2ZFBpeVp3U3R3RGtNYk5ZV3VhQTBkdzl5aFJBTkNBQVROblpqOHhpVk00RStKdjduM2pxVFRaTzlKcWJURgozRmoySm43QmQwMTV6YTlwa0kwQy9kTk1hckJ0RHh1Vi9WbFZIZ2JsRjh6SlI4eHJUdzcrakpnRgotLS0tLUVORCBQUklWQVRFIEtFWS0tLS0tCg==}
---
apiVersion: v1
kind: Service
metadata: {name: a, namespace: default}
spec: {ports: [{name: p, port: 80, targetPort: 8080}]}
`;

function mixedTls(hosts: string): string {
  return `
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: s, namespace: default, generation: 1}
spec:
  parentRefs: [{name: mixed, sectionName: pass}]
  hostnames: [${hosts}]
  rules: [{backendRefs: [{name: a, port: 80}]}]`;
}

function mixedHttp(path: string): string {
  return `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: h, namespace: default, generation: 1}
spec:
  parentRefs: [{name: mixed, sectionName: https}]
  rules: [{matches: [{path: {value: ${path}}}], backendRefs: [{name: a, port: 80}]}]`;
}

describe('HTTPS and TLS listeners on one port (TLSRouteModeMixed), change by change', () => {
  it('is one listener; equals a fresh translation after each change; an HTTPS name wins over a TLS route naming it', () => {
    const mixed = (...docs: string[]): Snapshot => snapshotFromYaml([MIXED, ...docs].join('\n---\n'));
    const steps = [
      mixed(mixedHttp('/one'), mixedTls('x.example.com')),
      mixed(mixedHttp('/one'), mixedTls('x.example.com, www.example.com')),
      mixed(mixedHttp('/two'), mixedTls('x.example.com, www.example.com')),
      mixed(mixedTls('x.example.com')),
      mixed(mixedHttp('/two')),
      mixed(mixedHttp('/two'), mixedTls('x.example.com')),
    ];
    const t = new GatewayTranslator();
    const names: string[][] = [];
    let previous: ReturnType<GatewayTranslator['translate']> | undefined;
    for (const [i, snapshot] of steps.entries()) {
      const got = t.translate(snapshot);
      expect({ step: i, out: toYaml(printable(got)) }).toEqual({ step: i, out: toYaml(printable(translate(snapshot))) });
      const ir = got.gateways.get('default/mixed');
      expect(ir && validate(ir)).toEqual([]);
      names.push([
        ...(ir?.listeners ?? []).map((l) => `${l.name}: ${[...l.filterChains.map((c) => c.name), ...(l.tlsChains ?? []).map((c) => c.name)].join(' ')}`),
        ...(ir?.l4Listeners ?? []).map((l) => `${l.name}: ${l.chains.map((c) => c.name).join(' ')}`),
      ]);
      // Step 2 changes only the HTTPRoute: the TLS chains are the same objects.
      if (i === 2) expect(ir?.listeners[0]?.tlsChains).toBe(previous?.gateways.get('default/mixed')?.listeners[0]?.tlsChains);
      previous = got;
    }
    expect(names).toEqual([
      ['https-443: https-443/https tls-443/x.example.com'],
      ['https-443: https-443/https tls-443/x.example.com'],
      ['https-443: https-443/https tls-443/x.example.com'],
      // An HTTPS listener without routes still serves its name (404s): it keeps the port.
      ['https-443: https-443/https tls-443/x.example.com'],
      ['https-443: https-443/https'],
      ['https-443: https-443/https tls-443/x.example.com'],
    ]);
  });
});
