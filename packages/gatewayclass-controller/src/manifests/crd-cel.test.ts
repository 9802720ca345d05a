// The CRDs' CEL rules (x-kubernetes-validations) in file modes agree with the API server: each
// case is given to the loader (`gantry translate`/`standalone`) and `kubectl apply`d to a real
// API server with the Gateway API v1.6.1 CRDs and Gantry's installed. A refused case must be
// refused by both with the rule's message (the loader's error naming file, line and field path);
// an accepted one accepted by both. The rules come from generated code, never from charts/.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startControlPlane, type ControlPlane } from '@gantry/kube/testing/control-plane';
import { parseManifests } from './load.js';
import { celRuleForEvaluator, celRulesNotEvaluated } from './crd-cel.js';

const route = (name: string, rules: string, extra = ''): string => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: ${name}, namespace: default}
spec:
  parentRefs: [{name: gw}]${extra}
  rules: ${rules}
`;
const gw = (name: string, listeners: string): string => `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: ${name}, namespace: default}
spec: {gatewayClassName: c, listeners: ${listeners}}
`;
const be = 'backendRefs: [{name: s, port: 80}]';

/** [title, manifest, the rule's message (refused) or undefined (accepted), field path] */
const CASES: readonly (readonly [string, string, string | undefined, string?])[] = [
  ['a redirect beside backendRefs', route('redirect-backend', `[{filters: [{type: RequestRedirect, requestRedirect: {hostname: a.example.com}}], ${be}}]`), 'RequestRedirect filter must not be used together with backendRefs', 'spec.rules[0]'],
  ['a repeated RequestHeaderModifier', route('two-modifiers', `[{filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: a, value: b}]}}, {type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: c, value: d}]}}], ${be}}]`), 'RequestHeaderModifier filter cannot be repeated', 'spec.rules[0].filters'],
  ['ReplacePrefixMatch on an Exact match', route('prefix-on-exact', `[{matches: [{path: {type: Exact, value: /a}}], filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /b}}}], ${be}}]`), 'When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified', 'spec.rules[0]'],
  ['a filter type without its field', route('filter-without-field', `[{filters: [{type: ResponseHeaderModifier}], ${be}}]`), 'filter.responseHeaderModifier must be specified for ResponseHeaderModifier filter.type', 'spec.rules[0].filters[0]'],
  ['a path with //', route('double-slash', `[{matches: [{path: {type: PathPrefix, value: /a//b}}], ${be}}]`), "must not contain '//' when type one of ['Exact', 'PathPrefix']", 'spec.rules[0].matches[0].path'],
  ['backendRequest longer than request', route('timeouts', `[{timeouts: {request: 1s, backendRequest: 2s}, ${be}}]`), 'backendRequest timeout cannot be longer than request timeout', 'spec.rules[0].timeouts'],
  ['two rules with one name', route('rule-names', `[{name: x, ${be}}, {name: x, ${be}}]`), 'Rule name must be unique within the route', 'spec.rules'],
  ['a mirror with percent and fraction', route('mirror', `[{filters: [{type: RequestMirror, requestMirror: {backendRef: {name: m, port: 80}, percent: 10, fraction: {numerator: 1}}}], ${be}}]`), 'Only one of percent or fraction may be specified in HTTPRequestMirrorFilter', 'spec.rules[0].filters[0].requestMirror'],
  ['two listeners with one name', gw('dup-listeners', '[{name: a, port: 80, protocol: HTTP}, {name: a, port: 81, protocol: HTTP}]'), 'Listener name must be unique within the Gateway', 'spec.listeners'],
  ['tls on an HTTP listener', gw('http-tls', '[{name: a, port: 80, protocol: HTTP, tls: {certificateRefs: [{name: x}]}}]'), "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']", 'spec.listeners'],
  ['HTTPS in Passthrough mode', gw('https-passthrough', '[{name: a, port: 443, protocol: HTTPS, tls: {mode: Passthrough}}]'), 'tls mode must be Terminate for protocol HTTPS', 'spec.listeners'],
  ['port, protocol and hostname twice', gw('same-port', '[{name: a, port: 80, protocol: HTTP}, {name: b, port: 80, protocol: HTTP}]'), 'Combination of port, protocol and hostname must be unique for each listener', 'spec.listeners'],
  ['a TLSRoute hostname that is an IP', `apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: tls-ip, namespace: default}
spec: {parentRefs: [{name: gw}], hostnames: [1.2.3.4], rules: [{backendRefs: [{name: s, port: 443}]}]}
`, 'Hostnames cannot contain an IP', 'spec.hostnames'],
  ['a GRPCRoute method service with a bad character', `apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: grpc-service, namespace: default}
spec: {parentRefs: [{name: gw}], rules: [{matches: [{method: {service: "foo.bar-baz"}}], ${be}}]}
`, 'service must only contain valid characters', 'spec.rules[0].matches[0].method'],
  ['an Upstream with two load balancers', `apiVersion: gateway.gantry.dev/v1alpha1
kind: Upstream
metadata: {name: two-lb, namespace: default}
spec: {static: {hosts: [{addr: 10.0.0.1, port: 80}]}, loadBalancer: {roundRobin: {}, random: {}}}
`, 'at most one of roundRobin, leastRequest, random, ringHash or maglev may be set', 'spec.loadBalancer'],
  ['an Upstream host that is neither an IP nor a DNS name', `apiVersion: gateway.gantry.dev/v1alpha1
kind: Upstream
metadata: {name: bad-host, namespace: default}
spec: {static: {hosts: [{addr: "Not_A_Host", port: 80}]}}
`, 'addr must be an IP address or a lowercase DNS name', 'spec.static.hosts[0]'],
  ['a RouteOption removing Host', `apiVersion: gateway.gantry.dev/v1alpha1
kind: RouteOption
metadata: {name: remove-host, namespace: default}
spec: {options: {headerManipulation: {requestHeadersToRemove: [Host]}}}
`, 'the host header cannot be modified here; use hostRewrite', 'spec.options.headerManipulation.requestHeadersToRemove[0]'],
  ['one parent twice without sectionName or port', route('same-parent', `[{${be}}]`).replace('parentRefs: [{name: gw}]', 'parentRefs: [{name: gw, namespace: a}, {name: gw, namespace: a}]'), 'sectionName or port must be unique when parentRefs includes 2 or more references to the same parent', 'spec.parentRefs'],
  // Accepted by both.
  // The rules spell parentRefs[].namespace `__namespace__` (the API server's escape for a CEL keyword).
  ['two parents that differ by namespace only', route('parents-by-namespace', `[{${be}}]`).replace('parentRefs: [{name: gw}]', 'parentRefs: [{name: gw, namespace: a}, {name: gw, namespace: b}]'), undefined],
  ['ReplacePrefixMatch on one PathPrefix match', route('prefix-ok', `[{matches: [{path: {type: PathPrefix, value: /a}}], filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /b}}}], ${be}}]`), undefined],
  ['ReplacePrefixMatch with the default match', route('prefix-default', `[{filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /b}}}], ${be}}]`), undefined],
  ['equal timeouts', route('timeouts-ok', `[{timeouts: {request: 2s, backendRequest: 2s}, ${be}}]`), undefined],
  ['HTTP and HTTPS listeners', gw('listeners-ok', '[{name: a, port: 80, protocol: HTTP}, {name: b, port: 443, protocol: HTTPS, tls: {certificateRefs: [{name: x}]}}]'), undefined],
  ['a GRPCRoute service in upper case', `apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: grpc-ok, namespace: default}
spec: {parentRefs: [{name: gw}], rules: [{matches: [{method: {service: Foo.Bar_Baz}}], ${be}}]}
`, undefined],
  ['an Upstream with an IPv6 host', `apiVersion: gateway.gantry.dev/v1alpha1
kind: Upstream
metadata: {name: ipv6, namespace: default}
spec: {static: {hosts: [{addr: "fd00::1", port: 80}]}}
`, undefined],
];

let cp: ControlPlane;

function kubectlApply(text: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(cp.kubectl, [...cp.kubectlArgs, 'create', '--request-timeout=20s', '-f', '-'], { timeout: 25_000 }, (error, _stdout, stderr) => {
      resolve({ code: error ? 1 : 0, stderr: error && stderr === '' ? String(error.message) : stderr });
    });
    child.stdin?.end(text);
  });
}

beforeAll(async () => {
  cp = await startControlPlane({ crds: true });
}, 5 * 60_000);

afterAll(async () => {
  await cp?.stop();
});

describe("the CRDs' CEL rules in file modes", () => {
  // Every row has four cells: jest would take a missing fourth for a done callback.
  it.each(CASES.map(([t, x, m, f]) => [t, x, m, f ?? ''] as const))('%s: the loader and the API server agree', async (title, text, message, field) => {
    const file = `${title.replace(/[^a-z0-9]+/gi, '-')}.yaml`;
    const parsed = parseManifests(text, file);
    const server = await kubectlApply(text);
    if (message === undefined) {
      expect(parsed.errors).toEqual([]);
      expect(server.stderr).toBe('');
      expect(server.code).toBe(0);
      return;
    }
    expect(parsed.errors).toHaveLength(1);
    const e = parsed.errors[0]!;
    expect(e.file).toBe(file);
    expect(e.line).toBeGreaterThan(0);
    expect(e.message).toContain(`${field}: ${message}`);
    expect(server.code).not.toBe(0);
    expect(server.stderr).toContain(`${field}: Invalid value`);
    expect(server.stderr).toContain(message);
  }, 30_000);

  it('evaluates every rule the cases reached (none skipped), with the two rewrites it needs', () => {
    expect(celRulesNotEvaluated().join('\n')).toBe('');
    expect(celRuleForEvaluator("size(self.matches) != 1 || !has(self.matches[0].path)")).toBe("size(self.matches) != 1 || !('path' in self.matches[0])");
    expect(celRuleForEvaluator('self.matches(r"""^(?i)\\.?[a-z_]*$""")')).toBe("self.lowerAscii().matches(r'^\\.?[a-z_]*$')");
  });
});
