// The translator's own check of RouteOptions: everything the CRD's CEL rules refuse is refused
// here too (manifest files and objects stored before a rule existed never reach Envoy), plus what
// CEL cannot check (RE2 syntax).
import { describe, expect, it } from '@jest/globals';
import type { RouteOptions } from '@gantry/api';
import { Invalid } from '../core/invalid.js';
import { routeOptions } from './route-option.js';

const add = (key: string, value = 'v') => ({ headerManipulation: { requestHeadersToAdd: [{ header: { key, value } }] } });

describe('routeOptions', () => {
  it.each<[string, RouteOptions, string]>([
    ['a :-prefixed request header', add(':authority'), 'is not a valid header name'],
    ['a :-prefixed response header', { headerManipulation: { responseHeadersToAdd: [{ header: { key: ':status', value: '200' } }] } }, 'is not a valid header name'],
    ['adding host', add('Host'), 'use hostRewrite'],
    ['removing host', { headerManipulation: { requestHeadersToRemove: ['host'] } }, 'use hostRewrite'],
    ['CRLF in a header name', add('x-a\r\nx-b'), 'is not a valid header name'],
    ['CRLF in a header value', add('x-a', 'one\r\nx-b: two'), 'without CR, LF or NUL'],
    ['both path rewrites', { prefixRewrite: '/a', regexRewrite: { pattern: '.*', substitution: '/' } }, 'at most one of prefixRewrite and regexRewrite'],
    ['both host rewrites', { hostRewrite: 'a.example', autoHostRewrite: true }, 'at most one of hostRewrite and autoHostRewrite'],
    ['a lookahead in regexRewrite', { regexRewrite: { pattern: '(?=x)', substitution: '/' } }, 'RE2'],
    ['an unknown retry condition', { retries: { retryOn: '5xx,sometimes' } }, 'unknown condition(s) sometimes'],
    ['a zero idle timeout', { idleTimeout: '0s' }, 'idleTimeout must be greater than 0'],
    ['a malformed timeout', { timeout: 'soon' }, 'timeout "soon" is not a valid duration'],
    ['an abort percentage over 100', { faults: { abort: { percentage: 101, httpStatus: 503 } } }, 'must be 0-100'],
    ['faults without abort or delay', { faults: {} }, 'faults needs abort or delay'],
    ['a direct response status 99', { directResponse: { status: 99 } }, 'must be 200-599'],
    ['an empty lbHash', { lbHash: { hashPolicies: [] } }, 'at least one policy'],
  ])('refuses %s', (_title, options, message) => {
    const r = routeOptions(options);
    expect(r).toBeInstanceOf(Invalid);
    expect((r as Invalid).message).toContain(message);
  });

  it('turns every option into IR pieces', () => {
    expect(routeOptions({
      prefixRewrite: '/api/',
      hostRewrite: 'Internal.Example',
      timeout: '5s',
      idleTimeout: '1m',
      retries: { retryOn: '5xx, connect-failure', numRetries: 2, perTryTimeout: '1s', retriableStatusCodes: [503] },
      headerManipulation: { requestHeadersToAdd: [{ header: { key: 'X-A', value: '1' }, append: false }, { header: { key: 'x-b', value: '2' } }], responseHeadersToRemove: ['Server'] },
      cors: { allowOrigins: ['*'], maxAge: '1h' },
      faults: { delay: { fixedDelay: '100ms' } },
      lbHash: { hashPolicies: [{ header: { name: 'X-User' } }] },
      directResponse: { status: 503, body: 'down' },
    })).toEqual({
      pathRewrite: { type: 'ReplacePrefixMatch', value: '/api' },
      hostRewrite: { hostname: 'internal.example' },
      timeouts: { requestMs: 5000 },
      idleTimeoutMs: 60000,
      retry: { on: ['5xx', 'connect-failure'], attempts: 2, perTryTimeoutMs: 1000, codes: [503] },
      requestHeaders: { set: [{ name: 'x-a', value: '1' }], add: [{ name: 'x-b', value: '2' }] },
      responseHeaders: { remove: ['server'] },
      cors: { allowOrigins: ['*'], maxAgeSeconds: 3600 },
      faults: { delay: { percent: 100, fixedDelayMs: 100 } },
      hashPolicies: [{ type: 'header', name: 'x-user' }],
      directResponse: { kind: 'directResponse', status: 503, body: 'down' },
    });
  });
});
