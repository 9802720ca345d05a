// `npm run bench:standalone`: standalone mode as a user runs it. The `gantry` binary serves a
// directory (one Gateway, N HTTPRoutes over N/10 hostnames, each route to its own Service and
// EndpointSlice, 100 routes per file) to its local Envoy; one local backend answers every route.
// For each N it times, through the real Envoy:
//   - cold start: process spawned → the last route answers 200, and the CPU time the controller
//     and its Envoy spent by then (on a 2-core machine their sum over 2 is the least the cold start can take);
//   - 20 changes, one after another: a new route (its own file, written beside and renamed in),
//     a changed route (a 100-route file rewritten in place, one route's path changed), a deleted
//     route (the new file removed); each from the file operation to the first correct answer
//     (200 at the new path, 404 once deleted);
//   - the controller's RSS after the changes.
// It also times `gantry translate --output xds` of a 2,000-route file, whole-process.
// Usage: npm run bench:standalone [-- --routes=100,1000 --changes=20 --translate-runs=5]
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { envoyBinary } from '@gantry/xds/testing/envoy-binary';
import { freePort } from '@gantry/xds/testing/net';
import { procSample } from './cluster/probe.js';
import { summarize } from './measure.js';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const SIZES = (args.get('routes') ?? '100,1000,3000,10000').split(',').map(Number);
const CHANGES = Number(args.get('changes') ?? 20);
const TRANSLATE_RUNS = Number(args.get('translate-runs') ?? 5);
const TRANSLATE_ROUTES = 2000;
const PER_FILE = 100;
const POLL_MS = 2;
const DEADLINE_MS = 20_000;
const SETTLE_MS = Number(args.get('settle-ms') ?? 300);
/** `--log=FILE`: gantry's log (level debug) goes to FILE, to see where a change's time goes. */
const LOG_FILE = args.get('log');
/** The `gantry` binary, as a user runs it: `translate` runs from its bundle (npm run build). */
const BIN = fileURLToPath(new URL('../../../packages/gatewayclass-controller/bin/gantry.js', import.meta.url));

const host = (i: number, n: number): string => `app-${i % Math.max(1, Math.floor(n / 10))}.example.com`;

function gatewayYaml(port: number): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: gantry
spec:
  controllerName: gantry.dev/gatewayclass-controller
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gw
  namespace: bench
spec:
  gatewayClassName: gantry
  listeners:
  - name: http
    port: ${port}
    protocol: HTTP
`;
}

/** HTTPRoute `name` for `hostname` and `path`, to its own Service and EndpointSlice (the backend). */
function routeYaml(name: string, hostname: string, path: string, backendPort: number): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: ${name}
  namespace: bench
spec:
  parentRefs:
  - name: gw
  hostnames:
  - ${hostname}
  rules:
  - matches:
    - path:
        type: PathPrefix
        value: ${path}
    backendRefs:
    - name: svc-${name}
      port: 80
---
apiVersion: v1
kind: Service
metadata:
  name: svc-${name}
  namespace: bench
spec:
  ports:
  - name: http
    port: 80
    targetPort: ${backendPort}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: svc-${name}-abc
  namespace: bench
  labels:
    kubernetes.io/service-name: svc-${name}
addressType: IPv4
endpoints:
- addresses:
  - 127.0.0.1
  conditions:
    ready: true
ports:
- name: http
  port: ${backendPort}
  protocol: TCP
`;
}

function chunkYaml(first: number, count: number, n: number, backendPort: number, changed?: { index: number; path: string }): string {
  const docs: string[] = [];
  for (let i = first; i < first + count; i++) {
    const path = changed?.index === i ? changed.path : `/svc-${i}`;
    docs.push(routeYaml(`route-${i}`, host(i, n), path, backendPort));
  }
  return docs.join('---\n');
}

const chunkFile = (dir: string, c: number): string => join(dir, `routes-${String(c).padStart(4, '0')}.yaml`);

/** Writes the directory for N routes. */
async function writeDirectory(dir: string, n: number, gatewayPort: number, backendPort: number): Promise<void> {
  await writeFile(join(dir, 'gateway.yaml'), gatewayYaml(gatewayPort));
  for (let c = 0; c * PER_FILE < n; c++) {
    await writeFile(chunkFile(dir, c), chunkYaml(c * PER_FILE, Math.min(PER_FILE, n - c * PER_FILE), n, backendPort));
  }
}

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

function get(agent: Agent, port: number, hostname: string, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host: hostname }, agent, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Polls until GET answers `status`; returns the time since `t0` when it first did. */
async function until(agent: Agent, port: number, hostname: string, path: string, status: number, t0: number, deadlineMs = DEADLINE_MS): Promise<number> {
  if (LOG_FILE !== undefined) benchLog(`change at ${new Date(Date.now() - (performance.now() - t0)).toISOString()}, waiting for ${status} on ${hostname}${path}`);
  for (;;) {
    if ((await get(agent, port, hostname, path)) === status) {
      if (LOG_FILE !== undefined) benchLog(`answered ${status} after ${(performance.now() - t0).toFixed(1)} ms`);
      return performance.now() - t0;
    }
    if (performance.now() - t0 > deadlineMs) throw new Error(`${hostname}${path} did not answer ${status} within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

function benchLog(message: string): void {
  appendFileSync(LOG_FILE!, `${JSON.stringify({ component: 'bench', message, timestamp: new Date().toISOString() })}\n`);
}

/** The controller's children (its Envoy). */
async function childPids(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return text.trim().split(/\s+/).filter((p) => p !== '').map(Number);
}

/** CPU time (user + system, all threads) a process has spent so far, in ms. */
const cpuMs = (pid: number): number => Math.round((procSample(pid)?.cpuSeconds ?? 0) * 1000);

interface SizeResult {
  readonly n: number;
  readonly coldStartMs: number;
  /** CPU spent by the controller and by its Envoy from spawn to the cold start's first 200. */
  readonly coldStartCpuMs: { readonly controller: number; readonly envoy: number };
  readonly changes: { readonly kind: 'new' | 'changed' | 'deleted'; readonly ms: number }[];
  readonly rssMiB: number;
}

async function benchSize(n: number, backendPort: number): Promise<SizeResult> {
  const dir = await mkdtemp(join(tmpdir(), `gantry-bench-standalone-${n}-`));
  const gatewayPort = await freePort();
  await writeDirectory(dir, n, gatewayPort, backendPort);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let stderr = '';
  const t0 = performance.now();
  const proc: ChildProcess = spawn(process.execPath, [BIN, 'standalone', '--dir', dir, '--envoy', envoyBinary(),
    '--xds-port', '0', '--admin-port', '0', '--listen-address', '127.0.0.1', '--log-level', LOG_FILE !== undefined ? 'debug' : 'warn', '--envoy-log-level', 'error'],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  proc.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
    if (LOG_FILE !== undefined) appendFileSync(LOG_FILE, d);
  });
  try {
    const last = n - 1;
    const coldStartMs = await until(agent, gatewayPort, host(last, n), `/svc-${last}`, 200, t0, 120_000);
    const envoyCpu = (await childPids(proc.pid!)).map(cpuMs);
    const coldStartCpuMs = { controller: cpuMs(proc.pid!), envoy: envoyCpu.reduce((a, b) => a + b, 0) };
    await new Promise((r) => setTimeout(r, 1000));
    const changes: SizeResult['changes'] = [];
    let created: { file: string; name: string; path: string } | undefined;
    for (let k = 0; k < CHANGES; k++) {
      const step = k % 3;
      if (step === 0) {
        // A new route: its own file, written beside the directory's manifests and renamed in.
        const name = `new-${k}`;
        const path = `/new-${k}`;
        const file = join(dir, `${name}.yaml`);
        const tmp = join(dir, `.${name}.yaml.tmp`);
        await writeFile(tmp, routeYaml(name, host(k, n), path, backendPort));
        if ((await get(agent, gatewayPort, host(k, n), path)) !== 404) throw new Error(`${path} answered before it was added`);
        const t = performance.now();
        await rename(tmp, file);
        changes.push({ kind: 'new', ms: await until(agent, gatewayPort, host(k, n), path, 200, t) });
        created = { file, name, path };
      } else if (step === 1) {
        // A changed route: a 100-route file rewritten in place with one route's path changed.
        const index = (k * 7919) % n;
        const chunk = Math.floor(index / PER_FILE);
        const path = `/svc-${index}-changed-${k}`;
        const text = chunkYaml(chunk * PER_FILE, Math.min(PER_FILE, n - chunk * PER_FILE), n, backendPort, { index, path });
        const t = performance.now();
        await writeFile(chunkFile(dir, chunk), text);
        changes.push({ kind: 'changed', ms: await until(agent, gatewayPort, host(index, n), path, 200, t) });
      } else {
        // A deleted route: the file of the last new route removed.
        if (!created) continue;
        const t = performance.now();
        await unlink(created.file);
        changes.push({ kind: 'deleted', ms: await until(agent, gatewayPort, host(k - 2, n), created.path, 404, t) });
        created = undefined;
      }
      await new Promise((r) => setTimeout(r, SETTLE_MS));
    }
    const rss = (procSample(proc.pid!)?.rssBytes ?? 0) / 1048576;
    return { n, coldStartMs, coldStartCpuMs, changes, rssMiB: rss };
  } catch (err) {
    throw new Error(`${String(err)}\ngantry's last output:\n${stderr}`);
  } finally {
    agent.destroy();
    const exited = once(proc, 'exit');
    proc.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  }
}

/** `gantry translate --output xds` of a 2,000-route file through the `gantry` binary, whole-process (spawn to exit). */
async function benchTranslate(backendPort: number): Promise<number[]> {
  const dir = await mkdtemp(join(tmpdir(), 'gantry-bench-translate-'));
  const file = join(dir, 'routes.yaml');
  await writeFile(file, `${gatewayYaml(8080)}---\n${chunkYaml(0, TRANSLATE_ROUTES, TRANSLATE_ROUTES, backendPort)}`);
  const times: number[] = [];
  try {
    for (let r = 0; r < TRANSLATE_RUNS; r++) {
      const t = performance.now();
      await new Promise<void>((resolve, reject) => {
        execFile(process.execPath, [BIN, 'translate', '-f', file, '--output', 'xds'], { maxBuffer: 1 << 30 }, (err, stdout) => {
          if (err) reject(err);
          else if (!stdout.includes('route-1999')) reject(new Error('translate printed no route-1999'));
          else resolve();
        });
      });
      times.push(performance.now() - t);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return times;
}

const ms = (v: number): string => `${v.toFixed(1).padStart(7)} ms`;
const mark = (ok: boolean): string => (ok ? 'met' : 'NOT met');

async function main(): Promise<void> {
  console.log(`node ${process.version}, routes ${SIZES.join(', ')}, ${CHANGES} changes each, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const backend = createServer((_req, res) => res.end('ok'));
  const backendPort = await listen(backend);
  try {
    const translate = await benchTranslate(backendPort);
    const t = summarize(translate);
    console.log(`gantry translate --output xds, ${TRANSLATE_ROUTES} routes, whole process: median ${ms(t.median)}  min ${ms(t.min)}  (n=${translate.length})   target <= 500 ms: ${mark(t.median <= 500)}`);
    const results: SizeResult[] = [];
    for (const n of SIZES) {
      const r = await benchSize(n, backendPort);
      results.push(r);
      const all = summarize(r.changes.map((c) => c.ms));
      const per = (['new', 'changed', 'deleted'] as const).map((kind) => {
        const s = r.changes.filter((c) => c.kind === kind).map((c) => c.ms);
        return `${kind} ${s.length > 0 ? summarize(s).median.toFixed(1) : '-'}`;
      }).join(', ');
      console.log(`${String(n).padStart(6)} routes: change -> first correct answer median ${ms(all.median)}  p99 ${ms(all.p99)}  (n=${r.changes.length}; medians ${per} ms)   cold start ${ms(r.coldStartMs)} (CPU: controller ${r.coldStartCpuMs.controller} ms, Envoy ${r.coldStartCpuMs.envoy} ms)   controller RSS ${r.rssMiB.toFixed(0)} MiB`);
    }
    console.log('targets:');
    for (const r of results) {
      const all = summarize(r.changes.map((c) => c.ms));
      console.log(`  ${String(r.n).padStart(6)} routes: median <= 20 ms ${mark(all.median <= 20)}, p99 <= 50 ms ${mark(all.p99 <= 50)}${r.n === 10_000 ? `, cold start <= 3 s ${mark(r.coldStartMs <= 3000)}` : ''}`);
    }
    const small = results.find((r) => r.n === 100);
    const mid = results.find((r) => r.n === 3000);
    if (small && mid) {
      const ratio = summarize(mid.changes.map((c) => c.ms)).median / summarize(small.changes.map((c) => c.ms)).median;
      console.log(`  flat: 3,000-route median / 100-route median = ${ratio.toFixed(2)} (target <= 1.5): ${mark(ratio <= 1.5)}`);
    }
    console.log(`  translate ${TRANSLATE_ROUTES} routes <= 500 ms: ${mark(t.median <= 500)}`);
  } finally {
    await new Promise((resolve) => backend.close(resolve));
  }
}

await main();
