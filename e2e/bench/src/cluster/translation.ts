// The in-process translation figures for `npm run bench` (run as a child process with a large
// heap): bench:translate's full translation and one-route-change measurements at each size given
// (--sizes=10000,50000), printed as usual and then as one JSON line `RESULT {...}`.
import { changePath, fullTranslation } from '../translate-bench.js';
import { summarize } from '../measure.js';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const sizes = (args.get('sizes') ?? '10000,50000').split(',').map(Number);
const out: Record<string, { full: { p50: number; p99: number }; change: { p50: number; p99: number }; rssMiB: number }> = {};
for (const size of sizes) {
  const full = summarize(fullTranslation(size));
  const change = summarize(await changePath(size));
  out[String(size)] = {
    full: { p50: full.median, p99: full.p99 },
    change: { p50: change.median, p99: change.p99 },
    rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
  };
  console.log(`RESULT ${JSON.stringify(out)}`); // after each size: a later failure keeps these
}
