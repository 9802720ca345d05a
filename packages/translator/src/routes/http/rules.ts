// HTTPRoute rules → IR pieces, independent of where the route attaches. Each rule is validated
// on its own: an invalid rule is dropped (and reported), the others still work. References
// (backends, mirrors, extensions) that cannot be resolved do not drop the rule: the traffic they
// would have received gets HTTP 500, as the spec requires.
import type { DirectResponseActionIR, ForwardActionIR, HashPolicyIR, MirrorIR, RetryIR, TimeoutsIR, URLRewriteIR, WeightedBackendIR } from '@gantry/ir';
import { intRangeError, uint32Error } from '../../core/envoy-limits.js';
import { GATEWAY_API_GROUP, type HTTPBackendRef, type HTTPRoute, type HTTPRouteFilter, type HTTPRouteMatch, type HTTPRouteRetry, type HTTPRouteRule, type HTTPRouteTimeouts } from '@gantry/api';
import { resolveBackend, type BackendContext, type BackendResolvers, type ClusterUse } from '../../backends/backend.js';
import { parseDurationMs } from '../../core/duration.js';
import { deepEqual } from '../../core/equality.js';
import { Invalid, invalid } from '../../core/invalid.js';
import { append, exactList, type Mutable } from '../../core/memory.js';
import { attachedOptions, mergeRuleOptions, NO_ATTACHED_OPTIONS, resolveExtensionRef, ruleAttachedOptions, type OptionSource, type PolicyUse, type RuleOptions } from '../../policies/policy.js';
import { Reason } from '../../status/conditions.js';
import type { CompiledMatch, CompiledRule, CompiledRules, CompileTables, RefProblem, RuleProblem } from '../route-kind.js';
import { backendRefFilters, httpFilter, mirrorPercent, type BackendFilters, type RuleStructure } from './filters.js';
import { compileMatch } from './matches.js';

const INTERNAL_ERROR: DirectResponseActionIR = { kind: 'directResponse', status: 500 };

/** The CRD default: a route without `rules` has one rule matching every path. */
const DEFAULT_RULES: readonly HTTPRouteRule[] = [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }] }];
const DEFAULT_MATCHES: readonly HTTPRouteMatch[] = [{ path: { type: 'PathPrefix', value: '/' } }];

export function compileRules(route: HTTPRoute, ctx: BackendContext, tables: CompileTables): CompiledRules {
  const attached =
    tables.targetRefs.length === 0
      ? NO_ATTACHED_OPTIONS
      : attachedOptions({ group: GATEWAY_API_GROUP, kind: 'HTTPRoute', namespace: ctx.fromNamespace, name: route.metadata.name }, ctx.lookups, tables.targetRefs);
  // Lists start undefined and are made at their exact size by the first element (see append).
  let rules: CompiledRule[] | undefined;
  let problems: RuleProblem[] | undefined;
  const refProblems: RefProblem[] = [];
  const policyUses: PolicyUse[] = [];
  const collected: Collected = { clusters: undefined, notes: undefined };
  const specRules = route.spec?.rules ?? DEFAULT_RULES;
  for (let index = 0; index < specRules.length; index++) {
    const rule = specRules[index] as HTTPRouteRule;
    const structure = compileStructure(rule);
    if (structure instanceof Invalid) {
      problems = append(problems, { rule: index, reason: structure.reason, message: `rule ${index}: ${structure.message}` });
      continue;
    }
    // Policies: the rule's ExtensionRefs (in order; one that cannot be resolved fails the rule
    // closed), then targetRef policies; mergeRuleOptions decides precedence.
    let sources: OptionSource[] | undefined;
    let extensionFailed = false;
    for (const f of rule.filters ?? NO_FILTERS) {
      if (f.type !== 'ExtensionRef' || !f.extensionRef) continue;
      const ref = f.extensionRef;
      const res = resolveExtensionRef(ref, ctx.fromNamespace, ctx.lookups, tables.extensionRefs);
      const policy = { group: ref.group, kind: ref.kind, namespace: ctx.fromNamespace, name: ref.name };
      if (!res.ok) {
        refProblems.push({ reason: res.reason, message: `rule ${index}: ${res.message}` });
        extensionFailed = true;
        // The policy exists but is invalid: its status lists this route too.
        if (res.reason !== Reason.BackendNotFound && res.reason !== Reason.InvalidKind) policyUses.push({ policy, rule: index, via: 'ExtensionRef', applied: [], overridden: [] });
        continue;
      }
      sources = append<OptionSource>(sources, { policy, via: 'ExtensionRef', options: res.options });
    }
    if (attached !== NO_ATTACHED_OPTIONS) for (const src of ruleAttachedOptions(attached, rule.name)) sources = append(sources, src);
    const merged = sources ? mergeRuleOptions(structure, takenByRule(structure), sources, index, policyUses) : structure;
    if (merged.pathRewrite?.type === 'ReplacePrefixMatch' && structure.pathRewrite === undefined) notePrefixOnRegex(merged, index, policyUses);
    rules = append(rules, resolveRule(rule, index, merged, extensionFailed, ctx, tables.backends, refProblems, collected));
  }
  return {
    rules: rules ? exactList(rules) : NO_RULES,
    invalid: problems ?? NO_PROBLEMS,
    refProblems: refProblems.length > 0 ? refProblems : NO_REF_PROBLEMS,
    notes: collected.notes ?? NO_NOTES,
    clusters: collected.clusters ? exactList(dedupeClusters(collected.clusters)) : NO_CLUSTERS,
    policyUses: policyUses.length > 0 ? policyUses : NO_POLICY_USES,
  };
}

/**
 * A policy's prefixRewrite has no prefix to replace on a RegularExpression match (the path is left
 * as it is there): say so in the status of the policy that set it.
 */
function notePrefixOnRegex(rule: RuleStructure, index: number, uses: PolicyUse[]): void {
  if (!rule.matches.some((m) => m.match.path.type === 'RegularExpression')) return;
  for (let i = uses.length - 1; i >= 0; i--) {
    const u = uses[i] as PolicyUse;
    if (u.rule !== index || !u.applied.includes(PATH_OPTION)) continue;
    uses[i] = { ...u, overridden: [...u.overridden, 'prefixRewrite (not applied to RegularExpression matches, which have no prefix: use regexRewrite)'] };
    return;
  }
}

const PATH_OPTION = 'prefixRewrite/regexRewrite';

const NOTHING_TAKEN: ReadonlyMap<keyof RuleOptions, string> = new Map();

/**
 * What the rule's own filters settle beyond the RuleOptions fields they set: a redirect answers
 * the request itself (no directResponse), and a RequestHeaderModifier setting Host is the host
 * rewrite (the Gateway API way to write one).
 */
function takenByRule(s: RuleStructure): ReadonlyMap<keyof RuleOptions, string> {
  const setsHost = s.requestHeaders?.set?.some((h) => h.name.toLowerCase() === 'host') === true;
  if (!s.redirect && !setsHost) return NOTHING_TAKEN;
  const taken = new Map<keyof RuleOptions, string>();
  if (s.redirect) taken.set('directResponse', "the rule's RequestRedirect filter");
  if (setsHost && s.hostRewrite === undefined) taken.set('hostRewrite', "the rule's RequestHeaderModifier filter (Host)");
  return taken;
}
const NO_POLICY_USES: readonly PolicyUse[] = [];

/** What a route's rules collect across rules: lists made by their first element (see append). */
interface Collected {
  /** The clusters the rules use. */
  clusters: ClusterUse[] | undefined;
  /** Facts about resolved references (rare). */
  notes: string[] | undefined;
}

const NO_RULES: readonly CompiledRule[] = [];
const MAX_BACKEND_WEIGHT = 1_000_000;
const NO_PROBLEMS: readonly RuleProblem[] = [];
const NO_REF_PROBLEMS: readonly RefProblem[] = [];
const NO_NOTES: readonly string[] = [];
const NO_CLUSTERS: readonly ClusterUse[] = [];
const NO_FILTERS: readonly HTTPRouteFilter[] = [];
const NO_BACKEND_REFS: readonly HTTPBackendRef[] = [];

// ---- structure: matches and filters, no references ----------------------------------------

function compileStructure(rule: HTTPRouteRule): RuleStructure | Invalid {
  const specMatches = rule.matches && rule.matches.length > 0 ? rule.matches : DEFAULT_MATCHES;
  // Made at its exact size: a pushed-to [] reserves 17 slots, and rules are kept by the thousand.
  const matches = new Array<CompiledMatch>(specMatches.length);
  for (let i = 0; i < specMatches.length; i++) {
    const m = compileMatch(specMatches[i] as HTTPRouteMatch, i);
    if (m instanceof Invalid) return m;
    matches[i] = m;
  }
  const out: Mutable<RuleStructure> = { matches };
  if (rule.sessionPersistence !== undefined) return invalid('sessionPersistence is not supported');

  const filters = rule.filters ?? NO_FILTERS;
  const seen = filters.length > 0 ? new Set<string>() : undefined;
  for (const f of filters) {
    const filter = httpFilter(f.type);
    if (!filter) return invalid(`filter type ${f.type} is not supported`);
    if (filter.once) {
      if (seen?.has(f.type)) return invalid(`${f.type} filter may appear only once`, Reason.IncompatibleFilters);
      seen?.add(f.type);
    }
    const problem = filter.compile(f, out);
    if (problem) return problem;
  }
  if (out.redirect && (out.pathRewrite || out.hostRewrite)) return invalid('RequestRedirect and URLRewrite cannot be combined', Reason.IncompatibleFilters);
  const backendRefs = rule.backendRefs ?? NO_BACKEND_REFS;
  // The CRD's bounds (0 to 1,000,000) keep the sum of a rule's weights within Envoy's uint32.
  for (const b of backendRefs) {
    if (b.weight === undefined) continue;
    const err = intRangeError(b.weight, 0, MAX_BACKEND_WEIGHT, `backendRef ${b.name} weight`);
    if (err) return invalid(err);
  }
  if (out.redirect && backendRefs.length > 0) return invalid('RequestRedirect cannot be combined with backendRefs', Reason.IncompatibleFilters);
  if (backendRefs.some(hasFilters)) {
    const perBackend = new Array<BackendFilters>(backendRefs.length);
    for (let i = 0; i < backendRefs.length; i++) {
      const b = backendRefs[i] as HTTPBackendRef;
      const f = backendRefFilters(b.name, b.filters ?? NO_FILTERS);
      if (f instanceof Invalid) return f;
      perBackend[i] = f;
    }
    out.backendFilters = perBackend;
  }
  if (rule.timeouts) {
    const t = timeoutsOf(rule.timeouts);
    if (t instanceof Invalid) return t;
    if (t) out.timeouts = t;
  }
  if (rule.retry) {
    const r = retryOf(rule.retry);
    if (r instanceof Invalid) return r;
    out.retry = r;
  }
  return out;
}

function hasFilters(b: HTTPBackendRef): boolean {
  return b.filters !== undefined && b.filters.length > 0;
}

function timeoutsOf(t: HTTPRouteTimeouts): TimeoutsIR | undefined | Invalid {
  const requestMs = t.request !== undefined ? duration(t.request, 'timeouts.request') : undefined;
  if (requestMs instanceof Invalid) return requestMs;
  const backendRequestMs = t.backendRequest !== undefined ? duration(t.backendRequest, 'timeouts.backendRequest') : undefined;
  if (backendRequestMs instanceof Invalid) return backendRequestMs;
  if (requestMs !== undefined && requestMs > 0 && backendRequestMs !== undefined && backendRequestMs > requestMs) {
    return invalid('timeouts.backendRequest cannot be longer than timeouts.request');
  }
  if (requestMs === undefined && backendRequestMs === undefined) return undefined;
  const out: Mutable<TimeoutsIR> = {};
  if (requestMs !== undefined) out.requestMs = requestMs;
  if (backendRequestMs !== undefined) out.backendRequestMs = backendRequestMs;
  return out;
}

function retryOf(r: HTTPRouteRetry): RetryIR | Invalid {
  for (const code of r.codes ?? []) {
    if (!(Number.isInteger(code) && code >= 400 && code <= 599)) return invalid(`retry code ${code} is not supported`);
  }
  // Envoy's num_retries is a uint32: a larger count would make it refuse the whole route table.
  if (r.attempts !== undefined) {
    const err = uint32Error(r.attempts, 'retry attempts');
    if (err) return invalid(err);
  }
  const out: Mutable<RetryIR> = {};
  if (r.codes && r.codes.length > 0) out.codes = [...r.codes];
  if (r.attempts !== undefined) out.attempts = r.attempts;
  if (r.backoff !== undefined) {
    const backoff = duration(r.backoff, 'retry.backoff');
    if (backoff instanceof Invalid) return backoff;
    out.backoffMs = backoff;
  }
  return out;
}

function duration(text: string, field: string): number | Invalid {
  const ms = parseDurationMs(text);
  return ms === undefined ? invalid(`${field} ${text} is not a valid duration`) : ms;
}

// ---- references -----------------------------------------------------------------------------

function resolveRule(
  rule: HTTPRouteRule,
  index: number,
  s: RuleStructure,
  extensionFailed: boolean,
  ctx: BackendContext,
  resolvers: BackendResolvers,
  refProblems: RefProblem[],
  collected: Collected,
): CompiledRule {
  const base: Mutable<CompiledRule> = { index, matches: s.matches, action: INTERNAL_ERROR };
  if (s.requestHeaders) base.requestHeaders = s.requestHeaders;
  if (s.responseHeaders) base.responseHeaders = s.responseHeaders;
  if (s.cors) base.cors = s.cors;
  if (s.faults) base.faults = s.faults;
  const filters = rule.filters ?? NO_FILTERS;
  // Custom filters Gantry cannot resolve must not be skipped: the requests get an error.
  if (extensionFailed) return base;
  if (s.redirect) {
    base.action = s.redirect;
    return base;
  }
  if (s.directResponse) {
    base.action = s.directResponse;
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
    const percent = mirrorPercent(f.requestMirror) as number | undefined; // checked by the filter table
    mirrors = append(mirrors, percent !== undefined ? { cluster: res.cluster.name, percent } : { cluster: res.cluster.name });
    mirrorClusters = append<ClusterUse>(mirrorClusters, res);
  }

  // A successful resolution is itself a ClusterUse (it carries the cluster and its source).
  let backends: WeightedBackendIR[] | undefined;
  let backendClusters: ClusterUse[] | undefined;
  let invalidWeight = 0;
  let websocket = false;
  let hashPolicies: HashPolicyIR[] | undefined;
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
    if (res.note !== undefined) collected.notes = append(collected.notes, `rule ${index}: ${res.note}`);
    if (weight <= 0) continue;
    // Consistent hashing needs the route to say what to hash: each backend's policies, once.
    if (res.hashPolicies) for (const h of res.hashPolicies) if (!hashPolicies?.some((x) => deepEqual(x, h))) hashPolicies = append(hashPolicies, h);
    const f = s.backendFilters?.[i];
    const wb: Mutable<WeightedBackendIR> = { cluster: res.cluster.name, weight };
    if (f?.requestHeaders) wb.requestHeaders = f.requestHeaders;
    if (f?.responseHeaders) wb.responseHeaders = f.responseHeaders;
    if (res.hostRewrite !== undefined) wb.hostRewrite = res.hostRewrite;
    backends = append(backends, wb);
    backendClusters = append<ClusterUse>(backendClusters, res);
    websocket = websocket || res.websocket;
  }

  if (backends === undefined) return base;
  for (const c of backendClusters as ClusterUse[]) collected.clusters = append(collected.clusters, c);
  if (mirrorClusters) for (const c of mirrorClusters) collected.clusters = append(collected.clusters, c);
  const action: Mutable<ForwardActionIR> = { kind: 'forward', backends: exactList(backends) };
  const urlRewrite = urlRewriteOf(s);
  if (urlRewrite) action.urlRewrite = urlRewrite;
  if (mirrors) action.mirrors = exactList(mirrors);
  if (s.idleTimeoutMs !== undefined) action.timeouts = { ...s.timeouts, idleMs: s.idleTimeoutMs };
  else if (s.timeouts) action.timeouts = s.timeouts;
  if (s.retry) action.retry = s.retry;
  if (websocket) action.websocket = true;
  if (invalidWeight > 0) action.invalidBackendWeight = invalidWeight;
  // A policy's lbHash replaces what the backends ask for.
  if (s.hashPolicies) action.hashPolicies = s.hashPolicies;
  else if (hashPolicies) action.hashPolicies = exactList(hashPolicies);
  base.action = action;
  return base;
}

function urlRewriteOf(s: RuleStructure): URLRewriteIR | undefined {
  if (!s.pathRewrite && !s.hostRewrite) return undefined;
  const out: Mutable<URLRewriteIR> = {};
  if (s.hostRewrite) {
    if ('auto' in s.hostRewrite) out.autoHostname = true;
    else out.hostname = s.hostRewrite.hostname;
  }
  if (s.pathRewrite) out.path = s.pathRewrite;
  return out;
}

function dedupeClusters(uses: ClusterUse[]): ClusterUse[] {
  if (uses.length < 2) return uses;
  const byName = new Map<string, ClusterUse>();
  for (const u of uses) if (!byName.has(u.cluster.name)) byName.set(u.cluster.name, u);
  return [...byName.values()];
}
