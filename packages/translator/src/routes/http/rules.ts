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
  HTTPRouteRetry,
  HTTPRouteRule,
  HTTPRouteTimeouts,
} from '@gantry/api';
import { resolveBackend, type BackendContext, type BackendResolvers } from '../../backends/backend.js';
import { Reason } from '../../status/conditions.js';
import { parseDurationMs } from '../../core/duration.js';
import { append, exact, exactList, type ClusterUse, type Mutable } from '../../core/model.js';
import { re2Error } from '../../core/regex.js';

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
  readonly kind: 'redirectTemplate';
  readonly scheme?: 'http' | 'https';
  readonly hostname?: string;
  readonly port?: number;
  readonly path?: PathModifierIR;
  readonly statusCode: number;
}

/** A rule's action: final (the IR itself), or a redirect template completed per listener. */
export type ActionTemplate = ForwardActionIR | DirectResponseActionIR | RedirectTemplate;

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

const NONE: StringMatchIR[] = [];
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
  // Lists start undefined and are made at their exact size by the first element (see append).
  let rules: CompiledRule[] | undefined;
  let problems: RuleProblem[] | undefined;
  const refProblems: RefProblem[] = [];
  const clusters: Clusters = { list: undefined };
  const specRules = route.spec?.rules ?? DEFAULT_RULES;
  for (let index = 0; index < specRules.length; index++) {
    const rule = specRules[index] as HTTPRouteRule;
    try {
      const structure = compileStructure(rule);
      rules = append(rules, resolveRule(rule, index, structure, ctx, resolvers, refProblems, clusters));
    } catch (e) {
      if (!(e instanceof Invalid)) throw e;
      problems = append(problems, { rule: index, reason: e.reason, message: `rule ${index}: ${e.message}` });
    }
  }
  return {
    rules: rules ? exactList(rules) : NO_RULES,
    invalid: problems ?? NO_PROBLEMS,
    refProblems: refProblems.length > 0 ? refProblems : NO_REF_PROBLEMS,
    clusters: clusters.list ? exactList(dedupeClusters(clusters.list)) : NO_CLUSTERS,
  };
}

/** The clusters of a route's rules, collected across rules. */
interface Clusters {
  list: ClusterUse[] | undefined;
}

const NO_RULES: readonly CompiledRule[] = [];
const NO_PROBLEMS: readonly RuleProblem[] = [];
const NO_REF_PROBLEMS: readonly RefProblem[] = [];
const NO_CLUSTERS: readonly ClusterUse[] = [];
const NO_FILTERS: readonly HTTPRouteFilter[] = [];
const NO_BACKEND_REFS: readonly HTTPBackendRef[] = [];

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
  /** Per backendRef, only when some backendRef has filters. */
  readonly backendFilters?: readonly BackendFilters[];
}

interface BackendFilters {
  requestHeaders?: HeaderModifierIR;
  responseHeaders?: HeaderModifierIR;
}

function compileStructure(rule: HTTPRouteRule): RuleStructure {
  const specMatches = rule.matches && rule.matches.length > 0 ? rule.matches : DEFAULT_MATCHES;
  const out: Mutable<RuleStructure> = { matches: specMatches.map(compileMatch) };
  if (rule.sessionPersistence !== undefined) invalid('sessionPersistence is not supported');

  const filters = rule.filters ?? NO_FILTERS;
  const seen = filters.length > 0 ? new Set<string>() : undefined;
  const once = (type: string) => {
    if (seen?.has(type)) invalid(`${type} filter may appear only once`, Reason.IncompatibleFilters);
    seen?.add(type);
  };
  for (const f of filters) {
    switch (f.type) {
      case 'RequestHeaderModifier':
        once(f.type);
        out.requestHeaders = headerModifier(need(f, f.requestHeaderModifier));
        break;
      case 'ResponseHeaderModifier':
        once(f.type);
        out.responseHeaders = headerModifier(need(f, f.responseHeaderModifier));
        break;
      case 'RequestRedirect':
        once(f.type);
        out.redirect = redirectTemplate(need(f, f.requestRedirect), out.matches);
        break;
      case 'URLRewrite':
        once(f.type);
        out.urlRewrite = rewrite(need(f, f.urlRewrite), out.matches);
        break;
      case 'CORS':
        once(f.type);
        out.cors = corsPolicy(need(f, f.cors));
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
  if (out.redirect && out.urlRewrite) invalid('RequestRedirect and URLRewrite cannot be combined', Reason.IncompatibleFilters);
  const backendRefs = rule.backendRefs ?? NO_BACKEND_REFS;
  if (out.redirect && backendRefs.length > 0) invalid('RequestRedirect cannot be combined with backendRefs', Reason.IncompatibleFilters);
  if (backendRefs.some(hasFilters)) out.backendFilters = backendRefs.map((b) => backendRefFilters(b));
  if (rule.timeouts) {
    const t = timeoutsOf(rule.timeouts);
    if (t) out.timeouts = t;
  }
  if (rule.retry) out.retry = retryOf(rule.retry);
  return out;
}

const DEFAULT_MATCHES: readonly HTTPRouteMatch[] = [{ path: { type: 'PathPrefix', value: '/' } }];

function hasFilters(b: HTTPBackendRef): boolean {
  return b.filters !== undefined && b.filters.length > 0;
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
  const headers = m.headers && m.headers.length > 0 ? stringMatches(m.headers, 'header', true) : NONE;
  const queryParams = m.queryParams && m.queryParams.length > 0 ? stringMatches(m.queryParams, 'query parameter', false) : NONE;
  if (m.method !== undefined && !METHODS.has(m.method)) invalid(`method ${m.method} is not supported`);
  const match: Mutable<RouteMatchIR> = { path: { type: type as 'Exact' | 'PathPrefix' | 'RegularExpression', value } };
  if (headers.length > 0) match.headers = headers;
  if (queryParams.length > 0) match.queryParams = queryParams;
  if (m.method !== undefined) match.method = m.method;
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
function stringMatches(items: readonly { type?: string; name: string; value: string }[], what: string, lowerCase: boolean): StringMatchIR[] {
  const out: StringMatchIR[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    const name = lowerCase ? item.name.toLowerCase() : item.name;
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
  return exact(out);
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
    kind: 'redirectTemplate',
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

function timeoutsOf(t: HTTPRouteTimeouts): TimeoutsIR | undefined {
  const requestMs = t.request !== undefined ? duration(t.request, 'timeouts.request') : undefined;
  const backendRequestMs = t.backendRequest !== undefined ? duration(t.backendRequest, 'timeouts.backendRequest') : undefined;
  if (requestMs !== undefined && requestMs > 0 && backendRequestMs !== undefined && backendRequestMs > requestMs) {
    invalid('timeouts.backendRequest cannot be longer than timeouts.request');
  }
  if (requestMs === undefined && backendRequestMs === undefined) return undefined;
  const out: Mutable<TimeoutsIR> = {};
  if (requestMs !== undefined) out.requestMs = requestMs;
  if (backendRequestMs !== undefined) out.backendRequestMs = backendRequestMs;
  return out;
}

function retryOf(r: HTTPRouteRetry): RetryIR {
  for (const code of r.codes ?? []) {
    if (!(Number.isInteger(code) && code >= 400 && code <= 599)) invalid(`retry code ${code} is not supported`);
  }
  if (r.attempts !== undefined && !(Number.isInteger(r.attempts) && r.attempts >= 0)) invalid(`retry attempts ${r.attempts} is invalid`);
  const out: Mutable<RetryIR> = {};
  if (r.codes && r.codes.length > 0) out.codes = [...r.codes];
  if (r.attempts !== undefined) out.attempts = r.attempts;
  if (r.backoff !== undefined) out.backoffMs = duration(r.backoff, 'retry.backoff');
  return out;
}

function duration(text: string, field: string): number {
  const ms = parseDurationMs(text);
  if (ms === undefined) invalid(`${field} ${text} is not a valid duration`);
  return ms;
}

function backendRefFilters(b: HTTPBackendRef): BackendFilters {
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
  const out: BackendFilters = {};
  if (requestHeaders) out.requestHeaders = requestHeaders;
  if (responseHeaders) out.responseHeaders = responseHeaders;
  return out;
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
  clusters: Clusters,
): CompiledRule {
  const base: Mutable<CompiledRule> = { index, matches: s.matches, action: INTERNAL_ERROR };
  if (s.requestHeaders) base.requestHeaders = s.requestHeaders;
  if (s.responseHeaders) base.responseHeaders = s.responseHeaders;
  if (s.cors) base.cors = s.cors;
  const filters = rule.filters ?? NO_FILTERS;
  // Custom filters Gantry cannot resolve must not be skipped: the requests get an error.
  let extensionFailed = false;
  for (const f of filters) {
    if (f.type !== 'ExtensionRef' || !f.extensionRef) continue;
    const e = f.extensionRef;
    refProblems.push({ reason: Reason.InvalidKind, message: `rule ${index}: ExtensionRef ${e.group}/${e.kind} ${e.name}: kind not supported` });
    extensionFailed = true;
  }
  if (s.redirect) {
    base.action = s.redirect;
    return base;
  }

  let mirrors: MirrorIR[] | undefined;
  let mirrorClusters: ClusterUse[] | undefined;
  for (const f of filters) {
    if (f.type !== 'RequestMirror' || !f.requestMirror) continue;
    const res = resolveBackend(f.requestMirror.backendRef, ctx, resolvers);
    if (!res.ok) {
      refProblems.push({ reason: res.reason, message: `rule ${index}: RequestMirror ${res.message}` });
      continue;
    }
    const percent = mirrorPercent(f.requestMirror);
    mirrors = append(mirrors, percent !== undefined ? { cluster: res.cluster.name, percent } : { cluster: res.cluster.name });
    mirrorClusters = append<ClusterUse>(mirrorClusters, res);
  }

  // A successful resolution is itself a ClusterUse (it carries the cluster and its source).
  let backends: WeightedBackendIR[] | undefined;
  let backendClusters: ClusterUse[] | undefined;
  let invalidWeight = 0;
  let websocket = false;
  const refs = rule.backendRefs ?? NO_BACKEND_REFS;
  for (let i = 0; i < refs.length; i++) {
    const b = refs[i] as HTTPBackendRef;
    const weight = b.weight ?? 1;
    const res = resolveBackend(b, ctx, resolvers);
    if (!res.ok) {
      refProblems.push({ reason: res.reason, message: `rule ${index}: ${res.message}` });
      invalidWeight += weight;
      continue;
    }
    if (weight <= 0) continue;
    const f = s.backendFilters?.[i];
    const wb: Mutable<WeightedBackendIR> = { cluster: res.cluster.name, weight };
    if (f?.requestHeaders) wb.requestHeaders = f.requestHeaders;
    if (f?.responseHeaders) wb.responseHeaders = f.responseHeaders;
    backends = append(backends, wb);
    backendClusters = append<ClusterUse>(backendClusters, res);
    websocket = websocket || res.websocket;
  }

  if (extensionFailed || backends === undefined) return base;
  for (const c of backendClusters as ClusterUse[]) clusters.list = append(clusters.list, c);
  if (mirrorClusters) for (const c of mirrorClusters) clusters.list = append(clusters.list, c);
  const action: Mutable<ForwardActionIR> = { kind: 'forward', backends: exactList(backends) };
  if (s.urlRewrite) action.urlRewrite = s.urlRewrite;
  if (mirrors) action.mirrors = exactList(mirrors);
  if (s.timeouts) action.timeouts = s.timeouts;
  if (s.retry) action.retry = s.retry;
  if (websocket) action.websocket = true;
  if (invalidWeight > 0) action.invalidBackendWeight = invalidWeight;
  base.action = action;
  return base;
}


function dedupeClusters(uses: ClusterUse[]): ClusterUse[] {
  if (uses.length < 2) return uses;
  const byName = new Map<string, ClusterUse>();
  for (const u of uses) if (!byName.has(u.cluster.name)) byName.set(u.cluster.name, u);
  return [...byName.values()];
}
