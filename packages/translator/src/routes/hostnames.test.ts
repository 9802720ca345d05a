import { describe, expect, it } from '@jest/globals';
import { compareSpecificity, covers, effectiveHostnames, intersect, widerPatterns } from './hostnames.js';

describe('covers', () => {
  it.each([
    ['*', 'anything.example.com', true],
    ['*', '*.example.com', true],
    ['*.example.com', 'foo.example.com', true],
    ['*.example.com', 'a.b.example.com', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', '*.foo.example.com', true],
    ['*.foo.example.com', '*.example.com', false],
    ['*.example.com', 'fooexample.com', false],
    ['foo.example.com', 'foo.example.com', true],
    ['foo.example.com', '*.example.com', false],
    ['foo.example.com', '*', false],
  ])('%s covers %s: %s', (outer, inner, want) => expect(covers(outer, inner)).toBe(want));
});

describe('intersect', () => {
  it('narrows to the more specific pattern, either way round', () => {
    expect(intersect('*.example.com', 'foo.example.com')).toBe('foo.example.com');
    expect(intersect('foo.example.com', '*.example.com')).toBe('foo.example.com');
    expect(intersect('*.io', '*.wildcard.io')).toBe('*.wildcard.io');
    expect(intersect('*', 'x.y')).toBe('x.y');
  });
  it('is undefined for disjoint patterns', () => {
    expect(intersect('*.example.com', 'example.com')).toBeUndefined();
    expect(intersect('a.com', 'b.com')).toBeUndefined();
    expect(intersect('*.a.com', '*.b.com')).toBeUndefined();
  });
});

describe('effectiveHostnames', () => {
  it('takes the listener hostname (or *) when the route has none', () => {
    expect(effectiveHostnames(undefined, [])).toEqual(['*']);
    expect(effectiveHostnames('foo.com', [])).toEqual(['foo.com']);
  });
  it('takes the route hostnames when the listener has none', () => {
    expect(effectiveHostnames(undefined, ['b.com', 'A.com'])).toEqual(['a.com', 'b.com']);
  });
  it('intersects, drops non-matching, dedupes', () => {
    expect(effectiveHostnames('*.example.com', ['test.example.com', 'test.example.net', '*.example.com', '*.com'])).toEqual([
      '*.example.com',
      'test.example.com',
    ]);
    expect(effectiveHostnames('very.specific.com', ['*.specific.com', 'very.specific.com'])).toEqual(['very.specific.com']);
    expect(effectiveHostnames('*.wildcard.io', ['wildcard.io'])).toEqual([]);
  });
});

describe('specificity', () => {
  it('orders exact, then longer wildcards, then *', () => {
    const hosts = ['*', '*.example.com', 'a.example.com', '*.foo.example.com', 'abc.foo.example.com', 'b.example.com'];
    expect([...hosts].sort(compareSpecificity)).toEqual([
      'abc.foo.example.com',
      'a.example.com',
      'b.example.com',
      '*.foo.example.com',
      '*.example.com',
      '*',
    ]);
  });
  it('lists the wider patterns of a hostname, most specific first', () => {
    expect(widerPatterns('a.b.example.com')).toEqual(['*.b.example.com', '*.example.com', '*.com', '*']);
    expect(widerPatterns('*.b.example.com')).toEqual(['*.example.com', '*.com', '*']);
    expect(widerPatterns('localhost')).toEqual(['*']);
    expect(widerPatterns('*')).toEqual([]);
  });
});
