// The cluster bench's scenarios. Each creates its own namespaces, is bounded in count and time,
// and deletes what it made (also when it fails).
import type { Implementation } from './impl.js';
import { forEachLimited, type Kube, type KubeObject, type WatchEvent } from './kube.js';
import {
  attachedRoutes, deleteNamespaces, endpointSlice, gateway, gatewayProgrammed, httpRoute, LISTENER_PORT, namespace,
  objectPath, readyPodIP, routeAccepted, routeRulesPatch, service, waitFor, type RouteSpec,
} from './objects.js';
import { EnvoyClient, fetchText, procSample, promSum, sleep } from './probe.js';

export interface Context {
  readonly kube: Kube;
  readonly backendPort: number;
  readonly hosts: { bridge: string; other: string };
  readonly concurrency: number;
  readonly log: (line: string) => void;
}

/** Percentile by nearest rank (p in 0..1) of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
}

const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;

interface GatewayRef { ns: string; name: string }

/** Deletes a scenario's namespaces; a slow deletion is reported, never allowed to lose the figures. */
async function cleanup(ctx: Context, names: readonly string[], timeoutMs = 300_000): Promise<void> {
  await deleteNamespaces(ctx.kube, names, timeoutMs).catch((err: unknown) => ctx.log(`  cleanup: ${err instanceof Error ? err.message : String(err)} (left to the namespace controller)`));
}

/** Creates the Gateway, waits for Programmed and its Envoy Pod, then for a warm-up route to answer 200. */
async function gatewayWithEnvoy(ctx: Context, impl: Implementation, gw: GatewayRef, allNamespaces: boolean, backendService: string): Promise<EnvoyClient> {
  await ctx.kube.create(gateway(gw.ns, gw.name, impl.gatewayClass, allNamespaces));
  await waitFor(`Gateway ${gw.ns}/${gw.name} Programmed`, 180_000, async () => {
    const g = await ctx.kube.get(objectPath({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: gw.name, namespace: gw.ns } }));
    return g && gatewayProgrammed(g) ? true : undefined;
  }, 500);
  const pods = impl.envoyPods(gw.ns, gw.name);
  const ip = await readyPodIP(ctx.kube, pods.namespace, pods.selector, 180_000);
  const envoy = new EnvoyClient(ip, LISTENER_PORT);
  await ctx.kube.create(httpRoute({ ns: gw.ns, name: 'warm-up', hostname: 'warm-up.bench.test', path: '/warm-up', service: backendService, gateway: gw }));
  await waitFor('the warm-up route answering 200 through Envoy', 180_000, async () => ((await envoy.get('warm-up.bench.test', '/warm-up')) === 200 ? true : undefined), 100);
  return envoy;
}

// ---------------------------------------------------------------------------------------------
// Propagation: routes added one at a time; API write → first 200 through Envoy.

export interface PropagationResult {
  readonly routes: number;
  readonly completed: number;
  /** [route count after the write, ms from the write to the first 200] */
  readonly samples: [number, number][];
  readonly writeMs: { p50: number; p99: number };
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Over the first 100 routes and over the last 10 % (at least 100) of the run. */
  readonly first100: { p50: number; p99: number };
  readonly last: { from: number; to: number; p50: number; p99: number };
  readonly flatness: number;
  readonly errors: number;
  readonly errorStatuses: Record<string, number>;
  readonly timeouts: number;
  readonly stoppedEarly?: string;
  /** Gantry only, from its metrics over the whole run: what one route add cost the controller. */
  readonly controller?: ControllerCost;
}

export interface ControllerCost {
  readonly translationsPerRoute: number;
  readonly gatewayStageMsPerTranslation: number;
  readonly xdsStageMsPerTranslation: number;
  readonly statusWritesPerRoute: Record<string, number>;
}

function controllerCost(before: string | undefined, after: string | undefined, routes: number): ControllerCost | undefined {
  if (!before || !after || routes === 0) return undefined;
  const d = (metric: string, labels: Record<string, string> = {}, by?: string): Map<string, number> => {
    const a = promSum(after, metric, labels, by);
    const b = promSum(before, metric, labels, by);
    return new Map([...a].map(([k, v]) => [k, v - (b.get(k) ?? 0)]));
  };
  const translations = d('gantry_translations_total').get('') ?? 0;
  const stages = d('gantry_translation_duration_seconds_sum', {}, 'stage');
  const writes = d('gantry_status_writes_total', { outcome: 'written' }, 'kind');
  return {
    translationsPerRoute: round(translations / routes, 3),
    gatewayStageMsPerTranslation: round(((stages.get('gateway') ?? 0) * 1000) / Math.max(1, translations), 2),
    xdsStageMsPerTranslation: round(((stages.get('xds') ?? 0) * 1000) / Math.max(1, translations), 2),
    statusWritesPerRoute: Object.fromEntries([...writes].filter(([, v]) => v > 0).map(([k, v]) => [k, round(v / routes, 2)])),
  };
}

export async function propagation(ctx: Context, impl: Implementation, n: number, maxMinutes: number, settleMs: number): Promise<PropagationResult> {
  const ns = `bench-prop-${impl.name}`;
  const gw = { ns, name: 'gw' };
  await deleteNamespaces(ctx.kube, [ns]);
  await ctx.kube.create(namespace(ns));
  let envoy: EnvoyClient | undefined;
  try {
    for (const o of service(ns, 'backend', [ctx.hosts.bridge], ctx.backendPort)) await ctx.kube.create(o);
    envoy = await gatewayWithEnvoy(ctx, impl, gw, false, 'backend');
    const samples: [number, number][] = [];
    const writes: number[] = [];
    const errorStatuses: Record<string, number> = {};
    let errors = 0;
    let timeouts = 0;
    let stoppedEarly: string | undefined;
    const deadline = Date.now() + maxMinutes * 60_000;
    const metricsBefore = await impl.controllerMetrics();
    for (let i = 0; i < n; i++) {
      if (Date.now() > deadline) {
        stoppedEarly = `time budget of ${maxMinutes} min reached after ${i} routes`;
        break;
      }
      const spec: RouteSpec = { ns, name: `r-${i}`, hostname: `h-${i % 100}.prop.test`, path: `/r-${i}`, service: 'backend', gateway: gw };
      const before = await envoy.get(spec.hostname, spec.path);
      if (before !== 404) {
        errors++;
        errorStatuses[`before:${before}`] = (errorStatuses[`before:${before}`] ?? 0) + 1;
      }
      const t0 = performance.now();
      await ctx.kube.create(httpRoute(spec));
      writes.push(performance.now() - t0);
      let status = 0;
      for (;;) {
        status = await envoy.get(spec.hostname, spec.path);
        if (status === 200) break;
        if (status !== 404) {
          errors++;
          errorStatuses[String(status)] = (errorStatuses[String(status)] ?? 0) + 1;
        }
        if (performance.now() - t0 > 30_000) break;
        await sleep(1);
      }
      if (status !== 200) {
        timeouts++;
        continue;
      }
      samples.push([i + 1, round(performance.now() - t0, 2)]);
      if ((i + 1) % 250 === 0) {
        const recent = samples.slice(-250).map((s) => s[1]);
        ctx.log(`  ${impl.name} propagation: ${i + 1}/${n} routes, last 250: p50 ${percentile(recent, 0.5).toFixed(1)} ms, p99 ${percentile(recent, 0.99).toFixed(1)} ms`);
      }
      if (settleMs > 0) await sleep(settleMs);
    }
    const controller = controllerCost(metricsBefore, await impl.controllerMetrics(), samples.length + timeouts);
    const all = samples.map((s) => s[1]);
    const first = samples.filter((s) => s[0] <= 100).map((s) => s[1]);
    const completed = samples.length;
    const window = Math.max(100, Math.floor(completed / 10));
    const lastSamples = samples.slice(-window);
    const last = lastSamples.map((s) => s[1]);
    const p50first = percentile(first, 0.5);
    return {
      routes: n, completed, samples,
      writeMs: { p50: round(percentile(writes, 0.5), 2), p99: round(percentile(writes, 0.99), 2) },
      p50: round(percentile(all, 0.5), 2), p99: round(percentile(all, 0.99), 2), max: round(Math.max(...all), 2),
      first100: { p50: round(p50first, 2), p99: round(percentile(first, 0.99), 2) },
      last: { from: lastSamples[0]?.[0] ?? 0, to: lastSamples.at(-1)?.[0] ?? 0, p50: round(percentile(last, 0.5), 2), p99: round(percentile(last, 0.99), 2) },
      flatness: round(percentile(last, 0.5) / p50first, 2),
      errors, errorStatuses, timeouts, ...(stoppedEarly ? { stoppedEarly } : {}), ...(controller ? { controller } : {}),
    };
  } finally {
    envoy?.close();
    await cleanup(ctx, [ns]);
  }
}

// ---------------------------------------------------------------------------------------------
// Attach storm: N routes at once; until attachedRoutes N and every route Accepted.

export interface AttachResult {
  readonly routes: number;
  readonly writesDoneMs: number;
  readonly attachedMs: number;
  readonly acceptedMs: number;
  readonly totalMs: number;
  /** Status changes seen by an API watch (MODIFIED events) from the first write until 3 s after the end. */
  readonly gatewayWrites: number;
  readonly routeWrites: number;
  /** Gantry only: gantry_status_writes_total{outcome="written"} over the same period, per kind. */
  readonly controllerStatusWrites?: Record<string, number>;
  /** Gantry only: translations (and stage times) over the same period, per route created. */
  readonly controller?: ControllerCost;
  /** When each route was first seen Accepted (ms after the first write): p50, p90. */
  readonly acceptedP50Ms: number;
  readonly acceptedP90Ms: number;
  /** Each Gateway status change seen: [ms after the first write, attachedRoutes]. */
  readonly gatewayTimeline: readonly (readonly [number, number])[];
  readonly timedOut: boolean;
}

export async function attachStorm(ctx: Context, impl: Implementation, n: number): Promise<AttachResult> {
  const ns = `bench-storm-${impl.name}`;
  const gw = { ns, name: 'gw' };
  await deleteNamespaces(ctx.kube, [ns]);
  await ctx.kube.create(namespace(ns));
  let envoy: EnvoyClient | undefined;
  const stops: (() => void)[] = [];
  try {
    for (const o of service(ns, 'backend', [ctx.hosts.bridge], ctx.backendPort)) await ctx.kube.create(o);
    envoy = await gatewayWithEnvoy(ctx, impl, gw, false, 'backend');
    await sleep(2000); // the warm-up route's status settles before counting
    const metricsBefore = await impl.controllerMetrics();

    let gatewayWrites = 0;
    let routeWrites = 0;
    const gatewayTimeline: [number, number][] = [];
    const acceptedTimes: number[] = [];
    let attached = 0;
    const accepted = new Set<string>();
    let attachedAt = 0;
    let acceptedAt = 0;
    const gws = await ctx.kube.list(`/apis/gateway.networking.k8s.io/v1/namespaces/${ns}/gateways`);
    const routes = await ctx.kube.list(`/apis/gateway.networking.k8s.io/v1/namespaces/${ns}/httproutes`);
    const t0 = performance.now();
    stops.push(ctx.kube.watch(`/apis/gateway.networking.k8s.io/v1/namespaces/${ns}/gateways`, gws.metadata.resourceVersion, (e: WatchEvent) => {
      if (e.type !== 'MODIFIED' || e.object.metadata.name !== gw.name) return;
      gatewayWrites++;
      attached = attachedRoutes(e.object);
      gatewayTimeline.push([performance.now() - t0, attached]);
      if (attached >= n + 1 && !attachedAt) attachedAt = performance.now() - t0;
    }));
    stops.push(ctx.kube.watch(`/apis/gateway.networking.k8s.io/v1/namespaces/${ns}/httproutes`, routes.metadata.resourceVersion, (e: WatchEvent) => {
      if (e.object.metadata.name === 'warm-up') return;
      if (e.type === 'MODIFIED') routeWrites++;
      if (routeAccepted(e.object, gw) && !accepted.has(e.object.metadata.name)) {
        accepted.add(e.object.metadata.name);
        acceptedTimes.push(performance.now() - t0);
      }
      if (accepted.size >= n && !acceptedAt) acceptedAt = performance.now() - t0;
    }));
    await sleep(300); // the watches are open
    const start = performance.now();
    const specs = Array.from({ length: n }, (_, i): RouteSpec => ({ ns, name: `s-${i}`, hostname: `h-${i % 100}.storm.test`, path: `/s-${i}`, service: 'backend', gateway: gw }));
    await forEachLimited(specs, ctx.concurrency, (s) => ctx.kube.create(httpRoute(s)));
    const writesDoneMs = performance.now() - start;
    let timedOut = false;
    try {
      await waitFor(`attachedRoutes ${n + 1} and ${n} routes Accepted`, 180_000, async () => (attachedAt && acceptedAt ? true : undefined), 20);
    } catch {
      timedOut = true;
      ctx.log(`  ${impl.name} attach storm: timed out (attachedRoutes ${attached}, ${accepted.size} Accepted; watch restarts ${ctx.kube.watchRestarts}, errors ${ctx.kube.watchErrors.join(' ') || 'none'})`);
    }
    await sleep(3000);
    const metricsAfter = await impl.controllerMetrics();
    let controllerStatusWrites: Record<string, number> | undefined;
    if (metricsBefore && metricsAfter) {
      const before = promSum(metricsBefore, 'gantry_status_writes_total', { outcome: 'written' }, 'kind');
      const after = promSum(metricsAfter, 'gantry_status_writes_total', { outcome: 'written' }, 'kind');
      controllerStatusWrites = Object.fromEntries([...after].map(([k, v]) => [k, v - (before.get(k) ?? 0)]));
    }
    const shift = start - t0;
    const sortedAccepted = acceptedTimes.map((t) => t - shift).sort((x, y) => x - y);
    const at = (q: number): number => sortedAccepted[Math.min(sortedAccepted.length - 1, Math.max(0, Math.ceil(q * sortedAccepted.length) - 1))] ?? NaN;
    const controller = controllerCost(metricsBefore, metricsAfter, n);
    return {
      acceptedP50Ms: round(at(0.5)), acceptedP90Ms: round(at(0.9)),
      gatewayTimeline: gatewayTimeline.map(([t, a]) => [round(t - shift), a] as const),
      ...(controller ? { controller } : {}),
      routes: n, writesDoneMs: round(writesDoneMs), attachedMs: round(attachedAt - shift), acceptedMs: round(acceptedAt - shift),
      totalMs: round(Math.max(attachedAt, acceptedAt) - shift), gatewayWrites, routeWrites,
      ...(controllerStatusWrites ? { controllerStatusWrites } : {}), timedOut,
    };
  } finally {
    for (const stop of stops) stop();
    envoy?.close();
    await cleanup(ctx, [ns]);
  }
}

// ---------------------------------------------------------------------------------------------
// Scale and churn, and change under traffic (on the same 5,000 routes).

export interface MemoryPoint {
  readonly t: number;
  readonly phase: string;
  readonly controllerRssMiB?: number;
  readonly controllerCpuPct?: number;
  readonly envoyMiB?: number;
}

export interface ScaleResult {
  readonly namespaces: number;
  readonly routes: number;
  readonly services: number;
  readonly setupMs: number;
  readonly convergedMs: number;
  readonly rest: PhaseFigures;
  readonly churn: PhaseFigures & { readonly changes: number; readonly seconds: number };
  readonly xdsBytes?: { readonly endpointOnly: Record<string, number>[]; readonly routeEdit: Record<string, number>[] };
  readonly traffic: TrafficResult;
  readonly memory: MemoryPoint[];
}

export interface PhaseFigures {
  readonly controllerRssMiB: { avg: number; max: number };
  readonly controllerCpuPct: number;
  readonly envoyMiB: { max: number };
}

export interface TrafficResult {
  readonly seconds: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly byStatus: Record<string, number>;
  readonly changes: { backendSwaps: number; endpointChanges: number; neighbourEdits: number; addsDeletes: number };
  /** Non-2xx answers by the kind of the change made last before them. */
  readonly non2xxAfter: Record<string, number>;
  /** The first non-2xx answers: seconds into the phase, host, status, and the changes made just before. */
  readonly non2xxFirst: string[];
}

class Sampler {
  readonly points: MemoryPoint[] = [];
  phase = 'setup';
  private timer: NodeJS.Timeout | undefined;
  private lastCpu: { at: number; cpu: number } | undefined;
  private readonly t0 = performance.now();
  envoyStats: string | undefined;
  private envoyBusy = false;

  constructor(private readonly pid: number | undefined) {}

  start(): void {
    this.timer = setInterval(() => void this.sample(), 1000);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async sample(): Promise<void> {
    const now = performance.now();
    const p = this.pid ? procSample(this.pid) : undefined;
    let cpuPct: number | undefined;
    if (p && this.lastCpu) cpuPct = round(((p.cpuSeconds - this.lastCpu.cpu) / ((now - this.lastCpu.at) / 1000)) * 100);
    if (p) this.lastCpu = { at: now, cpu: p.cpuSeconds };
    let envoyMiB: number | undefined;
    // Envoy walks every stat to filter them (5,000 clusters: slow on a busy machine): every 5 s,
    // one request at a time, a generous timeout.
    if (this.envoyStats && !this.envoyBusy && this.points.length % 5 === 0) {
      this.envoyBusy = true;
      const text = await fetchText(`${this.envoyStats}?filter=^server%5C.memory_physical_size$`, 20_000);
      this.envoyBusy = false;
      const v = text ? promSum(text, 'envoy_server_memory_physical_size', {}).get('') : undefined;
      if (v !== undefined) envoyMiB = round(v / 2 ** 20);
    }
    this.points.push({
      t: round((now - this.t0) / 1000), phase: this.phase,
      ...(p ? { controllerRssMiB: round(p.rssBytes / 2 ** 20) } : {}),
      ...(cpuPct !== undefined ? { controllerCpuPct: cpuPct } : {}),
      ...(envoyMiB !== undefined ? { envoyMiB } : {}),
    });
  }

  figures(phase: string): PhaseFigures {
    const ps = this.points.filter((p) => p.phase === phase);
    const rss = ps.map((p) => p.controllerRssMiB).filter((v): v is number => v !== undefined);
    const cpu = ps.map((p) => p.controllerCpuPct).filter((v): v is number => v !== undefined);
    const envoy = ps.map((p) => p.envoyMiB).filter((v): v is number => v !== undefined);
    const avg = (xs: number[]): number => (xs.length ? round(xs.reduce((a, b) => a + b, 0) / xs.length) : NaN);
    return { controllerRssMiB: { avg: avg(rss), max: rss.length ? Math.max(...rss) : NaN }, controllerCpuPct: avg(cpu), envoyMiB: { max: envoy.length ? Math.max(...envoy) : NaN } };
  }
}

export interface ScaleOptions {
  readonly namespaces: number;
  readonly perNamespace: number;
  readonly restSeconds: number;
  readonly churnSeconds: number;
  readonly churnChanges: number;
  readonly trafficSeconds: number;
}

const nsName = (k: number): string => `bench-scale-${String(k).padStart(2, '0')}`;

export async function scaleAndChurn(ctx: Context, impl: Implementation, o: ScaleOptions): Promise<ScaleResult> {
  const gwNs = `bench-scale-gw-${impl.name}`;
  const gw = { ns: gwNs, name: 'gw' };
  const namespaces = Array.from({ length: o.namespaces }, (_, k) => nsName(k));
  await deleteNamespaces(ctx.kube, [gwNs, ...namespaces]);
  const sampler = new Sampler(impl.controllerPid());
  sampler.start();
  let envoy: EnvoyClient | undefined;
  try {
    await ctx.kube.create(namespace(gwNs));
    for (const o2 of service(gwNs, 'backend', [ctx.hosts.bridge], ctx.backendPort)) await ctx.kube.create(o2);
    envoy = await gatewayWithEnvoy(ctx, impl, gw, true, 'backend');
    const pods = impl.envoyPods(gw.ns, gw.name);
    const envoyIP = await readyPodIP(ctx.kube, pods.namespace, pods.selector, 10_000);
    sampler.envoyStats = impl.envoyStatsUrl(envoyIP);

    const t0 = performance.now();
    await forEachLimited(namespaces, ctx.concurrency, (n) => ctx.kube.create(namespace(n)));
    const work: KubeObject[] = [];
    for (const [k, ns] of namespaces.entries()) {
      for (let j = 0; j < o.perNamespace; j++) {
        work.push(...service(ns, `svc-${j}`, [ctx.hosts.bridge], ctx.backendPort));
        work.push(httpRoute({ ns, name: `r-${j}`, hostname: `ns-${k}.scale.test`, path: `/r-${j}`, service: `svc-${j}`, gateway: gw }));
      }
    }
    await forEachLimited(work, ctx.concurrency, (obj) => ctx.kube.create(obj));
    const setupMs = performance.now() - t0;
    ctx.log(`  ${impl.name} scale: ${work.length} objects written in ${(setupMs / 1000).toFixed(1)} s`);
    const total = o.namespaces * o.perNamespace;
    const probes = namespaces.map((_, k) => ({ host: `ns-${k}.scale.test`, path: `/r-${o.perNamespace - 1}` }));
    await waitFor(`all ${total} routes attached and served`, 600_000, async () => {
      const g = await ctx.kube.get(objectPath({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: gw.name, namespace: gw.ns } }));
      if (!g || attachedRoutes(g) < total + 1) return undefined;
      for (const p of probes) if ((await envoy!.get(p.host, p.path)) !== 200) return undefined;
      return true;
    }, 1000);
    const convergedMs = performance.now() - t0;
    ctx.log(`  ${impl.name} scale: ${total} routes attached and served ${(convergedMs / 1000).toFixed(1)} s after the first write`);

    sampler.phase = 'rest';
    await sleep(o.restSeconds * 1000);

    // xDS bytes of single changes (Gantry's gantry_xds_bytes_total).
    const bytesNow = async (): Promise<Map<string, number> | undefined> => {
      const text = await impl.controllerMetrics();
      return text ? promSum(text, 'gantry_xds_bytes_total', { namespace: gw.ns, name: gw.name }, 'type') : undefined;
    };
    const measureChange = async (change: () => Promise<void>): Promise<Record<string, number> | undefined> => {
      const before = await bytesNow();
      if (!before) return undefined;
      await change();
      let after = before;
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline) {
        await sleep(100);
        const now = await bytesNow();
        if (now && [...now].some(([k, v]) => v !== (before.get(k) ?? 0))) {
          await sleep(1000); // anything that follows the first push
          after = (await bytesNow()) ?? now;
          break;
        }
      }
      return Object.fromEntries([...after].map(([k, v]) => [k, v - (before.get(k) ?? 0)]).filter(([, v]) => (v as number) !== 0));
    };
    const endpointOnly: Record<string, number>[] = [];
    const routeEdit: Record<string, number>[] = [];
    for (let c = 0; c < 3; c++) {
      const ns = namespaces[(c * 7) % namespaces.length]!;
      const svc = `svc-${(c * 13 + 5) % o.perNamespace}`;
      const e = await measureChange(() => ctx.kube.merge(objectPath(endpointSlice(ns, svc, [], 0)), { endpoints: [ctx.hosts.bridge, ctx.hosts.other].map((a) => ({ addresses: [a], conditions: { ready: true } })) }));
      if (e) endpointOnly.push(e);
      const j = 1 + ((c * 17 + 3) % (o.perNamespace - 1)); // never route 0 (the traffic targets)
      const r = await measureChange(() => ctx.kube.merge(objectPath(httpRoute({ ns, name: `r-${j}`, hostname: '', path: '', service: '', gateway: gw })), routeRulesPatch(`/r-${j}-edit-${c}`, `svc-${j}`)));
      if (r) routeEdit.push(r);
    }

    // Churn: route edits and endpoint changes, spread over the period.
    sampler.phase = 'churn';
    const churnStart = performance.now();
    let changes = 0;
    const interval = (o.churnSeconds * 1000) / o.churnChanges;
    while (changes < o.churnChanges && performance.now() - churnStart < o.churnSeconds * 1000 + 5000) {
      const k = (changes * 7919) % namespaces.length;
      const j = 1 + ((changes * 104729) % (o.perNamespace - 1)); // never route 0 (the traffic targets)
      const ns = namespaces[k]!;
      if (changes % 2 === 0) {
        await ctx.kube.merge(objectPath(httpRoute({ ns, name: `r-${j}`, hostname: '', path: '', service: '', gateway: gw })), routeRulesPatch(`/r-${j}-c${changes}`, `svc-${j}`));
      } else {
        const addrs = changes % 4 === 1 ? [ctx.hosts.bridge, ctx.hosts.other] : [ctx.hosts.bridge];
        await ctx.kube.merge(objectPath(endpointSlice(ns, `svc-${j}`, [], 0)), { endpoints: addrs.map((a) => ({ addresses: [a], conditions: { ready: true } })) });
      }
      changes++;
      const wait = churnStart + changes * interval - performance.now();
      if (wait > 0) await sleep(wait);
    }
    const churnSeconds = (performance.now() - churnStart) / 1000;
    await sleep(2000);
    sampler.phase = 'traffic';
    const traffic = await changeUnderTraffic(ctx, envoy, namespaces, o, gw);
    sampler.phase = 'after';
    await sleep(2000);
    sampler.stop();
    const xdsBytes = endpointOnly.length || routeEdit.length ? { endpointOnly, routeEdit } : undefined;
    return {
      namespaces: o.namespaces, routes: total, services: total, setupMs: round(setupMs), convergedMs: round(convergedMs),
      rest: sampler.figures('rest'), churn: { ...sampler.figures('churn'), changes, seconds: round(churnSeconds) },
      ...(xdsBytes ? { xdsBytes } : {}), traffic, memory: sampler.points,
    };
  } finally {
    sampler.stop();
    envoy?.close();
    ctx.log(`  ${impl.name} scale: deleting ${namespaces.length + 1} namespaces`);
    await cleanup(ctx, [gwNs, ...namespaces], 600_000);
  }
}

/**
 * Steady requests to route 0 of the first namespaces while, on the same hostnames, the target
 * routes move between two Services, those Services' endpoints change (never to none), neighbour
 * routes are edited and extra routes come and go. Every answer must be 2xx.
 */
async function changeUnderTraffic(ctx: Context, envoy: EnvoyClient, namespaces: readonly string[], o: ScaleOptions, gw: GatewayRef): Promise<TrafficResult> {
  const targets = namespaces.slice(0, Math.min(10, namespaces.length)).map((ns, k) => ({ ns, host: `ns-${k}.scale.test` }));
  const client = new EnvoyClient(envoy.address, envoy.port, 4);
  const byStatus: Record<string, number> = {};
  const non2xxAfter: Record<string, number> = {};
  let lastChange = 'none';
  const recent: string[] = [];
  const non2xxFirst: string[] = [];
  let requests = 0;
  let stop = false;
  const loop = async (w: number): Promise<void> => {
    let i = w;
    while (!stop) {
      const t = targets[i++ % targets.length]!;
      const status = await client.get(t.host, '/r-0');
      requests++;
      byStatus[String(status)] = (byStatus[String(status)] ?? 0) + 1;
      if ((status < 200 || status > 299) && non2xxFirst.length < 40) non2xxFirst.push(`${((performance.now() - start) / 1000).toFixed(2)} s ${t.host} ${status} after: ${recent.join(' | ')}`);
      if (status < 200 || status > 299) non2xxAfter[`${lastChange} (${t.host})`] = (non2xxAfter[`${lastChange} (${t.host})`] ?? 0) + 1;
      await sleep(2);
    }
  };
  const loops = [0, 1, 2, 3].map(loop);
  const changes = { backendSwaps: 0, endpointChanges: 0, neighbourEdits: 0, addsDeletes: 0 };
  const start = performance.now();
  let step = 0;
  try {
    while (performance.now() - start < o.trafficSeconds * 1000) {
      const t = targets[step % targets.length]!;
      lastChange = `${['backend swap', 'endpoints', 'neighbour edit', 'add/delete'][step % 4]!} on ${t.host}`;
      recent.push(`${((performance.now() - start) / 1000).toFixed(2)} ${lastChange}`);
      if (recent.length > 3) recent.shift();
      switch (step % 4) {
        case 0: // route 0 to the other Service (both have ready endpoints)
          await ctx.kube.merge(objectPath(httpRoute({ ns: t.ns, name: 'r-0', hostname: '', path: '', service: '', gateway: gw })), routeRulesPatch('/r-0', step % 8 === 0 ? 'svc-1' : 'svc-0'));
          changes.backendSwaps++;
          break;
        case 1: { // the endpoints of both Services: one or two addresses
          const addrs = step % 8 === 1 ? [ctx.hosts.bridge, ctx.hosts.other] : [ctx.hosts.other];
          for (const svc of ['svc-0', 'svc-1']) {
            await ctx.kube.merge(objectPath(endpointSlice(t.ns, svc, [], 0)), { endpoints: addrs.map((a) => ({ addresses: [a], conditions: { ready: true } })) });
            changes.endpointChanges++;
          }
          break;
        }
        case 2: { // a neighbour on the same hostname
          const j = 2 + (step % (o.perNamespace - 2));
          await ctx.kube.merge(objectPath(httpRoute({ ns: t.ns, name: `r-${j}`, hostname: '', path: '', service: '', gateway: gw })), routeRulesPatch(`/r-${j}-t${step}`, `svc-${j}`));
          changes.neighbourEdits++;
          break;
        }
        default: { // an extra route on the same hostname, added then deleted
          const name = `extra-${step}`;
          await ctx.kube.create(httpRoute({ ns: t.ns, name, hostname: t.host, path: `/extra-${step}`, service: 'svc-2', gateway: gw }));
          await sleep(200);
          await ctx.kube.delete(objectPath({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name, namespace: t.ns } }));
          changes.addsDeletes += 2;
        }
      }
      step++;
      await sleep(150);
    }
  } finally {
    stop = true;
    await Promise.all(loops);
    client.close();
  }
  const non2xx = Object.entries(byStatus).filter(([s]) => !s.startsWith('2')).reduce((n, [, c]) => n + c, 0);
  return { seconds: round((performance.now() - start) / 1000), requests, non2xx, byStatus, changes, non2xxAfter, non2xxFirst };
}
