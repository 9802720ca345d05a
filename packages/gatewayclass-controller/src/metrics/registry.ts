// Typed metrics on prom-client: the exposition format, escaping, histograms and Node.js's default
// metrics (process CPU and memory, event-loop lag, GC, heap) are prom-client's. What this module
// adds: label names checked as a type and at run time (an exact set, so a typo fails loudly),
// dropping every series that matches some labels (a deleted Gateway), and collectors that run
// before each scrape.
import {
  Counter as PromCounter,
  Gauge as PromGauge,
  Histogram as PromHistogram,
  Registry as PromRegistry,
  collectDefaultMetrics,
} from 'prom-client';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type MetricType = 'counter' | 'gauge' | 'histogram';

/** Label name → value, exactly the metric's label names. */
export type Labels<L extends string> = Readonly<Record<L, string>>;

export interface MetricOptions<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly L[];
}

export interface HistogramOptions<L extends string> extends MetricOptions<L> {
  /** Upper bounds (seconds for durations), ascending; +Inf is implied. */
  readonly buckets?: readonly number[];
}

export const DEFAULT_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Anything the registry holds. */
export interface Collectable {
  readonly name: string;
  readonly type: MetricType;
}

/** Series of one metric, keyed by label values, so that partial matches can be removed. */
abstract class Metric<L extends string> implements Collectable {
  abstract readonly type: MetricType;
  readonly name: string;
  readonly labelNames: readonly L[];
  private readonly seen = new Map<string, Labels<L>>();

  constructor(opts: MetricOptions<L>, reserved: readonly string[] = []) {
    const names = opts.labelNames ?? [];
    for (const l of names) if (reserved.includes(l)) throw new Error(`invalid label name ${JSON.stringify(l)} on ${opts.name}`);
    if (new Set(names).size !== names.length) throw new Error(`duplicate label name on ${opts.name}`);
    this.name = opts.name;
    this.labelNames = names;
  }

  protected abstract removeSeries(labels: Labels<L>): void;
  protected abstract resetAll(): void;

  /** Checks the label set (exactly the metric's names, string values) and remembers the series. */
  protected track(labels: Labels<L> | undefined): Labels<L> | undefined {
    const given = (labels ?? {}) as Record<string, unknown>;
    const keys = Object.keys(given);
    if (keys.length !== this.labelNames.length || keys.some((k) => !(this.labelNames as readonly string[]).includes(k))) {
      throw new Error(`${this.name} takes labels [${this.labelNames.join(', ')}], got [${keys.join(', ')}]`);
    }
    for (const n of this.labelNames) if (typeof given[n] !== 'string') throw new Error(`${this.name}: label ${n} must be a string`);
    if (this.labelNames.length === 0) return undefined;
    const l = labels as Labels<L>;
    this.seen.set(this.key(l), l);
    return l;
  }

  private key(labels: Labels<L>): string {
    return this.labelNames.map((n) => labels[n]).join('\u0000');
  }

  /** Drops one series (e.g. a deleted Gateway), so label sets do not pile up. */
  remove(labels: Labels<L>): void {
    this.seen.delete(this.key(labels));
    this.removeSeries(labels);
  }

  /** Drops the series whose labels match every given pair. */
  removeMatching(partial: Partial<Labels<L>>): void {
    const want = Object.entries(partial) as [L, string | undefined][];
    for (const labels of [...this.seen.values()]) {
      if (want.every(([n, v]) => v === undefined || labels[n] === v)) this.remove(labels);
    }
  }

  clear(): void {
    this.seen.clear();
    this.resetAll();
  }
}

type PromLabels<L extends string> = Partial<Record<L, string>>;

function matches(a: Partial<Record<string, string | number>>, b: Partial<Record<string, string>> | undefined): boolean {
  const want = b ?? {};
  const keys = new Set([...Object.keys(a), ...Object.keys(want)]);
  for (const k of keys) if (String(a[k] ?? '') !== (want[k] ?? '')) return false;
  return true;
}

/** A counter or gauge: one number per label set. */
abstract class ScalarMetric<L extends string> extends Metric<L> {
  protected abstract readonly metric: PromCounter<L> | PromGauge<L>;

  async get(labels?: Labels<L>): Promise<number> {
    const { values } = await this.metric.get();
    return values.find((v) => matches(v.labels, labels))?.value ?? 0;
  }

  protected removeSeries(labels: Labels<L>): void {
    this.metric.remove(labels as PromLabels<L>);
  }

  protected resetAll(): void {
    this.metric.reset();
  }
}

export class Counter<L extends string = never> extends ScalarMetric<L> {
  readonly type = 'counter' as const;
  protected readonly metric: PromCounter<L>;

  constructor(registry: PromRegistry, opts: MetricOptions<L>) {
    super(opts);
    this.metric = new PromCounter<L>({ name: opts.name, help: opts.help, labelNames: [...this.labelNames], registers: [registry] });
  }

  inc(labels?: Labels<L>, by = 1): void {
    if (!(by >= 0)) throw new Error(`${this.name}: counters only go up (got ${by})`);
    const l = this.track(labels);
    if (l) this.metric.inc(l as PromLabels<L>, by);
    else this.metric.inc(by);
  }
}

export class Gauge<L extends string = never> extends ScalarMetric<L> {
  readonly type = 'gauge' as const;
  protected readonly metric: PromGauge<L>;

  constructor(registry: PromRegistry, opts: MetricOptions<L>) {
    super(opts);
    this.metric = new PromGauge<L>({ name: opts.name, help: opts.help, labelNames: [...this.labelNames], registers: [registry] });
  }

  set(labels: Labels<L> | undefined, value: number): void {
    const l = this.track(labels);
    if (l) this.metric.set(l as PromLabels<L>, value);
    else this.metric.set(value);
  }

  inc(labels?: Labels<L>, by = 1): void {
    const l = this.track(labels);
    if (l) this.metric.inc(l as PromLabels<L>, by);
    else this.metric.inc(by);
  }

  dec(labels?: Labels<L>, by = 1): void {
    this.inc(labels, -by);
  }
}

export interface HistogramValue {
  /** Cumulative counts per upper bound, +Inf last. */
  readonly buckets: readonly { readonly le: number; readonly count: number }[];
  readonly sum: number;
  readonly count: number;
}

export class Histogram<L extends string = never> extends Metric<L> {
  readonly type = 'histogram' as const;
  readonly bounds: readonly number[];
  private readonly metric: PromHistogram<L>;

  constructor(registry: PromRegistry, opts: HistogramOptions<L>) {
    super(opts, ['le']);
    this.bounds = [...(opts.buckets ?? DEFAULT_BUCKETS)].filter((b) => b !== Infinity);
    this.metric = new PromHistogram<L>({ name: opts.name, help: opts.help, labelNames: [...this.labelNames], buckets: [...this.bounds], registers: [registry] });
  }

  observe(labels: Labels<L> | undefined, value: number): void {
    const l = this.track(labels);
    if (l) this.metric.observe(l as PromLabels<L>, value);
    else this.metric.observe(value);
  }

  /** Starts a timer; calling the result observes the elapsed seconds and returns them. */
  startTimer(labels?: Labels<L>): () => number {
    const start = process.hrtime.bigint();
    return () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      this.observe(labels, seconds);
      return seconds;
    };
  }

  async get(labels?: Labels<L>): Promise<HistogramValue> {
    const { values } = await this.metric.get();
    const own = values.filter((v) => {
      const { le: _le, ...rest } = v.labels as Record<string, string | number>;
      return matches(rest, labels);
    });
    const of = (suffix: string) => own.filter((v) => v.metricName === `${this.name}${suffix}`);
    const buckets = of('_bucket').map((v) => {
      const le = (v.labels as Record<string, string | number>)['le'];
      return { le: le === '+Inf' ? Infinity : Number(le), count: v.value };
    });
    return { buckets, sum: of('_sum')[0]?.value ?? 0, count: of('_count')[0]?.value ?? 0 };
  }

  protected removeSeries(labels: Labels<L>): void {
    this.metric.remove(labels as PromLabels<L>);
  }

  protected resetAll(): void {
    this.metric.reset();
  }
}

export interface RegistryOptions {
  /** Node.js and process metrics (prom-client's defaults: CPU, memory, event-loop lag, GC, heap). */
  readonly defaultMetrics?: boolean;
}

export class Registry {
  /** The prom-client registry (for anything this module does not wrap). */
  readonly prom = new PromRegistry();
  private readonly metrics = new Map<string, Collectable>();
  private readonly collectors = new Set<() => void>();

  constructor(opts: RegistryOptions = {}) {
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.prom });
  }

  private add<M extends Collectable>(metric: M): M {
    this.metrics.set(metric.name, metric);
    return metric;
  }

  counter<L extends string = never>(opts: MetricOptions<L>): Counter<L> {
    return this.add(new Counter<L>(this.prom, opts));
  }

  gauge<L extends string = never>(opts: MetricOptions<L>): Gauge<L> {
    return this.add(new Gauge<L>(this.prom, opts));
  }

  histogram<L extends string = never>(opts: HistogramOptions<L>): Histogram<L> {
    return this.add(new Histogram<L>(this.prom, opts));
  }

  get(name: string): Collectable | undefined {
    return this.metrics.get(name);
  }

  /** Runs `collect` before each exposition (gauges read at scrape time); returns an unsubscribe. */
  onCollect(collect: () => void): () => void {
    this.collectors.add(collect);
    return () => this.collectors.delete(collect);
  }

  /** The Prometheus text exposition. */
  async expose(): Promise<string> {
    for (const c of this.collectors) c();
    return this.prom.metrics();
  }
}
