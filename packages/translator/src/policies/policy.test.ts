// The policy and query extension points, exercised with policy and backend kinds defined here:
// an ExtensionRef policy, a targetRef policy, and a backend kind that selects Services by labels.
// Each must work end to end, and a change to what it read must re-translate the route.
import { describe, expect, it } from '@jest/globals';
import type { ForwardActionIR, GatewayIR } from '@gantry/ir';
import type { HTTPRoute, HTTPRouteRule, KubeObject, Service, Snapshot } from '@gantry/api';
import { GatewayTranslator, type BackendResolver } from '../index.js';
import { routesOf, snapshotFromYaml } from '../testing/index.js';
import type { RoutePolicy, RuleOptions } from './policy.js';
import { Reason } from '../status/conditions.js';

const GROUP = 'policy.example.com';

/** `spec.add`: request headers to set, as RuleOptions. */
function headerPolicy(kind: string): RoutePolicy {
  return {
    group: GROUP,
    kind,
    resolve(policy) {
      const add = (policy.spec as { add?: Record<string, string> } | undefined)?.add;
      if (!add) return { ok: false, reason: 'Invalid', message: 'spec.add is required' };
      const options: RuleOptions = { requestHeaders: { set: Object.entries(add).map(([name, value]) => ({ name, value })) } };
      return { ok: true, options };
    },
  };
}

const BASE = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gantry}
spec: {controllerName: gantry.dev/gatewayclass-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  gatewayClassName: gantry
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default, labels: {tier: web}}
spec: {ports: [{name: http, port: 80}]}
`;

function route(rules: HTTPRouteRule[]): HTTPRoute {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'r', namespace: 'default', creationTimestamp: '2024-01-01T00:00:00Z' },
    spec: { parentRefs: [{ name: 'gw' }], rules },
  };
}

function policyObject(kind: string, name: string, spec: Record<string, unknown>, created = '2024-01-01T00:00:00Z'): KubeObject {
  return { apiVersion: `${GROUP}/v1`, kind, metadata: { name, namespace: 'default', creationTimestamp: created }, spec };
}

function withObjects(base: Snapshot, routes: HTTPRoute[], others: KubeObject[], services?: Service[]): Snapshot {
  return { ...base, httpRoutes: routes, others, ...(services ? { services } : {}) };
}

const toWeb = { backendRefs: [{ name: 'web', port: 80 }] };

describe('ExtensionRef policies', () => {
  const base = snapshotFromYaml(BASE);
  const rules: HTTPRouteRule[] = [{ ...toWeb, filters: [{ type: 'ExtensionRef', extensionRef: { group: GROUP, kind: 'Headers', name: 'h' } }] }];

  it('an unregistered kind is InvalidKind and its traffic gets 500', () => {
    const t = new GatewayTranslator();
    const result = t.translate(withObjects(base, [route(rules)], [policyObject('Headers', 'h', { add: { x: '1' } })]));
    const [r] = routesOf(result.gateways.get('default/gw'));
    expect(r?.action).toEqual({ kind: 'directResponse', status: 500 });
    const status = result.statuses.find((s) => s.kind === 'HTTPRoute');
    expect(JSON.stringify(status)).toContain(Reason.InvalidKind);
  });

  it('a registered kind applies its options, follows changes to the object, and reports a missing one', () => {
    const t = new GatewayTranslator({ extensionRefPolicies: new Map([[`${GROUP}/Headers`, headerPolicy('Headers')]]) });
    let result = t.translate(withObjects(base, [route(rules)], [policyObject('Headers', 'h', { add: { x: '1' } })]));
    let [r] = routesOf(result.gateways.get('default/gw'));
    expect(r?.requestHeaders).toEqual({ set: [{ name: 'x', value: '1' }] });
    expect((r?.action as ForwardActionIR).kind).toBe('forward');

    result = t.translate(withObjects(base, [route(rules)], [policyObject('Headers', 'h', { add: { x: '2' } })]));
    [r] = routesOf(result.gateways.get('default/gw'));
    expect(r?.requestHeaders).toEqual({ set: [{ name: 'x', value: '2' }] });

    result = t.translate(withObjects(base, [route(rules)], []));
    [r] = routesOf(result.gateways.get('default/gw'));
    expect(r?.action).toEqual({ kind: 'directResponse', status: 500 });
    expect(JSON.stringify(result.statuses)).toContain('not found in namespace default');
  });
});

describe('targetRef policies', () => {
  const base = snapshotFromYaml(BASE);
  const target = (sectionName?: string) => ({ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: 'r', ...(sectionName ? { sectionName } : {}) });
  const twoRules: HTTPRouteRule[] = [
    { name: 'a', matches: [{ path: { type: 'PathPrefix', value: '/a' } }], ...toWeb },
    { name: 'b', matches: [{ path: { type: 'PathPrefix', value: '/b' } }], ...toWeb },
  ];
  const headersOf = (ir: GatewayIR | undefined) => Object.fromEntries(routesOf(ir).map((r) => [r.match.path.value, r.requestHeaders?.set?.map((h) => `${h.name}=${h.value}`).join(',')]));

  it('attach to a whole route, to one rule by sectionName, older over newer, the rule’s own filters over both', () => {
    const t = new GatewayTranslator({ targetRefPolicies: [headerPolicy('Attached')] });
    const older = policyObject('Attached', 'older', { targetRefs: [target()], add: { who: 'older' } }, '2024-01-01T00:00:00Z');
    const newer = policyObject('Attached', 'newer', { targetRefs: [target()], add: { who: 'newer' } }, '2024-02-01T00:00:00Z');
    let result = t.translate(withObjects(base, [route(twoRules)], [newer, older]));
    expect(headersOf(result.gateways.get('default/gw'))).toEqual({ '/a': 'who=older', '/b': 'who=older' });

    const forB = policyObject('Attached', 'for-b', { targetRefs: [target('b')], add: { who: 'b' } });
    result = t.translate(withObjects(base, [route(twoRules)], [newer, older, forB]));
    expect(headersOf(result.gateways.get('default/gw'))).toEqual({ '/a': 'who=older', '/b': 'who=b' });

    const own: HTTPRouteRule[] = [twoRules[0] as HTTPRouteRule, { ...(twoRules[1] as HTTPRouteRule), filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'who', value: 'rule' }] } }] }];
    result = t.translate(withObjects(base, [route(own)], [newer, older, forB]));
    expect(headersOf(result.gateways.get('default/gw'))).toEqual({ '/a': 'who=older', '/b': 'who=rule' });

    // Removing the policies re-translates the route.
    result = t.translate(withObjects(base, [route(own)], []));
    expect(headersOf(result.gateways.get('default/gw'))).toEqual({ '/a': undefined, '/b': 'who=rule' });
  });

  it('ignore policies in other namespaces and policies naming other routes', () => {
    const t = new GatewayTranslator({ targetRefPolicies: [headerPolicy('Attached')] });
    const elsewhere = { ...policyObject('Attached', 'p', { targetRefs: [target()], add: { who: 'x' } }), metadata: { name: 'p', namespace: 'other' } };
    const otherRoute = policyObject('Attached', 'q', { targetRefs: [{ ...target(), name: 'not-r' }], add: { who: 'y' } });
    const result = t.translate(withObjects(base, [route(twoRules)], [elsewhere, otherRoute]));
    expect(headersOf(result.gateways.get('default/gw'))).toEqual({ '/a': undefined, '/b': undefined });
  });
});

describe('label-selector queries', () => {
  /** A backend kind whose object names a label selector: traffic goes to the first selected Service. */
  const pickFirst: BackendResolver = {
    group: GROUP,
    kind: 'FirstOf',
    resolve(ref, ctx) {
      const set = ctx.lookups.object(GROUP, 'FirstOf', ctx.fromNamespace, ref.name);
      const selector = (set?.spec as { selector?: Record<string, string> } | undefined)?.selector;
      if (!selector) return { ok: false, reason: Reason.BackendNotFound, message: `FirstOf ${ref.name} not found` };
      const [svc] = ctx.lookups.select('', 'Service', ctx.fromNamespace, { matchLabels: selector });
      if (!svc) return { ok: false, reason: Reason.BackendNotFound, message: 'no Service selected' };
      const name = `first/${svc.metadata.name}`;
      return {
        ok: true,
        cluster: ctx.cluster(name, 'http1'),
        source: { kind: 'service', serviceKey: `default/${svc.metadata.name}`, namespace: 'default', service: svc.metadata.name, port: 80, portName: 'http' },
        websocket: false,
      };
    },
  };
  const base = snapshotFromYaml(BASE);
  const set = policyObject('FirstOf', 'pick', { selector: { tier: 'api' } });
  const rules: HTTPRouteRule[] = [{ backendRefs: [{ group: GROUP, kind: 'FirstOf', name: 'pick' }] }];
  const api: Service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: 'default', labels: { tier: 'api' } }, spec: { ports: [{ name: 'http', port: 80 }] } };

  it('a Service that starts matching re-translates the routes that selected', () => {
    const t = new GatewayTranslator({ backendResolvers: new Map([[`${GROUP}/FirstOf`, pickFirst]]) });
    let result = t.translate(withObjects(base, [route(rules)], [set]));
    expect(routesOf(result.gateways.get('default/gw'))[0]?.action).toEqual({ kind: 'directResponse', status: 500 });
    result = t.translate(withObjects(base, [route(rules)], [set], [...base.services, api]));
    expect((routesOf(result.gateways.get('default/gw'))[0]?.action as ForwardActionIR).backends).toEqual([{ cluster: 'first/api', weight: 1 }]);
    // And stops matching.
    const relabelled = { ...api, metadata: { ...api.metadata, labels: { tier: 'old' } } };
    result = t.translate(withObjects(base, [route(rules)], [set], [...base.services, relabelled]));
    expect(routesOf(result.gateways.get('default/gw'))[0]?.action).toEqual({ kind: 'directResponse', status: 500 });
  });
});

describe('RouteOption status, incrementally', () => {
  const base = snapshotFromYaml(BASE);
  const ro = (name: string, options: Record<string, unknown>, targetRefs?: unknown[]): KubeObject => ({
    apiVersion: 'gateway.gantry.dev/v1alpha1',
    kind: 'RouteOption',
    metadata: { name, namespace: 'default', creationTimestamp: '2024-01-01T00:00:00Z' },
    spec: { ...(targetRefs ? { targetRefs } : {}), options },
  });
  const rules: HTTPRouteRule[] = [{ ...toWeb, filters: [{ type: 'ExtensionRef', extensionRef: { group: 'gateway.gantry.dev', kind: 'RouteOption', name: 'o' } }] }];
  const accepted = (result: ReturnType<GatewayTranslator['translate']>, name: string) => {
    const s = result.statuses.find((x) => x.kind === 'RouteOption' && x.name === name)?.status as { conditions?: { reason: string }[]; ancestors?: unknown[] } | undefined;
    return s ? `${s.conditions?.[0]?.reason}:${s.ancestors?.length}` : undefined;
  };

  it('follows the route and the object: used, changed, unused, gone', () => {
    const t = new GatewayTranslator();
    let result = t.translate(withObjects(base, [route(rules)], [ro('o', { timeout: '1s' })]));
    expect(accepted(result, 'o')).toBe('Accepted:1');
    expect((routesOf(result.gateways.get('default/gw'))[0]?.action as ForwardActionIR).timeouts).toEqual({ requestMs: 1000 });

    result = t.translate(withObjects(base, [route(rules)], [ro('o', { timeout: '2s' })]));
    expect((routesOf(result.gateways.get('default/gw'))[0]?.action as ForwardActionIR).timeouts).toEqual({ requestMs: 2000 });

    result = t.translate(withObjects(base, [route(rules)], [ro('o', { timeout: 'soon' })]));
    expect(accepted(result, 'o')).toBe('Invalid:1');
    expect(routesOf(result.gateways.get('default/gw'))[0]?.action).toEqual({ kind: 'directResponse', status: 500 });

    result = t.translate(withObjects(base, [], [ro('o', { timeout: '2s' })]));
    expect(accepted(result, 'o')).toBe('TargetNotFound:0');

    result = t.translate(withObjects(base, [], []));
    expect(accepted(result, 'o')).toBeUndefined();
  });
});
