// `npm run bench:propagation`: how long a route change takes to reach traffic, measured through a
// real Envoy. One Gateway with N HTTPRoutes (10,000 by default; 10,000 Services with 3 endpoints
// each) is served over delta ADS to a local Envoy. Each run points one route at a new path served
// by a local backend and times, from the change handed to the pipeline:
//   - the RouteConfiguration push written to Envoy (what bench:translate measures), and
//   - the first request to the new path that Envoy answers from the backend (before: 404).
// and, per stage of the change (`--stages` prints each one's median and p99): the gateway
// translator, the xds translator, the snapshot cache's set, the first push of each xDS type, the
// route table's ACK, the whole rollout ACKed (synced), and the first 200. `--cpu-profile=FILE`
// writes a V8 CPU profile of the changes only (not of the initial translation).
// Runs one after another, each once Envoy has ACKed the previous one; bounded in count and time.
import { once } from 'node:events';
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { AdsServer, DEFAULT_ROUTE_LAYOUT, SnapshotCache, TypeUrl, adsBootstrap, type RouteLayout } from '@gantry/xds';
import { envoyBinary } from '@gantry/xds/testing/envoy-binary';
import { freePort } from '@gantry/xds/testing/net';
import type { KubeObject, Snapshot } from '@gantry/api';
import { EnvoyProcess } from '@gantry/gatewayclass-controller/envoy/process';
import { buildSnapshot } from '@gantry/gatewayclass-controller/manifests/load';
import { Pipeline } from '@gantry/gatewayclass-controller/pipeline';
import { BENCH_GATEWAY, benchObjects, routeToService, serviceObjects } from './fixtures.js';
import { formatSummary, summarize, syncedTo, withRoute } from './measure.js';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const ROUTES = Number(args.get('routes') ?? 10_000);
const RUNS = Number(args.get('runs') ?? 30);
const DEADLINE_MS = 10_000;
const SETTLE_MS = Number(args.get('settle-ms') ?? 250);
/** Envoy warms every cluster first: on a busy machine 10,000 take more than a minute. */
const INITIAL_MS = Number(args.get('initial-timeout-ms') ?? 60_000);
const LOCAL_SERVICE = 'local-backend';
const STAGES = args.has('stages');
/** Diagnostic: the moved route keeps its own Service as a second backend at weight 0, so no cluster is removed. */
const KEEP_CLUSTER = args.has('keep-cluster');
/**
 * Each change moves its route to a Service of its own, new in that change (so every change adds a
 * cluster and its endpoints, as a new route to a new Service does), instead of the shared local
 * backend.
 */
const NEW_BACKEND = args.has('new-backend');
/** Wait this long after Envoy ACKed the initial snapshot (it goes on settling 10,000 clusters). */
const SETTLE_INITIAL_MS = Number(args.get('settle-initial-ms') ?? 0);
const CPU_PROFILE = args.get('cpu-profile');
const LAYOUT = (args.get('layout') ?? DEFAULT_ROUTE_LAYOUT) as RouteLayout;
if (LAYOUT !== 'scoped' && LAYOUT !== 'single') throw new Error(`--layout: scoped or single, not ${String(LAYOUT)}`);

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** Route `index` moved to a new path, served by the local backend. */
function movedRoute(index: number, run: number): KubeObject {
  const route = routeToService(index, NEW_BACKEND ? `${LOCAL_SERVICE}-${run}` : LOCAL_SERVICE);
  const rule = (route['spec'] as { rules: { matches: { path: { value: string } }[] }[] }).rules[0]!;
  rule.matches[0]!.path.value = `/svc-${index}-moved-${run}`;
  if (KEEP_CLUSTER) {
    (route['spec'] as { rules: { backendRefs: unknown[] }[] }).rules[0]!.backendRefs = [
      { name: LOCAL_SERVICE, port: 80, weight: 1 },
      { name: `svc-${index}`, port: 80, weight: 0 },
    ];
  }
  return route;
}

/** The status code Envoy answers GET `path` with on `host`. */
function get(agent: Agent, port: number, host: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host }, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${ROUTES} routes, ${RUNS} changes, ${LAYOUT} route layout, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const backend = createServer((_req, res) => res.end('moved'));
  const backendPort = await listen(backend);
  const gatewayPort = await freePort();
  let snapshot = buildSnapshot([...benchObjects(ROUTES, gatewayPort), ...serviceObjects(LOCAL_SERVICE, ['127.0.0.1'], backendPort)]);

  const cache = new SnapshotCache();
  const server = new AdsServer({ cache });
  const xdsPort = await server.start('127.0.0.1', 0);
  // Per-change stage times (ms since the change was handed to the pipeline, or durations).
  const stage = new Map<string, number>();
  const stages = new Map<string, number[]>();
  const sink = {
    set: (...a: Parameters<SnapshotCache['set']>) => {
      const t = performance.now();
      cache.set(...a);
      stage.set('cache set (diff, notify, sync send)', performance.now() - t);
    },
    delete: (key: string) => void cache.delete(key),
  };
  const onStage = (name: 'gateway' | 'xds', ms: number): void => void stage.set(name === 'gateway' ? 'gateway translator' : 'xds translator + cache set', ms);
  const pipeline = new Pipeline({ sink, listenAddress: '127.0.0.1', routeLayout: LAYOUT, onStage });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const envoy = new EnvoyProcess({
    envoyPath: envoyBinary(),
    bootstrap: adsBootstrap({ gatewayKey: BENCH_GATEWAY, nodeId: 'bench-envoy', xdsHost: '127.0.0.1', xdsPort, adminPort: await freePort() }),
    name: BENCH_GATEWAY,
    logLevel: 'error',
    restart: false,
  });
  try {
    const started = performance.now();
    pipeline.run(snapshot);
    const initial = syncedTo(server, cache.get(BENCH_GATEWAY)!.version, INITIAL_MS);
    await envoy.start();
    await initial;
    console.log(`initial ${ROUTES} routes: Envoy ACKed everything ${(performance.now() - started).toFixed(0)} ms after the first translation began (Envoy start included)`);
    if (SETTLE_INITIAL_MS > 0) await new Promise((resolve) => setTimeout(resolve, SETTLE_INITIAL_MS));

    const pushes: number[] = [];
    let t0 = 0;
    const short = (typeUrl: string): string => typeUrl.slice(typeUrl.lastIndexOf('.') + 1);
    server.on('push', (_g: string, _n: string, typeUrl: string, resources: number, removed: number, bytes: number) => {
      if (typeUrl === TypeUrl.RouteConfiguration) pushes.push(performance.now());
      const key = `push ${short(typeUrl)} (+${resources} -${removed})`;
      if (!stage.has(key)) stage.set(key, performance.now() - t0);
      stage.set(`bytes ${short(typeUrl)}`, (stage.get(`bytes ${short(typeUrl)}`) ?? 0) + bytes);
    });
    server.on('ack', (_g: string, typeUrl: string) => {
      const key = `ACK ${short(typeUrl)}`;
      if (!stage.has(key)) stage.set(key, performance.now() - t0);
    });
    server.on('synced', () => {
      if (!stage.has('synced (whole rollout ACKed)')) stage.set('synced (whole rollout ACKed)', performance.now() - t0);
    });
    const inspector = CPU_PROFILE !== undefined ? new Session() : undefined;
    if (inspector !== undefined) {
      inspector.connect();
      await inspector.post('Profiler.enable');
      await inspector.post('Profiler.setSamplingInterval', { interval: 100 });
      await inspector.post('Profiler.start');
    }
    const written: number[] = [];
    const served: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const index = (run * 7919) % ROUTES;
      const host = `app-${index % 100}.example.com`;
      const path = `/svc-${index}-moved-${run}`;
      if ((await get(agent, gatewayPort, host, path)) !== 404) throw new Error(`${path} answered before the change`);
      snapshot = withRoute(snapshot, index, movedRoute(index, run));
      if (NEW_BACKEND) {
        const [svc, slice] = serviceObjects(`${LOCAL_SERVICE}-${run}`, ['127.0.0.1'], backendPort) as [Snapshot['services'][number], Snapshot['endpointSlices'][number]];
        snapshot = { ...snapshot, services: [...snapshot.services, svc], endpointSlices: [...snapshot.endpointSlices, slice] };
      }
      pushes.length = 0;
      stage.clear();
      t0 = performance.now();
      pipeline.run(snapshot);
      const acked = syncedTo(server, cache.get(BENCH_GATEWAY)!.version);
      // Requests start once the push is written, so that they do not delay it.
      while (pushes.length === 0) {
        if (performance.now() - t0 > DEADLINE_MS) throw new Error(`no RouteConfiguration push within ${DEADLINE_MS} ms`);
        await new Promise((resolve) => setImmediate(resolve));
      }
      let status = 0;
      let polls = 0;
      let slowest = 0;
      for (;;) {
        const p0 = performance.now();
        status = await get(agent, gatewayPort, host, path);
        slowest = Math.max(slowest, performance.now() - p0);
        polls++;
        if (status === 200) break;
        if (status !== 404) throw new Error(`${path}: HTTP ${status} while waiting for the change`);
        if (performance.now() - t0 > DEADLINE_MS) throw new Error(`${path} not served within ${DEADLINE_MS} ms`);
      }
      served.push(performance.now() - t0);
      written.push(pushes[0]! - t0);
      stage.set('first 200', performance.now() - t0);
      stage.set('polls (count)', polls);
      stage.set('slowest poll', slowest);
      await acked;
      for (const [k, v] of stage) {
        let list = stages.get(k);
        if (list === undefined) stages.set(k, (list = []));
        list.push(v);
      }
      // Envoy goes on working after its ACK (workers take the new table, the old one is freed);
      // the next change starts on a quiet machine, as isolated changes do.
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    }
    if (inspector !== undefined) {
      const { profile } = await inspector.post('Profiler.stop');
      writeFileSync(CPU_PROFILE!, JSON.stringify(profile));
      inspector.disconnect();
      console.log(`CPU profile of the changes written to ${CPU_PROFILE!}`);
    }
    if (STAGES) {
      const rows = [...stages].sort((a, b) => summarize(a[1]).median - summarize(b[1]).median);
      for (const [k, v] of rows) {
        const { median, p99 } = summarize(v);
        console.log(`  stage ${k.padEnd(44)} median ${median.toFixed(2).padStart(9)}  p99 ${p99.toFixed(2).padStart(9)}  (n=${v.length})`);
      }
    }
    console.log(`one route change -> RouteConfiguration written         ${formatSummary(written)}`);
    console.log(`one route change -> served by Envoy (first 200)        ${formatSummary(served)}`);
    // The first change is the only one that adds a cluster (the local backend's): Envoy warms it
    // (CDS, then EDS) before the route may name it. With 30 changes, the p99 above is this one.
    if (served.length > 1) {
      console.log(`  of which the first change (adds a cluster)           ${served[0]!.toFixed(2)} ms`);
      console.log(`  the other changes (a route moved, a cluster removed)  ${formatSummary(served.slice(1))}`);
    }
    const mem = process.memoryUsage();
    console.log(`control plane memory: rss ${(mem.rss / 2 ** 20).toFixed(0)} MiB, heap used ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB`);
  } finally {
    agent.destroy();
    await envoy.stop();
    await server.stop();
    await new Promise((resolve) => backend.close(resolve));
  }
}

await main();
