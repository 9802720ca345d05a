// A small Prometheus registry: counters, gauges and histograms with labels, exposed in the text
// format 0.0.4. Our own rather than prom-client because we need a fraction of it, it keeps the
// dependency tree (shared by every package) unchanged, and the exposition rules are short.
// Label names are fixed per metric at definition; using other names is a programming error and
// throws, so tests catch it.

/** The Content-Type of the text exposition format this registry writes. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type MetricType = 'counter' | 'gauge' | 'histogram';

/** Label name → value; exactly the metric's label names. */
export type Labels<L extends string> = Readonly<Record<L, string>>;

export interface MetricOptions<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly L[];
}

export interface HistogramOptions<L extends string> extends MetricOptions<L> {
  /** Upper bounds, ascending; +Inf is implicit. */
  readonly buckets?: readonly number[];
}

/** Seconds, from sub-millisecond translations up to slow multi-second ones. */
export const DEFAULT_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A metric the registry can print. */
export interface Collectable {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  /** Sample lines, without HELP/TYPE. */
  samples(): string[];
}

// ---- exposition helpers ------------------------------------------------------------------------

export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function formatLabels(pairs: readonly (readonly [string, string])[]): string {
  if (pairs.length === 0) return '';
  return `{${pairs.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
}

// ---- the metric base: series keyed by label values ---------------------------------------------

abstract class Metric<L extends string, S> implements Collectable {
  abstract readonly type: MetricType;
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  protected readonly series = new Map<string, { values: readonly string[]; state: S }>();

  constructor(opts: MetricOptions<L>, reserved: readonly string[] = []) {
    if (!METRIC_NAME.test(opts.name)) throw new Error(`invalid metric name ${JSON.stringify(opts.name)}`);
    const names = opts.labelNames ?? [];
    for (const l of names) {
      if (!LABEL_NAME.test(l) || l.startsWith('__') || reserved.includes(l)) throw new Error(`invalid label name ${JSON.stringify(l)} on ${opts.name}`);
    }
    if (new Set(names).size !== names.length) throw new Error(`duplicate label name on ${opts.name}`);
    this.name = opts.name;
    this.help = opts.help;
    this.labelNames = names;
  }

  protected abstract initial(): S;
  abstract samples(): string[];

  /** Label values in labelNames order; throws on missing or unknown names. */
  protected valuesOf(labels: Labels<L> | undefined): string[] {
    const given = (labels ?? {}) as Record<string, string | undefined>;
    const keys = Object.keys(given);
    if (keys.length !== this.labelNames.length || keys.some((k) => !(this.labelNames as readonly string[]).includes(k))) {
      throw new Error(`${this.name} takes labels [${this.labelNames.join(', ')}], got [${keys.join(', ')}]`);
    }
    return this.labelNames.map((n) => {
      const v = given[n];
      if (typeof v !== 'string') throw new Error(`${this.name}: label ${n} must be a string`);
      return v;
    });
  }

  protected stateOf(labels: Labels<L> | undefined): S {
    const values = this.valuesOf(labels);
    const key = values.join('\u0000');
    let entry = this.series.get(key);
    if (!entry) {
      entry = { values, state: this.initial() };
      this.series.set(key, entry);
    }
    return entry.state;
  }

  protected peek(labels: Labels<L> | undefined): S | undefined {
    return this.series.get(this.valuesOf(labels).join('\u0000'))?.state;
  }

  /** Series sorted by label values, so the output is stable. */
  protected sortedSeries(): { pairs: [string, string][]; state: S }[] {
    if (this.labelNames.length === 0 && this.series.size === 0) this.stateOf(undefined);
    return [...this.series.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, { values, state }]) => ({ pairs: this.labelNames.map((n, i): [string, string] => [n, values[i]!]), state }));
  }

  /** Drops one series (e.g. a deleted Gateway), so label sets do not pile up. */
  remove(labels: Labels<L>): void {
    this.series.delete(this.valuesOf(labels).join('\u0000'));
  }

  /** Drops the series whose labels match every given pair. */
  removeMatching(partial: Partial<Labels<L>>): void {
    const want = Object.entries(partial) as [L, string | undefined][];
    for (const [key, { values }] of this.series) {
      if (want.every(([n, v]) => v === undefined || values[this.labelNames.indexOf(n)] === v)) this.series.delete(key);
    }
  }

  clear(): void {
    this.series.clear();
  }
}

// ---- counter, gauge ----------------------------------------------------------------------------

interface Scalar {
  value: number;
}

export class Counter<L extends string = never> extends Metric<L, Scalar> {
  readonly type = 'counter' as const;

  protected initial(): Scalar {
    return { value: 0 };
  }

  inc(labels?: Labels<L>, by = 1): void {
    if (!(by >= 0)) throw new Error(`${this.name}: counters only go up (got ${by})`);
    this.stateOf(labels).value += by;
  }

  get(labels?: Labels<L>): number {
    return this.peek(labels)?.value ?? 0;
  }

  samples(): string[] {
    return this.sortedSeries().map(({ pairs, state }) => `${this.name}${formatLabels(pairs)} ${formatValue(state.value)}`);
  }
}

export class Gauge<L extends string = never> extends Metric<L, Scalar> {
  readonly type = 'gauge' as const;

  protected initial(): Scalar {
    return { value: 0 };
  }

  set(labels: Labels<L> | undefined, value: number): void {
    this.stateOf(labels).value = value;
  }

  inc(labels?: Labels<L>, by = 1): void {
    this.stateOf(labels).value += by;
  }

  dec(labels?: Labels<L>, by = 1): void {
    this.stateOf(labels).value -= by;
  }

  get(labels?: Labels<L>): number {
    return this.peek(labels)?.value ?? 0;
  }

  samples(): string[] {
    return this.sortedSeries().map(({ pairs, state }) => `${this.name}${formatLabels(pairs)} ${formatValue(state.value)}`);
  }
}

// ---- histogram -------------------------------------------------------------------------------

interface Buckets {
  /** Per bucket (not cumulative); the last slot counts values above every bound. */
  readonly counts: number[];
  sum: number;
  count: number;
}

export interface HistogramValue {
  /** Cumulative counts per upper bound, +Inf last. */
  readonly buckets: readonly { readonly le: number; readonly count: number }[];
  readonly sum: number;
  readonly count: number;
}

export class Histogram<L extends string = never> extends Metric<L, Buckets> {
  readonly type = 'histogram' as const;
  readonly bounds: readonly number[];

  constructor(opts: HistogramOptions<L>) {
    super(opts, ['le']);
    const bounds = [...(opts.buckets ?? DEFAULT_BUCKETS)].filter((b) => b !== Infinity);
    for (let i = 0; i < bounds.length; i++) {
      if (!Number.isFinite(bounds[i]!) || (i > 0 && bounds[i]! <= bounds[i - 1]!)) throw new Error(`${opts.name}: buckets must be finite and strictly ascending`);
    }
    this.bounds = bounds;
  }

  protected initial(): Buckets {
    return { counts: new Array<number>(this.bounds.length + 1).fill(0), sum: 0, count: 0 };
  }

  observe(labels: Labels<L> | undefined, value: number): void {
    if (Number.isNaN(value)) return;
    const s = this.stateOf(labels);
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  /** Starts a timer; calling the result observes the elapsed seconds and returns them. */
  startTimer(labels?: Labels<L>): () => number {
    const started = performance.now();
    return () => {
      const seconds = (performance.now() - started) / 1000;
      this.observe(labels, seconds);
      return seconds;
    };
  }

  get(labels?: Labels<L>): HistogramValue {
    const s = this.peek(labels) ?? this.initial();
    let cumulative = 0;
    const buckets = [...this.bounds, Infinity].map((le, i) => ({ le, count: (cumulative += s.counts[i]!) }));
    return { buckets, sum: s.sum, count: s.count };
  }

  samples(): string[] {
    const out: string[] = [];
    for (const { pairs, state } of this.sortedSeries()) {
      let cumulative = 0;
      [...this.bounds, Infinity].forEach((le, i) => {
        cumulative += state.counts[i]!;
        out.push(`${this.name}_bucket${formatLabels([...pairs, ['le', formatValue(le)]])} ${cumulative}`);
      });
      out.push(`${this.name}_sum${formatLabels(pairs)} ${formatValue(state.sum)}`);
      out.push(`${this.name}_count${formatLabels(pairs)} ${state.count}`);
    }
    return out;
  }
}

// ---- registry ----------------------------------------------------------------------------------

export class Registry {
  private readonly metrics = new Map<string, Collectable>();
  private readonly collectors = new Set<() => void>();

  register<M extends Collectable>(metric: M): M {
    if (this.metrics.has(metric.name)) throw new Error(`metric ${metric.name} is already registered`);
    this.metrics.set(metric.name, metric);
    return metric;
  }

  counter<L extends string = never>(opts: MetricOptions<L>): Counter<L> {
    return this.register(new Counter<L>(opts));
  }

  gauge<L extends string = never>(opts: MetricOptions<L>): Gauge<L> {
    return this.register(new Gauge<L>(opts));
  }

  histogram<L extends string = never>(opts: HistogramOptions<L>): Histogram<L> {
    return this.register(new Histogram<L>(opts));
  }

  get(name: string): Collectable | undefined {
    return this.metrics.get(name);
  }

  /** Runs before every exposition: the place to copy values read from elsewhere into gauges. */
  onCollect(collect: () => void): () => void {
    this.collectors.add(collect);
    return () => this.collectors.delete(collect);
  }

  /** Every metric in the text format 0.0.4, sorted by name. */
  expose(): string {
    for (const collect of this.collectors) collect();
    const lines: string[] = [];
    for (const m of [...this.metrics.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      lines.push(`# HELP ${m.name} ${escapeHelp(m.help)}`, `# TYPE ${m.name} ${m.type}`, ...m.samples());
    }
    return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  }
}
