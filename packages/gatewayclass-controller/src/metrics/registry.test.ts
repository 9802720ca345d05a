// The typed layer over prom-client: exact label sets, partial removal, collectors before each
// scrape, and prom-client's exposition (escaping, histograms, Node.js default metrics).
import { describe, expect, it } from '@jest/globals';
import { Registry } from './registry.js';

describe('metrics on prom-client', () => {
  it('prints HELP, TYPE and samples in the Prometheus text format', async () => {
    const r = new Registry();
    const c = r.counter({ name: 'b_total', help: 'Things.', labelNames: ['kind'] });
    const g = r.gauge({ name: 'a', help: 'A gauge.' });
    c.inc({ kind: 'y' }, 2);
    c.inc({ kind: 'x' });
    g.set(undefined, 1.5);
    const text = await r.expose();
    expect(text).toContain('# HELP b_total Things.\n# TYPE b_total counter\nb_total{kind="y"} 2\nb_total{kind="x"} 1\n');
    expect(text).toContain('# HELP a A gauge.\n# TYPE a gauge\na 1.5\n');
    expect(await c.get({ kind: 'y' })).toBe(2);
    expect(await g.get()).toBe(1.5);
  });

  it('an unlabelled metric shows 0 before anything happened; a labelled one shows no samples', async () => {
    const r = new Registry();
    r.counter({ name: 'n_total', help: 'n' });
    r.counter({ name: 'm_total', help: 'm', labelNames: ['a'] });
    const text = await r.expose();
    expect(text).toContain('n_total 0\n');
    expect(text).not.toMatch(/^m_total/m);
  });

  it('escapes label values', async () => {
    const r = new Registry();
    r.gauge({ name: 'g', help: 'h', labelNames: ['v'] }).set({ v: 'a"b\\c\nd' }, 1);
    expect(await r.expose()).toContain('g{v="a\\"b\\\\c\\nd"} 1\n');
  });

  it('histograms print cumulative _bucket lines with le (+Inf last), then _sum and _count', async () => {
    const r = new Registry();
    const h = r.histogram({ name: 'd_seconds', help: 'd', labelNames: ['stage'], buckets: [0.1, 1] });
    for (const v of [0.05, 0.1, 0.5, 7]) h.observe({ stage: 'xds' }, v);
    const text = await r.expose();
    expect(text).toContain([
      'd_seconds_bucket{le="0.1",stage="xds"} 2',
      'd_seconds_bucket{le="1",stage="xds"} 3',
      'd_seconds_bucket{le="+Inf",stage="xds"} 4',
      'd_seconds_sum{stage="xds"} 7.65',
      'd_seconds_count{stage="xds"} 4',
    ].join('\n'));
    const value = await h.get({ stage: 'xds' });
    expect(value.count).toBe(4);
    expect(value.buckets.map((b) => b.le)).toEqual([0.1, 1, Infinity]);
  });

  it('startTimer observes elapsed seconds', async () => {
    const r = new Registry();
    const h = r.histogram({ name: 't_seconds', help: 't' });
    const seconds = h.startTimer()();
    expect(seconds).toBeGreaterThanOrEqual(0);
    expect((await h.get()).count).toBe(1);
  });

  it('rejects wrong label sets, negative counter increments, a reserved le, and two metrics of one name', () => {
    const r = new Registry();
    const c = r.counter({ name: 'c_total', help: 'c', labelNames: ['a'] });
    expect(() => c.inc({ b: 'x' } as unknown as { a: string })).toThrow(/takes labels \[a\]/);
    expect(() => c.inc(undefined)).toThrow(/takes labels/);
    expect(() => c.inc({ a: 'x' }, -1)).toThrow(/only go up/);
    expect(() => r.histogram({ name: 'h', help: 'h', labelNames: ['le'] })).toThrow(/invalid label name/);
    expect(() => r.counter({ name: 'c_total', help: 'again' })).toThrow();
  });

  it('gauges go up and down; series can be removed one by one or by partial labels', async () => {
    const r = new Registry();
    const g = r.gauge({ name: 'g', help: 'g', labelNames: ['gateway', 'type'] });
    g.inc({ gateway: 'a', type: 'x' }, 3);
    g.dec({ gateway: 'a', type: 'x' });
    g.set({ gateway: 'a', type: 'y' }, 1);
    g.set({ gateway: 'b', type: 'x' }, 1);
    expect(await g.get({ gateway: 'a', type: 'x' })).toBe(2);
    g.removeMatching({ gateway: 'a' });
    expect((await r.expose()).split('\n').filter((l) => l.startsWith('g{'))).toEqual(['g{gateway="b",type="x"} 1']);
    g.remove({ gateway: 'b', type: 'x' });
    expect((await r.expose()).split('\n').filter((l) => l.startsWith('g{'))).toEqual([]);
  });

  it('collectors run before each exposition', async () => {
    const r = new Registry();
    const g = r.gauge({ name: 'live', help: 'l' });
    let n = 0;
    const stop = r.onCollect(() => g.set(undefined, ++n));
    expect(await r.expose()).toContain('live 1\n');
    expect(await r.expose()).toContain('live 2\n');
    stop();
    expect(await r.expose()).toContain('live 2\n');
  });

  it("adds Node.js's and the process's default metrics on request", async () => {
    const text = await new Registry({ defaultMetrics: true }).expose();
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_gc_duration_seconds']) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(await new Registry().expose()).not.toContain('process_cpu_seconds_total');
  });
});
