// `node e2e/bench/dist/change-stages.js --routes=100,3000,10000 --changes=300`: the control
// plane's share of one route change, by stage, without Envoy: the gateway translator, the xds
// translator, the snapshot cache's set. Changes are those of bench:propagation (a route moved to a
// new path and another backend, which drops its old cluster). Route counts are measured in
// alternation (round-robin, `--rounds` times) so that the machine's load falls on all of them
// alike; prints the median of each stage per route count and its ratio to the smallest count.
import { loadavg } from 'node:os';
import { SnapshotCache } from '@gantry/xds';
import type { KubeObject, Snapshot } from '@gantry/api';
import { buildSnapshot } from '@gantry/gatewayclass-controller/manifests/load';
import { Pipeline } from '@gantry/gatewayclass-controller/pipeline';
import { benchObjects, routeToService, serviceObjects } from './fixtures.js';
import { summarize, withRoute } from './measure.js';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const SIZES = (args.get('routes') ?? '100,3000,10000').split(',').map(Number);
const CHANGES = Number(args.get('changes') ?? 100);
const ROUNDS = Number(args.get('rounds') ?? 3);
const LOCAL = 'local-backend';

function moved(index: number, run: number): KubeObject {
  const route = routeToService(index, LOCAL);
  (route['spec'] as { rules: { matches: { path: { value: string } }[] }[] }).rules[0]!.matches[0]!.path.value = `/svc-${index}-moved-${run}`;
  return route;
}

interface Bench {
  readonly routes: number;
  snapshot: Snapshot;
  readonly pipeline: Pipeline;
  readonly samples: Map<string, number[]>;
  run: number;
}

function setup(routes: number): Bench {
  const cache = new SnapshotCache();
  const samples = new Map<string, number[]>();
  let current: Map<string, number> = new Map();
  const sink = {
    set: (...a: Parameters<SnapshotCache['set']>) => {
      const t = performance.now();
      cache.set(...a);
      current.set('cache set', performance.now() - t);
    },
    delete: (k: string) => void cache.delete(k),
  };
  const pipeline = new Pipeline({
    sink,
    listenAddress: '127.0.0.1',
    onStage: (stage, ms) => void current.set(stage === 'gateway' ? 'gateway translator' : 'xds translator (+cache set)', ms),
  });
  const snapshot = buildSnapshot([...benchObjects(routes, 8080), ...serviceObjects(LOCAL, ['127.0.0.1'], 9999)]);
  pipeline.run(snapshot);
  const bench: Bench = { routes, snapshot, pipeline, samples, run: 0 };
  const originalRun = pipeline.run.bind(pipeline);
  pipeline.run = (s: Snapshot) => {
    current = new Map();
    const cpu = process.cpuUsage();
    const t = performance.now();
    const out = originalRun(s);
    const used = process.cpuUsage(cpu);
    // CPU time (all threads of the process, GC included): what descheduling on a loaded machine does not inflate.
    current.set('pipeline.run CPU', (used.user + used.system) / 1000);
    const total = performance.now() - t;
    current.set('pipeline.run total', total);
    current.set('outside the two stages', total - (current.get('gateway translator') ?? 0) - (current.get('xds translator (+cache set)') ?? 0));
    for (const [k, v] of current) {
      let list = samples.get(k);
      if (list === undefined) samples.set(k, (list = []));
      list.push(v);
    }
    return out;
  };
  return bench;
}

function changes(b: Bench, n: number, record: boolean): void {
  for (let i = 0; i < n; i++) {
    const run = b.run++;
    const index = (run * 7919) % b.routes;
    b.snapshot = withRoute(b.snapshot, index, moved(index, run));
    if (!record) {
      const saved = new Map(b.samples);
      b.pipeline.run(b.snapshot);
      b.samples.clear();
      for (const [k, v] of saved) b.samples.set(k, v);
    } else b.pipeline.run(b.snapshot);
  }
}

console.log(`node ${process.version}, routes ${SIZES.join(', ')}, ${ROUNDS} rounds of ${CHANGES} changes each, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const benches = SIZES.map(setup);
for (const b of benches) changes(b, 20, false); // JIT warm-up
console.log('--- measured changes start'); // (for --trace-gc: GC lines after this one are the changes')
for (let r = 0; r < ROUNDS; r++) for (const b of benches) changes(b, CHANGES, true);
const stages = [...benches[0]!.samples.keys()];
const base = benches[0]!;
for (const stage of stages) {
  const cells = benches.map((b) => {
    const m = summarize(b.samples.get(stage) ?? [0]).median;
    const ratio = m / summarize(base.samples.get(stage) ?? [1]).median;
    const v = b.samples.get(stage) ?? [0];
    const mean = v.reduce((x, y) => x + y, 0) / v.length;
    return `${String(b.routes).padStart(6)}: ${m.toFixed(3).padStart(7)} ms (${ratio.toFixed(2)}x, mean ${mean.toFixed(2)})`;
  });
  console.log(`${stage.padEnd(28)} ${cells.join('   ')}`);
}
console.log('--- measured changes end');
console.log(`load average at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
