import { describe, expect, it } from '@jest/globals';
import type { RouteEntry } from './model.js';
import { comparePrecedence } from './precedence.js';

function entry(over: Partial<RouteEntry>): RouteEntry {
  return {
    route: { name: 'r', match: { path: { type: 'PathPrefix', value: '/' } }, action: { kind: 'directResponse', status: 500 } },
    pathRank: 2,
    pathLength: 1,
    hasMethod: false,
    headerCount: 0,
    queryCount: 0,
    created: '2024-01-01T00:00:00Z',
    routeKey: 'ns/r',
    ruleIndex: 0,
    matchIndex: 0,
    ...over,
  };
}

const order = (...xs: RouteEntry[]) => [...xs].reverse().sort(comparePrecedence);

describe('match precedence', () => {
  it('Exact beats RegularExpression beats PathPrefix, whatever the lengths', () => {
    const exact = entry({ pathRank: 0, pathLength: 2 });
    const regex = entry({ pathRank: 1, pathLength: 50 });
    const prefix = entry({ pathRank: 2, pathLength: 100 });
    expect(order(exact, regex, prefix)).toEqual([exact, regex, prefix]);
  });
  it('longer paths first within a type', () => {
    const long = entry({ pathLength: 10 });
    const short = entry({ pathLength: 3 });
    expect(order(long, short)).toEqual([long, short]);
  });
  it('then method, headers, query params', () => {
    const method = entry({ hasMethod: true });
    const twoHeaders = entry({ headerCount: 2 });
    const oneHeader = entry({ headerCount: 1, queryCount: 5 });
    const query = entry({ queryCount: 1 });
    const plain = entry({});
    expect(order(method, twoHeaders, oneHeader, query, plain)).toEqual([method, twoHeaders, oneHeader, query, plain]);
  });
  it('then the oldest route, then namespace/name, then rule and match order', () => {
    const oldest = entry({ created: '2020-01-01T00:00:00Z', routeKey: 'z/z' });
    const a = entry({ routeKey: 'a/b' });
    const b0 = entry({ routeKey: 'b/a', ruleIndex: 0, matchIndex: 1 });
    const b1 = entry({ routeKey: 'b/a', ruleIndex: 1, matchIndex: 0 });
    const unknownAge = entry({ created: '', routeKey: '0/0' });
    expect(order(oldest, a, b0, b1, unknownAge)).toEqual([oldest, a, b0, b1, unknownAge]);
  });
});
