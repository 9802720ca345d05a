// results.json's shape, the table of figures beside their targets, and report.html: one
// self-contained page (inline SVG charts, no scripts, nothing fetched).
import type { AttachResult, PropagationResult, ScaleResult } from './scenarios.js';

export type TranslationResult = Record<string, { full: { p50: number; p99: number }; change: { p50: number; p99: number }; rssMiB: number }>;

export interface ImplementationResults {
  propagation?: PropagationResult & { runs: Omit<PropagationResult, 'samples'>[] };
  attach?: AttachResult & { runs: AttachResult[] };
  scale?: ScaleResult;
}

export interface Results {
  meta: {
    date: string; commit: string; node: string; cpus: number; memGiB: number; runs: number; install: string;
    loadAverageAtStart: number[]; loadAverageAtEnd?: number[]; args: Record<string, string>; peerNote?: string; merged?: string;
  };
  implementations: Record<string, ImplementationResults>;
  translation?: TranslationResult;
}

export interface Row {
  readonly section: string;
  readonly label: string;
  readonly gantry: string;
  readonly target: string;
  readonly met: string;
  readonly peer?: string;
  readonly ratio?: string;
}

const fmt = (n: number | undefined, digits = 1): string => (n === undefined || Number.isNaN(n) ? '–' : n.toFixed(digits));

/** The figures beside their targets; `peer` and `ratio` (Gantry ÷ peer) where the peer has the figure. */
export function targetRows(r: Results): Row[] {
  const g = r.implementations['gantry'] ?? {};
  const peer = r.implementations['envoy-gateway'];
  const rows: Row[] = [];
  const add = (section: string, label: string, value: number | undefined, unit: string, target?: { max: number; text: string }, peerValue?: number, digits = 1): void => {
    const met = target === undefined || value === undefined || Number.isNaN(value) ? '' : value <= target.max ? 'yes' : 'NO';
    const ratio = peerValue !== undefined && value !== undefined && peerValue !== 0 && !Number.isNaN(peerValue) ? `${(value / peerValue).toFixed(2)}×` : undefined;
    rows.push({
      section, label, gantry: `${fmt(value, digits)}${unit}`, target: target?.text ?? '', met,
      ...(peer ? { peer: peerValue === undefined ? '–' : `${fmt(peerValue, digits)}${unit}` } : {}),
      ...(ratio ? { ratio } : {}),
    });
  };
  const p = g.propagation;
  const pp = peer?.propagation;
  if (p) {
    const at = `${p.last.from}–${p.last.to}`;
    // Figures over the whole run or its last window compare only when both ran as far.
    const same = pp !== undefined && pp.completed === p.completed ? pp : undefined;
    add('Propagation', `p50, routes ${at} (API write → first 200)`, p.last.p50, ' ms', { max: 20, text: '≤ 20 ms' }, same?.last.p50);
    add('Propagation', `p99, routes ${at}`, p.last.p99, ' ms', { max: 50, text: '≤ 50 ms' }, same?.last.p99);
    if (pp && !same) rows.push({ section: 'Propagation', label: `  the peer stopped at ${pp.completed} routes (${pp.stoppedEarly ?? 'timeouts'}): its last window`, gantry: '', target: '', met: '', peer: `${fmt(pp.last.p50)} / ${fmt(pp.last.p99)} ms`, ratio: `${pp.last.from}–${pp.last.to}` });
    add('Propagation', 'p50, routes 1–100', p.first100.p50, ' ms', undefined, pp?.first100.p50);
    // When the peer stopped early (time budget), compare both at the highest route count both reached.
    if (pp && pp.completed < p.completed && pp.completed >= 200) {
      const to = Math.floor(pp.completed / 100) * 100;
      const window = (xs: readonly [number, number][]): number[] => xs.filter(([n]) => n > to - 100 && n <= to).map(([, ms]) => ms).sort((x, y) => x - y);
      const pct = (xs: number[], q: number): number => xs[Math.min(xs.length - 1, Math.max(0, Math.ceil(q * xs.length) - 1))] ?? NaN;
      const gw = window(p.samples);
      const pw = window(pp.samples);
      add('Propagation', `p50, routes ${to - 99}–${to} (the peer's last full hundred)`, pct(gw, 0.5), ' ms', undefined, pct(pw, 0.5));
      add('Propagation', `p99, routes ${to - 99}–${to}`, pct(gw, 0.99), ' ms', undefined, pct(pw, 0.99));
    }
    add('Propagation', 'p50(last) ÷ p50(first 100)', p.flatness, '', { max: 1.5, text: '≤ 1.5' }, same?.flatness, 2);
    add('Propagation', `p50 over all ${p.completed} routes`, p.p50, ' ms', undefined, same?.p50);
    add('Propagation', 'p99 over all', p.p99, ' ms', undefined, same?.p99);
    add('Propagation', 'max', p.max, ' ms', undefined, same?.max);
    if (pp && !same) add('Propagation', `max over the first ${pp.completed} routes`, Math.max(...p.samples.filter(([n]) => n <= pp.completed).map(([, ms]) => ms)), ' ms', undefined, pp.max);
    add('Propagation', 'API write (POST) p50', p.writeMs.p50, ' ms', undefined, pp?.writeMs.p50, 2);
    if (p.controller) {
      add('Propagation', 'controller: translations per route add', p.controller.translationsPerRoute, '', undefined, undefined, 2);
      add('Propagation', 'controller: gateway stage per translation (avg over the run)', p.controller.gatewayStageMsPerTranslation, ' ms', undefined, undefined, 2);
      add('Propagation', 'controller: xds stage per translation (avg over the run)', p.controller.xdsStageMsPerTranslation, ' ms', undefined, undefined, 2);
    }
    add('Propagation', 'statuses other than 404/200, and timeouts', p.errors + p.timeouts, '', { max: 0, text: '= 0' }, pp ? pp.errors + pp.timeouts : undefined, 0);
  }
  const a = g.attach;
  const pa = peer?.attach;
  if (a) {
    add('Attach storm', `${a.routes} routes at once → attachedRoutes and all Accepted`, a.totalMs, ' ms', { max: 1000, text: '≤ 1000 ms' }, pa?.totalMs, 0);
    add('Attach storm', '  of which: the writes themselves (the API server)', a.writesDoneMs, ' ms', undefined, pa?.writesDoneMs, 0);
    add('Attach storm', '  after the last write', a.totalMs - a.writesDoneMs, ' ms', undefined, pa ? pa.totalMs - pa.writesDoneMs : undefined, 0);
    add('Attach storm', '  attachedRoutes complete after the last write', a.attachedMs - a.writesDoneMs, ' ms', undefined, pa ? pa.attachedMs - pa.writesDoneMs : undefined, 0);
    add('Attach storm', 'Gateway status writes (API watch)', a.gatewayWrites, '', { max: 20, text: '≤ 20' }, pa?.gatewayWrites, 0);
    add('Attach storm', 'HTTPRoute status writes (API watch)', a.routeWrites, '', undefined, pa?.routeWrites, 0);
    if (a.acceptedP50Ms !== undefined) add('Attach storm', '  routes Accepted, p50 / p90 after the first write', a.acceptedP50Ms, ' ms', undefined, pa?.acceptedP50Ms, 0);
    if (a.controller) add('Attach storm', 'controller: translations per route add', a.controller.translationsPerRoute, '', undefined, undefined, 3);
  }
  const s = g.scale;
  if (s) {
    add('Scale and churn', `controller RSS at rest, ${s.routes} routes and Services (max)`, s.rest.controllerRssMiB.max, ' MiB', { max: 200, text: '≤ 200 MiB' });
    add('Scale and churn', 'controller RSS under churn (max)', s.churn.controllerRssMiB.max, ' MiB', { max: 200, text: '≤ 200 MiB' });
    add('Scale and churn', 'controller CPU at rest (of one core)', s.rest.controllerCpuPct, ' %');
    add('Scale and churn', `controller CPU under churn (${s.churn.changes} changes in ${fmt(s.churn.seconds, 0)} s)`, s.churn.controllerCpuPct, ' %');
    const envoyMax = [s.rest.envoyMiB.max, s.churn.envoyMiB.max].filter((v): v is number => typeof v === 'number' && !Number.isNaN(v));
    add('Scale and churn', 'Envoy memory (server.memory_physical_size, max)', envoyMax.length ? Math.max(...envoyMax) : undefined, ' MiB');
    add('Scale and churn', `all ${s.routes} routes served after the first write`, s.convergedMs / 1000, ' s');
    if (s.xdsBytes) {
      const sum = (xs: Record<string, number>[], keep: (k: string) => boolean): number =>
        xs.length ? xs.reduce((n, x) => n + Object.entries(x).filter(([k]) => keep(k)).reduce((m, [, v]) => m + v, 0), 0) / xs.length : NaN;
      add('Scale and churn', 'xDS bytes per endpoint-only change: Listener, Route, Cluster', sum(s.xdsBytes.endpointOnly, (k) => k !== 'ClusterLoadAssignment'), ' B', { max: 0, text: '= 0' }, undefined, 0);
      add('Scale and churn', 'xDS bytes per endpoint-only change: ClusterLoadAssignment', sum(s.xdsBytes.endpointOnly, (k) => k === 'ClusterLoadAssignment'), ' B', undefined, undefined, 0);
      add('Scale and churn', 'xDS bytes per route edit (all types)', sum(s.xdsBytes.routeEdit, () => true), ' B', undefined, undefined, 0);
    }
    const t = s.traffic;
    add('Change under traffic', `non-2xx of ${t.requests} requests in ${fmt(t.seconds, 0)} s`, t.non2xx, '', { max: 0, text: '= 0' }, undefined, 0);
  }
  for (const [size, t] of Object.entries(r.translation ?? {})) {
    add('Translation (in process)', `full translation, ${size} routes, p50`, t.full.p50, ' ms', size === '10000' ? { max: 250, text: '≤ 250 ms' } : undefined);
    add('Translation (in process)', `one route change → delta written, ${size} routes, p50`, t.change.p50, ' ms', { max: 5, text: '≤ 5 ms' }, undefined, 2);
    add('Translation (in process)', `one route change → delta written, ${size} routes, p99`, t.change.p99, ' ms', { max: 25, text: '≤ 25 ms' }, undefined, 2);
  }
  return rows;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: readonly [number, number][];
  readonly dots?: boolean;
}

/** A line or scatter chart as inline SVG. */
function chart(title: string, xLabel: string, yLabel: string, series: readonly Series[], yMaxHint?: number): string {
  const W = 860, H = 320, L = 60, R = 20, T = 30, B = 45;
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return `<p><em>${esc(title)}: no data</em></p>`;
  const xMax = Math.max(...all.map((p) => p[0])) || 1;
  const ys = all.map((p) => p[1]).sort((a, b) => a - b);
  const yTop = yMaxHint ?? ys[Math.floor(ys.length * 0.995)] ?? ys.at(-1)!;
  const yMax = niceCeil(Math.max(yTop, 1e-9));
  const x = (v: number): number => L + (v / xMax) * (W - L - R);
  const y = (v: number): number => T + (1 - Math.min(v, yMax) / yMax) * (H - T - B);
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`];
  parts.push(`<text x="${W / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${esc(title)}</text>`);
  for (let i = 0; i <= 5; i++) {
    const v = (yMax * i) / 5;
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${L - 5}" y="${y(v) + 4}" text-anchor="end">${fmtTick(v)}</text>`);
    const xv = (xMax * i) / 5;
    parts.push(`<text x="${x(xv)}" y="${H - B + 15}" text-anchor="middle">${fmtTick(xv)}</text>`);
  }
  parts.push(`<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#333"/><line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#333"/>`);
  parts.push(`<text x="${W / 2}" y="${H - 8}" text-anchor="middle">${esc(xLabel)}</text>`);
  parts.push(`<text x="14" y="${H / 2}" text-anchor="middle" transform="rotate(-90 14 ${H / 2})">${esc(yLabel)}</text>`);
  series.forEach((s, i) => {
    if (s.dots) {
      parts.push(`<g fill="${s.color}" fill-opacity="0.45">${s.points.map((p) => `<circle cx="${x(p[0]).toFixed(1)}" cy="${y(p[1]).toFixed(1)}" r="1.6"/>`).join('')}</g>`);
    } else {
      parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.8" points="${s.points.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' ')}"/>`);
    }
    parts.push(`<rect x="${L + 10 + i * 220}" y="${T + 4}" width="10" height="10" fill="${s.color}"/><text x="${L + 25 + i * 220}" y="${T + 13}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

function niceCeil(v: number): number {
  const e = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * e >= v) return m * e;
  return 10 * e;
}

const fmtTick = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1).replace(/\.0$/, '') : v.toFixed(2).replace(/\.?0+$/, ''));

/** Medians over consecutive windows of `size` routes: the curve of propagation against route count. */
function windowMedians(samples: readonly [number, number][], size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < samples.length; i += size) {
    const w = samples.slice(i, i + size);
    const ms = w.map((s) => s[1]).sort((a, b) => a - b);
    out.push([w.at(-1)![0], ms[Math.floor(ms.length / 2)]!]);
  }
  return out;
}

export function renderReport(r: Results): string {
  const rows = targetRows(r);
  const peer = r.implementations['envoy-gateway'];
  const colors: Record<string, string> = { gantry: '#1f6fd1', 'envoy-gateway': '#d1501f' };
  const propSeries: Series[] = [];
  const curveSeries: Series[] = [];
  for (const [name, res] of Object.entries(r.implementations)) {
    const samples = res.propagation?.samples ?? [];
    if (!samples.length) continue;
    propSeries.push({ name: `${name} (each route)`, color: colors[name] ?? '#555', points: samples, dots: true });
    curveSeries.push({ name: `${name} p50 per 100 routes`, color: colors[name] ?? '#555', points: windowMedians(samples, 100) });
  }
  const scale = r.implementations['gantry']?.scale;
  const memSeries: Series[] = scale ? [
    { name: 'controller RSS (MiB)', color: '#1f6fd1', points: scale.memory.filter((p) => p.controllerRssMiB !== undefined).map((p) => [p.t, p.controllerRssMiB!]) },
    { name: 'Envoy memory (MiB)', color: '#2a9d3a', points: scale.memory.filter((p) => p.envoyMiB !== undefined).map((p) => [p.t, p.envoyMiB!]) },
  ] : [];
  const cpuSeries: Series[] = scale ? [
    { name: 'controller CPU (% of a core)', color: '#8a3ad1', points: scale.memory.filter((p) => p.controllerCpuPct !== undefined).map((p) => [p.t, p.controllerCpuPct!]) },
  ] : [];
  const phases = scale ? phaseRanges(scale.memory) : '';
  let section = '';
  const table = rows.map((row) => {
    const head = row.section !== section ? `<tr class="section"><th colspan="${peer ? 6 : 4}">${esc(row.section)}</th></tr>` : '';
    section = row.section;
    const cls = row.met === 'NO' ? ' class="miss"' : row.met === 'yes' ? ' class="met"' : '';
    return `${head}<tr><td>${esc(row.label)}</td><td class="num">${esc(row.gantry)}</td><td>${esc(row.target)}</td><td${cls}>${esc(row.met)}</td>${peer ? `<td class="num">${esc(row.peer ?? '')}</td><td class="num">${esc(row.ratio ?? '')}</td>` : ''}</tr>`;
  }).join('\n');
  const m = r.meta;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Gantry cluster bench ${esc(m.date)}</title>
<style>
body{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222}
table{border-collapse:collapse;width:100%}td,th{padding:3px 8px;border-bottom:1px solid #eee;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}tr.section th{background:#f3f3f3}
td.met{color:#1a7f2a;font-weight:bold}td.miss{color:#c0261b;font-weight:bold}
pre{background:#f6f6f6;padding:8px;overflow:auto;font-size:12px}
</style></head><body>
<h1>Gantry cluster bench</h1>
<p>${esc(m.date)} · commit ${esc(m.commit)} · Node ${esc(m.node)} · ${m.cpus} cores, ${m.memGiB} GiB (shared with other work: load average ${m.loadAverageAtStart.join(' ')} at the start${m.loadAverageAtEnd ? `, ${m.loadAverageAtEnd.join(' ')} at the end` : ''}) · ${m.runs} run(s), medians shown · Gantry install: ${esc(m.install)}</p>
${m.merged ? `<p>Figures merged with an earlier run: ${esc(m.merged)}.</p>` : ''}
${m.peerNote ? `<p>Peer: ${esc(m.peerNote)}</p>` : peer ? '<p>Peer: Envoy Gateway (hack/bench-peer.sh) on the same cluster; ratio = Gantry ÷ peer (below 1: Gantry is faster or smaller).</p>' : ''}
<table><tr><th>figure</th><th>gantry</th><th>target</th><th>met</th>${peer ? '<th>envoy-gateway</th><th>ratio</th>' : ''}</tr>
${table}
</table>
<h2>Propagation against route count</h2>
${chart('API write → first 200 through Envoy, each route', 'routes on the Gateway', 'ms', propSeries)}
${chart('Median per 100 routes', 'routes on the Gateway', 'ms', curveSeries)}
${scale ? `<h2>Memory and CPU over time (scale, churn, change under traffic)</h2><p>${phases}</p>
${chart('Memory', 'seconds', 'MiB', memSeries)}
${chart('Controller CPU', 'seconds', '% of one core', cpuSeries)}
<h3>xDS bytes of single changes (per type)</h3><pre>${esc(JSON.stringify(scale.xdsBytes ?? {}, null, 1))}</pre>
<h3>Change under traffic</h3><pre>${esc(JSON.stringify(scale.traffic, null, 1))}</pre>` : ''}
<h2>Raw figures</h2><pre>${esc(JSON.stringify({ meta: r.meta, translation: r.translation, ...Object.fromEntries(Object.entries(r.implementations).map(([k, v]) => [k, { ...v, propagation: v.propagation ? { ...v.propagation, samples: `${v.propagation.samples.length} samples (results.json)` } : undefined, scale: v.scale ? { ...v.scale, memory: `${v.scale.memory.length} points (results.json)` } : undefined }])) }, null, 1))}</pre>
</body></html>
`;
}

function phaseRanges(points: readonly { t: number; phase: string }[]): string {
  const out: string[] = [];
  let cur: { phase: string; from: number; to: number } | undefined;
  for (const p of points) {
    if (!cur || cur.phase !== p.phase) {
      if (cur) out.push(`${cur.phase} ${cur.from}–${cur.to} s`);
      cur = { phase: p.phase, from: p.t, to: p.t };
    } else cur.to = p.t;
  }
  if (cur) out.push(`${cur.phase} ${cur.from}–${cur.to} s`);
  return esc(`Phases: ${out.join(', ')}`);
}
