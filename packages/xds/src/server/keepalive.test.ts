import { describe, it, expect, afterEach } from '@jest/globals';
import * as net from 'node:net';
import { TypeUrl } from '../resources.js';
import { startHarness, type Harness } from './testing/harness.js';
import { DeltaTestClient } from './testing/clients.js';
import { edsCluster, endpoints, rdsListener, routeTo, snapshotOf } from './testing/resources.js';

const GW = 'ns/gw';

/** A cable to the server that can go silent (no FIN, no RST), like a peer whose network vanished. */
async function stallableCable(targetPort: number): Promise<{ port: number; stall: () => void; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let stalled = false;
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
    }
    client.on('data', (d) => { if (!stalled) upstream.write(d); });
    upstream.on('data', (d) => { if (!stalled) client.write(d); });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    stall: () => { stalled = true; },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let harness: Harness | undefined;
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await harness?.stop();
  harness = undefined;
});

describe('dead Envoys', () => {
  it('are noticed by keepalive pings and disconnected, though no FIN ever comes', async () => {
    const h = (harness = await startHarness({ grpcOptions: { 'grpc.keepalive_time_ms': 200, 'grpc.keepalive_timeout_ms': 200 } }));
    h.cache.set(GW, snapshotOf({ clusters: [edsCluster('c1')], endpoints: [endpoints('c1', [8001])], listeners: [rdsListener('l1', 10080, 'r1')], routes: [routeTo('r1', 'c1')] }));
    const cable = await stallableCable(h.port);
    cleanups.push(() => cable.close());
    const c = new DeltaTestClient({ port: cable.port, gateway: GW, nodeId: 'gone', envoyLike: true });
    cleanups.push(() => c.close());
    c.subscribe(TypeUrl.Cluster);
    await h.waitFor('connect', (gw, node) => gw === GW && node === 'gone');
    expect(h.server.envoys(GW)).toHaveLength(1);

    cable.stall();
    await h.waitFor('disconnect', (gw, node) => gw === GW && node === 'gone', 5000);
    expect(h.server.envoys(GW)).toHaveLength(0);
  });
});
