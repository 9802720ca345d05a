// The hostile-input cases: what users and attackers send to `gantry translate`, `gantry
// standalone` and the controller. Each case is a manifest file (the objects beside the hostile
// one included) and what must come of it: an error naming the file and line, or a condition on
// the hostile object, with the valid route beside it still served. Large families are generated
// from lists of bad values crossed with every place such a value can go.

export type Expectation =
  /** The file is refused with an error matching `message` (and naming the file). */
  | { readonly load: RegExp; readonly withinMs?: number }
  /** The object `kind/name` gets a condition (anywhere in its status) with these fields. */
  | { readonly object: string; readonly condition: { readonly type: string; readonly status: string; readonly reason?: string }; readonly message?: RegExp }
  /** Accepted as valid: nothing refused, and Envoy takes it. */
  | { readonly accepted: true };

export interface HostileCase {
  readonly name: string;
  readonly text: string;
  readonly expect: Expectation;
  /** The valid route `good` must still be emitted (default true). */
  readonly goodRoute?: boolean;
}

type Obj = Record<string, unknown>;

/** Documents as JSON (which is YAML): any string, CR, LF and NUL included, round-trips exactly. */
export function manifest(objects: readonly Obj[]): string {
  return objects.map((o) => JSON.stringify(o)).join('\n---\n') + '\n';
}

const GW = 'gateway.networking.k8s.io/v1';

export function base(listeners: readonly Obj[] = [{ name: 'http', port: 80, protocol: 'HTTP' }]): Obj[] {
  return [
    { apiVersion: GW, kind: 'GatewayClass', metadata: { name: 'gantry' }, spec: { controllerName: 'gantry.dev/gatewayclass-controller' } },
    { apiVersion: GW, kind: 'Gateway', metadata: { name: 'gw' }, spec: { gatewayClassName: 'gantry', listeners } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'echo' }, spec: { ports: [{ port: 80 }] } },
    {
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: { name: 'echo-1', labels: { 'kubernetes.io/service-name': 'echo' } },
      addressType: 'IPv4', ports: [{ port: 80 }], endpoints: [{ addresses: ['10.0.0.1'] }],
    },
    route('good', [{ matches: [{ path: { value: '/good' } }], backendRefs: [{ name: 'echo', port: 80 }] }]),
  ];
}

export function route(name: string, rules: readonly Obj[], extra: Obj = {}): Obj {
  return { apiVersion: GW, kind: 'HTTPRoute', metadata: { name, generation: 1 }, spec: { parentRefs: [{ name: 'gw' }], ...extra, rules } };
}

const BACKEND = { name: 'echo', port: 80 };
const ROUTE_REJECTED = { object: 'HTTPRoute/bad', condition: { type: 'Accepted', status: 'False', reason: 'UnsupportedValue' } } as const;

function badRoute(name: string, rules: readonly Obj[], extra: Obj = {}, expect: Expectation = ROUTE_REJECTED): HostileCase {
  return { name, text: manifest([...base(), route('bad', rules, extra)]), expect };
}

// ---- values -----------------------------------------------------------------------------------

export const BAD_HEADER_NAMES: readonly [string, string][] = [
  ['empty', ''],
  ['CRLF', 'x-a\r\nx-b'],
  ['LF', 'x-a\nx-b'],
  ['CR', 'x-a\rx-b'],
  ['NUL', 'x-a\u0000'],
  ['space', 'x a'],
  ['colon', 'x:y'],
  ['pseudo', ':authority'],
  ['non-ASCII', 'x-é'],
  ['300 chars', 'x'.repeat(300)],
];

export const BAD_HEADER_VALUES: readonly [string, string][] = [
  ['CRLF', 'a\r\nx-injected: 1'],
  ['LF', 'a\nb'],
  ['CR', 'a\rb'],
  ['NUL', 'a\u0000b'],
  ['1 MB', 'v'.repeat(1024 * 1024)],
  ['5000 chars', 'v'.repeat(5000)],
];

/** Accepted by JavaScript's RegExp (most of them), refused by RE2. */
export const BAD_REGEXES: readonly string[] = [
  '/a\\Z', '/[]', '/[^]', '/\\cA', '/\\u0041', '/[a-\\d]', '/\\e', '/\\G', '/(?=x)', '/(?!x)', '/(?<=x)y', '/(a)\\1',
  '/a{1001}', '/(', '/a**', '/x{2,1}', '/' + 'x'.repeat(2000),
];

/** Valid RE2 (some refused by JavaScript's RegExp): accepted, and Envoy takes them. */
export const GOOD_REGEXES: readonly string[] = ['/x(?i)y(?-i)z', '/(?P<n>a)b', '/(?<n>a)b', '/[[:alpha:]]+', '/\\pL+', '/a{2,5}', '/\\x{41}'];

export const BAD_HOSTNAMES: readonly [string, string][] = [
  ['CRLF', 'a.example.com\r\nx'],
  ['inner wildcard', 'foo*.example.com'],
  ['bare wildcard', '*'],
  ['double wildcard', '*.*.example.com'],
  ['empty label', 'a..example.com'],
  ['leading hyphen', '-a.example.com'],
  ['space', 'a b.example.com'],
  ['NUL', 'a\u0000.example.com'],
  ['port', 'a.example.com:80'],
  ['too long', `${'a'.repeat(60)}.`.repeat(5) + 'com'],
];

export const BAD_PATHS: readonly [string, string][] = [
  ['CRLF', '/a\r\nb'],
  ['space', '/a b'],
  ['NUL', '/a\u0000'],
  ['bad escape', '/%zz'],
  ['fragment', '/a#b'],
  ['2000 chars', '/' + 'x'.repeat(2000)],
  ['non-ASCII', '/é'],
];

// ---- families ---------------------------------------------------------------------------------

function headerCases(): HostileCase[] {
  const out: HostileCase[] = [];
  const modifiers = ['RequestHeaderModifier', 'ResponseHeaderModifier'] as const;
  const field = (t: (typeof modifiers)[number]) => (t === 'RequestHeaderModifier' ? 'requestHeaderModifier' : 'responseHeaderModifier');
  for (const type of modifiers) {
    for (const [label, name] of BAD_HEADER_NAMES) {
      for (const op of ['set', 'add', 'remove'] as const) {
        const config = op === 'remove' ? { remove: [name] } : { [op]: [{ name, value: 'v' }] };
        out.push(badRoute(`${type} ${op} header name ${label}`, [{ filters: [{ type, [field(type)]: config }], backendRefs: [BACKEND] }]));
      }
      // The same on a backendRef.
      out.push(badRoute(`backendRef ${type} set header name ${label}`, [{ backendRefs: [{ ...BACKEND, filters: [{ type, [field(type)]: { set: [{ name, value: 'v' }] } }] }] }]));
    }
    for (const [label, value] of BAD_HEADER_VALUES) {
      for (const op of ['set', 'add'] as const) {
        out.push(badRoute(`${type} ${op} header value ${label}`, [{ filters: [{ type, [field(type)]: { [op]: [{ name: 'x-h', value }] } }], backendRefs: [BACKEND] }]));
      }
      out.push(badRoute(`backendRef ${type} add header value ${label}`, [{ backendRefs: [{ ...BACKEND, filters: [{ type, [field(type)]: { add: [{ name: 'x-h', value }] } }] }] }]));
    }
  }
  for (const [label, name] of BAD_HEADER_NAMES) {
    out.push(badRoute(`header match name ${label}`, [{ matches: [{ headers: [{ name, value: 'v' }] }], backendRefs: [BACKEND] }]));
    out.push(badRoute(`query param match name ${label}`, [{ matches: [{ queryParams: [{ name, value: 'v' }] }], backendRefs: [BACKEND] }]));
  }
  for (const [label, value] of BAD_HEADER_VALUES) {
    out.push(badRoute(`header match value ${label}`, [{ matches: [{ headers: [{ name: 'x-h', value }] }], backendRefs: [BACKEND] }]));
  }
  return out;
}

function regexCases(): HostileCase[] {
  const out: HostileCase[] = [];
  for (const re of BAD_REGEXES) {
    const shown = re.length > 40 ? `${re.slice(0, 20)}… (${re.length} chars)` : re;
    out.push(badRoute(`path regex ${shown}`, [{ matches: [{ path: { type: 'RegularExpression', value: re } }], backendRefs: [BACKEND] }]));
    out.push(badRoute(`header regex ${shown}`, [{ matches: [{ headers: [{ type: 'RegularExpression', name: 'x-h', value: re }] }], backendRefs: [BACKEND] }]));
    out.push(badRoute(`query param regex ${shown}`, [{ matches: [{ queryParams: [{ type: 'RegularExpression', name: 'q', value: re }] }], backendRefs: [BACKEND] }]));
  }
  for (const re of GOOD_REGEXES) {
    out.push(badRoute(`valid RE2 path regex ${re}`, [{ matches: [{ path: { type: 'RegularExpression', value: re } }], backendRefs: [BACKEND] }], {}, { accepted: true }));
  }
  return out;
}

function hostnameCases(): HostileCase[] {
  const out: HostileCase[] = [];
  for (const [label, h] of BAD_HOSTNAMES) {
    out.push(badRoute(`route hostname ${label}`, [{ backendRefs: [BACKEND] }], { hostnames: [h] }));
    if (label !== 'inner wildcard' && label !== 'double wildcard' && label !== 'bare wildcard') {
      out.push(badRoute(`redirect hostname ${label}`, [{ filters: [{ type: 'RequestRedirect', requestRedirect: { hostname: h } }] }]));
      out.push(badRoute(`rewrite hostname ${label}`, [{ filters: [{ type: 'URLRewrite', urlRewrite: { hostname: h } }], backendRefs: [BACKEND] }]));
    } else {
      // Wildcards are no PreciseHostname.
      out.push(badRoute(`redirect hostname ${label}`, [{ filters: [{ type: 'RequestRedirect', requestRedirect: { hostname: h } }] }]));
    }
    for (const protocol of ['HTTP', 'HTTPS'] as const) {
      const listener: Obj = { name: 'bad', port: protocol === 'HTTP' ? 8080 : 8443, protocol, hostname: h };
      if (protocol === 'HTTPS') listener.tls = { certificateRefs: [{ name: 'missing' }] };
      out.push({
        name: `${protocol} listener hostname ${label}`,
        text: manifest(base([{ name: 'http', port: 80, protocol: 'HTTP' }, listener])),
        expect: { object: 'Gateway/gw', condition: { type: 'Accepted', status: 'False', reason: 'UnsupportedValue' } },
      });
    }
  }
  return out;
}

function pathCases(): HostileCase[] {
  const out: HostileCase[] = [];
  for (const [label, p] of BAD_PATHS) {
    for (const type of ['Exact', 'PathPrefix'] as const) {
      out.push(badRoute(`${type} path ${label}`, [{ matches: [{ path: { type, value: p } }], backendRefs: [BACKEND] }]));
    }
    out.push(badRoute(`redirect ReplaceFullPath ${label}`, [{ filters: [{ type: 'RequestRedirect', requestRedirect: { path: { type: 'ReplaceFullPath', replaceFullPath: p } } }] }]));
    out.push(badRoute(`rewrite ReplaceFullPath ${label}`, [{ filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplaceFullPath', replaceFullPath: p } } }], backendRefs: [BACKEND] }]));
    out.push(badRoute(`rewrite ReplacePrefixMatch ${label}`, [{ matches: [{ path: { value: '/p' } }], filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: p } } }], backendRefs: [BACKEND] }]));
  }
  out.push(badRoute('path without a leading slash', [{ matches: [{ path: { value: 'no-slash' } }], backendRefs: [BACKEND] }]));
  return out;
}

/** Refused by the loader's schema (the CRD's bounds), as the API server would refuse it. */
const SCHEMA_BOUND = { load: /(below the minimum|above the maximum|expected an integer)/ } as const;

function integerCases(): HostileCase[] {
  const out: HostileCase[] = [];
  // No maximum in the CRD: past uint32 only the translator can refuse it (the case that froze Gantry).
  for (const attempts of [4294967296, 2 ** 53, 1e300]) {
    out.push(badRoute(`retry attempts ${attempts}`, [{ retry: { attempts }, backendRefs: [BACKEND] }]));
  }
  for (const attempts of [-1, 1.5]) out.push(badRoute(`retry attempts ${attempts}`, [{ retry: { attempts }, backendRefs: [BACKEND] }], {}, SCHEMA_BOUND));
  for (const code of [600, 99, 4294967296]) out.push(badRoute(`retry code ${code}`, [{ retry: { codes: [code] }, backendRefs: [BACKEND] }], {}, SCHEMA_BOUND));
  for (const weight of [4294967296, 1000001, -1, 1.5]) {
    out.push(badRoute(`backend weight ${weight}`, [{ backendRefs: [{ ...BACKEND, weight }, { ...BACKEND, weight: 1 }] }], {}, SCHEMA_BOUND));
  }
  out.push(badRoute('weights summing past uint32 (16 × 1,000,000 is fine)', [{ backendRefs: Array.from({ length: 16 }, () => ({ ...BACKEND, weight: 1_000_000 })) }], {}, { accepted: true }));
  for (const port of [0, 65536, 4294967296]) {
    out.push(badRoute(`redirect port ${port}`, [{ filters: [{ type: 'RequestRedirect', requestRedirect: { port } }] }], {}, SCHEMA_BOUND));
  }
  out.push(badRoute('redirect status 999', [{ filters: [{ type: 'RequestRedirect', requestRedirect: { statusCode: 999 } }] }]));
  for (const percent of [101, -1]) {
    out.push(badRoute(`mirror percent ${percent}`, [{ filters: [{ type: 'RequestMirror', requestMirror: { backendRef: BACKEND, percent } }], backendRefs: [BACKEND] }], {}, SCHEMA_BOUND));
  }
  out.push(badRoute('mirror fraction over zero', [{ filters: [{ type: 'RequestMirror', requestMirror: { backendRef: BACKEND, fraction: { numerator: 1, denominator: 0 } } }], backendRefs: [BACKEND] }], {}, SCHEMA_BOUND));
  for (const t of ['99999999999h', '1e400s', '-1s', '1d']) {
    out.push(badRoute(`timeout ${t}`, [{ timeouts: { request: t }, backendRefs: [BACKEND] }]));
  }
  return out;
}

function endpointCases(): HostileCase[] {
  // Not an IP: the endpoint is left out; the route is accepted and Envoy takes the rest.
  return ['example.com', '1.2.3', '::g', '10.0.0.1\n', '999.1.1.1', ''].map((address) => ({
    name: `endpoint address ${JSON.stringify(address)}`,
    text: manifest([
      ...base(),
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'other' }, spec: { ports: [{ port: 80 }] } },
      {
        apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
        metadata: { name: 'other-1', labels: { 'kubernetes.io/service-name': 'other' } },
        addressType: 'IPv4', ports: [{ port: 80 }], endpoints: [{ addresses: [address] }, { addresses: ['10.0.0.2'] }],
      },
      route('bad', [{ backendRefs: [{ name: 'other', port: 80 }] }]),
    ]),
    expect: { accepted: true },
  }));
}

function referenceGrantCases(): HostileCase[] {
  const listener = { name: 'https', port: 443, protocol: 'HTTPS', tls: { certificateRefs: [{ name: 'cert', namespace: 'certs' }] } };
  const grant = (to: Obj) => ({
    apiVersion: 'gateway.networking.k8s.io/v1beta1', kind: 'ReferenceGrant', metadata: { name: 'g', namespace: 'certs' },
    spec: { from: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'default' }], to: [{ group: '', kind: 'Secret', ...to }] },
  });
  return [{
    name: 'ReferenceGrant to.name "" is no wildcard',
    text: manifest([...base([{ name: 'http', port: 80, protocol: 'HTTP' }, listener]), grant({ name: '' })]),
    expect: { object: 'Gateway/gw', condition: { type: 'ResolvedRefs', status: 'False', reason: 'RefNotPermitted' } },
  }];
}

/** Files the loader must refuse quickly, with the file and line, never a stack trace. */
function loadCases(): HostileCase[] {
  const head = 'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: x}\n';
  const bomb = ['a: &a [x,x,x,x,x,x,x,x,x,x]'];
  for (const [i, c] of ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].entries()) {
    const prev = 'abcdefgh'[i]!;
    bomb.push(`${c}: &${c} [${Array(10).fill(`*${prev}`).join(',')}]`);
  }
  const twoMb = (n: number) => n * 1024 * 1024;
  return [
    { name: 'YAML alias bomb', text: `${head}spec:\n${bomb.map((l) => `  ${l}`).join('\n')}\n`, expect: { load: /alias/i } },
    { name: 'YAML undefined alias', text: `${head}spec: *nope\n`, expect: { load: /alias/i } },
    { name: 'YAML key repeated 150,000 times', text: `${head}spec:\n${'  k: 1\n'.repeat(150_000)}`, expect: { load: /duplicat|unique/i, withinMs: 2000 } },
    { name: 'YAML mapping of 100,000 distinct keys', text: `${head}spec:\n${Array.from({ length: 100_000 }, (_, i) => `  k${i}: 1\n`).join('')}`, expect: { load: /unknown field/, withinMs: 2000 } },
    { name: 'YAML flow nesting 100,000 deep', text: `${head}spec: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`, expect: { load: /nesting too deep/ } },
    { name: 'YAML block nesting 5,000 deep', text: `${head}spec:\n${Array.from({ length: 5000 }, (_, i) => `${' '.repeat(i + 2)}k:\n`).join('')}`, expect: { load: /nesting too deep/ } },
    { name: 'YAML 2 MB string value', text: `${head}spec: {x: "${'a'.repeat(twoMb(2) - 200)}"}\n`, expect: { load: /unknown field/, withinMs: 2000 } },
    { name: 'YAML 2 MB of documents, one bad', text: `${Array.from({ length: 12_000 }, (_, i) => `---\napiVersion: v1\nkind: Service\nmetadata: {name: s${i}}\nspec: {ports: [{port: 80}]}\n`).join('')}---\n${head}spec: {rules: 1}\n`, expect: { load: /expected a list/, withinMs: 2000 } },
    { name: 'YAML 17 MB file', text: `# ${'x'.repeat(17 * 1024 * 1024)}\n`, expect: { load: /too large/ } },
    { name: 'YAML unterminated flow', text: `${head}spec: {rules: [\n`, expect: { load: /malformed YAML/ } },
    { name: 'YAML tab indentation', text: `${head}spec:\n\trules: []\n`, expect: { load: /malformed YAML/ } },
    { name: 'port 1e400', text: `apiVersion: ${GW}\nkind: Gateway\nmetadata: {name: g}\nspec: {gatewayClassName: gantry, listeners: [{name: h, port: 1e400, protocol: HTTP}]}\n`, expect: { load: /got number Infinity/ } },
    { name: 'kind of a mapping', text: 'apiVersion: v1\nkind: {a: 1}\n', expect: { load: /kind/ } },
    { name: 'a document that is a list', text: '- a\n- b\n', expect: { load: /expected a Kubernetes object/ } },
    { name: 'a document that is a string', text: 'just text\n', expect: { load: /expected a Kubernetes object/ } },
    { name: '__proto__ key', text: `${head}spec: {__proto__: {polluted: true}}\n`, expect: { load: /unknown field/ } },
  ];
}

export function generatedCases(): HostileCase[] {
  return [
    ...headerCases(),
    ...regexCases(),
    ...hostnameCases(),
    ...pathCases(),
    ...integerCases(),
    ...endpointCases(),
    ...referenceGrantCases(),
    ...loadCases(),
  ];
}
