// `node e2e/bench/dist/reshard-check.js 100 300 1000 3000`: a route table grows through shard
// counts (1 -> 4 -> 8 -> 32 at these sizes) while a client keeps asking the first route of each of
// the 100 hosts through a real Envoy. Every answer must be 200: a re-shard is make-before-break
// (docs/architecture.md, scoped route tables). Prints the answers; exits 1 on any other status.
import { once } from 'node:events';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeObject } from '@gantry/api';
import { AdsServer, SnapshotCache, TypeUrl, adsBootstrap } from '@gantry/xds';
import { envoyBinary } from '@gantry/xds/testing/envoy-binary';
import { freePort } from '@gantry/xds/testing/net';
import { EnvoyProcess } from '@gantry/gatewayclass-controller/envoy/process';
import { buildSnapshot } from '@gantry/gatewayclass-controller/manifests/load';
import { Pipeline } from '@gantry/gatewayclass-controller/pipeline';
import { BENCH_GATEWAY, benchObjects, routeToService, serviceObjects } from './fixtures.js';
import { syncedTo } from './measure.js';

const sizes = process.argv.slice(2).map(Number);
if (sizes.length < 2 || sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('usage: reshard-check.js SIZE SIZE...');

const backend = createServer((_req, res) => res.end('ok'));
backend.listen(0, '127.0.0.1');
await once(backend, 'listening');
const backendPort = (backend.address() as AddressInfo).port;
const gatewayPort = await freePort();

function objects(routes: number): KubeObject[] {
  const out = benchObjects(routes, gatewayPort).filter((o) => o.kind !== 'HTTPRoute');
  for (let i = 0; i < routes; i++) out.push(routeToService(i, 'local'));
  return [...out, ...serviceObjects('local', ['127.0.0.1'], backendPort)];
}

const agent = new Agent({ keepAlive: true, maxSockets: 4 });
function get(i: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: gatewayPort, path: `/svc-${i}`, headers: { host: `app-${i % 100}.example.com` }, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

const cache = new SnapshotCache();
const server = new AdsServer({ cache });
const xdsPort = await server.start('127.0.0.1', 0);
const pipeline = new Pipeline({ sink: cache, listenAddress: '127.0.0.1' });
const envoy = new EnvoyProcess({
  envoyPath: envoyBinary(),
  bootstrap: adsBootstrap({ gatewayKey: BENCH_GATEWAY, nodeId: 'reshard', xdsHost: '127.0.0.1', xdsPort, adminPort: await freePort() }),
  name: BENCH_GATEWAY,
  logLevel: 'error',
  restart: false,
});
let failed = false;
try {
  pipeline.run(buildSnapshot(objects(sizes[0]!)));
  const first = syncedTo(server, cache.get(BENCH_GATEWAY)!.version, 120_000);
  await envoy.start();
  await first;
  const answers = new Map<number, number>();
  let stop = false;
  let n = 0;
  const polling = (async () => {
    while (!stop) {
      const status = await get(n++ % 100);
      answers.set(status, (answers.get(status) ?? 0) + 1);
    }
  })();
  for (const size of sizes.slice(1)) {
    pipeline.run(buildSnapshot(objects(size)));
    await syncedTo(server, cache.get(BENCH_GATEWAY)!.version, 120_000);
    const shards = cache.get(BENCH_GATEWAY)!.snapshot[TypeUrl.RouteConfiguration].size;
    let bad = 0;
    for (let i = 0; i < size; i += 7) if ((await get(i)) !== 200) bad++;
    console.log(`${size} routes: ${shards} shard(s); routes answering other than 200 after the sync (every 7th checked): ${bad}`);
    failed ||= bad > 0;
  }
  stop = true;
  await polling;
  console.log(`answers while the table grew: ${JSON.stringify(Object.fromEntries(answers))}`);
  failed ||= [...answers.keys()].some((status) => status !== 200);
} finally {
  agent.destroy();
  await envoy.stop();
  await server.stop();
  await new Promise((resolve) => backend.close(resolve));
}
process.exitCode = failed ? 1 : 0;
