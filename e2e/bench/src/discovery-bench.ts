// `npm run bench:discovery`: discovery on a real API server with 5,000 Services of 2 ports each.
// Prints the time until all 10,000 Upstreams exist (from the controller's start: watches, first
// pass, writes), what one Service change costs in applies, and the RSS discovery adds: the same
// controller with and without --discovery, each in its own process, each having taken in the
// 10,000 Upstreams as they appeared and written their statuses (for the run without discovery,
// the bench writes the same Upstreams itself), measured once settled; beside the targets. Env: what the integration tests use (GANTRY_KUBE_BIN_DIR, GANTRY_ETCD, ...).
import { execFile } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { KIND_TABLE, type Service } from '@gantry/api';
import { applyBody, desiredUpstreams, removeDiscoveredUpstreams } from '@gantry/discovery';
import { CORE_KINDS, serverSideApply, silentLogger, type JsonObject } from '@gantry/kube';
import { createNamespace, createObject } from '@gantry/kube/testing/api-helpers';
import { startControlPlane } from '@gantry/kube/testing/control-plane';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const SERVICES = Number(args.get('services') ?? 5000);
const NAMESPACES = 50;
const RUNS = Number(args.get('runs') ?? 1);

/** Runs a worker; resolves with every figure it printed (one JSON object per line). */
function worker(kubeconfig: string, discovery: boolean, expect: number): Promise<Record<string, number>> {
  const script = fileURLToPath(new URL('./discovery-bench-worker.js', import.meta.url));
  return new Promise((resolve, reject) => {
    // GANTRY_BENCH_CPU_PROF=DIR: a CPU profile of each worker, to see where its time goes.
    const prof = process.env.GANTRY_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.GANTRY_BENCH_CPU_PROF}`] : [];
    execFile(process.execPath, [...prof, '--expose-gc', script, `--kubeconfig=${kubeconfig}`, `--discovery=${discovery ? 'on' : 'off'}`, `--expect=${expect}`], { maxBuffer: 1 << 20, timeout: 3_600_000 }, (err, stdout, stderr) => {
      const figures = Object.assign({}, ...stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, number>));
      if (err) reject(new Error(`worker failed: ${err.message}\nfigures so far: ${JSON.stringify(figures)}\n${stderr.slice(-2000)}`));
      else resolve(figures);
    });
  });
}

async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await work(items[next++] as T);
  }));
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

console.log(`discovery bench: ${SERVICES} Services x 2 ports, ${NAMESPACES} namespaces; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const cp = await startControlPlane({ crds: true });
try {
  const kc = cp.kubeConfig;
  await createNamespace(kc, 'gantry-system');
  for (let n = 0; n < NAMESPACES; n++) await createNamespace(kc, `app-${n}`);
  const t0 = performance.now();
  const services: Service[] = [...Array(SERVICES).keys()].map((i) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: `svc-${Math.floor(i / NAMESPACES)}`, namespace: `app-${i % NAMESPACES}`, labels: { app: `svc-${i}` } },
    spec: { selector: { app: `svc-${i}` }, ports: [{ name: 'http', port: 80 }, { name: 'grpc', port: 9090 }] },
  }));
  await pool(services, 32, (svc) => createObject(kc, CORE_KINDS.Service, svc.metadata.namespace, { metadata: svc.metadata, spec: svc.spec } as unknown as JsonObject));
  console.log(`${SERVICES} Services created in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  for (let run = 0; run < RUNS; run++) {
    // Each run starts from no discovered Upstreams.
    if (run > 0) await removeDiscoveredUpstreams(kc, 'gantry-system', silentLogger);
    const on = await worker(cp.kubeconfigPath, true, SERVICES * 2);
    // The same Upstreams again, written by the bench: the controller without discovery sees them
    // appear and writes their statuses, as the one with discovery did.
    await removeDiscoveredUpstreams(kc, 'gantry-system', silentLogger);
    await pool(services, 32, async (svc) => {
      for (const d of desiredUpstreams(svc)) {
        await serverSideApply(kc, KIND_TABLE.Upstream, 'gantry-system', applyBody(d, d.name, 'gantry-system') as JsonObject, { fieldManager: 'bench' });
      }
    });
    const off = await worker(cp.kubeconfigPath, false, SERVICES * 2);
    const added = (on['rss'] ?? 0) - (off['rss'] ?? 0);
    console.log(`run ${run + 1}:`);
    console.log(`  all ${SERVICES * 2} Upstreams created in ${((on['allCreatedMs'] ?? 0) / 1000).toFixed(1)} s (${on['created']} applies)   target: <= 60 s`);
    console.log(`  one Service gains a port -> ${on['appliesForOneNewPort']} apply   target: exactly 1`);
    console.log(`  every Upstream's status written ${((on['settledMs'] ?? 0) / 1000).toFixed(0)} s after the start (the leader writes one status per Upstream)`);
    console.log(`  controller RSS with discovery ${mib(on['rss'] ?? 0)} MiB, without ${mib(off['rss'] ?? 0)} MiB: added ${mib(added)} MiB   target: <= 30 MiB`);
    console.log(`  heap used with ${mib(on['heapUsed'] ?? 0)} MiB, without ${mib(off['heapUsed'] ?? 0)} MiB`);
    if (process.env.GANTRY_BENCH_MEMORY_DETAIL) console.log(`  memory detail with: ${JSON.stringify(on)}\n  without: ${JSON.stringify(off)}`);
  }
} finally {
  await cp.stop();
}
