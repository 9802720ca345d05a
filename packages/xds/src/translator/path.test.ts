import { describe, expect, it } from '@jest/globals';
import type { PathMatchIR } from '@gantry/ir';
import { envoyPathMatch, escapeRegex, pathRewrite } from './path.js';

const prefix = (value: string): PathMatchIR => ({ type: 'PathPrefix', value });

describe('PathPrefix', () => {
  it('is segment-wise, ignores trailing slashes, and "/" is a plain prefix', () => {
    expect(envoyPathMatch(prefix('/foo'))).toEqual({ kind: 'pathSeparatedPrefix', value: '/foo' });
    expect(envoyPathMatch(prefix('/foo/'))).toEqual({ kind: 'pathSeparatedPrefix', value: '/foo' });
    expect(envoyPathMatch(prefix('/foo//'))).toEqual({ kind: 'pathSeparatedPrefix', value: '/foo' });
    expect(envoyPathMatch(prefix('/'))).toEqual({ kind: 'prefix', value: '/' });
    expect(envoyPathMatch({ type: 'Exact', value: '/foo/' })).toEqual({ kind: 'path', value: '/foo/' });
  });
});

describe('ReplacePrefixMatch (Gateway API HTTPPathModifier table)', () => {
  const replace = (match: string, value: string): ReturnType<typeof pathRewrite> =>
    pathRewrite({ type: 'ReplacePrefixMatch', value }, prefix(match));
  it('maps to prefix_rewrite without trailing slashes', () => {
    for (const [match, value] of [['/foo', '/xyz'], ['/foo', '/xyz/'], ['/foo/', '/xyz'], ['/foo/', '/xyz/']] as const) {
      expect(replace(match, value)).toEqual({ kind: 'prefix', replacement: '/xyz' });
    }
  });
  it('removes the prefix and the slashes after it when the replacement is "/" or empty', () => {
    expect(replace('/foo', '/')).toEqual({ kind: 'regex', pattern: '^/foo/*', substitution: '/' });
    expect(replace('/foo', '')).toEqual({ kind: 'regex', pattern: '^/foo/*', substitution: '/' });
    expect(replace('/a.b', '')).toEqual({ kind: 'regex', pattern: '^/a\\.b/*', substitution: '/' });
  });
  it('keeps the separator under a root prefix', () => {
    expect(replace('/', '/xyz')).toEqual({ kind: 'prefix', replacement: '/xyz/' });
    expect(replace('/', '/')).toBeUndefined();
  });
  it('treats an Exact match as the whole path and leaves a regex match alone', () => {
    expect(pathRewrite({ type: 'ReplacePrefixMatch', value: '/xyz/' }, { type: 'Exact', value: '/foo' })).toEqual({ kind: 'full', path: '/xyz' });
    expect(pathRewrite({ type: 'ReplacePrefixMatch', value: '/xyz' }, { type: 'RegularExpression', value: '/f.*' })).toBeUndefined();
  });
});

describe('escapeRegex', () => {
  it('escapes every RE2 metacharacter', () => {
    expect(escapeRegex('a.b*c+d?e^f$g{h}i(j)k|l[m]n\\o')).toBe('a\\.b\\*c\\+d\\?e\\^f\\$g\\{h\\}i\\(j\\)k\\|l\\[m\\]n\\\\o');
  });
});
