import { describe, it, expect, afterEach } from '@jest/globals';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { TypeUrl } from '../resources.js';
import { startHarness, sleep, type Harness } from './testing/harness.js';
import { DeltaTestClient } from './testing/clients.js';
import { edsCluster, endpoints, rdsListener, routeTo, snapshotOf, type SnapshotParts } from './testing/resources.js';

const GW = 'ns/gw';

function base(): SnapshotParts {
  return {
    clusters: [edsCluster('c1'), edsCluster('c2')],
    endpoints: [endpoints('c1', [8001]), endpoints('c2', [8002])],
    listeners: [rdsListener('l1', 10080, 'r1')],
    routes: [routeTo('r1', 'c1')],
  };
}

let harness: Harness | undefined;
const clients: DeltaTestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await harness?.stop();
  harness = undefined;
});

function client(h: Harness, opts: { gateway?: string | undefined; nodeId?: string; envoyLike?: boolean } = {}): DeltaTestClient {
  const c = new DeltaTestClient({ port: h.port, gateway: 'gateway' in opts ? opts.gateway : GW, nodeId: opts.nodeId, envoyLike: opts.envoyLike });
  clients.push(c);
  return c;
}

/** Subscribes like Envoy does (CDS, EDS, LDS, RDS wildcard/named) and waits for the rollout to be ACKed. */
async function envoyLike(h: Harness, nodeId = 'envoy-1', gateway = GW): Promise<DeltaTestClient> {
  const c = client(h, { nodeId, envoyLike: true, gateway });
  c.subscribe(TypeUrl.Cluster);
  c.subscribe(TypeUrl.Listener);
  await h.waitFor('synced', (gw, node) => gw === gateway && node === nodeId);
  c.clearInbox();
  c.log.length = 0;
  return c;
}

describe('delta ADS', () => {
  it('serves wildcard CDS/LDS and named EDS/RDS, and reports ACKs', async () => {
    const h = (harness = await startHarness());
    const v = h.cache.set(GW, snapshotOf(base()));
    const c = client(h, { nodeId: 'n1' });

    c.subscribe(TypeUrl.Cluster); // legacy wildcard: no names at all
    const cds = await c.next(TypeUrl.Cluster);
    expect(cds.resources.map((r) => r.name).sort()).toEqual(['c1', 'c2']);
    expect(cds.systemVersionInfo).toBe(String(v));
    expect(cds.nonce).not.toBe('');
    expect(cds.resources[0]!.resource?.typeUrl).toBe(TypeUrl.Cluster);
    c.ack(cds);
    await h.waitFor('ack', (gw, type, version, node) => gw === GW && type === TypeUrl.Cluster && version === String(v) && node === 'n1');

    c.subscribe(TypeUrl.ClusterLoadAssignment, ['c1', 'c2']);
    const eds = await c.next(TypeUrl.ClusterLoadAssignment);
    expect(eds.resources.map((r) => r.name)).toEqual(['c1', 'c2']);
    expect(eds.nonce).not.toBe(cds.nonce);
    c.ack(eds);

    c.subscribe(TypeUrl.Listener, ['*']); // explicit wildcard
    const lds = await c.next(TypeUrl.Listener);
    expect(lds.resources.map((r) => r.name)).toEqual(['l1']);
    c.ack(lds);
    c.subscribe(TypeUrl.RouteConfiguration, ['r1']);
    const rds = await c.next(TypeUrl.RouteConfiguration);
    expect(rds.resources.map((r) => r.name)).toEqual(['r1']);
    c.ack(rds);

    await h.waitFor('ack', (_gw, type) => type === TypeUrl.RouteConfiguration);
    expect(h.server.ackedVersions(GW, TypeUrl.Cluster)).toEqual(new Map([['n1', String(v)]]));
    const [status] = h.server.envoys(GW);
    expect(status?.transport).toBe('delta');
    expect(status?.acked.get(TypeUrl.Listener)?.snapshotVersion).toBe(v);
    expect(h.server.gatewayCounters().get(GW)).toMatchObject({ connected: 1, nacks: 0 });
  });

  it('sends only what changed, and removals in removed_resources', async () => {
    const h = (harness = await startHarness());
    h.cache.set(GW, snapshotOf(base()));
    const c = await envoyLike(h);
    c.log.length = 0;

    // One endpoint change: one EDS response with one resource, nothing else.
    const changed = { ...base(), endpoints: [endpoints('c1', [9001]), endpoints('c2', [8002])] };
    const v2 = h.cache.set(GW, snapshotOf(changed));
    const eds = await c.next(TypeUrl.ClusterLoadAssignment);
    expect(eds.resources.map((r) => r.name)).toEqual(['c1']);
    expect(eds.removedResources).toEqual([]);
    await h.waitFor('synced', (_gw, _n, version) => version === v2);
    expect(c.log).toHaveLength(1);

    // Removing cluster c2 (and its endpoints): removed_resources, no resources resent.
    c.log.length = 0;
    const v3 = h.cache.set(GW, snapshotOf({ ...changed, clusters: [edsCluster('c1')], endpoints: [endpoints('c1', [9001])] }));
    await h.waitFor('synced', (_gw, _n, version) => version === v3);
    const cdsRemoval = c.log.find((e) => e.type === TypeUrl.Cluster);
    expect(cdsRemoval).toEqual({ type: TypeUrl.Cluster, names: [], removed: ['c2'] });
    expect(c.held.get(TypeUrl.Cluster)).toEqual(new Map([['c1', expect.any(String)]]));
    expect(c.log.every((e) => e.names.length === 0)).toBe(true);
  });

  it('does not resend what a reconnecting client declares in initial_resource_versions', async () => {
    const h = (harness = await startHarness());
    h.cache.set(GW, snapshotOf(base()));
    const first = await envoyLike(h, 'envoy-a');
    const heldClusters = Object.fromEntries(first.held.get(TypeUrl.Cluster)!);
    const heldEndpoints = Object.fromEntries(first.held.get(TypeUrl.ClusterLoadAssignment)!);
    first.close();
    await h.waitFor('disconnect');

    // While disconnected: c2 changes, c3 appears; and the client claims a cluster that is gone.
    const next = {
      ...base(),
      clusters: [edsCluster('c1'), edsCluster('c2', { connect_timeout: '2s' }), edsCluster('c3')],
      endpoints: [endpoints('c1', [8001]), endpoints('c2', [8002]), endpoints('c3', [8003])],
    };
    h.cache.set(GW, snapshotOf(next));
    const c = client(h, { nodeId: 'envoy-a' });
    c.subscribe(TypeUrl.Cluster, ['*'], { ...heldClusters, gone: 'v0' });
    const cds = await c.next(TypeUrl.Cluster);
    expect(cds.resources.map((r) => r.name).sort()).toEqual(['c2', 'c3']);
    c.ack(cds);
    // Removals wait for the prune phase: after EDS/LDS/RDS are confirmed.
    c.subscribe(TypeUrl.ClusterLoadAssignment, ['c1', 'c2', 'c3'], heldEndpoints);
    const eds = await c.next(TypeUrl.ClusterLoadAssignment);
    // c1/c2 endpoints are unchanged and declared; c2's cluster changed, so its endpoints are resent
    // for re-warming; c3 is new.
    expect(eds.resources.map((r) => r.name).sort()).toEqual(['c2', 'c3']);
    c.ack(eds);
    c.subscribe(TypeUrl.Listener, [], Object.fromEntries(first.held.get(TypeUrl.Listener)!));
    c.subscribe(TypeUrl.RouteConfiguration, ['r1'], Object.fromEntries(first.held.get(TypeUrl.RouteConfiguration)!));
    // Listener and route were declared current: their first requests get empty answers.
    for (const type of [TypeUrl.Listener, TypeUrl.RouteConfiguration]) {
      const res = await c.next(type);
      expect([res.resources, res.removedResources]).toEqual([[], []]);
      c.ack(res);
    }
    const removal = await c.next(TypeUrl.Cluster);
    expect(removal.resources).toEqual([]);
    expect(removal.removedResources).toEqual(['gone']);
    c.ack(removal);
    expect(await c.quiet(200)).toBe(true);
  });

  it('answers the first wildcard request even when there is nothing to send', async () => {
    const h = (harness = await startHarness());
    h.cache.set(GW, snapshotOf({ listeners: [rdsListener('l1', 10080, 'r1')] }));
    const c = client(h);
    c.subscribe(TypeUrl.Cluster);
    const cds = await c.next(TypeUrl.Cluster);
    expect([cds.resources, cds.removedResources]).toEqual([[], []]);
  });

  it('answers a subscription to a missing resource with removed_resources, then sends it when it appears', async () => {
    const h = (harness = await startHarness());
    h.cache.set(GW, snapshotOf(base()));
    const c = await envoyLike(h);
    c.subscribe(TypeUrl.ClusterLoadAssignment, ['nope']);
    const absent = await c.next(TypeUrl.ClusterLoadAssignment);
    expect(absent.removedResources).toEqual(['nope']);
    h.cache.set(GW, snapshotOf({ ...base(), endpoints: [...base().endpoints!, endpoints('nope', [1])] }));
    const appeared = await c.next(TypeUrl.ClusterLoadAssignment);
    expect(appeared.resources.map((r) => r.name)).toEqual(['nope']);
  });

  it('stops sending what the client unsubscribed from', async () => {
    const h = (harness = await startHarness());
    h.cache.set(GW, snapshotOf(base()));
    const c = await envoyLike(h);
    c.unsubscribe(TypeUrl.ClusterLoadAssignment, ['c2']);
    await sleep(50);
    const v = h.cache.set(GW, snapshotOf({ ...base(), endpoints: [endpoints('c1', [8001]), endpoints('c2', [7777])] }));
    await h.waitFor('synced', (_gw, _n, version) => version === v);
    expect(await c.quiet(100, TypeUrl.ClusterLoadAssignment)).toBe(true);
  });

  it('on NACK keeps the last good config, reports the error, and recovers with a new snapshot', async () => {
    const h = (harness = await startHarness());
    h.cache.set(GW, snapshotOf(base()));
    const c = await envoyLike(h);
    c.validate = (res) => (res.resources.some((r) => r.name === 'bad') ? 'cluster bad: invalid connect_timeout' : undefined);

    const withBad = { ...base(), clusters: [...base().clusters!, edsCluster('bad')] };
    const vBad = h.cache.set(GW, snapshotOf(withBad));
    const [gw, type, version, node, message] = await h.waitFor('nack');
    expect([gw, type, version, node]).toEqual([GW, TypeUrl.Cluster, String(vBad), 'envoy-1']);
    expect(message).toContain('invalid connect_timeout');
    expect(h.server.envoys(GW)[0]?.lastNack?.message).toContain('invalid connect_timeout');
    expect(h.server.gatewayCounters().get(GW)?.nacks).toBe(1);
    // The rejected version is not pushed again, and the rollout stopped (no LDS/RDS for it).
    expect(await c.quiet(300)).toBe(false); // the NACKed CDS response itself is in the inbox
    expect(await c.quiet(200)).toBe(true);
    expect(h.server.isSynced(GW, vBad)).toBe(false);

    // A fixed snapshot rolls out.
    const fixed = { ...base(), clusters: [...base().clusters!, edsCluster('bad', { connect_timeout: '3s' })] };
    c.validate = undefined;
    const vFixed = h.cache.set(GW, snapshotOf(fixed));
    await h.waitFor('synced', (_gw, _n, v) => v === vFixed);
    expect(h.server.isSynced(GW, vFixed)).toBe(true);
    expect(h.server.envoys(GW)[0]?.lastNack).toBeUndefined();
  });

  it('ignores replies to nonces it is not waiting for', async () => {
    const h = (harness = await startHarness());
    h.cache.set(GW, snapshotOf(base()));
    const c = client(h);
    c.subscribe(TypeUrl.Cluster);
    const cds = await c.next(TypeUrl.Cluster);
    c.send({ typeUrl: TypeUrl.Cluster, responseNonce: 'not-a-nonce' });
    c.ack(cds);
    c.ack(cds); // a second reply to the same nonce is stale
    await h.waitFor('ack');
    await sleep(100);
    expect(h.events.filter((e) => e.name === 'ack')).toHaveLength(1);
  });

  it('waits for the snapshot of an unknown gateway, and rejects a node without one', async () => {
    const h = (harness = await startHarness());
    const c = client(h, { gateway: 'ns/later' });
    c.subscribe(TypeUrl.Cluster);
    await h.waitFor('connect', (gw) => gw === 'ns/later');
    expect(await c.quiet(150)).toBe(true);
    h.cache.set('ns/later', snapshotOf({ clusters: [edsCluster('late')] }));
    const cds = await c.next(TypeUrl.Cluster);
    expect(cds.resources.map((r) => r.name)).toEqual(['late']);

    const anonymous = client(h, { gateway: undefined });
    anonymous.subscribe(TypeUrl.Cluster);
    const err = (await anonymous.endedPromise) as Error & { code?: number };
    expect(err.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(err.message).toContain('gantry.dev/gateway');
  });

  it('serves two gateways their own resources', async () => {
    const h = (harness = await startHarness());
    h.cache.set('ns/a', snapshotOf({ clusters: [edsCluster('a-only')] }));
    h.cache.set('ns/b', snapshotOf({ clusters: [edsCluster('b-only')] }));
    const a = client(h, { gateway: 'ns/a', nodeId: 'na' });
    const b = client(h, { gateway: 'ns/b', nodeId: 'nb' });
    a.subscribe(TypeUrl.Cluster);
    b.subscribe(TypeUrl.Cluster);
    const fromA = await a.next(TypeUrl.Cluster);
    const fromB = await b.next(TypeUrl.Cluster);
    expect(fromA.resources.map((r) => r.name)).toEqual(['a-only']);
    expect(fromB.resources.map((r) => r.name)).toEqual(['b-only']);
    a.ack(fromA);
    b.ack(fromB);
    await h.waitFor('synced', (gw) => gw === 'ns/b');
    h.cache.set('ns/b', snapshotOf({ clusters: [edsCluster('b-only'), edsCluster('b-two')] }));
    expect((await b.next(TypeUrl.Cluster)).resources.map((r) => r.name)).toEqual(['b-two']);
    expect(await a.quiet(150)).toBe(true);
    expect(h.server.envoys('ns/a').map((e) => e.nodeId)).toEqual(['na']);
  });

  it('a slow stream skips intermediate snapshots (latest wins)', async () => {
    const h = (harness = await startHarness());
    h.cache.set(GW, snapshotOf(base()));
    const c = await envoyLike(h);
    c.log.length = 0;
    for (const port of [1, 2, 3, 4]) h.cache.set(GW, snapshotOf({ ...base(), endpoints: [endpoints('c1', [port]), endpoints('c2', [8002])] }));
    const vLast = h.cache.get(GW)!.version;
    await h.waitFor('synced', (_gw, _n, v) => v === vLast);
    expect(c.log).toEqual([{ type: TypeUrl.ClusterLoadAssignment, names: ['c1'], removed: [] }]);
  });

  it('splits a large response and tracks every nonce until all are ACKed', async () => {
    const h = (harness = await startHarness({ maxDeltaResponseBytes: 1000 }));
    const clusters = Array.from({ length: 30 }, (_, i) => edsCluster(`c${i}`));
    const v = h.cache.set(GW, snapshotOf({ clusters }));
    const c = client(h);
    c.subscribe(TypeUrl.Cluster);
    const received: string[] = [];
    const parts = [];
    while (received.length < 30) {
      const res = await c.next(TypeUrl.Cluster);
      received.push(...res.resources.map((r) => r.name));
      parts.push(res);
    }
    expect(parts.length).toBeGreaterThan(1);
    expect(new Set(received).size).toBe(30);
    for (const res of parts) c.ack(res);
    await h.waitFor('synced', (_gw, _n, sv) => sv === v);
  });

  it('answers the unsubscription of a name also covered by the wildcard', async () => {
    const h = (harness = await startHarness());
    h.cache.set(GW, snapshotOf({ clusters: [edsCluster('c1')] }));
    const c = client(h);
    c.subscribe(TypeUrl.Cluster, ['*', 'c1', 'x']);
    const first = await c.next(TypeUrl.Cluster);
    expect(first.resources.map((r) => r.name)).toEqual(['c1']);
    expect(first.removedResources).toEqual(['x']);
    c.ack(first);
    c.unsubscribe(TypeUrl.Cluster, ['c1', 'x']);
    const again = await c.next(TypeUrl.Cluster);
    // c1 is still in the wildcard: resent so the client knows to keep it; x simply forgotten.
    expect(again.resources.map((r) => r.name)).toEqual(['c1']);
    expect(again.removedResources).toEqual(['x']);
  });

  it('cleans up on disconnect: no listeners, no status left', async () => {
    const h = (harness = await startHarness());
    h.cache.set(GW, snapshotOf(base()));
    const c = await envoyLike(h);
    expect(h.cache.listenerCount()).toBe(1);
    c.close();
    await h.waitFor('disconnect', (gw, node) => gw === GW && node === 'envoy-1');
    expect(h.cache.listenerCount()).toBe(0);
    expect(h.server.envoys()).toEqual([]);
    expect(h.server.gatewayCounters().get(GW)?.connected).toBe(0);
  });
});
