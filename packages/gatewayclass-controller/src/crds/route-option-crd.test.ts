// The RouteOption CRD against a real API server: install charts/gantry-crds' generated YAML, then
// `kubectl apply` invalid RouteOptions and assert what the user sees (each CEL rule: header names
// Envoy would refuse, CR/LF in values, at most one path and one host rewrite, retry conditions,
// targetRefs kinds, faults), apply valid ones (the example, every option), and read them
// back through `kubectl get` (short name rto, category gantry, printer columns).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startCrdCluster, type CrdCluster, type KubectlResult } from './testing/crd-cluster.js';

const NS = 'default';

type Result = KubectlResult;

let cluster: CrdCluster;
const kubectl = (args: readonly string[], stdin?: string): Promise<Result> => cluster.kubectl(args, stdin);

const apply = (name: string, spec: unknown): Promise<Result> => cluster.apply('RouteOption', NS, name, spec);

beforeAll(async () => {
  cluster = await startCrdCluster('gateway.gantry.dev_routeoptions.yaml', 'routeoptions', NS);
}, 5 * 60_000);

afterAll(async () => {
  await cluster?.stop();
});

const add = (key: string, value = 'v') => ({ headerManipulation: { requestHeadersToAdd: [{ header: { key, value } }] } });
const route = { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: 'second' };

/** Each case: options (or a whole spec), and what kubectl prints for it. */
const REJECTED: readonly (readonly [string, unknown, string])[] = [
  ['no spec', undefined, 'spec: Required value'],
  ['a :-prefixed request header', { options: add(':authority') }, 'spec.options.headerManipulation.requestHeadersToAdd[0].header.key: Invalid value: ":authority"'],
  ['a :-prefixed response header', { options: { headerManipulation: { responseHeadersToAdd: [{ header: { key: ':status', value: '200' } }] } } }, 'spec.options.headerManipulation.responseHeadersToAdd[0].header.key: Invalid value: ":status"'],
  ['adding host', { options: add('Host') }, 'the host header cannot be modified here; use hostRewrite'],
  ['removing host', { options: { headerManipulation: { requestHeadersToRemove: ['host'] } } }, 'the host header cannot be modified here; use hostRewrite'],
  ['a header name with CRLF', { options: add('x-a\r\nx-b') }, 'spec.options.headerManipulation.requestHeadersToAdd[0].header.key: Invalid value'],
  ['a header value with CRLF', { options: add('x-a', 'one\r\nx-b: two') }, 'header values cannot contain CR, LF or NUL'],
  ['prefixRewrite and regexRewrite', { options: { prefixRewrite: '/a', regexRewrite: { pattern: '.*', substitution: '/' } } }, 'at most one of prefixRewrite and regexRewrite may be set'],
  ['hostRewrite and autoHostRewrite', { options: { hostRewrite: 'a.example', autoHostRewrite: true } }, 'at most one of hostRewrite and autoHostRewrite may be set'],
  ['a prefixRewrite without a leading /', { options: { prefixRewrite: 'api' } }, 'spec.options.prefixRewrite: Invalid value: "api"'],
  ['an unknown retry condition', { options: { retries: { retryOn: '5xx,sometimes' } } }, 'retryOn must be a comma-separated list of'],
  ['a zero perTryTimeout', { options: { retries: { perTryTimeout: '0s' } } }, 'must be greater than 0'],
  ['a malformed timeout', { options: { timeout: 'soon' } }, 'spec.options.timeout: Invalid value: "soon"'],
  ['faults without abort or delay', { options: { faults: {} } }, 'faults needs abort or delay'],
  ['an abort percentage over 100', { options: { faults: { abort: { percentage: 101, httpStatus: 503 } } } }, 'should be less than or equal to 100'],
  ['a directResponse status 99', { options: { directResponse: { status: 99 } } }, 'should be greater than or equal to 200'],
  ['lbHash with two kinds in one policy', { options: { lbHash: { hashPolicies: [{ header: { name: 'x' }, sourceIP: {} }] } } }, 'each hash policy must set exactly one of header, cookie, sourceIP or queryParameter'],
  ['a targetRef to a Service', { targetRefs: [{ group: '', kind: 'Service', name: 'web' }], options: {} }, 'targetRefs may only name HTTPRoutes'],
  ['an unknown option', { options: { rateLimit: {} } }, 'unknown field "spec.options.rateLimit"'],
];

describe('the RouteOption CRD on a real API server', () => {
  it.each(REJECTED)('rejects %s', async (title, spec, message) => {
    const name = `bad-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`.slice(0, 63).replace(/-$/, '');
    const r = await apply(name, spec);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(message);
  });

  const ACCEPTED: readonly (readonly [string, string, unknown])[] = [
    ['the seed 002 rewrite', 'rewrite', { options: { prefixRewrite: '/api' } }],
    ['targetRefs to a route and to one rule', 'attached', { targetRefs: [route, { ...route, sectionName: 'optional-rule-name' }], options: { timeout: '5s' } }],
    ['every option of the issue example', 'everything', {
      targetRefs: [route],
      options: {
        regexRewrite: { pattern: '^/v1/(.*)', substitution: '/\\1' },
        hostRewrite: 'internal.example',
        timeout: '5s',
        idleTimeout: '60s',
        retries: { retryOn: '5xx,connect-failure', numRetries: 2, perTryTimeout: '1s', retriableStatusCodes: [503] },
        headerManipulation: {
          requestHeadersToAdd: [{ header: { key: 'x-ro', value: 'yes' }, append: false }],
          requestHeadersToRemove: ['x-internal'],
          responseHeadersToAdd: [{ header: { key: 'x-ro-resp', value: 'yes' } }],
          responseHeadersToRemove: ['server'],
        },
        cors: { allowOrigins: ['https://app.example'], allowMethods: ['GET'], allowHeaders: ['x-token'], exposeHeaders: ['x-ro-resp'], maxAge: '1h', allowCredentials: false },
        faults: { abort: { percentage: 100, httpStatus: 418 }, delay: { percentage: 50, fixedDelay: '100ms' } },
        lbHash: { hashPolicies: [{ header: { name: 'x-user' } }, { cookie: { name: 'session', ttl: '1h' } }] },
        directResponse: { status: 503, body: 'maintenance' },
      },
    }],
    ['autoHostRewrite', 'auto-host', { options: { autoHostRewrite: true } }],
  ];

  it.each(ACCEPTED)('accepts %s', async (_title, name, spec) => {
    const r = await apply(name, spec);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(`routeoption.gateway.gantry.dev/${name} created`);
    const stored = await kubectl(['get', 'routeoption', name, '-n', NS, '-o', 'json']);
    expect((JSON.parse(stored.stdout) as { spec: unknown }).spec).toEqual(spec);
  });

  it('shows Accepted and Age in `kubectl get routeoptions` (short name rto, category gantry), and takes the status the writer sends', async () => {
    expect((await apply('cols', { options: { timeout: '1s' } })).stderr).toBe('');
    const status = {
      status: {
        ancestors: [{
          ancestorRef: { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: NS, name: 'second' },
          controllerName: 'gantry.dev/gatewayclass-controller',
          conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Applies to rule 0 (ExtensionRef)', lastTransitionTime: '2025-01-01T00:00:00Z' }],
        }],
        conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Applies to 1 HTTPRoute(s)', lastTransitionTime: '2025-01-01T00:00:00Z' }],
      },
    };
    const patched = await kubectl(['patch', 'routeoption', 'cols', '-n', NS, '--subresource=status', '--type=merge', '-p', JSON.stringify(status)]);
    expect(patched.stderr).toBe('');
    for (const resource of ['routeoptions', 'rto', 'gantry']) {
      const r = await kubectl(['get', resource, '-n', NS]);
      expect(r.stderr).toBe('');
      const lines = r.stdout.split('\n').filter((l) => l.trim() !== '');
      expect(lines[0]?.split(/\s+/)).toEqual(['NAME', 'ACCEPTED', 'AGE']);
      expect(lines.find((l) => /^(routeoption\.gateway\.gantry\.dev\/)?cols\s/.test(l))?.split(/\s+/)[1]).toBe('True');
    }
  });
});
