import { describe, expect, it } from '@jest/globals';
import type { Condition, GatewayClassStatus, GatewayStatus, HTTPRouteStatus, PolicyAncestorStatus, RouteOptionStatus, RouteParentStatus } from '@gantry/api';
import { CONTROLLER_NAME, type StatusReport } from '@gantry/translator';
import { mergeGatewayClassStatus, mergeGatewayStatus, mergeHTTPRouteStatus, mergePolicyStatus, mergeReport, parentRefKey, reportKeyPriority } from './merge.js';

const T0 = '2026-01-01T00:00:00Z';
const NOW = '2026-02-02T12:00:00Z';
const OTHER = 'example.com/other-controller';

function cond(type: string, status: Condition['status'], reason = type, gen?: number): Condition {
  return { type, status, reason, message: `${type} ${status}`, ...(gen !== undefined ? { observedGeneration: gen } : {}) };
}
/** The condition as stored after a write at `at`. */
function stored(c: Condition, at = T0): Condition {
  return { ...c, lastTransitionTime: at };
}

describe('mergeGatewayClassStatus', () => {
  const desired: GatewayClassStatus = { conditions: [cond('Accepted', 'True', 'Accepted', 1), cond('SupportedVersion', 'True', 'SupportedVersion', 1)], supportedFeatures: [{ name: 'Gateway' }, { name: 'HTTPRoute' }] };
  const written: GatewayClassStatus = { conditions: desired.conditions!.map((c) => stored(c)), supportedFeatures: [{ name: 'Gateway' }, { name: 'HTTPRoute' }] };

  it.each([
    {
      name: 'the API server default (Accepted Unknown, 1970) is replaced',
      current: { conditions: [stored({ type: 'Accepted', status: 'Unknown', reason: 'Pending', message: 'Waiting for controller' }, '1970-01-01T00:00:00Z')] } as GatewayClassStatus,
      want: { conditions: desired.conditions!.map((c) => stored(c, NOW)), supportedFeatures: desired.supportedFeatures },
    },
    { name: 'what we wrote last time, keys in another order: no write', current: { supportedFeatures: [{ name: 'Gateway' }, { name: 'HTTPRoute' }], conditions: written.conditions!.map((c) => ({ lastTransitionTime: c.lastTransitionTime, message: c.message, reason: c.reason, status: c.status, type: c.type, observedGeneration: 1 })) } as GatewayClassStatus, want: undefined },
    { name: 'no status yet', current: undefined, want: { conditions: desired.conditions!.map((c) => stored(c, NOW)), supportedFeatures: desired.supportedFeatures } },
  ])('$name', ({ current, want }) => {
    expect(mergeGatewayClassStatus(current, desired, { now: NOW })).toEqual(want);
  });
});

describe('mergeGatewayStatus', () => {
  const listener = (name: string, attached: number, programmed: Condition['status'] = 'True') => ({
    name,
    supportedKinds: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }],
    attachedRoutes: attached,
    conditions: [cond('Accepted', 'True', 'Accepted', 1), cond('Programmed', programmed, programmed === 'True' ? 'Programmed' : 'Pending', 1)],
  });
  const desired = (attached: number): GatewayStatus => ({
    conditions: [cond('Accepted', 'True', 'Accepted', 1), cond('Programmed', 'True', 'Programmed', 1)],
    listeners: [listener('http', attached)],
  });
  const storedStatus = (s: GatewayStatus, extra: Partial<GatewayStatus> = {}): GatewayStatus => ({
    ...extra,
    conditions: s.conditions!.map((c) => stored(c)),
    listeners: s.listeners!.map((l) => ({ ...l, conditions: l.conditions.map((c) => stored(c)) })),
  });
  const addresses = [{ type: 'IPAddress', value: '10.0.0.7' }];

  it('unchanged status (addresses kept from the deployer) → no write', () => {
    expect(mergeGatewayStatus(storedStatus(desired(3), { addresses }), desired(3), { now: NOW })).toBeUndefined();
  });

  it('attachedRoutes changes; conditions keep their times; addresses stay', () => {
    const got = mergeGatewayStatus(storedStatus(desired(3), { addresses }), desired(4), { now: NOW });
    expect(got?.addresses).toEqual(addresses);
    expect(got?.listeners?.[0]?.attachedRoutes).toBe(4);
    expect(got?.listeners?.[0]?.conditions.every((c) => c.lastTransitionTime === T0)).toBe(true);
    expect(got?.conditions?.every((c) => c.lastTransitionTime === T0)).toBe(true);
  });

  it.each([
    { name: 'addresses from the deployer replace the current ones', current: { addresses: [{ type: 'IPAddress', value: '10.0.0.1' }] }, given: addresses, want: addresses },
    { name: 'a missing type is written as IPAddress (the CRD default)', current: {}, given: [{ value: '10.0.0.7' }], want: addresses },
    { name: 'an empty list removes them', current: { addresses }, given: [], want: undefined },
    { name: 'undefined keeps them', current: { addresses }, given: undefined, want: addresses },
  ])('$name', ({ current, given, want }) => {
    const before = storedStatus(desired(0), current);
    const got = mergeGatewayStatus(before, desired(0), { now: NOW, ...(given ? { addresses: given } : {}) });
    expect((got ?? before).addresses).toEqual(want); // undefined: no write needed
  });

  it('a listener matched by name keeps its times; a renamed one is new', () => {
    const current = storedStatus(desired(1));
    const next: GatewayStatus = { ...desired(1), listeners: [listener('http', 1), listener('https', 0)] };
    const got = mergeGatewayStatus(current, next, { now: NOW });
    expect(got?.listeners?.map((l) => [l.name, l.conditions.map((c) => c.lastTransitionTime)])).toEqual([
      ['http', [T0, T0]],
      ['https', [NOW, NOW]],
    ]);
  });

  it('Programmed flipping sets now on that condition only', () => {
    const current = storedStatus({ conditions: [cond('Accepted', 'True', 'Accepted', 1), cond('Programmed', 'Unknown', 'Pending', 1)], listeners: [listener('http', 0, 'Unknown')] });
    const got = mergeGatewayStatus(current, desired(0), { now: NOW });
    expect(got?.conditions?.map((c) => c.lastTransitionTime)).toEqual([T0, NOW]);
    expect(got?.listeners?.[0]?.conditions.map((c) => c.lastTransitionTime)).toEqual([T0, NOW]);
  });
});

describe('mergeHTTPRouteStatus', () => {
  const ours = (name: string, accepted: Condition['status'] = 'True', extra: Partial<RouteParentStatus['parentRef']> = {}): RouteParentStatus => ({
    parentRef: { name, ...extra },
    controllerName: CONTROLLER_NAME,
    conditions: [cond('Accepted', accepted, accepted === 'True' ? 'Accepted' : 'NotAllowedByListeners', 1), cond('ResolvedRefs', 'True', 'ResolvedRefs', 1)],
  });
  /** As the API server stores what we wrote: group/kind defaulted, times set. */
  const asStored = (p: RouteParentStatus, at = T0): RouteParentStatus => ({
    parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', ...p.parentRef },
    controllerName: p.controllerName,
    conditions: p.conditions.map((c) => stored(c, at)),
  });
  const theirs: RouteParentStatus = {
    parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'theirs' },
    controllerName: OTHER,
    conditions: [stored(cond('Accepted', 'True'))],
  };
  const opts = { now: NOW, routeNamespace: 'apps' };

  const cases: { name: string; current: HTTPRouteStatus | undefined; desired: HTTPRouteStatus; want: HTTPRouteStatus | undefined }[] = [
    { name: 'first write', current: undefined, desired: { parents: [ours('a')] }, want: { parents: [asStored(ours('a'), NOW)] } },
    { name: 'unchanged (server added group/kind defaults) → no write', current: { parents: [asStored(ours('a'))] }, desired: { parents: [ours('a')] }, want: undefined },
    {
      name: 'other controllers keep their entries and places',
      current: { parents: [theirs, asStored(ours('a', 'False'))] },
      desired: { parents: [ours('a')] },
      want: { parents: [theirs, { ...asStored(ours('a')), conditions: [stored(ours('a').conditions[0]!, NOW), stored(ours('a').conditions[1]!)] }] },
    },
    {
      name: 'our stale entries go; others stay; new ones are appended',
      current: { parents: [asStored(ours('old')), theirs, asStored(ours('a'))] },
      desired: { parents: [ours('a'), ours('b')] },
      want: { parents: [theirs, asStored(ours('a')), asStored(ours('b'), NOW)] },
    },
    {
      name: 'an explicit namespace equal to the route namespace is the same parent',
      current: { parents: [asStored(ours('a', 'True', { namespace: 'apps' }))] },
      desired: { parents: [ours('a')] },
      want: { parents: [asStored(ours('a'))] },
    },
    {
      name: 'sectionName makes another parent',
      current: { parents: [asStored(ours('a', 'True', { sectionName: 'http' }))] },
      desired: { parents: [ours('a', 'True', { sectionName: 'https' })] },
      want: { parents: [asStored(ours('a', 'True', { sectionName: 'https' }), NOW)] },
    },
    {
      name: 'withdrawn (empty desired) removes only ours',
      current: { parents: [asStored(ours('a')), theirs] },
      desired: { parents: [] },
      want: { parents: [theirs] },
    },
    { name: 'withdrawn from a route without status: nothing to write', current: undefined, desired: { parents: [] }, want: undefined },
    { name: 'nothing of ours, nothing wanted', current: { parents: [theirs] }, desired: { parents: [] }, want: undefined },
    {
      name: 'duplicate entries of ours collapse to one',
      current: { parents: [asStored(ours('a')), asStored(ours('a'))] },
      desired: { parents: [ours('a')] },
      want: { parents: [asStored(ours('a'))] },
    },
    {
      name: "desired entries of another controller are ignored (a report speaks only for us)",
      current: { parents: [theirs] },
      desired: { parents: [{ ...theirs, conditions: [cond('Accepted', 'False')] }] },
      want: undefined,
    },
  ];
  it.each(cases)('$name', ({ current, desired, want }) => {
    expect(mergeHTTPRouteStatus(current, desired, opts)).toEqual(want);
  });

  it('parentRefKey applies defaults', () => {
    expect(parentRefKey({ name: 'gw' }, 'apps')).toBe(parentRefKey({ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'apps', name: 'gw' }, 'x'));
    expect(parentRefKey({ name: 'gw', port: 80 }, 'apps')).not.toBe(parentRefKey({ name: 'gw' }, 'apps'));
  });
});

describe('mergeReport', () => {
  it('dispatches on kind and fills observedGeneration from the report', () => {
    const report: StatusReport = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', name: 'gantry', generation: 4, status: { conditions: [cond('Accepted', 'True')] } };
    expect(mergeReport(undefined, report, { now: NOW })).toEqual({ conditions: [{ ...cond('Accepted', 'True'), observedGeneration: 4, lastTransitionTime: NOW }] });
  });

  it('routes use the report namespace for parentRefs without one', () => {
    const report: StatusReport = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', namespace: 'apps', name: 'r', status: { parents: [{ parentRef: { name: 'gw' }, controllerName: CONTROLLER_NAME, conditions: [] }] } };
    const current: HTTPRouteStatus = { parents: [{ parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw', namespace: 'apps' }, controllerName: CONTROLLER_NAME, conditions: [] }] };
    expect(mergeReport(current, report, { now: NOW })).toEqual({ parents: [{ parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw' }, controllerName: CONTROLLER_NAME, conditions: [] }] });
  });

  it('Upstream status is wholly ours: conditions keep their times, the count and type are replaced', () => {
    const report: StatusReport = {
      apiVersion: 'gateway.gantry.dev/v1alpha1', kind: 'Upstream', namespace: 'gantry-system', name: 'u', generation: 2,
      status: { type: 'Kube', conditions: [cond('Accepted', 'True', 'Accepted', 2)], endpoints: 3 },
    };
    const written = { type: 'Kube' as const, conditions: [stored(cond('Accepted', 'True', 'Accepted', 2))], endpoints: 2, observedGeneration: 2 };
    expect(mergeReport(written, report, { now: NOW })).toEqual({ ...written, endpoints: 3 });
    expect(mergeReport({ ...written, endpoints: 3 }, report, { now: NOW })).toBeUndefined();
    expect(mergeReport(undefined, report, { now: NOW })).toEqual({ type: 'Kube', conditions: [stored(cond('Accepted', 'True', 'Accepted', 2), NOW)], endpoints: 3, observedGeneration: 2 });
  });

  it('Gateway reports take the deployer addresses', () => {
    const report: StatusReport = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', namespace: 'infra', name: 'gw', status: { conditions: [] } };
    expect(mergeReport({}, report, { now: NOW, addresses: [{ value: '10.1.1.1' }] })).toEqual({ addresses: [{ type: 'IPAddress', value: '10.1.1.1' }], conditions: [] });
  });
});


describe('reportKeyPriority', () => {
  it.each([
    ['GatewayClass gantry', 0],
    ['Gateway infra/gw', 1],
    ['HTTPRoute apps/r', 2],
    ['GRPCRoute apps/r', 2],
    ['Upstream gantry-system/u', 3],
    ['RouteOption apps/o', 4],
    ['TLSRoute apps/r', 2],
    ['VirtualDestination global/vd', 5],
    ['BackendTLSPolicy apps/p', 5],
    ['GatewayParameters gantry-system/p', 6],
    ['Other x', 13],
  ])('%s → %d', (key, want) => {
    expect(reportKeyPriority(key)).toBe(want);
  });
});

describe('mergePolicyStatus (RouteOption)', () => {
  const ref = (name: string) => ({ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'apps', name });
  const ours = (name: string, ...conditions: Condition[]): PolicyAncestorStatus => ({ ancestorRef: ref(name), controllerName: CONTROLLER_NAME, conditions });
  const opts = { now: NOW, routeNamespace: 'apps' };

  it("replaces our ancestors, keeps other controllers' in place, drops our stale ones, keeps transition times", () => {
    const theirs: PolicyAncestorStatus = { ancestorRef: ref('a'), controllerName: OTHER, conditions: [stored(cond('Accepted', 'True'))] };
    const current: RouteOptionStatus = {
      ancestors: [ours('stale', stored(cond('Accepted', 'True'))), theirs, ours('a', stored(cond('Accepted', 'True')))],
      conditions: [stored(cond('Accepted', 'True'))],
    };
    const desired: RouteOptionStatus = { ancestors: [ours('a', cond('Accepted', 'True')), ours('b', cond('Accepted', 'False', 'Invalid'))], conditions: [cond('Accepted', 'True')] };
    expect(mergePolicyStatus(current, desired, opts)).toEqual({
      ancestors: [theirs, ours('a', stored(cond('Accepted', 'True'))), ours('b', stored(cond('Accepted', 'False', 'Invalid'), NOW))],
      conditions: [stored(cond('Accepted', 'True'))],
    });
  });

  it('writes nothing when nothing changed', () => {
    const desired: RouteOptionStatus = { ancestors: [ours('a', cond('Accepted', 'True'))], conditions: [cond('Accepted', 'True')] };
    const current = mergePolicyStatus(undefined, desired, opts);
    expect(current).toBeDefined();
    expect(mergePolicyStatus(current, desired, opts)).toBeUndefined();
  });
});
