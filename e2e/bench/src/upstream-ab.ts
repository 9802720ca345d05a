// A/B of what Upstreams cost (issue 9's cost point), in one process, the two shapes alternating so
// that the machine's load hits both alike: 10,000 HTTPRoutes to Services against the same with
// every odd route to an Upstream of its Service (5,000 Upstreams, each with its status).
//   node e2e/bench/dist/upstream-ab.js [--runs=15] [--change-runs=200] [--clone]
// Full translation: a fresh Pipeline per run (gateway translator + xds translator), wall and CPU
// time, and each stage's wall time. One route change: a Pipeline per shape, one route's path
// changed per run, pipeline.run timed (the delta written to a client is the same for both shapes:
// `npm run bench:translate` measures that part). Prints medians and their ratios.
// `--clone`: both snapshots deep-copied before use (the same objects in the same order, laid out
// kind by kind rather than interleaved route/Service/EndpointSlice/Upstream as the fixture builds
// them): separates what translating costs from where the fixture happens to put the objects.
// Run with `node --single-threaded-gc` for steadier CPU figures (GC work on the main thread).
import { loadavg } from 'node:os';
import type { Snapshot } from '@gantry/api';
import { Pipeline, type SnapshotSink } from '@gantry/gatewayclass-controller/pipeline';
import { benchSnapshot, routeObject, type BenchShape } from './fixtures.js';
import { withRoute } from './measure.js';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const RUNS = Number(args.get('runs') ?? 15);
const CHANGE_RUNS = Number(args.get('change-runs') ?? 200);
const CLONE = args.has('clone');
const ROUTES = 10_000;

type ShapeName = 'services' | 'upstreams';
const SHAPES: Record<ShapeName, BenchShape> = { services: {}, upstreams: { halfUpstreams: true } };
const NAMES: readonly ShapeName[] = ['services', 'upstreams'];
const sink: SnapshotSink = { set(): void {}, delete(): void {} };

const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');
const median = (a: readonly number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1] ?? NaN;
const cpuMs = (since: NodeJS.CpuUsage): number => {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1000;
};
/** The shapes in alternating order: a run's first shape is never always the same one. */
const order = (run: number): readonly ShapeName[] => (run % 2 === 0 ? NAMES : [...NAMES].reverse());

function snapshotOf(shape: BenchShape): Snapshot {
  const s = benchSnapshot(ROUTES, 80, shape);
  return CLONE ? structuredClone(s) : s;
}

interface Samples {
  wall: number[];
  cpu: number[];
  gateway: number[];
  xds: number[];
}

function report(title: string, samples: Record<ShapeName, Samples>, fields: readonly (keyof Samples)[]): void {
  console.log(title);
  for (const f of fields) {
    const s = median(samples.services[f]);
    const u = median(samples.upstreams[f]);
    console.log(`  ${f.padEnd(8)} services ${s.toFixed(2).padStart(9)} ms   upstreams ${u.toFixed(2).padStart(9)} ms   ratio ${(u / s).toFixed(2)}`);
  }
}

const empty = (): Samples => ({ wall: [], cpu: [], gateway: [], xds: [] });

function full(snapshots: Record<ShapeName, Snapshot>): void {
  const samples: Record<ShapeName, Samples> = { services: empty(), upstreams: empty() };
  for (let run = 0; run <= RUNS; run++) {
    for (const name of order(run)) {
      const stages = { gateway: 0, xds: 0 };
      const pipeline = new Pipeline({ sink, onStage: (stage, ms) => (stages[stage] += ms) });
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      pipeline.run(snapshots[name]);
      const wall = performance.now() - t0;
      const cpu = cpuMs(c0);
      if (run === 0) continue; // warms the JIT
      const s = samples[name];
      s.wall.push(wall);
      s.cpu.push(cpu);
      s.gateway.push(stages.gateway);
      s.xds.push(stages.xds);
    }
  }
  report(`full translation, ${ROUTES} routes, medians of ${RUNS} alternated runs (gateway/xds: wall time of each stage)`, samples, ['wall', 'cpu', 'gateway', 'xds']);
}

function change(snapshots: Record<ShapeName, Snapshot>): void {
  const state = Object.fromEntries(
    NAMES.map((name) => {
      const pipeline = new Pipeline({ sink });
      pipeline.run(snapshots[name]);
      return [name, { pipeline, snapshot: snapshots[name] }];
    }),
  ) as Record<ShapeName, { pipeline: Pipeline; snapshot: Snapshot }>;
  const samples: Record<ShapeName, Samples> = { services: empty(), upstreams: empty() };
  const warm = 10;
  for (let run = 0; run < CHANGE_RUNS + warm; run++) {
    const index = (run * 7919) % ROUTES;
    for (const name of order(run)) {
      const st = state[name];
      st.snapshot = withRoute(st.snapshot, index, routeObject(index, `-v${run}`, SHAPES[name]));
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      st.pipeline.run(st.snapshot);
      const wall = performance.now() - t0;
      const cpu = cpuMs(c0);
      if (run < warm) continue;
      samples[name].wall.push(wall);
      samples[name].cpu.push(cpu);
    }
  }
  report(`one route change (pipeline.run), medians of ${CHANGE_RUNS} alternated changes`, samples, ['wall', 'cpu']);
}

console.log(`node ${process.version}, layout: ${CLONE ? 'cloned kind by kind' : 'as the fixture allocates'}, load average ${load()}`);
const snapshots: Record<ShapeName, Snapshot> = { services: snapshotOf(SHAPES.services), upstreams: snapshotOf(SHAPES.upstreams) };
full(snapshots);
change(snapshots);
console.log(`load average after: ${load()}`);
