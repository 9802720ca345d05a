// Discovery through the controller against a real kube-apiserver: Upstreams appear for Service
// ports, a user's fields on them survive Service changes and a controller restart, selectors and
// ports propagate, removed ports and Services take their Upstreams along, a user's Upstream with a
// clashing name and an adopted one are left alone, scope (namespace selector, annotation) is
// honoured, one Service change costs one apply, and the off switch removes exactly discovery's.
import { KIND_TABLE, type Upstream } from '@gantry/api';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { removeDiscoveredUpstreams } from '@gantry/discovery';
import { collectionPath, requestOk, silentLogger } from '@gantry/kube';
import type { Controller } from './controller.js';
import { CORE_KINDS, createNamespace, createObject, deleteObject, getObject, mergePatchObject, startCluster, waitFor, type TestCluster } from './testing/harness.js';

const INSTALL = 'gantry-system';
const SHOP = 'shop';
const OTHER = 'other-team';
const SKIPPED = 'not-selected';

let cluster: TestCluster;
let controller: Controller;

const start = () =>
  cluster.controller({ discovery: { scope: { namespaceSelector: { matchExpressions: [{ key: 'discovery', operator: 'NotIn', values: ['off'] }] } } } });

beforeAll(async () => {
  cluster = await startCluster({ namespaces: [INSTALL, SHOP, OTHER] });
  await createObject(cluster.kc, CORE_KINDS.Namespace, undefined, { metadata: { name: SKIPPED, labels: { discovery: 'off' } } });
  controller = await start();
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
}, 60_000);

function service(name: string, ports: { name?: string; port: number; appProtocol?: string }[], extra: Record<string, unknown> = {}) {
  return { metadata: { name, labels: { app: name } }, spec: { selector: { app: name }, ports: ports.map((p) => ({ protocol: 'TCP', ...p })) }, ...extra };
}

async function upstream(name: string): Promise<Upstream | undefined> {
  return (await getObject(cluster.kc, KIND_TABLE.Upstream, INSTALL, name).catch(() => undefined)) as Upstream | undefined;
}

async function eventuallyUpstream(name: string, ok: (u: Upstream | undefined) => boolean, what: string, timeoutMs = 10_000): Promise<Upstream | undefined> {
  let last: Upstream | undefined;
  try {
    await waitFor(`${name}: ${what}`, async () => ok((last = await upstream(name))), timeoutMs, 50);
  } catch (err) {
    throw new Error(`${(err as Error).message}; last: ${JSON.stringify(last?.spec)}`);
  }
  return last;
}

const metric = async (name: string, labels = ''): Promise<number> => {
  const text = await controller.metrics.registry.expose();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.split(' ').pop()) : 0;
};

describe('discovery', () => {
  it('creates an Upstream per Service port within 2 s: name, labels, kube target, selector, HTTP/2 from the port', async () => {
    const t0 = Date.now();
    await createObject(cluster.kc, CORE_KINDS.Service, SHOP, service('cart', [{ name: 'http', port: 80 }, { name: 'grpc', port: 9090 }]));
    const http = await eventuallyUpstream('shop-cart-80', (u) => u !== undefined, 'created', 2_000);
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeLessThan(2_000);
    expect(http?.metadata.labels).toMatchObject({ 'gantry.dev/discovered-by': 'discovery', 'app.kubernetes.io/managed-by': 'gantry' });
    expect(http?.spec).toEqual({
      kube: { serviceName: 'cart', serviceNamespace: SHOP, servicePort: 80, selector: { app: 'cart' } },
      discoveryMetadata: { labels: { app: 'cart' } },
    });
    const grpc = await eventuallyUpstream('shop-cart-9090', (u) => u !== undefined, 'created');
    expect(grpc?.spec?.useHttp2).toBe(true);
    // The translator picks it up like any Upstream: it gets a status.
    await eventuallyUpstream('shop-cart-80', (u) => (u?.status as { type?: string } | undefined)?.type === 'Kube', 'status written');
  });

  it("keeps a user's fields through three Service changes and a controller restart; the Service's changes reach the Upstream", async () => {
    const kc = cluster.kc;
    const healthCheck = { interval: '5s', timeout: '1s', unhealthyThreshold: 2, healthyThreshold: 1, http: { path: '/healthz' } };
    await mergePatchObject(kc, KIND_TABLE.Upstream, INSTALL, 'shop-cart-80', { spec: { healthCheck, loadBalancer: { leastRequest: { choiceCount: 3 } } } });
    // 1: the Service's labels; 2: its selector; 3: a port renamed to say h2c.
    await mergePatchObject(kc, CORE_KINDS.Service, SHOP, 'cart', { metadata: { labels: { tier: 'web' } } });
    await eventuallyUpstream('shop-cart-80', (u) => u?.spec?.discoveryMetadata?.labels?.tier === 'web', 'labels copied');
    await mergePatchObject(kc, CORE_KINDS.Service, SHOP, 'cart', { spec: { selector: { app: 'cart', version: 'v2' } } });
    await eventuallyUpstream('shop-cart-80', (u) => u?.spec?.kube?.selector?.version === 'v2', 'selector copied');
    await mergePatchObject(kc, CORE_KINDS.Service, SHOP, 'cart', { spec: { ports: [{ name: 'h2c-web', port: 80, protocol: 'TCP' }, { name: 'grpc', port: 9090, protocol: 'TCP' }] } });
    let u = await eventuallyUpstream('shop-cart-80', (x) => x?.spec?.useHttp2 === true, 'HTTP/2 inferred');
    expect(u?.spec?.healthCheck).toEqual(healthCheck);
    expect(u?.spec?.loadBalancer).toEqual({ leastRequest: { choiceCount: 3 } });

    await controller.stop();
    controller = await start();
    // A change after the restart: the port loses its h2c name (discovery gives up useHttp2, which it owned).
    await mergePatchObject(kc, CORE_KINDS.Service, SHOP, 'cart', { spec: { ports: [{ name: 'web', port: 80, protocol: 'TCP' }, { name: 'grpc', port: 9090, protocol: 'TCP' }] } });
    u = await eventuallyUpstream('shop-cart-80', (x) => x !== undefined && x.spec?.useHttp2 === undefined, 'useHttp2 removed');
    expect(u?.spec?.healthCheck).toEqual(healthCheck);
    expect(u?.spec?.kube?.selector).toEqual({ app: 'cart', version: 'v2' });
  });

  it('after a restart nothing unchanged is written again; one Service change is one apply per Upstream', async () => {
    await controller.discoveryLoop?.idle();
    const before = await metric('gantry_discovery_applies_total', 'result="updated"');
    await mergePatchObject(cluster.kc, CORE_KINDS.Service, SHOP, 'cart', { metadata: { labels: { tier: 'api' } } });
    await eventuallyUpstream('shop-cart-80', (u) => u?.spec?.discoveryMetadata?.labels?.tier === 'api', 'labels copied');
    await controller.settled();
    await controller.discoveryLoop?.idle();
    // Both ports' Upstreams carry the Service's labels: two applies for two Upstreams, nothing more.
    expect((await metric('gantry_discovery_applies_total', 'result="updated"')) - before).toBe(2);
    expect(await metric('gantry_discovery_applies_total', 'result="created"')).toBe(0);
  });

  it('a removed port and a deleted Service take their Upstreams along', async () => {
    await mergePatchObject(cluster.kc, CORE_KINDS.Service, SHOP, 'cart', { spec: { ports: [{ name: 'web', port: 80, protocol: 'TCP' }] } });
    await eventuallyUpstream('shop-cart-9090', (u) => u === undefined, 'deleted with its port');
    await deleteObject(cluster.kc, CORE_KINDS.Service, SHOP, 'cart');
    await eventuallyUpstream('shop-cart-80', (u) => u === undefined, 'deleted with its Service');
  });

  it("never touches a user's Upstream with the name it wants, and lets go of one whose label was removed", async () => {
    const kc = cluster.kc;
    // A user's Upstream already named like the Service port's.
    await createObject(kc, KIND_TABLE.Upstream, INSTALL, { metadata: { name: 'shop-mine-80' }, spec: { static: { hosts: [{ addr: '10.0.0.1', port: 80 }] } } });
    const clashes = await metric('gantry_discovery_skipped_clashes_total');
    await createObject(kc, CORE_KINDS.Service, SHOP, service('mine', [{ port: 80 }]));
    await waitFor('the clash is counted', async () => (await metric('gantry_discovery_skipped_clashes_total')) > clashes, 5_000);
    expect((await upstream('shop-mine-80'))?.spec).toEqual({ static: { hosts: [{ addr: '10.0.0.1', port: 80 }] } });
    await deleteObject(kc, CORE_KINDS.Service, SHOP, 'mine');
    await controller.discoveryLoop?.idle();
    expect(await upstream('shop-mine-80')).toBeDefined();

    // Adoption: the label removed, the Upstream is the user's; deleting the Service leaves it.
    await createObject(kc, CORE_KINDS.Service, SHOP, service('adopted', [{ port: 80 }]));
    await eventuallyUpstream('shop-adopted-80', (u) => u !== undefined, 'created');
    await mergePatchObject(kc, KIND_TABLE.Upstream, INSTALL, 'shop-adopted-80', { metadata: { labels: { 'gantry.dev/discovered-by': null } } });
    await deleteObject(kc, CORE_KINDS.Service, SHOP, 'adopted');
    await new Promise((r) => setTimeout(r, 500));
    await controller.discoveryLoop?.idle();
    expect(await upstream('shop-adopted-80')).toBeDefined();
  });

  it('two Service ports whose names run together: the first in order keeps the name, the other gets a hashed one', async () => {
    const kc = cluster.kc;
    await createNamespace(kc, 'a-b');
    await createNamespace(kc, 'a');
    await createObject(kc, CORE_KINDS.Service, 'a-b', service('c', [{ port: 80 }]));
    await createObject(kc, CORE_KINDS.Service, 'a', service('b-c', [{ port: 80 }]));
    // `a-b/c/80` sorts before `a/b-c/80`.
    const first = await eventuallyUpstream('a-b-c-80', (u) => u !== undefined, 'created');
    expect(first?.spec?.kube?.serviceNamespace).toBe('a-b');
    // The second Service may reach discovery in a later pass than the first.
    const nameOfOther = (): string => controller.discoveryLoop?.discovery.nameFor('a', 'b-c', 80) ?? '';
    await waitFor('a/b-c/80 named', async () => nameOfOther() !== '', 10_000, 50);
    const other = nameOfOther();
    expect(other).toMatch(/^a-b-c-80-[0-9a-f]{8}$/);
    expect((await eventuallyUpstream(other, (u) => u !== undefined, 'created'))?.spec?.kube?.serviceNamespace).toBe('a');
  });

  it('scope: a namespace the selector leaves out, kube-system, and the annotation both ways', async () => {
    const kc = cluster.kc;
    await createObject(kc, CORE_KINDS.Service, SKIPPED, service('hidden', [{ port: 80 }]));
    await createObject(kc, CORE_KINDS.Service, SKIPPED, service('shown', [{ port: 80 }], {}));
    await mergePatchObject(kc, CORE_KINDS.Service, SKIPPED, 'shown', { metadata: { annotations: { 'discovery.gantry.dev/enabled': 'true' } } });
    await createObject(kc, CORE_KINDS.Service, OTHER, { ...service('private', [{ port: 80 }]), metadata: { name: 'private', annotations: { 'discovery.gantry.dev/enabled': 'false' } } });
    await createObject(kc, CORE_KINDS.Service, 'kube-system', service('dns-like', [{ port: 53 }]));
    await createObject(kc, CORE_KINDS.Service, OTHER, service('public', [{ port: 80 }]));
    await eventuallyUpstream(`${OTHER}-public-80`, (u) => u !== undefined, 'created');
    await eventuallyUpstream(`${SKIPPED}-shown-80`, (u) => u !== undefined, 'created (annotation)');
    await controller.discoveryLoop?.idle();
    for (const name of [`${SKIPPED}-hidden-80`, `${OTHER}-private-80`, 'kube-system-dns-like-53']) expect(await upstream(name)).toBeUndefined();
    // The namespace leaves scope: its Upstreams go (the annotated one stays).
    await mergePatchObject(kc, CORE_KINDS.Namespace, undefined, OTHER, { metadata: { labels: { discovery: 'off' } } });
    await eventuallyUpstream(`${OTHER}-public-80`, (u) => u === undefined, 'deleted when its namespace left scope');
    expect(await upstream(`${SKIPPED}-shown-80`)).toBeDefined();
  });

  it('turned off: the cleanup removes every Upstream discovery created, and nothing else', async () => {
    await controller.stop();
    const left = await removeDiscoveredUpstreams(cluster.kc, INSTALL, silentLogger);
    expect(left).toBeGreaterThanOrEqual(3);
    const list = (await requestOk(cluster.kc, collectionPath(KIND_TABLE.Upstream, INSTALL))) as unknown as { items: Upstream[] };
    expect(list.items.map((u) => u.metadata.name).sort()).toEqual(['shop-adopted-80', 'shop-mine-80']);
    controller = await start();
  });
});
