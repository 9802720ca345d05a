// The controller against a real kube-apiserver: the status it writes for valid and invalid
// configurations, read back from the API server. One control plane and one controller (no
// deployer) for the whole file; each case uses its own objects.
import { KIND_TABLE } from '@gantry/api';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { collectionPath, patchStatus, requestOk } from '@gantry/kube';
import {
  CLASS, CONTROLLER, CORE_KINDS, cond, createNamespace, createObject, deleteObject, eventually, eventuallyCondition, eventuallyRouteCondition, gateway,
  gatewayClass, hasCondition, httpRoute, mergePatchObject, ourParent, read, referenceGrant, selfSignedCertificate, service, startCluster, summary,
  type ObjectWithStatus, type TestCluster,
} from './testing/harness.js';

const NS = 'apps';
const OTHER = 'other';
const GROUP = 'gateway.networking.k8s.io';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ namespaces: [NS, OTHER] });
  const kc = cluster.kc;
  await cluster.controller();
  await createObject(kc, KIND_TABLE.GatewayClass, undefined, gatewayClass());
  await createObject(kc, CORE_KINDS.Service, NS, service('echo'));
  // `web` admits routes of its own namespace only; `open` admits routes from everywhere.
  await createObject(kc, KIND_TABLE.Gateway, NS, gateway('web', [{ name: 'http', port: 18080 }]));
  await createObject(kc, KIND_TABLE.Gateway, NS, gateway('open', [
    { name: 'a', port: 18081, hostname: 'a.example.com', allowedRoutes: { namespaces: { from: 'All' } } },
  ]));
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
}, 60_000);

describe('GatewayClass', () => {
  it('is Accepted with SupportedVersion, and publishes supportedFeatures', async () => {
    const gc = await eventuallyCondition(cluster.kc, KIND_TABLE.GatewayClass, undefined, CLASS, 'Accepted', 'True', 'Accepted');
    expect(summary(gc.status?.conditions)).toEqual(['Accepted=True/Accepted', 'SupportedVersion=True/SupportedVersion']);
    expect(gc.status?.supportedFeatures?.map((f) => f.name)).toEqual(expect.arrayContaining(['Gateway', 'HTTPRoute', 'ReferenceGrant']));
    expect(gc.status?.conditions?.every((c) => c.observedGeneration === gc.metadata.generation)).toBe(true);
  });

  it('leaves a GatewayClass of another controller alone', async () => {
    await createObject(cluster.kc, KIND_TABLE.GatewayClass, undefined, { metadata: { name: 'foreign' }, spec: { controllerName: 'example.com/other' } });
    // Our own class's status is written after every translation: once ours is, the foreign one
    // has been seen too.
    await eventuallyCondition(cluster.kc, KIND_TABLE.GatewayClass, undefined, CLASS, 'Accepted', 'True');
    await new Promise((r) => setTimeout(r, 500));
    expect((await read(cluster.kc, KIND_TABLE.GatewayClass, undefined, 'foreign')).status?.conditions?.map((c) => c.reason)).toEqual(['Pending']);
  });
});

describe('a valid Gateway and HTTPRoute', () => {
  it('route Accepted and ResolvedRefs; Gateway Accepted, listener attachedRoutes and supportedKinds', async () => {
    const kc = cluster.kc;
    await createObject(kc, KIND_TABLE.HTTPRoute, NS, httpRoute('ok', [{ name: 'web' }], [{ name: 'echo' }]));
    const route = await eventuallyRouteCondition(kc, NS, 'ok', 'web', 'ResolvedRefs', 'True');
    expect(summary(ourParent(route, 'web')?.conditions)).toEqual(['Accepted=True/Accepted', 'ResolvedRefs=True/ResolvedRefs']);
    expect(ourParent(route, 'web')?.parentRef).toEqual({ group: GROUP, kind: 'Gateway', name: 'web' });
    const gw = await eventually(kc, KIND_TABLE.Gateway, NS, 'web', (o) => o.status?.listeners?.[0]?.attachedRoutes === 1);
    // No Envoy runs here: Programmed waits for an ACK.
    expect(summary(gw.status?.conditions)).toEqual(['Accepted=True/Accepted', 'Programmed=Unknown/Pending']);
    const [listener] = gw.status?.listeners ?? [];
    expect(listener?.name).toBe('http');
    expect(listener?.supportedKinds).toEqual([{ group: GROUP, kind: 'HTTPRoute' }, { group: GROUP, kind: 'GRPCRoute' }]);
    expect(summary(listener?.conditions)).toEqual(['Accepted=True/Accepted', 'Conflicted=False/NoConflicts', 'Programmed=Unknown/Pending', 'ResolvedRefs=True/ResolvedRefs']);
    expect(gw.status?.conditions?.every((c) => c.observedGeneration === 1)).toBe(true);
  });

  it('observedGeneration follows edits; lastTransitionTime stays when a condition does not flip', async () => {
    const kc = cluster.kc;
    const before = await read(kc, KIND_TABLE.HTTPRoute, NS, 'ok');
    const acceptedBefore = cond(ourParent(before, 'web')?.conditions, 'Accepted');
    expect(acceptedBefore?.observedGeneration).toBe(1);
    await new Promise((r) => setTimeout(r, 1100)); // lastTransitionTime has a one-second resolution
    await mergePatchObject(kc, KIND_TABLE.HTTPRoute, NS, 'ok', { spec: { hostnames: ['ok.example.com'] } });
    const after = await eventually(kc, KIND_TABLE.HTTPRoute, NS, 'ok', (o) => cond(ourParent(o, 'web')?.conditions, 'Accepted')?.observedGeneration === 2);
    const acceptedAfter = cond(ourParent(after, 'web')?.conditions, 'Accepted');
    expect(acceptedAfter?.status).toBe('True');
    expect(acceptedAfter?.lastTransitionTime).toBe(acceptedBefore?.lastTransitionTime);
    expect(cond(ourParent(after, 'web')?.conditions, 'ResolvedRefs')?.observedGeneration).toBe(2);

    // The Gateway too: a new listener bumps its generation, and every condition follows.
    const gwBefore = await read(kc, KIND_TABLE.Gateway, NS, 'web');
    await mergePatchObject(kc, KIND_TABLE.Gateway, NS, 'web', { spec: { listeners: [{ name: 'http', port: 18080, protocol: 'HTTP' }, { name: 'extra', port: 18090, protocol: 'HTTP' }] } });
    const gwAfter = await eventually(kc, KIND_TABLE.Gateway, NS, 'web', (o) => o.status?.listeners?.length === 2 && o.status.conditions?.every((c) => c.observedGeneration === 2) === true);
    expect(gwAfter.metadata.generation).toBe(2);
    expect(cond(gwAfter.status?.conditions, 'Accepted')?.lastTransitionTime).toBe(cond(gwBefore.status?.conditions, 'Accepted')?.lastTransitionTime);
    // A route without sectionName attaches to both listeners.
    expect(gwAfter.status?.listeners?.map((l) => [l.name, l.attachedRoutes])).toEqual([['http', 1], ['extra', 1]]);
  });
});

describe('status someone else changed', () => {
  it('is written back: the watch shows the divergence, and the report no longer matches the object', async () => {
    const kc = cluster.kc;
    const gw = await eventuallyCondition(kc, KIND_TABLE.Gateway, NS, 'web', 'Accepted', 'True');
    const tampered = (gw.status?.conditions ?? []).map((c) => (c.type === 'Accepted' ? { ...c, status: 'False', reason: 'Tampered', message: 'by hand' } : c));
    expect(await patchStatus(kc, KIND_TABLE.Gateway, NS, 'web', { conditions: tampered }, { fieldManager: 'kubectl-edit' })).toBe('patched');
    await eventuallyCondition(kc, KIND_TABLE.Gateway, NS, 'web', 'Accepted', 'True', 'Accepted');
  });
});

describe('invalid backends', () => {
  it('an unknown backend kind: ResolvedRefs=False/InvalidKind, still Accepted', async () => {
    await createObject(cluster.kc, KIND_TABLE.HTTPRoute, NS, httpRoute('bad-kind', [{ name: 'web' }], [{ name: 'x', group: 'example.com', kind: 'Bucket' }]));
    const route = await eventuallyRouteCondition(cluster.kc, NS, 'bad-kind', 'web', 'ResolvedRefs', 'False', 'InvalidKind');
    expect(hasCondition(ourParent(route, 'web')?.conditions, 'Accepted', 'True')).toBe(true);
  });

  it('an ExtensionRef to a RouteOption created after the route: BackendNotFound, then ResolvedRefs, and the RouteOption status lists the route', async () => {
    const route = httpRoute('with-option', [{ name: 'web' }], [{ name: 'echo' }]);
    const rules = (route['spec'] as { rules: Record<string, unknown>[] }).rules;
    rules[0]!['filters'] = [{ type: 'ExtensionRef', extensionRef: { group: 'gateway.gantry.dev', kind: 'RouteOption', name: 'later-option' } }];
    await createObject(cluster.kc, KIND_TABLE.HTTPRoute, NS, route);
    const failing = await eventuallyRouteCondition(cluster.kc, NS, 'with-option', 'web', 'ResolvedRefs', 'False', 'BackendNotFound');
    expect(cond(ourParent(failing, 'web')?.conditions, 'ResolvedRefs')?.message).toContain('RouteOption later-option not found');
    await createObject(cluster.kc, KIND_TABLE.RouteOption, NS, { metadata: { name: 'later-option' }, spec: { options: { prefixRewrite: '/api' } } });
    await eventuallyRouteCondition(cluster.kc, NS, 'with-option', 'web', 'ResolvedRefs', 'True', 'ResolvedRefs');
    const option = await eventually(cluster.kc, KIND_TABLE.RouteOption, NS, 'later-option', (o) => hasCondition(o.status?.conditions, 'Accepted', 'True'));
    const ancestors = (option.status as { ancestors?: { ancestorRef: { name: string }; controllerName: string }[] } | undefined)?.ancestors ?? [];
    expect(ancestors.map((a) => [a.ancestorRef.name, a.controllerName])).toEqual([['with-option', CONTROLLER]]);
  });

  it('a missing Service: BackendNotFound, then ResolvedRefs once the Service exists', async () => {
    await createObject(cluster.kc, KIND_TABLE.HTTPRoute, NS, httpRoute('missing', [{ name: 'web' }], [{ name: 'later' }]));
    await eventuallyRouteCondition(cluster.kc, NS, 'missing', 'web', 'ResolvedRefs', 'False', 'BackendNotFound');
    await createObject(cluster.kc, CORE_KINDS.Service, NS, service('later'));
    await eventuallyRouteCondition(cluster.kc, NS, 'missing', 'web', 'ResolvedRefs', 'True', 'ResolvedRefs');
  });

  it('a cross-namespace backend: RefNotPermitted, ResolvedRefs once a ReferenceGrant allows it, RefNotPermitted when it goes', async () => {
    const kc = cluster.kc;
    await createObject(kc, KIND_TABLE.HTTPRoute, OTHER, httpRoute('cross', [{ name: 'open', namespace: NS }], [{ name: 'echo', namespace: NS }]));
    const denied = await eventuallyRouteCondition(kc, OTHER, 'cross', 'open', 'ResolvedRefs', 'False', 'RefNotPermitted');
    expect(hasCondition(ourParent(denied, 'open')?.conditions, 'Accepted', 'True')).toBe(true);
    await createObject(kc, KIND_TABLE.ReferenceGrant, NS, referenceGrant('from-other', OTHER));
    await eventuallyRouteCondition(kc, OTHER, 'cross', 'open', 'ResolvedRefs', 'True', 'ResolvedRefs');
    await deleteObject(kc, KIND_TABLE.ReferenceGrant, NS, 'from-other');
    await eventuallyRouteCondition(kc, OTHER, 'cross', 'open', 'ResolvedRefs', 'False', 'RefNotPermitted');
  });
});

describe('routes that do not attach', () => {
  it('hostnames no listener matches: Accepted=False/NoMatchingListenerHostname', async () => {
    await createObject(cluster.kc, KIND_TABLE.HTTPRoute, NS, httpRoute('wrong-host', [{ name: 'open' }], [{ name: 'echo' }], { hostnames: ['b.example.com'] }));
    await eventuallyRouteCondition(cluster.kc, NS, 'wrong-host', 'open', 'Accepted', 'False', 'NoMatchingListenerHostname');
  });

  it('a sectionName or port no listener has: Accepted=False/NoMatchingParent', async () => {
    await createObject(cluster.kc, KIND_TABLE.HTTPRoute, NS, httpRoute('wrong-section', [{ name: 'web', sectionName: 'nope' }], [{ name: 'echo' }]));
    await createObject(cluster.kc, KIND_TABLE.HTTPRoute, NS, httpRoute('wrong-port', [{ name: 'web', port: 9999 }], [{ name: 'echo' }]));
    await eventuallyRouteCondition(cluster.kc, NS, 'wrong-section', 'web', 'Accepted', 'False', 'NoMatchingParent', 'nope');
    const r = await eventually(cluster.kc, KIND_TABLE.HTTPRoute, NS, 'wrong-port', (o) =>
      o.status?.parents?.some((p) => p.parentRef.port === 9999 && hasCondition(p.conditions, 'Accepted', 'False', 'NoMatchingParent')) === true);
    expect(r.status?.parents?.[0]?.parentRef).toEqual({ group: GROUP, kind: 'Gateway', name: 'web', port: 9999 });
  });

  it('a namespace the listener does not admit: Accepted=False/NotAllowedByListeners', async () => {
    await createObject(cluster.kc, KIND_TABLE.HTTPRoute, OTHER, httpRoute('outsider', [{ name: 'web', namespace: NS }], [{ name: 'echo' }]));
    await eventually(cluster.kc, KIND_TABLE.HTTPRoute, OTHER, 'outsider', (o) =>
      hasCondition(o.status?.parents?.find((p) => p.parentRef.name === 'web')?.conditions, 'Accepted', 'False', 'NotAllowedByListeners'));
  });
});

describe('certificate references', () => {
  it('a missing Secret is InvalidCertificateRef; another namespace needs a ReferenceGrant (RefNotPermitted until then)', async () => {
    const kc = cluster.kc;
    const { crt, key } = selfSignedCertificate('tls.example.com');
    await createObject(kc, CORE_KINDS.Secret, OTHER, { metadata: { name: 'cert' }, type: 'kubernetes.io/tls', stringData: { 'tls.crt': crt, 'tls.key': key } });
    await createObject(kc, KIND_TABLE.Gateway, NS, gateway('tls', [
      { name: 'missing', port: 18443, protocol: 'HTTPS', hostname: 'm.example.com', tls: { mode: 'Terminate', certificateRefs: [{ name: 'nothing-here' }] } },
      { name: 'foreign', port: 18443, protocol: 'HTTPS', hostname: 'tls.example.com', tls: { mode: 'Terminate', certificateRefs: [{ name: 'cert', namespace: OTHER }] } },
    ]));
    const listener = (o: Awaited<ReturnType<typeof read>>, name: string) => o.status?.listeners?.find((l) => l.name === name)?.conditions;
    const gw = await eventually(kc, KIND_TABLE.Gateway, NS, 'tls', (o) =>
      hasCondition(listener(o, 'missing'), 'ResolvedRefs', 'False', 'InvalidCertificateRef') && hasCondition(listener(o, 'foreign'), 'ResolvedRefs', 'False', 'RefNotPermitted'));
    expect(hasCondition(listener(gw, 'missing'), 'Programmed', 'False')).toBe(true);
    // Never the key in status.
    expect(JSON.stringify(gw.status)).not.toContain('PRIVATE KEY');

    await createObject(kc, KIND_TABLE.ReferenceGrant, OTHER, referenceGrant('certs-for-apps', NS, 'Secret', 'Gateway'));
    await eventually(kc, KIND_TABLE.Gateway, NS, 'tls', (o) => hasCondition(listener(o, 'foreign'), 'ResolvedRefs', 'True', 'ResolvedRefs'));
    await deleteObject(kc, KIND_TABLE.ReferenceGrant, OTHER, 'certs-for-apps');
    await eventually(kc, KIND_TABLE.Gateway, NS, 'tls', (o) => hasCondition(listener(o, 'foreign'), 'ResolvedRefs', 'False', 'RefNotPermitted'));
  });
});

describe('HTTPRoute status shared with other controllers', () => {
  it("keeps another controller's parent entry; removes ours once the route stops referencing our Gateway", async () => {
    const kc = cluster.kc;
    await createObject(kc, KIND_TABLE.Gateway, NS, { metadata: { name: 'theirs' }, spec: { gatewayClassName: 'foreign', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] } });
    await createObject(kc, KIND_TABLE.HTTPRoute, NS, httpRoute('shared', [{ name: 'web' }, { name: 'theirs' }], [{ name: 'echo' }]));
    const ours = await eventuallyRouteCondition(kc, NS, 'shared', 'web', 'Accepted', 'True');
    // Only our parent is reported: `theirs` belongs to another class.
    expect(ours.status?.parents?.map((p) => p.parentRef.name)).toEqual(['web']);

    // The other controller writes its entry next to ours.
    const theirEntry = {
      parentRef: { group: GROUP, kind: 'Gateway', name: 'theirs' },
      controllerName: 'example.com/other',
      conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: 'theirs', observedGeneration: 1, lastTransitionTime: '2024-01-01T00:00:00Z' }],
    };
    expect(await patchStatus(kc, KIND_TABLE.HTTPRoute, NS, 'shared', { parents: [...(ours.status?.parents ?? []), theirEntry] }, { resourceVersion: ours.metadata.resourceVersion, fieldManager: 'other' })).toBe('patched');

    // An edit makes us rewrite our entry (new observedGeneration); theirs stays as it was.
    await mergePatchObject(kc, KIND_TABLE.HTTPRoute, NS, 'shared', { spec: { hostnames: ['shared.example.com'] } });
    const rewritten = await eventually(kc, KIND_TABLE.HTTPRoute, NS, 'shared', (o) => cond(ourParent(o, 'web')?.conditions, 'Accepted')?.observedGeneration === 2);
    expect(rewritten.status?.parents?.find((p) => p.controllerName === 'example.com/other')).toEqual(theirEntry);

    // The route moves away from our Gateway: our stale entry goes, theirs stays.
    await mergePatchObject(kc, KIND_TABLE.HTTPRoute, NS, 'shared', { spec: { parentRefs: [{ name: 'theirs' }] } });
    const moved = await eventually(kc, KIND_TABLE.HTTPRoute, NS, 'shared', (o) => ourParent(o, 'web') === undefined);
    expect(moved.status?.parents).toEqual([theirEntry]);
    expect(CONTROLLER).toBe('gantry.dev/gatewayclass-controller');
  });

  it('a route re-pointed to another listener: our entry for the old sectionName is replaced', async () => {
    const kc = cluster.kc;
    await createObject(kc, KIND_TABLE.HTTPRoute, NS, httpRoute('repointed', [{ name: 'web', sectionName: 'http' }], [{ name: 'echo' }]));
    await eventuallyRouteCondition(kc, NS, 'repointed', 'web', 'Accepted', 'True', undefined, 'http');
    await mergePatchObject(kc, KIND_TABLE.HTTPRoute, NS, 'repointed', { spec: { parentRefs: [{ name: 'web', sectionName: 'extra' }] } });
    const r = await eventuallyRouteCondition(kc, NS, 'repointed', 'web', 'Accepted', 'True', undefined, 'extra');
    expect(r.status?.parents?.map((p) => p.parentRef.sectionName)).toEqual(['extra']);
  });
});

describe('Upstream status', () => {
  const UPSTREAMS = 'upstreams';
  const endpoint = (ip: string, pod: string) => ({ addresses: [ip], conditions: { ready: true }, targetRef: { kind: 'Pod', name: pod, namespace: UPSTREAMS } });
  const pod = (name: string, version: string) => ({
    metadata: { name, labels: { app: 'reviews', version } },
    spec: { automountServiceAccountToken: false, containers: [{ name: 'app', image: 'example.com/reviews:1' }] },
  });

  beforeAll(async () => {
    const kc = cluster.kc;
    await createNamespace(kc, UPSTREAMS);
    // No controller-manager here: the ServiceAccount admission plugin needs `default` to exist.
    await createObject(kc, CORE_KINDS.ServiceAccount, UPSTREAMS, { metadata: { name: 'default' } });
    await createObject(kc, CORE_KINDS.Service, UPSTREAMS, service('reviews'));
    await createObject(kc, CORE_KINDS.EndpointSlice, UPSTREAMS, {
      metadata: { name: 'reviews-a', labels: { 'kubernetes.io/service-name': 'reviews' } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      endpoints: [endpoint('10.3.0.1', 'r-1'), endpoint('10.3.0.2', 'r-2'), endpoint('10.3.0.3', 'r-3')],
    });
    for (const [name, version] of [['r-1', 'v1'], ['r-2', 'v2'], ['r-3', 'v2']] as const) await createObject(kc, KIND_TABLE.Pod, UPSTREAMS, pod(name, version));
  }, 60_000);

  const endpointsOf = (o: ObjectWithStatus) => (o.status as { endpoints?: number } | undefined)?.endpoints;

  it('a kube Upstream with a selector: Accepted, ResolvedRefs, the selected Pods counted; a Pod relabelled changes the count', async () => {
    const kc = cluster.kc;
    await createObject(kc, KIND_TABLE.Upstream, UPSTREAMS, { metadata: { name: 'reviews-v2' }, spec: { kube: { serviceName: 'reviews', servicePort: 8080, selector: { version: 'v2' } } } });
    const us = await eventually(kc, KIND_TABLE.Upstream, UPSTREAMS, 'reviews-v2', (o) => endpointsOf(o) === 2);
    expect(summary(us.status?.conditions)).toEqual(['Accepted=True/Accepted', 'ResolvedRefs=True/ResolvedRefs']);
    expect(us.status?.conditions?.every((c) => c.observedGeneration === 1)).toBe(true);
    expect((us.status as { type?: string; observedGeneration?: number }).type).toBe('Kube');
    await mergePatchObject(kc, KIND_TABLE.Pod, UPSTREAMS, 'r-1', { metadata: { labels: { version: 'v2' } } });
    await eventually(kc, KIND_TABLE.Upstream, UPSTREAMS, 'reviews-v2', (o) => endpointsOf(o) === 3);
    await deleteObject(kc, KIND_TABLE.Pod, UPSTREAMS, 'r-2');
    await eventually(kc, KIND_TABLE.Upstream, UPSTREAMS, 'reviews-v2', (o) => endpointsOf(o) === 2);
  });

  it('a missing Service: ResolvedRefs=False/BackendNotFound, then True once it exists; kubectl-style table columns', async () => {
    const kc = cluster.kc;
    await createObject(kc, KIND_TABLE.Upstream, UPSTREAMS, { metadata: { name: 'later' }, spec: { kube: { serviceName: 'later', servicePort: 8080 } } });
    const missing = await eventuallyCondition(kc, KIND_TABLE.Upstream, UPSTREAMS, 'later', 'ResolvedRefs', 'False', 'BackendNotFound');
    expect(cond(missing.status?.conditions, 'ResolvedRefs')?.message).toBe(`Service ${UPSTREAMS}/later not found`);
    await createObject(kc, CORE_KINDS.Service, UPSTREAMS, service('later'));
    await eventuallyCondition(kc, KIND_TABLE.Upstream, UPSTREAMS, 'later', 'ResolvedRefs', 'True', 'ResolvedRefs');
    // What `kubectl get upstreams` prints: the API server's Table of the CRD's printer columns.
    await createObject(kc, KIND_TABLE.Upstream, UPSTREAMS, { metadata: { name: 'json' }, spec: { static: { hosts: [{ addr: 'jsonplaceholder.typicode.com', port: 443 }] } } });
    await eventuallyCondition(kc, KIND_TABLE.Upstream, UPSTREAMS, 'json', 'Accepted', 'True');
    const table = await requestOk(kc, collectionPath(KIND_TABLE.Upstream, UPSTREAMS), { accept: 'application/json;as=Table;g=meta.k8s.io;v=v1' }) as {
      columnDefinitions: { name: string; priority: number }[];
      rows: { cells: unknown[]; object: { metadata: { name: string } } }[];
    };
    expect(table.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name)).toEqual(['Name', 'Type', 'Accepted', 'Endpoints', 'Age']);
    const row = (name: string) => table.rows.find((r) => r.cells[0] === name)?.cells.slice(1, 4);
    expect(row('json')).toEqual(['Static', 'True', 1]);
    expect(row('later')).toEqual(['Kube', 'True', 0]);
  });
});

describe('GatewayParameters', () => {
  it('Accepted and usedBy (the Gateways and classes referencing it); InvalidParameters with what is wrong', async () => {
    const kc = cluster.kc;
    await createObject(kc, KIND_TABLE.GatewayParameters, NS, { metadata: { name: 'edge' }, spec: { replicas: 2, podDisruptionBudget: { maxUnavailable: 1 } } });
    await createObject(kc, KIND_TABLE.Gateway, NS, gateway('paramed', [{ name: 'http', port: 18090 }], { infrastructure: { parametersRef: { group: 'gateway.gantry.dev', kind: 'GatewayParameters', name: 'edge' } } }));
    const used = await eventually(kc, KIND_TABLE.GatewayParameters, NS, 'edge', (o) => ((o.status as { usedBy?: string[] } | undefined)?.usedBy ?? []).length > 0);
    expect(summary(used.status?.conditions)).toEqual(['Accepted=True/Accepted']);
    expect((used.status as { usedBy?: string[] }).usedBy).toEqual([`Gateway/${NS}/paramed`]);
    expect(used.status?.conditions?.[0]?.observedGeneration).toBe(1);

    // What the CRD lets through but cannot work: a label key Kubernetes refuses on the Pods.
    await mergePatchObject(kc, KIND_TABLE.GatewayParameters, NS, 'edge', { spec: { labels: { 'bad key': 'x' } } });
    const invalid = await eventuallyCondition(kc, KIND_TABLE.GatewayParameters, NS, 'edge', 'Accepted', 'False', 'InvalidParameters');
    expect(cond(invalid.status?.conditions, 'Accepted')?.message).toBe('spec.labels: invalid key "bad key"');
    expect(cond(invalid.status?.conditions, 'Accepted')?.observedGeneration).toBe(2);

    await deleteObject(kc, KIND_TABLE.Gateway, NS, 'paramed');
    await eventually(kc, KIND_TABLE.GatewayParameters, NS, 'edge', (o) => ((o.status as { usedBy?: string[] } | undefined)?.usedBy ?? ['x']).length === 0);
  });
});

describe('VirtualDestination status', () => {
  const VDS = 'vds';
  const labelled = (name: string, labels: Record<string, string>) => ({ ...service(name), metadata: { name, labels } });
  const selected = (o: ObjectWithStatus) => (o.status as { numSelectedBackingServices?: number; selectedBackingServices?: { name: string }[] } | undefined);

  beforeAll(async () => {
    await createNamespace(cluster.kc, VDS);
  }, 60_000);

  it('follows Service labels (the seed example): backing Services listed, Oldest warns, a label removed drops a Service; kubectl-style columns', async () => {
    const kc = cluster.kc;
    await createObject(kc, CORE_KINDS.Service, VDS, labelled('global-app', { app: 'global-app' }));
    await createObject(kc, KIND_TABLE.VirtualDestination, VDS, {
      metadata: { name: 'global-app-vd' },
      spec: { hosts: ['my.app.com'], ports: [{ number: 8080, protocol: 'HTTP', targetPort: { number: 8080 } }], services: [{ labels: { app: 'global-app' } }] },
    });
    const first = await eventually(kc, KIND_TABLE.VirtualDestination, VDS, 'global-app-vd', (o) => selected(o)?.numSelectedBackingServices === 1);
    expect(summary(first.status?.conditions)).toEqual(['Accepted=True/Accepted', 'ResolvedRefs=True/ResolvedRefs']);
    expect(selected(first)?.selectedBackingServices).toEqual([{ cluster: 'local', namespace: VDS, name: 'global-app', port: 8080 }]);
    // A second labelled Service: Oldest keeps the first and warns.
    await createObject(kc, CORE_KINDS.Service, VDS, labelled('global-app-2', { app: 'global-app' }));
    await eventuallyCondition(kc, KIND_TABLE.VirtualDestination, VDS, 'global-app-vd', 'MultipleServicesSelected', 'True', 'OldestSelected');
    // The first loses its label: the second is selected, the warning goes.
    await mergePatchObject(kc, CORE_KINDS.Service, VDS, 'global-app', { metadata: { labels: { app: 'retired' } } });
    const moved = await eventually(kc, KIND_TABLE.VirtualDestination, VDS, 'global-app-vd', (o) => selected(o)?.selectedBackingServices?.[0]?.name === 'global-app-2');
    expect(summary(moved.status?.conditions)).toEqual(['Accepted=True/Accepted', 'ResolvedRefs=True/ResolvedRefs']);
    const table = await requestOk(kc, collectionPath(KIND_TABLE.VirtualDestination, VDS), { accept: 'application/json;as=Table;g=meta.k8s.io;v=v1' }) as {
      columnDefinitions: { name: string; priority: number }[];
      rows: { cells: unknown[] }[];
    };
    expect(table.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Hosts', 'Backing Services', 'Accepted', 'Age']);
    expect(table.rows.find((r) => r.cells[0] === 'global-app-vd')?.cells.slice(1, 4)).toEqual(['my.app.com', 1, 'True']);
  });
});
