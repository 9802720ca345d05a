import { describe, it, expect, afterEach } from '@jest/globals';
import { TypeUrl } from '../resources.js';
import { startHarness, type Harness, type RecordedEvent } from './testing/harness.js';
import { DeltaTestClient, SotwTestClient, type LogEntry } from './testing/clients.js';
import { edsCluster, endpoints, rdsListener, routeTo, snapshotOf } from './testing/resources.js';

const GW = 'ns/gw';

// Before: l1 → r1 → cA.  After: l1 → r1 → cB, and a new listener l2 → r2 → cC; cA is gone.
const before = snapshotOf({
  listeners: [rdsListener('l1', 10080, 'r1')],
  routes: [routeTo('r1', 'cA')],
  clusters: [edsCluster('cA')],
  endpoints: [endpoints('cA', [8001])],
});
const after = snapshotOf({
  listeners: [rdsListener('l1', 10080, 'r1'), rdsListener('l2', 10081, 'r2')],
  routes: [routeTo('r1', 'cB'), routeTo('r2', 'cC')],
  clusters: [edsCluster('cB'), edsCluster('cC')],
  endpoints: [endpoints('cB', [8002]), endpoints('cC', [8003])],
});

let harness: Harness | undefined;
const clients: { close(): void }[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await harness?.stop();
  harness = undefined;
});

type Transport = 'delta' | 'sotw';

function connect(h: Harness, transport: Transport, followDelayMs = 0): { log: LogEntry[]; clearInbox(): void } {
  const options = { port: h.port, gateway: GW, nodeId: 'envoy', envoyLike: true, followDelayMs };
  if (transport === 'delta') {
    const c = new DeltaTestClient(options);
    clients.push(c);
    c.subscribe(TypeUrl.Cluster);
    c.subscribe(TypeUrl.Listener);
    return c;
  }
  const c = new SotwTestClient(options);
  clients.push(c);
  c.request(TypeUrl.Cluster);
  c.request(TypeUrl.Listener);
  return c;
}

function indexOf(log: readonly LogEntry[], type: string, test: (e: LogEntry) => boolean): number {
  const i = log.findIndex((e) => e.type === type && test(e));
  if (i < 0) throw new Error(`no ${type} entry matching in ${JSON.stringify(log)}`);
  return i;
}

function eventIndex(events: readonly RecordedEvent[], from: number, name: string, type: string): number {
  return events.findIndex((e, i) => i >= from && e.name === name && e.args[name === 'push' ? 2 : 1] === type);
}

describe.each<Transport>(['delta', 'sotw'])('make-before-break ordering (%s)', (transport) => {
  it('sends new clusters and endpoints first, then listeners and routes, then removes old clusters', async () => {
    const h = (harness = await startHarness());
    h.cache.set(GW, before);
    const c = connect(h, transport);
    await h.waitFor('synced');
    c.log.length = 0;
    const mark = h.events.length;

    const v = h.cache.set(GW, after);
    await h.waitFor('synced', (_gw, _n, sv) => sv === v);
    const log = c.log;
    const has = (e: LogEntry, name: string) => e.names.includes(name);
    const cdsNew = indexOf(log, TypeUrl.Cluster, (e) => has(e, 'cB') && has(e, 'cC'));
    const edsNew = indexOf(log, TypeUrl.ClusterLoadAssignment, (e) => has(e, 'cC'));
    const rds = indexOf(log, TypeUrl.RouteConfiguration, (e) => has(e, 'r1'));
    const lds = indexOf(log, TypeUrl.Listener, (e) => has(e, 'l2'));
    const cdsPruned =
      transport === 'delta'
        ? indexOf(log, TypeUrl.Cluster, (e) => e.removed.includes('cA'))
        : indexOf(log, TypeUrl.Cluster, (e) => !has(e, 'cA'));
    // The first CDS update keeps cA (old routes still use it).
    if (transport === 'sotw') expect(log[cdsNew]!.names).toContain('cA');
    else expect(log[cdsNew]!.removed).toEqual([]);
    expect(cdsNew).toBeLessThan(edsNew);
    expect(edsNew).toBeLessThan(lds);
    expect(edsNew).toBeLessThan(rds);
    expect(rds).toBeLessThan(cdsPruned);
    expect(lds).toBeLessThan(cdsPruned);
    expect(cdsNew).not.toBe(cdsPruned);

    // The server pushed routes only after Envoy ACKed the endpoints, and pruned only after
    // Envoy ACKed the routes.
    const ev = h.events;
    const edsAck = eventIndex(ev, mark, 'ack', TypeUrl.ClusterLoadAssignment);
    const rdsPush = eventIndex(ev, mark, 'push', TypeUrl.RouteConfiguration);
    const rdsAck = eventIndex(ev, rdsPush, 'ack', TypeUrl.RouteConfiguration);
    const prunePush = ev.findIndex((e, i) => i > rdsAck && e.name === 'push' && e.args[2] === TypeUrl.Cluster);
    expect(edsAck).toBeGreaterThan(0);
    expect(rdsPush).toBeGreaterThan(edsAck);
    expect(prunePush).toBeGreaterThan(rdsAck);
  });

  it('waits for a slow Envoy to subscribe to the endpoints of new clusters before moving routes', async () => {
    const h = (harness = await startHarness({ phaseTimeoutMs: 3000 }));
    h.cache.set(GW, before);
    const c = connect(h, transport, 150);
    await h.waitFor('synced');
    c.log.length = 0;
    const v = h.cache.set(GW, after);
    await h.waitFor('synced', (_gw, _n, sv) => sv === v);
    const edsNew = indexOf(c.log, TypeUrl.ClusterLoadAssignment, (e) => e.names.includes('cC'));
    const rds = indexOf(c.log, TypeUrl.RouteConfiguration, (e) => e.names.includes('r1'));
    expect(edsNew).toBeLessThan(rds);
  });

  it('proceeds after the bounded wait when Envoy never confirms', async () => {
    const h = (harness = await startHarness({ phaseTimeoutMs: 150 }));
    h.cache.set(GW, before);
    // A client that never ACKs nor follows references.
    const options = { port: h.port, gateway: GW, nodeId: 'mute' };
    const c = transport === 'delta' ? new DeltaTestClient(options) : new SotwTestClient(options);
    clients.push(c);
    if (c instanceof DeltaTestClient) {
      c.subscribe(TypeUrl.Cluster);
      c.subscribe(TypeUrl.Listener);
    } else {
      c.request(TypeUrl.Cluster);
      c.request(TypeUrl.Listener);
    }
    const lds = await c.next(TypeUrl.Listener, 2000);
    expect(lds).toBeDefined();
    expect(h.events.some((e) => e.name === 'synced')).toBe(false);
  });
});
