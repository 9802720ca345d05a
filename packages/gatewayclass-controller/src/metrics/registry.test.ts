import { describe, expect, it } from '@jest/globals';
import { Counter, Gauge, Histogram, Registry, escapeLabelValue, formatValue } from './registry.js';

describe('text exposition', () => {
  it('prints HELP, TYPE and samples, metrics sorted by name and series by label values', () => {
    const r = new Registry();
    const c = r.counter({ name: 'b_total', help: 'Things.', labelNames: ['kind'] });
    const g = r.gauge({ name: 'a', help: 'A gauge.' });
    c.inc({ kind: 'y' }, 2);
    c.inc({ kind: 'x' });
    g.set(undefined, 1.5);
    expect(r.expose()).toBe(
      ['# HELP a A gauge.', '# TYPE a gauge', 'a 1.5', '# HELP b_total Things.', '# TYPE b_total counter', 'b_total{kind="x"} 1', 'b_total{kind="y"} 2', ''].join('\n'),
    );
  });

  it('an unlabelled metric shows 0 before anything happened; a labelled one shows no samples', () => {
    const r = new Registry();
    r.counter({ name: 'n_total', help: 'n' });
    r.counter({ name: 'm_total', help: 'm', labelNames: ['a'] });
    expect(r.expose()).toBe('# HELP m_total m\n# TYPE m_total counter\n# HELP n_total n\n# TYPE n_total counter\nn_total 0\n');
  });

  it.each([
    ['plain', 'plain'],
    ['a"b', 'a\\"b'],
    ['back\\slash', 'back\\\\slash'],
    ['two\nlines', 'two\\nlines'],
    ['ns/name', 'ns/name'],
  ])('escapes label value %j as %j', (raw, escaped) => {
    expect(escapeLabelValue(raw)).toBe(escaped);
    const r = new Registry();
    r.gauge({ name: 'g', help: 'h', labelNames: ['v'] }).set({ v: raw }, 1);
    expect(r.expose()).toContain(`g{v="${escaped}"} 1\n`);
  });

  it('escapes backslashes and newlines in HELP, not quotes', () => {
    const r = new Registry();
    r.gauge({ name: 'g', help: 'say "hi"\\ then\nmore' });
    expect(r.expose()).toContain('# HELP g say "hi"\\\\ then\\nmore\n');
  });

  it.each([
    [1, '1'],
    [0.25, '0.25'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
    [NaN, 'NaN'],
    [1e-7, '1e-7'],
  ])('formats %p as %s', (v, text) => {
    expect(formatValue(v)).toBe(text);
  });

  it('histograms print cumulative _bucket lines with le (+Inf last), then _sum and _count', () => {
    const r = new Registry();
    const h = r.histogram({ name: 'd_seconds', help: 'd', labelNames: ['stage'], buckets: [0.1, 1] });
    h.observe({ stage: 'xds' }, 0.05);
    h.observe({ stage: 'xds' }, 0.1); // on the bound: counts in le="0.1"
    h.observe({ stage: 'xds' }, 0.5);
    h.observe({ stage: 'xds' }, 7);
    expect(r.expose()).toBe(
      [
        '# HELP d_seconds d',
        '# TYPE d_seconds histogram',
        'd_seconds_bucket{stage="xds",le="0.1"} 2',
        'd_seconds_bucket{stage="xds",le="1"} 3',
        'd_seconds_bucket{stage="xds",le="+Inf"} 4',
        'd_seconds_sum{stage="xds"} 7.65',
        'd_seconds_count{stage="xds"} 4',
        '',
      ].join('\n'),
    );
    expect(h.get({ stage: 'xds' })).toEqual({
      buckets: [
        { le: 0.1, count: 2 },
        { le: 1, count: 3 },
        { le: Infinity, count: 4 },
      ],
      sum: 7.65,
      count: 4,
    });
  });

  it('an unlabelled histogram prints le as its only label', () => {
    const h = new Histogram({ name: 'h', help: 'h', buckets: [1] });
    h.observe(undefined, 2);
    expect(h.samples()).toEqual(['h_bucket{le="1"} 0', 'h_bucket{le="+Inf"} 1', 'h_sum 2', 'h_count 1']);
  });

  it('startTimer observes elapsed seconds', () => {
    const h = new Histogram({ name: 'h', help: 'h', labelNames: ['stage'] });
    const done = h.startTimer({ stage: 'gateway' });
    const seconds = done();
    expect(seconds).toBeGreaterThanOrEqual(0);
    expect(h.get({ stage: 'gateway' }).count).toBe(1);
  });
});

describe('metric rules', () => {
  it.each([
    ['bad metric name', () => new Counter({ name: '1abc', help: '' })],
    ['bad label name', () => new Counter({ name: 'a', help: '', labelNames: ['a-b'] })],
    ['reserved label prefix', () => new Counter({ name: 'a', help: '', labelNames: ['__x'] })],
    ['duplicate label', () => new Counter({ name: 'a', help: '', labelNames: ['x', 'x'] })],
    ['le on a histogram', () => new Histogram({ name: 'a', help: '', labelNames: ['le'] })],
    ['unsorted buckets', () => new Histogram({ name: 'a', help: '', buckets: [1, 0.5] })],
  ])('rejects %s', (_what, make) => {
    expect(make).toThrow();
  });

  it('rejects wrong label sets and negative counter increments', () => {
    const c = new Counter<'a'>({ name: 'c', help: '', labelNames: ['a'] });
    expect(() => c.inc({ a: 'x', b: 'y' } as unknown as { a: string })).toThrow(/takes labels \[a\]/);
    expect(() => c.inc(undefined)).toThrow();
    expect(() => c.inc({ a: 'x' }, -1)).toThrow(/only go up/);
  });

  it('refuses two metrics of one name in a registry', () => {
    const r = new Registry();
    r.counter({ name: 'x', help: '' });
    expect(() => r.gauge({ name: 'x', help: '' })).toThrow(/already registered/);
  });

  it('gauges go up and down; series can be removed one by one or by partial labels', () => {
    const g = new Gauge<'gateway' | 'type'>({ name: 'g', help: '', labelNames: ['gateway', 'type'] });
    g.inc({ gateway: 'a/x', type: 'Cluster' }, 3);
    g.dec({ gateway: 'a/x', type: 'Cluster' });
    g.set({ gateway: 'a/x', type: 'Listener' }, 1);
    g.set({ gateway: 'b/y', type: 'Listener' }, 1);
    expect(g.get({ gateway: 'a/x', type: 'Cluster' })).toBe(2);
    g.removeMatching({ gateway: 'a/x' });
    expect(g.samples()).toEqual(['g{gateway="b/y",type="Listener"} 1']);
    g.remove({ gateway: 'b/y', type: 'Listener' });
    expect(g.samples()).toEqual([]);
  });

  it('collectors run before each exposition', () => {
    const r = new Registry();
    const g = r.gauge({ name: 'g', help: '' });
    let n = 0;
    const stop = r.onCollect(() => g.set(undefined, ++n));
    expect(r.expose()).toContain('g 1\n');
    expect(r.expose()).toContain('g 2\n');
    stop();
    expect(r.expose()).toContain('g 2\n');
  });
});
