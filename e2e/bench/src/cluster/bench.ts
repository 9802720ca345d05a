// `npm run bench`: Gantry measured end to end on the local cluster (npm run cluster:up: the real
// API server, Gantry with the chart's RBAC and args, a real Envoy per Gateway run as a Pod), and
// the same scenarios against a peer (Envoy Gateway, hack/bench-peer.sh) when it is installed.
// Every figure is printed beside its target and written to e2e/bench/out/results.json and
// e2e/bench/out/report.html. Not part of CI: a full run takes tens of minutes.
//
// Flags: --routes=3000 (propagation) --storm=1000 --namespaces=50 --per-namespace=100
//        --churn-seconds=60 --churn-changes=300 --traffic-seconds=30 --rest-seconds=15
//        --translate-sizes=10000,50000 --only=propagation,attach,scale,translate --runs=1
//        --peer=auto|off|only --concurrency=16 --settle-ms=20 --max-minutes=30 (per propagation run)
//        --cluster-dir=.cache/cluster --out=e2e/bench/out
//        --merge-from=FILE[,FILE] (earlier results.json files: its implementations and translation figures
//        that this run does not measure are kept, so Gantry and the peer can run one at a time)
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { envoyGateway, gantry, EG_GATEWAY_CLASS, type Implementation } from './impl.js';
import { Kube } from './kube.js';
import { hostAddresses, startBackend } from './probe.js';
import { attachStorm, propagation, scaleAndChurn, type AttachResult, type Context, type PropagationResult, type ScaleResult } from './scenarios.js';
import { renderReport, targetRows, type Results, type TranslationResult } from './report.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../../..');
const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const num = (k: string, d: number): number => Number(args.get(k) ?? d);
const only = new Set((args.get('only') ?? 'propagation,attach,scale,translate').split(','));
const clusterDir = resolve(repo, args.get('cluster-dir') ?? '.cache/cluster');
const outDir = resolve(repo, args.get('out') ?? 'e2e/bench/out');
const runs = num('runs', 1);

function log(line: string): void {
  console.log(line);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** The median, field by field, of several runs' results (numbers only; other fields from run 1). */
function medianOf<T>(xs: T[]): T {
  const first = xs[0];
  if (typeof first === 'number') return median(xs as number[]) as T;
  if (Array.isArray(first) || first === null || typeof first !== 'object') return first as T;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(first)) out[k] = medianOf(xs.map((x) => (x as Record<string, unknown>)[k]));
  return out as T;
}

async function peerInstalled(kube: Kube): Promise<boolean> {
  const gc = await kube.get<{ status?: { conditions?: { type: string; status: string }[] } }>(`/apis/gateway.networking.k8s.io/v1/gatewayclasses/${EG_GATEWAY_CLASS}`);
  return (gc?.status?.conditions ?? []).some((c) => c.type === 'Accepted' && c.status === 'True');
}

function translation(sizes: string): Promise<TranslationResult | undefined> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, ['--max-old-space-size=12288', join(here, 'translation.js'), `--sizes=${sizes}`, '--full-runs=3', '--change-runs=30'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let result: TranslationResult | undefined;
    let buffer = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.startsWith('RESULT ')) result = JSON.parse(line.slice(7)) as TranslationResult;
        else log(`  ${line}`);
      }
    });
    child.on('exit', () => resolvePromise(result));
  });
}

function gitCommit(): string {
  try {
    const head = readFileSync(join(repo, '.git'), 'utf8');
    const gitdir = head.startsWith('gitdir:') ? head.slice(8).trim() : join(repo, '.git');
    const ref = readFileSync(join(gitdir, 'HEAD'), 'utf8').trim();
    if (!ref.startsWith('ref: ')) return ref.slice(0, 12);
    const common = existsSync(join(gitdir, 'commondir')) ? resolve(gitdir, readFileSync(join(gitdir, 'commondir'), 'utf8').trim()) : gitdir;
    for (const dir of [gitdir, common]) {
      const f = join(dir, ref.slice(5));
      if (existsSync(f)) return readFileSync(f, 'utf8').trim().slice(0, 12);
    }
    return 'unknown';
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const kubeconfig = join(clusterDir, 'admin.kubeconfig');
  if (!existsSync(kubeconfig)) throw new Error(`no cluster at ${clusterDir}: start one with npm run cluster:up (see e2e/bench/README.md)`);
  const network = new Map(readFileSync(join(clusterDir, 'node-agent/network.env'), 'utf8').split('\n').filter((l) => l.includes('=')).map((l) => l.split('=', 2) as [string, string]));
  const kube = await Kube.fromKubeconfig(kubeconfig, num('concurrency', 16));
  const backend = await startBackend();
  const ctx: Context = { kube, backendPort: backend.port, hosts: hostAddresses(network.get('NODE_IP') ?? '10.244.0.1'), concurrency: num('concurrency', 16), log };
  const peerMode = args.get('peer') ?? 'auto';
  const impls: Implementation[] = [];
  if (peerMode !== 'only') impls.push(gantry(clusterDir));
  const peerNote = peerMode === 'off' ? 'not asked for (--peer=off)'
    : (await peerInstalled(kube)) ? undefined : `GatewayClass ${EG_GATEWAY_CLASS} not Accepted on this cluster: run hack/bench-peer.sh first`;
  if (!peerNote) impls.push(envoyGateway());
  const results: Results = {
    meta: {
      date: new Date().toISOString(), commit: gitCommit(), node: process.version, cpus: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30),
      loadAverageAtStart: loadavg().map((l) => Number(l.toFixed(2))), runs, install: readInstallMode(), args: Object.fromEntries(args),
      ...(peerNote ? { peerNote } : {}),
    },
    implementations: {},
  };
  log(`npm run bench: ${impls.map((i) => i.name).join(' and ')}; cluster ${clusterDir} (${results.meta.install}); ${cpus().length} cores, load average ${results.meta.loadAverageAtStart.join(' ')}`);
  if (peerNote) log(`peer: ${peerNote}`);
  try {
    for (const impl of impls) {
      const prop: PropagationResult[] = [];
      const storm: AttachResult[] = [];
      const scale: ScaleResult[] = [];
      // Written after every scenario, so a later failure loses nothing measured.
      const record = (): void => {
        results.implementations[impl.name] = {
          ...(prop.length ? { propagation: { ...medianOf(prop.map((p) => ({ ...p, samples: [] }))), samples: prop[0]!.samples, runs: prop.map(({ samples: _s, ...rest }) => rest) } } : {}),
          ...(storm.length ? { attach: { ...medianOf(storm), runs: storm } } : {}),
          ...(scale.length ? { scale: scale[0]! } : {}),
        };
        writeOut(results);
      };
      for (let run = 0; run < runs; run++) {
        if (only.has('propagation')) {
          log(`${impl.name}: propagation, ${num('routes', 3000)} routes one at a time (run ${run + 1}/${runs})`);
          prop.push(await propagation(ctx, impl, num('routes', 3000), num('max-minutes', 30), num('settle-ms', 20)));
          record();
        }
        if (only.has('attach')) {
          log(`${impl.name}: attach storm, ${num('storm', 1000)} routes at once (run ${run + 1}/${runs})`);
          storm.push(await attachStorm(ctx, impl, num('storm', 1000)));
          record();
        }
        if (only.has('scale') && impl.name === 'gantry' && run === 0) {
          log(`${impl.name}: scale and churn, ${num('namespaces', 50)} namespaces × ${num('per-namespace', 100)} routes and Services`);
          scale.push(await scaleAndChurn(ctx, impl, {
            namespaces: num('namespaces', 50), perNamespace: num('per-namespace', 100), restSeconds: num('rest-seconds', 15),
            churnSeconds: num('churn-seconds', 60), churnChanges: num('churn-changes', 300), trafficSeconds: num('traffic-seconds', 30),
          }));
          record();
        }
      }
      record();
    }
    if (only.has('translate')) {
      log(`translation in process (${args.get('translate-sizes') ?? '10000,50000'} routes)`);
      const t = await translation(args.get('translate-sizes') ?? '10000,50000');
      if (t) results.translation = t;
    }
  } finally {
    kube.close();
    backend.server.closeAllConnections();
    backend.server.close();
  }
  results.meta.loadAverageAtEnd = loadavg().map((l) => Number(l.toFixed(2)));
  const merged: string[] = [];
  for (const file of (args.get('merge-from') ?? '').split(',').filter(Boolean)) {
    const earlier = JSON.parse(readFileSync(resolve(file), 'utf8')) as Results;
    for (const [name, res] of Object.entries(earlier.implementations)) {
      const current = results.implementations[name] ?? {};
      results.implementations[name] = { ...res, ...current };
    }
    if (!results.translation && earlier.translation) results.translation = earlier.translation;
    merged.push(`${file} (${earlier.meta.date}, commit ${earlier.meta.commit})`);
  }
  if (merged.length) {
    results.meta.merged = merged.join('; ');
    if (results.implementations['envoy-gateway']) delete results.meta.peerNote;
  }
  writeOut(results);
  log('');
  log('figure'.padEnd(64) + 'gantry'.padStart(12) + '   target'.padEnd(16) + ' met' + (results.implementations['envoy-gateway'] ? '   envoy-gateway   ratio' : ''));
  for (const row of targetRows(results)) {
    log(`${row.label.padEnd(64)}${row.gantry.padStart(12)}   ${row.target.padEnd(13)} ${row.met.padEnd(4)}${row.peer !== undefined ? `${row.peer.padStart(15)}   ${row.ratio ?? ''}` : ''}`);
  }
  log(`\nwritten: ${join(outDir, 'results.json')}, ${join(outDir, 'report.html')}`);
}

function readInstallMode(): string {
  try {
    const mode = readFileSync(join(clusterDir, 'install.env'), 'utf8').trim().split('=')[1] ?? 'local';
    return mode === 'helm' ? 'helm: the chart installed by Helm, the controller a Pod' : 'local: the chart\'s objects and RBAC, the controller from the working tree with the chart\'s args';
  } catch {
    return 'unknown';
  }
}

function writeOut(results: Results): void {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(results, null, 1)}\n`);
  writeFileSync(join(outDir, 'report.html'), renderReport(results));
}

await main();
