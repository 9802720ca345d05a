import { describe, it, expect, afterEach } from '@jest/globals';
import type { DiscoveryResponse } from '@gantry/envoy-xds-proto';
import { TypeUrl } from '../resources.js';
import { startHarness, sleep, type Harness } from './testing/harness.js';
import { SotwTestClient } from './testing/clients.js';
import { edsCluster, endpoints, rdsListener, routeTo, snapshotOf, type SnapshotParts } from './testing/resources.js';
import { contentVersion } from './versions.js';

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
const clients: SotwTestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await harness?.stop();
  harness = undefined;
});

function client(h: Harness, nodeId = 'n1', envoyLike = false): SotwTestClient {
  const c = new SotwTestClient({ port: h.port, gateway: GW, nodeId, envoyLike });
  clients.push(c);
  return c;
}

/** Walks a manual client through CDS, EDS, LDS, RDS with ACKs; returns the responses. */
async function sync(c: SotwTestClient): Promise<Record<'cds' | 'eds' | 'lds' | 'rds', DiscoveryResponse>> {
  c.request(TypeUrl.Cluster);
  const cds = await c.next(TypeUrl.Cluster);
  c.ack(cds);
  c.request(TypeUrl.ClusterLoadAssignment, c.namesIn(cds));
  const eds = await c.next(TypeUrl.ClusterLoadAssignment);
  c.ack(eds);
  c.request(TypeUrl.Listener);
  const lds = await c.next(TypeUrl.Listener);
  c.ack(lds);
  c.request(TypeUrl.RouteConfiguration, ['r1']);
  const rds = await c.next(TypeUrl.RouteConfiguration);
  c.ack(rds);
  return { cds, eds, lds, rds };
}

describe('state-of-the-world ADS', () => {
  it('serves wildcard CDS/LDS and named EDS/RDS with content-derived versions', async () => {
    const h = (harness = await startHarness());
    const v = h.cache.set(GW, snapshotOf(base()));
    const c = client(h);
    const { cds, eds, lds, rds } = await sync(c);
    expect(c.namesIn(cds)).toEqual(['c1', 'c2']);
    expect(c.namesIn(eds)).toEqual(['c1', 'c2']);
    expect(c.namesIn(lds)).toEqual(['l1']);
    expect(c.namesIn(rds)).toEqual(['r1']);
    expect(cds.versionInfo).toBe(contentVersion(base().clusters!));
    expect(new Set([cds.nonce, eds.nonce, lds.nonce, rds.nonce]).size).toBe(4);
    await h.waitFor('synced', (gw, node, sv) => gw === GW && node === 'n1' && sv === v);
    expect(h.server.ackedVersions(GW, TypeUrl.Cluster)).toEqual(new Map([['n1', cds.versionInfo]]));
    expect(h.server.isSynced(GW, v)).toBe(true);

    // Another stream sees the same version for the same content.
    const other = client(h, 'n2');
    other.request(TypeUrl.Cluster);
    expect((await other.next(TypeUrl.Cluster)).versionInfo).toBe(cds.versionInfo);
  });

  it('answers newly requested names, not removed ones, and ignores stale nonces', async () => {
    const h = (harness = await startHarness({ phaseTimeoutMs: 200 }));
    h.cache.set(GW, snapshotOf(base()));
    const c = client(h);
    c.request(TypeUrl.Cluster);
    const cds = await c.next(TypeUrl.Cluster);
    c.request(TypeUrl.Cluster, [], { responseNonce: 'bogus' }); // stale: ignored, no ACK
    await sleep(50);
    expect(h.events.filter((e) => e.name === 'ack')).toHaveLength(0);
    c.ack(cds);
    await h.waitFor('ack', (_gw, type, version) => type === TypeUrl.Cluster && version === cds.versionInfo);

    c.request(TypeUrl.ClusterLoadAssignment, ['c1']);
    const e1 = await c.next(TypeUrl.ClusterLoadAssignment);
    expect(c.namesIn(e1)).toEqual(['c1']);
    c.ack(e1);
    c.request(TypeUrl.ClusterLoadAssignment, ['c1', 'c2']);
    const e2 = await c.next(TypeUrl.ClusterLoadAssignment);
    expect(c.namesIn(e2)).toEqual(['c1', 'c2']);
    c.ack(e2);
    c.request(TypeUrl.ClusterLoadAssignment, ['c1']); // only a removal: no response needed
    expect(await c.quiet(150, TypeUrl.ClusterLoadAssignment)).toBe(true);

    // A reply to a superseded response (its nonce is no longer the latest) changes nothing.
    const v2 = h.cache.set(GW, snapshotOf({ ...base(), clusters: [edsCluster('c1', { connect_timeout: '5s' }), edsCluster('c2')] }));
    const cds2 = await c.next(TypeUrl.Cluster);
    expect(cds2.versionInfo).not.toBe(cds.versionInfo);
    c.nack(cds, 'stale complaint'); // carries the old nonce
    await sleep(50);
    expect(h.events.filter((e) => e.name === 'nack')).toHaveLength(0);
    c.ack(cds2);
    await h.waitFor('ack', (_gw, type, version) => type === TypeUrl.Cluster && version === cds2.versionInfo);
    expect(h.server.envoys(GW)[0]?.acked.get(TypeUrl.Cluster)).toEqual({ version: cds2.versionInfo, snapshotVersion: v2 });
  });

  it('on NACK keeps the last good version, does not resend it, and recovers', async () => {
    const h = (harness = await startHarness());
    h.cache.set(GW, snapshotOf(base()));
    const c = client(h);
    const first = await sync(c);
    await h.waitFor('synced');

    const vBad = h.cache.set(GW, snapshotOf({ ...base(), clusters: [...base().clusters!, edsCluster('bad')] }));
    const bad = await c.next(TypeUrl.Cluster);
    expect(c.namesIn(bad)).toEqual(['c1', 'c2', 'bad']);
    c.nack(bad, 'cluster bad: something is wrong', 13);
    const [, type, version, , message] = await h.waitFor('nack');
    expect(type).toBe(TypeUrl.Cluster);
    expect(version).toBe(bad.versionInfo);
    expect(message).toBe('cluster bad: something is wrong');
    expect(h.server.envoys(GW)[0]?.lastNack).toMatchObject({ code: 13, typeUrl: TypeUrl.Cluster });
    expect(h.server.envoys(GW)[0]?.acked.get(TypeUrl.Cluster)?.version).toBe(first.cds.versionInfo);
    expect(await c.quiet(300)).toBe(true); // no resend, no LDS/RDS for the rejected snapshot
    expect(h.server.isSynced(GW, vBad)).toBe(false);

    const vFixed = h.cache.set(GW, snapshotOf({ ...base(), clusters: [...base().clusters!, edsCluster('bad', { connect_timeout: '2s' })] }));
    const fixed = await c.next(TypeUrl.Cluster);
    expect(fixed.versionInfo).not.toBe(bad.versionInfo);
    c.ack(fixed);
    await h.waitFor('synced', (_gw, _n, v) => v === vFixed);
  });

  it('removes a cluster by omitting it from the next full set, after the routes moved', async () => {
    const h = (harness = await startHarness());
    h.cache.set(GW, snapshotOf(base()));
    const c = client(h, 'n1', true);
    c.request(TypeUrl.Cluster);
    c.request(TypeUrl.Listener);
    await h.waitFor('synced');
    c.clearInbox();
    c.log.length = 0;
    const v = h.cache.set(GW, snapshotOf({ ...base(), clusters: [edsCluster('c1')], endpoints: [endpoints('c1', [8001])] }));
    await h.waitFor('synced', (_gw, _n, sv) => sv === v);
    const cdsLog = c.log.filter((e) => e.type === TypeUrl.Cluster);
    expect(cdsLog.map((e) => e.names)).toEqual([['c1']]);
  });

  it('gives a reconnecting client the full state', async () => {
    const h = (harness = await startHarness());
    h.cache.set(GW, snapshotOf(base()));
    const first = client(h);
    const { cds } = await sync(first);
    first.close();
    await h.waitFor('disconnect');
    const again = client(h);
    again.request(TypeUrl.Cluster, [], { versionInfo: cds.versionInfo });
    const res = await again.next(TypeUrl.Cluster);
    expect(again.namesIn(res)).toEqual(['c1', 'c2']);
    expect(res.versionInfo).toBe(cds.versionInfo);
  });
});
