// The update-under-traffic scenario, shared by the delta and SotW test files: two client loops
// (one reusing a keep-alive connection, one opening a connection per request) run for a few
// seconds while routes switch backends, routes and clusters come and go, endpoints move and a
// listener is added. Every response must be a 200 from a backend that the configuration allowed
// at some moment during that request.
import { expect } from '@jest/globals';
import { Agent } from 'node:http';
import type { EchoServer } from '@gantry/gatewayclass-controller/examples/echo-backend';
import { echoOf, send } from './client.js';
import { GATEWAY_CLASS, type TrafficHarness, docs, freePort, gatewayYaml, routeYaml, serviceYaml, sleep } from './harness.js';

const HOST = 'update.test';
const PATHS = ['/', '/extra/x'] as const;
type Path = (typeof PATHS)[number];

/** One configuration: its manifests and, per request path, the backends that may answer. */
interface Phase {
  readonly name: string;
  readonly yaml: string;
  readonly allowed: Readonly<Record<Path, readonly string[]>>;
}

interface Outcome {
  readonly loop: string;
  readonly path: Path;
  readonly start: number;
  readonly end: number;
  readonly status: number;
  readonly backend?: string;
  readonly error?: string;
}

export async function updatesUnderTraffic(h: TrafficHarness): Promise<void> {
  const port = await freePort();
  const extraPort = await freePort();
  const { servers } = await h.backendSet(['v1', 'v2', 'v3', 'v4', 'v4b']);
  const all = phases(port, extraPort, servers);
  // Phase i may be in effect from the start of its apply until the next apply is ACKed.
  const windows: { phase: Phase; from: number; to: number }[] = [];
  const first = all[0] as Phase;
  await h.apply(first.yaml);
  windows.push({ phase: first, from: 0, to: Infinity });

  const outcomes: Outcome[] = [];
  let stopped = false;
  const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
  const loops = Promise.all([
    clientLoop(port, 'keep-alive', keepAlive, () => stopped, outcomes),
    clientLoop(port, 'new-connection', undefined, () => stopped, outcomes),
  ]);
  try {
    await sleep(250);
    for (const phase of all.slice(1)) {
      windows.push({ phase, from: performance.now(), to: Infinity });
      await h.apply(phase.yaml);
      (windows[windows.length - 2] as { to: number }).to = performance.now();
      await sleep(300);
    }
    await sleep(200);
  } finally {
    stopped = true;
    await loops;
    keepAlive.destroy();
  }

  const bad = outcomes.filter((o) => {
    if (o.status !== 200 || o.backend === undefined) return true;
    const allowed = new Set(windows.filter((w) => w.from <= o.end && o.start <= w.to).flatMap((w) => w.phase.allowed[o.path]));
    return !allowed.has(o.backend);
  });
  const perLoop = (loop: string): number => outcomes.filter((o) => o.loop === loop).length;
  // Enough traffic for the test to mean something: both loops kept sending through every phase.
  expect(perLoop('keep-alive')).toBeGreaterThan(200);
  expect(perLoop('new-connection')).toBeGreaterThan(200);
  expect(bad.slice(0, 10)).toEqual([]);
  // The final state serves as configured, on the old listener and the added one.
  const last = all[all.length - 1] as Phase;
  expect(echoOf(await send({ port, host: HOST, path: '/' })).backend).toBe(last.allowed['/'][0]);
  expect(echoOf(await send({ port: extraPort, host: HOST, path: '/' })).backend).toBe(last.allowed['/'][0]);
  // Every backend of the sequence was actually reached (the phases really took effect).
  for (const name of ['v1', 'v2', 'v3', 'v4', 'v4b']) {
    expect({ name, reached: (servers[name]?.requests.length ?? 0) > 0 }).toEqual({ name, reached: true });
  }
}

async function clientLoop(port: number, name: string, agent: Agent | undefined, stop: () => boolean, out: Outcome[]): Promise<void> {
  for (let i = 0; !stop(); i++) {
    const path = PATHS[i % PATHS.length] as Path;
    const start = performance.now();
    try {
      const r = await send({ port, host: HOST, path, timeoutMs: 5000, ...(agent ? { agent } : {}) });
      let backend: string | undefined;
      try {
        backend = echoOf(r).backend;
      } catch {
        backend = undefined;
      }
      out.push({ loop: name, path, start, end: performance.now(), status: r.status, ...(backend ? { backend } : {}) });
    } catch (e) {
      out.push({ loop: name, path, start, end: performance.now(), status: 0, error: (e as Error).message });
    }
  }
}

function phases(port: number, extraPort: number, servers: Record<string, EchoServer>): Phase[] {
  const gateway = (withExtraListener: boolean): string => {
    const http = `{name: http, protocol: HTTP, port: ${port}}`;
    return withExtraListener ? gatewayYaml(http, `{name: extra, protocol: HTTP, port: ${extraPort}}`) : gatewayYaml(http);
  };
  const route = (name: string, rules: string): string => routeYaml(name, [HOST], rules);
  const s = (name: string): EchoServer => servers[name] as EchoServer;
  // Service v4 is backed by echo server v4 or v4b: moving it changes endpoints only.
  const services = (v4Server: string): string =>
    docs(serviceYaml('v1', s('v1').port), serviceYaml('v2', s('v2').port), serviceYaml('v3', s('v3').port), serviceYaml('v4', s(v4Server).port));
  const root = (backends: string): string => route('app', `
  - backendRefs: [${backends}]`);
  const extra = route('extra', `
  - matches: [{path: {value: /extra}}]
    backendRefs: [{name: v3, port: 80}]`);
  const base = (withExtraListener = false, v4Server = 'v4'): string => docs(GATEWAY_CLASS, gateway(withExtraListener), services(v4Server));
  return [
    { name: 'v1', yaml: docs(base(), root('{name: v1, port: 80}')), allowed: { '/': ['v1'], '/extra/x': ['v1'] } },
    { name: 'switch to v2', yaml: docs(base(), root('{name: v2, port: 80}')), allowed: { '/': ['v2'], '/extra/x': ['v2'] } },
    { name: 'add a route and a cluster', yaml: docs(base(), root('{name: v2, port: 80}'), extra), allowed: { '/': ['v2'], '/extra/x': ['v3'] } },
    {
      name: 'split v2/v4 (new cluster)',
      yaml: docs(base(), root('{name: v2, port: 80}, {name: v4, port: 80}'), extra),
      allowed: { '/': ['v2', 'v4'], '/extra/x': ['v3'] },
    },
    { name: 'drop v2 (cluster removed)', yaml: docs(base(), root('{name: v4, port: 80}'), extra), allowed: { '/': ['v4'], '/extra/x': ['v3'] } },
    { name: 'move v4 endpoints', yaml: docs(base(false, 'v4b'), root('{name: v4, port: 80}'), extra), allowed: { '/': ['v4b'], '/extra/x': ['v3'] } },
    { name: 'add a listener', yaml: docs(base(true, 'v4b'), root('{name: v4, port: 80}'), extra), allowed: { '/': ['v4b'], '/extra/x': ['v3'] } },
    { name: 'remove the route', yaml: docs(base(true, 'v4b'), root('{name: v4, port: 80}')), allowed: { '/': ['v4b'], '/extra/x': ['v4b'] } },
    { name: 'back to v1', yaml: docs(base(true, 'v4b'), root('{name: v1, port: 80}')), allowed: { '/': ['v1'], '/extra/x': ['v1'] } },
  ];
}
