// Benchmark: one changed resource on a Gateway with 10,000 resources → how long until the ADS
// server has written the response, and until a real gRPC client has received it.
//
//   npx tsc -b e2e/bench && node e2e/bench/dist/xds-delta-bench.js [runs]
//
// Prints median and p99 for: delta with a change hint (the translator's path), delta without a
// hint (the cache diffs the changed type), and SotW (which must resend the type's full set).

import { TypeUrl, type EncodedResource, type XdsSnapshot } from '@gantry/xds';
import { startHarness, type Harness } from '@gantry/xds/server/testing/harness';
import { DeltaTestClient, SotwTestClient } from '@gantry/xds/server/testing/clients';
import { edsCluster, endpoints, snapshotOf } from '@gantry/xds/server/testing/resources';

const GW = 'bench/gw';
const CLUSTERS = 5000; // + 5000 ClusterLoadAssignments = 10,000 resources
const runs = Number(process.argv[2] ?? 200);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function summary(label: string, samples: number[]): string {
  const s = [...samples].sort((a, b) => a - b);
  return `${label.padEnd(44)} median ${percentile(s, 50).toFixed(3)} ms   p99 ${percentile(s, 99).toFixed(3)} ms`;
}

function initial(): { clusters: EncodedResource[]; loads: EncodedResource[] } {
  const clusters: EncodedResource[] = [];
  const loads: EncodedResource[] = [];
  for (let i = 0; i < CLUSTERS; i++) {
    clusters.push(edsCluster(`cluster-${i}`));
    loads.push(endpoints(`cluster-${i}`, [10000 + (i % 50000)], `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`));
  }
  return { clusters, loads };
}

async function measure(h: Harness, transport: 'delta' | 'sotw', useHint: boolean): Promise<{ written: number[]; received: number[] }> {
  const { clusters, loads } = initial();
  const gw = `${GW}-${transport}-${useHint ? 'hint' : 'diff'}`;
  let snapshot: XdsSnapshot = snapshotOf({ clusters, endpoints: loads });
  h.cache.set(gw, snapshot);
  const options = { port: h.port, gateway: gw, nodeId: 'bench', envoyLike: true };
  let received = 0;
  let client: DeltaTestClient | SotwTestClient;
  if (transport === 'delta') {
    const c = new DeltaTestClient(options);
    c.subscribe(TypeUrl.Cluster);
    client = c;
  } else {
    const c = new SotwTestClient(options);
    c.request(TypeUrl.Cluster);
    client = c;
  }
  await h.waitFor('synced', (g) => g === gw, 60000);
  const stream = (client as unknown as { stream: NodeJS.EventEmitter }).stream;
  stream.on('data', () => {
    received = performance.now();
  });
  let written = 0;
  const onPush = (g: string) => {
    if (g === gw) written = performance.now();
  };
  h.server.on('push', onPush);

  const writtenMs: number[] = [];
  const receivedMs: number[] = [];
  const loadMap = new Map(snapshot[TypeUrl.ClusterLoadAssignment]);
  for (let run = 0; run < runs; run++) {
    const i = (run * 7919) % CLUSTERS;
    const name = `cluster-${i}`;
    const changed = endpoints(name, [20000 + run], '10.9.9.9');
    loadMap.set(name, changed);
    // The translator's job (not measured): a new snapshot sharing every unchanged set.
    snapshot = { ...snapshot, [TypeUrl.ClusterLoadAssignment]: new Map(loadMap) };
    written = 0;
    received = 0;
    const synced = h.waitFor('synced', (g) => g === gw, 10000);
    const start = performance.now();
    h.cache.set(gw, snapshot, useHint ? { [TypeUrl.ClusterLoadAssignment]: [name] } : undefined);
    await synced;
    writtenMs.push(written - start);
    receivedMs.push(received - start);
  }
  h.server.off('push', onPush);
  client.close();
  await h.waitFor('disconnect', (g) => g === gw);
  return { written: writtenMs, received: receivedMs };
}

const h = await startHarness({ phaseTimeoutMs: 5000 });
try {
  console.log(`one changed ClusterLoadAssignment on a ${CLUSTERS * 2}-resource snapshot, ${runs} runs`);
  for (const [transport, hint] of [
    ['delta', true],
    ['delta', false],
    ['sotw', true],
  ] as const) {
    const r = await measure(h, transport, hint);
    const label = `${transport}${transport === 'delta' ? (hint ? ' + change hint' : ' (cache diffs)') : ''}`;
    console.log(summary(`${label}: set → response written`, r.written));
    console.log(summary(`${label}: set → client received`, r.received));
  }
} finally {
  await h.stop();
}
