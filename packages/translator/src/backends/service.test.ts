// disableKubernetesDestinations: Services are no longer backends (the rule's share gets 500, the
// route says how to route to an Upstream instead); Upstreams, including kube ones naming the same
// Service, still work.
import { describe, expect, it } from '@jest/globals';
import { translate } from '../index.js';
import { routesOf, snapshotFromYaml } from '../testing/index.js';

const INPUT = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gantry}
spec: {controllerName: gantry.dev/gatewayclass-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec: {gatewayClassName: gantry, listeners: [{name: http, port: 80, protocol: HTTP}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: gateway.gantry.dev/v1alpha1
kind: Upstream
metadata: {name: web, namespace: default}
spec: {kube: {serviceName: web, servicePort: 80}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: default}
spec:
  parentRefs: [{name: gw}]
  rules:
  - matches: [{path: {value: /service}}]
    backendRefs: [{name: web, port: 80}]
  - matches: [{path: {value: /upstream}}]
    backendRefs: [{group: gateway.gantry.dev, kind: Upstream, name: web}]
`;

function outcome(disable: boolean) {
  const result = translate(snapshotFromYaml(INPUT), { disableKubernetesDestinations: disable });
  const ir = result.gateways.get('default/gw');
  const routes = routesOf(ir);
  const action = (path: string) => routes.find((r) => r.match.path.value === path)?.action;
  const route = result.statuses.find((s) => s.kind === 'HTTPRoute');
  const resolved = route?.kind === 'HTTPRoute' ? route.status.parents?.[0]?.conditions.find((c) => c.type === 'ResolvedRefs') : undefined;
  return { service: action('/service'), upstream: action('/upstream'), resolved };
}

describe('disableKubernetesDestinations', () => {
  it('off (the default): Services are backends', () => {
    const o = outcome(false);
    expect(o.service).toMatchObject({ kind: 'forward', backends: [{ cluster: 'kube/default/web/80', weight: 1 }] });
    expect(o.resolved?.status).toBe('True');
  });

  it('on: a Service backendRef is InvalidKind and its traffic gets 500; Upstreams still route', () => {
    const o = outcome(true);
    expect(o.service).toEqual({ kind: 'directResponse', status: 500 });
    expect(o.upstream).toMatchObject({ kind: 'forward', backends: [{ cluster: 'upstream/default/web', weight: 1 }] });
    expect(o.resolved).toMatchObject({ status: 'False', reason: 'InvalidKind' });
    expect(o.resolved?.message).toContain('route to an Upstream instead');
  });
});
