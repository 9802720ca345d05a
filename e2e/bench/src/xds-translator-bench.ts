// Micro-benchmark of the xds translator (not a test):
//   npx tsc -b e2e/bench && node e2e/bench/dist/xds-translator-bench.js [routes] [virtualHosts]
// Measures a full translation of a synthetic IR (N routes, N clusters x 3 endpoints) with a fresh
// translator, and a one-route change on a warm translator (what a route edit costs).
import type { ClusterEndpointsIR, ClusterIR, GatewayIR, ListenerIR, RouteIR, VirtualHostIR } from '@gantry/ir';
import { TypeUrl, XdsTranslator } from '@gantry/xds';

function route(i: number, variant = 0): RouteIR {
  return {
    name: `httproute/default/route-${i}/rule/0/match/0`,
    match: { path: { type: 'PathPrefix', value: `/svc-${i}${variant > 0 ? `/v${variant}` : ''}` } },
    action: { kind: 'forward', backends: [{ cluster: `kube/default/svc-${i}/8080`, weight: 1 }] },
  };
}

function withListener(base: GatewayIR, virtualHosts: readonly VirtualHostIR[]): GatewayIR {
  const listener: ListenerIR = {
    name: 'http-80',
    port: 80,
    protocol: 'HTTP',
    filterChains: [{ name: 'http-80', serverNames: [], routeConfig: { name: 'http-80', virtualHosts } }],
  };
  return { ...base, listeners: [listener] };
}

export function syntheticIR(routes: number, hosts: number): GatewayIR {
  const perHost = Math.ceil(routes / hosts);
  const virtualHosts: VirtualHostIR[] = [];
  for (let h = 0; h < hosts; h++) {
    const rs: RouteIR[] = [];
    for (let i = h * perHost; i < Math.min(routes, (h + 1) * perHost); i++) rs.push(route(i));
    virtualHosts.push({ name: `http-80/host-${h}.example.com`, domains: [`host-${h}.example.com`], routes: rs });
  }
  const clusters: ClusterIR[] = [];
  const endpoints: ClusterEndpointsIR[] = [];
  for (let i = 0; i < routes; i++) {
    clusters.push({ name: `kube/default/svc-${i}/8080`, protocol: 'http1' });
    endpoints.push({
      cluster: `kube/default/svc-${i}/8080`,
      endpoints: [0, 1, 2].map((j) => ({ address: `10.${(i >> 8) & 255}.${i & 255}.${j + 1}`, port: 8080 })),
    });
  }
  clusters.sort((a, b) => (a.name < b.name ? -1 : 1));
  endpoints.sort((a, b) => (a.cluster < b.cluster ? -1 : 1));
  return withListener({ key: 'default/bench', namespace: 'default', name: 'bench', listeners: [], clusters, endpoints, secrets: [] }, virtualHosts);
}

/** The IR after editing route `i` (new objects along its path, everything else shared). */
export function withChangedRoute(ir: GatewayIR, i: number, variant: number): GatewayIR {
  const vhosts = ir.listeners[0]!.filterChains[0]!.routeConfig.virtualHosts;
  const next = vhosts.map((vh) => {
    const at = vh.routes.findIndex((r) => r.name === route(i).name);
    if (at < 0) return vh;
    const routes = [...vh.routes];
    routes[at] = route(i, variant);
    return { ...vh, routes };
  });
  return withListener(ir, next);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function main(): void {
  const routes = Number(process.argv[2] ?? 10_000);
  const hosts = Number(process.argv[3] ?? 100);
  const ir = syntheticIR(routes, hosts);

  const full: number[] = [];
  let bytes = 0;
  const fullCpu: number[] = [];
  for (let run = 0; run < 21; run++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const snapshot = new XdsTranslator().translate(ir);
    full.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    fullCpu.push((c.user + c.system) / 1000);
    if (run === 0) for (const set of Object.values(snapshot)) for (const r of set.values()) bytes += r.bytes.length;
  }

  const translator = new XdsTranslator();
  translator.translate(ir);
  const change: number[] = [];
  let current = ir;
  const middle = Math.floor(routes / 2);
  for (let v = 1; v <= 51; v++) {
    const next = withChangedRoute(current, middle, v);
    const t0 = performance.now();
    const snapshot = translator.translate(next);
    change.push(performance.now() - t0);
    if (snapshot[TypeUrl.RouteConfiguration].size === 0) throw new Error('route table missing');
    current = next;
  }

  const f = (ms: number): string => `${ms.toFixed(2)} ms`;
  console.log(`IR: ${routes} routes in ${hosts} virtual hosts, ${routes} clusters x 3 endpoints; ${(bytes / 1e6).toFixed(1)} MB encoded`);
  console.log(
    `full translation (fresh translator): first ${f(full[0]!)}, median ${f(median(full.slice(1)))}, min ${f(Math.min(...full))} (process CPU median ${f(median(fullCpu.slice(1)))})`,
  );
  console.log(`one route changed (warm translator): median ${f(median(change))}, min ${f(Math.min(...change))}, max ${f(Math.max(...change))}`);
}

if (process.argv[1]?.endsWith('bench.js')) main();
