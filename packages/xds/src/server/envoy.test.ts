// The ADS server against a real Envoy: delta (the default) and state of the world.

import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { TypeUrl } from '../resources.js';
import { startHarness, type Harness } from './testing/harness.js';
import { directResponseListener, edsCluster, endpoints, snapshotOf } from './testing/resources.js';
import { envoyBinary, eventually, freePort, httpGet, startEnvoy, type RunningEnvoy } from './testing/envoy-process.js';

let binary: string;
beforeAll(() => {
  binary = envoyBinary();
}, 600000);

const TRANSPORTS: ['delta' | 'sotw', 'DELTA_GRPC' | 'GRPC'][] = [
  ['delta', 'DELTA_GRPC'],
  ['sotw', 'GRPC'],
];

describe.each(TRANSPORTS)('real Envoy over %s ADS', (transport, apiType) => {
  const gateway = `ns/gw-${transport}`;
  const nodeId = `envoy-${transport}`;
  let h: Harness;
  let envoy: RunningEnvoy | undefined;
  let listenerPort: number;

  beforeAll(async () => {
    h = await startHarness({ phaseTimeoutMs: 3000 });
    listenerPort = await freePort();
  });

  afterAll(async () => {
    await envoy?.stop();
    await h?.stop();
  });

  it('programs a listener and a cluster, reports the ACK, and survives a NACK', async () => {
    const good = {
      clusters: [edsCluster('backend')],
      endpoints: [endpoints('backend', [9])],
      listeners: [directResponseListener('hello', listenerPort, 'hello')],
    };
    const v1 = h.cache.set(gateway, snapshotOf(good));
    envoy = await startEnvoy(binary, { xdsPort: h.port, gatewayKey: gateway, nodeId, apiType });

    await h.waitFor('connect', (gw, node) => gw === gateway && node === nodeId, 15000);
    await h.waitFor('ack', (gw, type, _v, node) => gw === gateway && type === TypeUrl.Listener && node === nodeId, 15000);
    await h.waitFor('synced', (gw, _n, v) => gw === gateway && v === v1, 15000);
    expect(h.server.isSynced(gateway, v1)).toBe(true);
    expect(h.server.envoys(gateway)[0]?.transport).toBe(transport);

    const res = await eventually(listenerPort, '/', (r) => r.status === 200);
    expect(res.body).toBe('hello');
    const clusters = await httpGet(envoy.adminPort, '/clusters');
    expect(clusters.body).toContain('backend::127.0.0.1:9');

    // A second listener on the same address: Envoy rejects it.
    const broken = { ...good, listeners: [...good.listeners, directResponseListener('broken', listenerPort, 'nope')] };
    const v2 = h.cache.set(gateway, snapshotOf(broken));
    const [, type, , node, message] = await h.waitFor('nack', (gw) => gw === gateway, 15000);
    expect(type).toBe(TypeUrl.Listener);
    expect(node).toBe(nodeId);
    expect(message).toContain('broken');
    expect(h.server.envoys(gateway)[0]?.lastNack?.message).toContain('broken');
    expect(h.server.isSynced(gateway, v2)).toBe(false);
    const still = await httpGet(listenerPort, '/');
    expect(still).toEqual({ status: 200, body: 'hello' });

    // Recovery: the next snapshot drops the bad listener and changes the good one.
    const v3 = h.cache.set(gateway, snapshotOf({ ...good, listeners: [directResponseListener('hello', listenerPort, 'hello again')] }));
    await h.waitFor('synced', (gw, _n, v) => gw === gateway && v === v3, 15000);
    const after = await eventually(listenerPort, '/', (r) => r.body === 'hello again');
    expect(after.status).toBe(200);
    expect(h.server.envoys(gateway)[0]?.lastNack).toBeUndefined();
  }, 60000);

  it('initializes an Envoy whose Gateway has no clusters at all (empty CDS is answered)', async () => {
    const port = await freePort();
    const gw = `${gateway}-nocluster`;
    const v = h.cache.set(gw, snapshotOf({ listeners: [directResponseListener('only', port, 'no clusters')] }));
    const second = await startEnvoy(binary, { xdsPort: h.port, gatewayKey: gw, nodeId: `${nodeId}-2`, apiType });
    try {
      // Well under Envoy's 15 s initial_fetch_timeout, which an unanswered CDS request would hit.
      await h.waitFor('synced', (g, _n, sv) => g === gw && sv === v, 5000);
      const res = await eventually(port, '/', (r) => r.status === 200, 5000);
      expect(res.body).toBe('no clusters');
    } finally {
      await second.stop();
    }
  }, 30000);
});
