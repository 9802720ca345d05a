// HTTPRoute rules → IR pieces, independent of where the route attaches. Each rule is validated
// on its own: an invalid rule is dropped (and reported), the others still work. References
// (backends, mirrors, extensions) that cannot be resolved do not drop the rule: the traffic they
// would have received gets HTTP 500, as the spec requires.
import type {
  CorsIR,
  DirectResponseActionIR,
  ForwardActionIR,
  HeaderModifierIR,
  MirrorIR,
  PathModifierIR,
  RetryIR,
  RouteMatchIR,
  StringMatchIR,
  TimeoutsIR,
  WeightedBackendIR,
} from '@gantry/ir';
import type {
  HTTPBackendRef,
  HTTPCORSFilter,
  HTTPHeaderFilter,
  HTTPPathModifier,
  HTTPRoute,
  HTTPRouteFilter,
  HTTPRouteMatch,
  HTTPRouteRule,
} from '../api/gateway-api.js';
import { resolveBackend, type BackendContext, type BackendResolvers } from './backends.js';
import { Reason } from './conditions.js';
import { parseDurationMs } from './duration.js';
import type { ClusterUse } from './model.js';
import { re2Error } from './regex.js';

export interface RuleProblem {
  readonly rule: number;
  readonly reason: string;
  readonly message: string;
}

export interface RefProblem {
  readonly reason: string;
  readonly message: string;
}

export interface CompiledMatch {
  readonly index: number;
  readonly match: RouteMatchIR;
  readonly pathRank: number;
  readonly pathLength: number;
  readonly hasMethod: boolean;
  readonly headerCount: number;
  readonly queryCount: number;
}

/** A redirect still needs the listener (scheme and port default from it). */
export interface RedirectTemplate {
  readonly scheme?: 'http' | 'https';
  readonly hostname?: string;
  readonly port?: number;
  readonly path?: PathModifierIR;
  readonly statusCode: number;
}

export type ActionTemplate =
  | { readonly kind: 'forward'; readonly action: ForwardActionIR }
  | { readonly kind: 'directResponse'; readonly action: DirectResponseActionIR }
  | { readonly kind: 'redirect'; readonly redirect: RedirectTemplate };

export interface CompiledRule {
  readonly index: number;
  readonly matches: readonly CompiledMatch[];
  readonly action: ActionTemplate;
  readonly requestHeaders?: HeaderModifierIR;
  readonly responseHeaders?: HeaderModifierIR;
  readonly cors?: CorsIR;
}

export interface CompiledRules {
  readonly rules: readonly CompiledRule[];
  /** Rules dropped as invalid. */
  readonly invalid: readonly RuleProblem[];
  /** References that could not be resolved (the rules stay; affected traffic gets 500). */
  readonly refProblems: readonly RefProblem[];
  /** Clusters the valid rules send traffic (or mirrored traffic) to. */
  readonly clusters: readonly ClusterUse[];
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);
const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);
const INTERNAL_ERROR: DirectResponseActionIR = { kind: 'directResponse', status: 500 };

/** The CRD default: a route without `rules` has one rule matching every path. */
const DEFAULT_RULES: readonly HTTPRouteRule[] = [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }] }];

class Invalid extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

function invalid(message: string, reason: string = Reason.UnsupportedValue): never {
  throw new Invalid(reason, message);
}

export function compileRules(route: HTTPRoute, ctx: BackendContext, resolvers: BackendResolvers): CompiledRules {
  const rules: CompiledRule[] = [];
  const problems: RuleProblem[] = [];
  const refProblems: RefProblem[] = [];
  const clusters: ClusterUse[] = [];
  const specRules = route.spec?.rules ?? DEFAULT_RULES;
  specRules.forEach((rule, index) => {
    try {
      const structure = compileStructure(rule);
      rules.push(resolveRule(rule, index, structure, ctx, resolvers, refProblems, clusters));
    } catch (e) {
      if (!(e instanceof Invalid)) throw e;
      problems.push({ rule: index, reason: e.reason, message: `rule ${index}: ${e.message}` });
    }
  });
  return { rules, invalid: problems, refProblems, clusters: dedupeClusters(clusters) };
}

// ---- structure: matches and filters, no references ----------------------------------------

interface RuleStructure {
  readonly matches: CompiledMatch[];
  readonly requestHeaders?: HeaderModifierIR;
  readonly responseHeaders?: HeaderModifierIR;
  readonly redirect?: RedirectTemplate;
  readonly urlRewrite?: ForwardActionIR['urlRewrite'];
  readonly cors?: CorsIR;
  readonly timeouts?: TimeoutsIR;
  readonly retry?: RetryIR;
  readonly backendFilters: { requestHeaders?: HeaderModifierIR; responseHeaders?: HeaderModifierIR }[];
}

function compileStructure(rule: HTTPRouteRule): RuleStructure {
  const specMatches: readonly HTTPRouteMatch[] =
    rule.matches && rule.matches.length > 0 ? rule.matches : [{ path: { type: 'PathPrefix', value: '/' } }];
  const matches = specMatches.map((m, i) => compileMatch(m, i));
  if (rule.sessionPersistence !== undefined) invalid('sessionPersistence is not supported');

  const seen = new Set<string>();
  const once = (type: string) => {
    if (seen.has(type)) invalid(`${type} filter may appear only once`, Reason.IncompatibleFilters);
    seen.add(type);
  };
  let requestHeaders: HeaderModifierIR | undefined;
  let responseHeaders: HeaderModifierIR | undefined;
  let redirect: RedirectTemplate | undefined;
  let urlRewrite: ForwardActionIR['urlRewrite'];
  let cors: CorsIR | undefined;
  for (const f of rule.filters ?? []) {
    switch (f.type) {
      case 'RequestHeaderModifier':
        once(f.type);
        requestHeaders = headerModifier(need(f, f.requestHeaderModifier));
        break;
      case 'ResponseHeaderModifier':
        once(f.type);
        responseHeaders = headerModifier(need(f, f.responseHeaderModifier));
        break;
      case 'RequestRedirect':
        once(f.type);
        redirect = redirectTemplate(need(f, f.requestRedirect), matches);
        break;
      case 'URLRewrite':
        once(f.type);
        urlRewrite = rewrite(need(f, f.urlRewrite), matches);
        break;
      case 'CORS':
        once(f.type);
        cors = corsPolicy(need(f, f.cors));
        break;
      case 'RequestMirror':
        need(f, f.requestMirror);
        mirrorPercent(f.requestMirror);
        break;
      case 'ExtensionRef':
        need(f, f.extensionRef);
        break;
      case 'ExternalAuth':
        invalid('ExternalAuth filters are not supported');
        break;
      default:
        invalid(`filter type ${f.type} is not supported`);
    }
  }
  if (redirect && urlRewrite) invalid('RequestRedirect and URLRewrite cannot be combined', Reason.IncompatibleFilters);
  if (redirect && (rule.backendRefs ?? []).length > 0) {
    invalid('RequestRedirect cannot be combined with backendRefs', Reason.IncompatibleFilters);
  }
  const backendFilters = (rule.backendRefs ?? []).map((b) => backendRefFilters(b));
  return {
    matches,
    ...(requestHeaders ? { requestHeaders } : {}),
    ...(responseHeaders ? { responseHeaders } : {}),
    ...(redirect ? { redirect } : {}),
    ...(urlRewrite ? { urlRewrite } : {}),
    ...(cors ? { cors } : {}),
    ...timeoutsOf(rule),
    ...retryOf(rule),
    backendFilters,
  };
}

function need<T>(f: HTTPRouteFilter, config: T | undefined): T {
  if (config === undefined || config === null) invalid(`filter ${f.type} has no configuration`);
  return config;
}

function compileMatch(m: HTTPRouteMatch, index: number): CompiledMatch {
  const type = m.path?.type ?? 'PathPrefix';
  let value = m.path?.value ?? '/';
  let pathRank: number;
  switch (type) {
    case 'Exact':
    case 'PathPrefix':
      if (!value.startsWith('/')) invalid(`path ${value} must start with /`);
      if (value.includes('//')) invalid(`path ${value} must not contain //`);
      if (type === 'PathPrefix') value = trimTrailingSlash(value) || '/';
      pathRank = type === 'Exact' ? 0 : 2;
      break;
    case 'RegularExpression': {
      const err = re2Error(value);
      if (err) invalid(`path regular expression: ${err}`);
      pathRank = 1;
      break;
    }
    default:
      invalid(`path match type ${type} is not supported`);
  }
  const headers = stringMatches(m.headers ?? [], 'header', (n) => n.toLowerCase());
  const queryParams = stringMatches(m.queryParams ?? [], 'query parameter', (n) => n);
  if (m.method !== undefined && !METHODS.has(m.method)) invalid(`method ${m.method} is not supported`);
  const match: RouteMatchIR = {
    path: { type: type as 'Exact' | 'PathPrefix' | 'RegularExpression', value },
    ...(headers.length > 0 ? { headers } : {}),
    ...(queryParams.length > 0 ? { queryParams } : {}),
    ...(m.method !== undefined ? { method: m.method } : {}),
  };
  return {
    index,
    match,
    pathRank,
    pathLength: value.length,
    hasMethod: m.method !== undefined,
    headerCount: headers.length,
    queryCount: queryParams.length,
  };
}

/** Only the first entry of a name counts (the spec); header names compare case-insensitively. */
function stringMatches(
  items: readonly { type?: string; name: string; value: string }[],
  what: string,
  normalise: (name: string) => string,
): StringMatchIR[] {
  const out: StringMatchIR[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    const name = normalise(item.name);
    if (seen.has(name)) continue;
    seen.add(name);
    const type = item.type ?? 'Exact';
    if (type === 'RegularExpression') {
      const err = re2Error(item.value);
      if (err) invalid(`${what} ${item.name} regular expression: ${err}`);
    } else if (type !== 'Exact') {
      invalid(`${what} match type ${type} is not supported`);
    }
    out.push({ name, type, value: item.value });
  }
  return out;
}

function headerModifier(f: HTTPHeaderFilter): HeaderModifierIR | undefined {
  const set = (f.set ?? []).map((h) => ({ name: h.name, value: h.value }));
  const add = (f.add ?? []).map((h) => ({ name: h.name, value: h.value }));
  const remove = [...(f.remove ?? [])];
  if (set.length + add.length + remove.length === 0) return undefined;
  return {
    ...(set.length > 0 ? { set } : {}),
    ...(add.length > 0 ? { add } : {}),
    ...(remove.length > 0 ? { remove } : {}),
  };
}

function pathModifier(m: HTTPPathModifier, matches: readonly CompiledMatch[]): PathModifierIR {
  switch (m.type) {
    case 'ReplaceFullPath':
      if (m.replaceFullPath === undefined) invalid('ReplaceFullPath needs replaceFullPath');
      return { type: 'ReplaceFullPath', value: m.replaceFullPath };
    case 'ReplacePrefixMatch':
      if (m.replacePrefixMatch === undefined) invalid('ReplacePrefixMatch needs replacePrefixMatch');
      if (matches.some((x) => x.match.path.type !== 'PathPrefix')) {
        invalid('ReplacePrefixMatch can only be used with PathPrefix matches');
      }
      // "/xyz/" and "/xyz" behave the same, as do "/" and "": keep the form without the slash.
      return { type: 'ReplacePrefixMatch', value: trimTrailingSlash(m.replacePrefixMatch) };
    default:
      return invalid(`path modifier type ${m.type} is not supported`);
  }
}

function redirectTemplate(r: NonNullable<HTTPRouteFilter['requestRedirect']>, matches: readonly CompiledMatch[]): RedirectTemplate {
  if (r.scheme !== undefined && r.scheme !== 'http' && r.scheme !== 'https') invalid(`redirect scheme ${r.scheme} is not supported`);
  const statusCode = r.statusCode ?? 302;
  if (!REDIRECT_CODES.has(statusCode)) invalid(`redirect status code ${statusCode} is not supported`);
  if (r.port !== undefined && !(Number.isInteger(r.port) && r.port > 0 && r.port < 65536)) invalid(`redirect port ${r.port} is invalid`);
  return {
    ...(r.scheme ? { scheme: r.scheme } : {}),
    ...(r.hostname ? { hostname: r.hostname.toLowerCase() } : {}),
    ...(r.port !== undefined ? { port: r.port } : {}),
    ...(r.path ? { path: pathModifier(r.path, matches) } : {}),
    statusCode,
  };
}

function rewrite(r: NonNullable<HTTPRouteFilter['urlRewrite']>, matches: readonly CompiledMatch[]): ForwardActionIR['urlRewrite'] {
  const path = r.path ? pathModifier(r.path, matches) : undefined;
  if (!r.hostname && !path) return undefined;
  return { ...(r.hostname ? { hostname: r.hostname.toLowerCase() } : {}), ...(path ? { path } : {}) };
}

/** The spec's default Access-Control-Max-Age is 5 seconds. */
function corsPolicy(c: HTTPCORSFilter): CorsIR {
  return {
    allowOrigins: [...(c.allowOrigins ?? [])],
    ...(c.allowCredentials !== undefined ? { allowCredentials: c.allowCredentials } : {}),
    ...(c.allowMethods && c.allowMethods.length > 0 ? { allowMethods: [...c.allowMethods] } : {}),
    ...(c.allowHeaders && c.allowHeaders.length > 0 ? { allowHeaders: [...c.allowHeaders] } : {}),
    ...(c.exposeHeaders && c.exposeHeaders.length > 0 ? { exposeHeaders: [...c.exposeHeaders] } : {}),
    maxAgeSeconds: c.maxAge !== undefined && c.maxAge > 0 ? c.maxAge : 5,
  };
}

/** Percent of requests mirrored (undefined = all). */
function mirrorPercent(m: HTTPRouteFilter['requestMirror']): number | undefined {
  if (!m) return undefined;
  if (m.percent !== undefined && m.fraction !== undefined) invalid('RequestMirror takes percent or fraction, not both');
  if (m.percent !== undefined) {
    if (!(m.percent >= 0 && m.percent <= 100)) invalid(`RequestMirror percent ${m.percent} is out of range`);
    return m.percent;
  }
  if (m.fraction !== undefined) {
    const den = m.fraction.denominator ?? 100;
    if (!(den > 0) || !(m.fraction.numerator >= 0) || m.fraction.numerator > den) {
      invalid(`RequestMirror fraction ${m.fraction.numerator}/${den} is invalid`);
    }
    return (m.fraction.numerator * 100) / den;
  }
  return undefined;
}

function timeoutsOf(rule: HTTPRouteRule): { timeouts?: TimeoutsIR } {
  const t = rule.timeouts;
  if (!t) return {};
  const requestMs = t.request !== undefined ? duration(t.request, 'timeouts.request') : undefined;
  const backendRequestMs = t.backendRequest !== undefined ? duration(t.backendRequest, 'timeouts.backendRequest') : undefined;
  if (requestMs !== undefined && requestMs > 0 && backendRequestMs !== undefined && backendRequestMs > requestMs) {
    invalid('timeouts.backendRequest cannot be longer than timeouts.request');
  }
  if (requestMs === undefined && backendRequestMs === undefined) return {};
  return {
    timeouts: {
      ...(requestMs !== undefined ? { requestMs } : {}),
      ...(backendRequestMs !== undefined ? { backendRequestMs } : {}),
    },
  };
}

function retryOf(rule: HTTPRouteRule): { retry?: RetryIR } {
  const r = rule.retry;
  if (!r) return {};
  for (const code of r.codes ?? []) {
    if (!(Number.isInteger(code) && code >= 400 && code <= 599)) invalid(`retry code ${code} is not supported`);
  }
  if (r.attempts !== undefined && !(Number.isInteger(r.attempts) && r.attempts >= 0)) invalid(`retry attempts ${r.attempts} is invalid`);
  const backoffMs = r.backoff !== undefined ? duration(r.backoff, 'retry.backoff') : undefined;
  return {
    retry: {
      ...(r.codes && r.codes.length > 0 ? { codes: [...r.codes] } : {}),
      ...(r.attempts !== undefined ? { attempts: r.attempts } : {}),
      ...(backoffMs !== undefined ? { backoffMs } : {}),
    },
  };
}

function duration(text: string, field: string): number {
  const ms = parseDurationMs(text);
  if (ms === undefined) invalid(`${field} ${text} is not a valid duration`);
  return ms;
}

function backendRefFilters(b: HTTPBackendRef): { requestHeaders?: HeaderModifierIR; responseHeaders?: HeaderModifierIR } {
  let requestHeaders: HeaderModifierIR | undefined;
  let responseHeaders: HeaderModifierIR | undefined;
  const seen = new Set<string>();
  for (const f of b.filters ?? []) {
    if (seen.has(f.type)) invalid(`backendRef ${b.name}: ${f.type} filter may appear only once`, Reason.IncompatibleFilters);
    seen.add(f.type);
    if (f.type === 'RequestHeaderModifier') requestHeaders = headerModifier(need(f, f.requestHeaderModifier));
    else if (f.type === 'ResponseHeaderModifier') responseHeaders = headerModifier(need(f, f.responseHeaderModifier));
    else invalid(`backendRef ${b.name}: filter type ${f.type} is not supported on backendRefs`);
  }
  return { ...(requestHeaders ? { requestHeaders } : {}), ...(responseHeaders ? { responseHeaders } : {}) };
}

function trimTrailingSlash(p: string): string {
  let end = p.length;
  while (end > 0 && p.charCodeAt(end - 1) === 47 /* / */) end--;
  return p.slice(0, end);
}

// ---- references -----------------------------------------------------------------------------

function resolveRule(
  rule: HTTPRouteRule,
  index: number,
  s: RuleStructure,
  ctx: BackendContext,
  resolvers: BackendResolvers,
  refProblems: RefProblem[],
  clusters: ClusterUse[],
): CompiledRule {
  const base = {
    index,
    matches: s.matches,
    ...(s.requestHeaders ? { requestHeaders: s.requestHeaders } : {}),
    ...(s.responseHeaders ? { responseHeaders: s.responseHeaders } : {}),
    ...(s.cors ? { cors: s.cors } : {}),
  };
  // Custom filters Gantry cannot resolve must not be skipped: the requests get an error.
  let extensionFailed = false;
  for (const f of rule.filters ?? []) {
    if (f.type !== 'ExtensionRef' || !f.extensionRef) continue;
    const e = f.extensionRef;
    refProblems.push({ reason: Reason.InvalidKind, message: `rule ${index}: ExtensionRef ${e.group}/${e.kind} ${e.name}: kind not supported` });
    extensionFailed = true;
  }
  if (s.redirect) return { ...base, action: { kind: 'redirect', redirect: s.redirect } };

  const mirrors: MirrorIR[] = [];
  const mirrorClusters: ClusterUse[] = [];
  for (const f of rule.filters ?? []) {
    if (f.type !== 'RequestMirror' || !f.requestMirror) continue;
    const res = resolveBackend(f.requestMirror.backendRef, ctx, resolvers);
    if (!res.ok) {
      refProblems.push({ reason: res.reason, message: `rule ${index}: RequestMirror ${res.message}` });
      continue;
    }
    const percent = mirrorPercent(f.requestMirror);
    mirrors.push({ cluster: res.cluster.name, ...(percent !== undefined ? { percent } : {}) });
    mirrorClusters.push({ cluster: res.cluster, source: res.source });
  }

  const backends: WeightedBackendIR[] = [];
  const backendClusters: ClusterUse[] = [];
  let invalidWeight = 0;
  let websocket = false;
  (rule.backendRefs ?? []).forEach((b, i) => {
    const weight = b.weight ?? 1;
    const res = resolveBackend(b, ctx, resolvers);
    if (!res.ok) {
      refProblems.push({ reason: res.reason, message: `rule ${index}: ${res.message}` });
      invalidWeight += weight;
      return;
    }
    if (weight <= 0) return;
    const filters = s.backendFilters[i] ?? {};
    backends.push({ cluster: res.cluster.name, weight, ...filters });
    backendClusters.push({ cluster: res.cluster, source: res.source });
    websocket = websocket || res.websocket;
  });

  if (extensionFailed || backends.length === 0) {
    return { ...base, action: { kind: 'directResponse', action: INTERNAL_ERROR } };
  }
  for (const c of backendClusters) clusters.push(c);
  for (const c of mirrorClusters) clusters.push(c);
  const action: ForwardActionIR = {
    kind: 'forward',
    backends,
    ...(s.urlRewrite ? { urlRewrite: s.urlRewrite } : {}),
    ...(mirrors.length > 0 ? { mirrors } : {}),
    ...(s.timeouts ? { timeouts: s.timeouts } : {}),
    ...(s.retry ? { retry: s.retry } : {}),
    ...(websocket ? { websocket: true } : {}),
    ...(invalidWeight > 0 ? { invalidBackendWeight: invalidWeight } : {}),
  };
  return { ...base, action: { kind: 'forward', action } };
}

function dedupeClusters(uses: readonly ClusterUse[]): ClusterUse[] {
  const byName = new Map<string, ClusterUse>();
  for (const u of uses) if (!byName.has(u.cluster.name)) byName.set(u.cluster.name, u);
  return [...byName.values()];
}
