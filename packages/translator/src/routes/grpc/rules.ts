// GRPCRoute rules → IR pieces. Each rule is validated on its own: an invalid rule is dropped (and
// reported), the others still work. Backends are always spoken to over HTTP/2 (gRPC needs it):
// a Service port without appProtocol h2c gets an h2c cluster of its own. References that cannot
// be resolved do not drop the rule: the share of traffic they would have received gets an error.
import type { ClusterIR, DirectResponseActionIR, ForwardActionIR, HeaderModifierIR, MirrorIR, WeightedBackendIR } from '@gantry/ir';
import type { GRPCBackendRef, GRPCRoute, GRPCRouteFilter, GRPCRouteMatch, GRPCRouteRule } from '@gantry/api';
import { resolveBackend, type BackendContext, type BackendResolution, type ClusterUse } from '../../backends/backend.js';
import { Invalid, invalid } from '../../core/invalid.js';
import { append, exactList, flat, type Mutable } from '../../core/memory.js';
import { Reason } from '../../status/conditions.js';
import type { CompiledMatch, CompiledRule, CompiledRules, CompileTables, RefProblem, RuleProblem } from '../route-kind.js';
import { compileGRPCMatch } from './matches.js';
import { headerModifier, headerModifierError } from '../header-modifier.js';

const INTERNAL_ERROR: DirectResponseActionIR = { kind: 'directResponse', status: 500 };
const DEFAULT_MATCHES: readonly GRPCRouteMatch[] = [{}];
const DEFAULT_RULES: readonly GRPCRouteRule[] = [{}];
const NO_FILTERS: readonly GRPCRouteFilter[] = [];
const NO_BACKEND_REFS: readonly GRPCBackendRef[] = [];
const NO_PROBLEMS: readonly RuleProblem[] = [];
const NO_REF_PROBLEMS: readonly RefProblem[] = [];
const NO_NOTES: readonly string[] = [];
const NO_CLUSTERS: readonly ClusterUse[] = [];
const NO_RULES: readonly CompiledRule[] = [];

interface HeaderFilters {
  requestHeaders?: HeaderModifierIR;
  responseHeaders?: HeaderModifierIR;
}

interface Structure extends HeaderFilters {
  readonly matches: readonly CompiledMatch[];
  readonly mirrors: readonly GRPCRouteFilter[];
  readonly backendFilters?: readonly HeaderFilters[];
}

export function compileGRPCRules(route: GRPCRoute, ctx: BackendContext, tables: CompileTables): CompiledRules {
  let rules: CompiledRule[] | undefined;
  let problems: RuleProblem[] | undefined;
  const refProblems: RefProblem[] = [];
  let clusters: ClusterUse[] | undefined;
  let notes: string[] | undefined;
  const specRules = route.spec?.rules ?? DEFAULT_RULES;
  for (let index = 0; index < specRules.length; index++) {
    const rule = specRules[index] as GRPCRouteRule;
    const s = compileStructure(rule);
    if (s instanceof Invalid) {
      problems = append(problems, { rule: index, reason: s.reason, message: `rule ${index}: ${s.message}` });
      continue;
    }
    const base: Mutable<CompiledRule> = { index, matches: s.matches, action: INTERNAL_ERROR };
    if (s.requestHeaders) base.requestHeaders = s.requestHeaders;
    if (s.responseHeaders) base.responseHeaders = s.responseHeaders;
    rules = append<CompiledRule>(rules, base);
    // Custom filters Gantry cannot resolve must not be skipped: the requests get an error.
    const extension = (rule.filters ?? NO_FILTERS).find((f) => f.type === 'ExtensionRef');
    if (extension) {
      const ref = extension.extensionRef;
      refProblems.push({ reason: Reason.InvalidKind, message: `rule ${index}: ExtensionRef ${ref ? `${ref.group}/${ref.kind} ${ref.name}` : ''}: no extension kinds are supported on GRPCRoute` });
      continue;
    }

    let mirrors: MirrorIR[] | undefined;
    for (const f of s.mirrors) {
      if (!f.requestMirror) continue;
      const res = h2(resolveBackend(f.requestMirror.backendRef, ctx, tables.backends), ctx);
      if (!res.ok) {
        refProblems.push({ reason: res.reason, message: `rule ${index}: RequestMirror ${res.message}` });
        continue;
      }
      const percent = mirrorPercent(f.requestMirror) as number | undefined; // checked in compileStructure
      mirrors = append(mirrors, percent !== undefined ? { cluster: res.cluster.name, percent } : { cluster: res.cluster.name });
      clusters = append<ClusterUse>(clusters, res);
    }

    let backends: WeightedBackendIR[] | undefined;
    let invalidWeight = 0;
    const refs = rule.backendRefs ?? NO_BACKEND_REFS;
    for (let i = 0; i < refs.length; i++) {
      const b = refs[i] as GRPCBackendRef;
      const weight = b.weight ?? 1;
      const res = h2(resolveBackend(b, ctx, tables.backends), ctx);
      if (!res.ok) {
        refProblems.push({ reason: res.reason, message: `rule ${index}: ${res.message}` });
        invalidWeight += weight;
        continue;
      }
      if (res.note !== undefined) notes = append(notes, `rule ${index}: ${res.note}`);
      if (weight <= 0) continue;
      const f = s.backendFilters?.[i];
      const wb: Mutable<WeightedBackendIR> = { cluster: res.cluster.name, weight };
      if (f?.requestHeaders) wb.requestHeaders = f.requestHeaders;
      if (f?.responseHeaders) wb.responseHeaders = f.responseHeaders;
      backends = append(backends, wb);
      clusters = append<ClusterUse>(clusters, res);
    }
    if (backends === undefined) continue;
    const action: Mutable<ForwardActionIR> = { kind: 'forward', backends: exactList(backends) };
    if (mirrors) action.mirrors = exactList(mirrors);
    if (invalidWeight > 0) action.invalidBackendWeight = invalidWeight;
    base.action = action;
  }
  return {
    rules: rules ? exactList(rules) : NO_RULES,
    invalid: problems ?? NO_PROBLEMS,
    refProblems: refProblems.length > 0 ? refProblems : NO_REF_PROBLEMS,
    notes: notes ?? NO_NOTES,
    clusters: clusters ? dedupe(clusters) : NO_CLUSTERS,
    policyUses: [],
  };
}

/**
 * gRPC runs over HTTP/2: a cluster resolved as HTTP/1 gets an h2c twin (same endpoints, name
 * suffixed `/h2c`), so an HTTPRoute to the same Service port keeps its HTTP/1 cluster.
 */
function h2(res: BackendResolution, ctx: BackendContext): BackendResolution {
  if (!res.ok || res.cluster.protocol === 'h2c' || res.cluster.tls) return res;
  const cluster: ClusterIR = ctx.clusterLike({ ...res.cluster, name: flat(`${res.cluster.name}/h2c`), protocol: 'h2c' });
  return { ...res, cluster };
}

function dedupe(uses: ClusterUse[]): ClusterUse[] {
  if (uses.length < 2) return uses;
  const byName = new Map<string, ClusterUse>();
  for (const u of uses) if (!byName.has(u.cluster.name)) byName.set(u.cluster.name, u);
  return [...byName.values()];
}

function compileStructure(rule: GRPCRouteRule): Structure | Invalid {
  if (rule.sessionPersistence !== undefined) return invalid('sessionPersistence is not supported');
  const specMatches = rule.matches && rule.matches.length > 0 ? rule.matches : DEFAULT_MATCHES;
  const matches = new Array<CompiledMatch>(specMatches.length);
  for (let i = 0; i < specMatches.length; i++) {
    const m = compileGRPCMatch(specMatches[i] as GRPCRouteMatch, i);
    if (m instanceof Invalid) return m;
    matches[i] = m;
  }
  const out: Mutable<Structure> = { matches, mirrors: [] };
  const filters = applyFilters(rule.filters ?? NO_FILTERS, out, 'rule');
  if (filters instanceof Invalid) return filters;
  out.mirrors = filters;
  const refs = rule.backendRefs ?? NO_BACKEND_REFS;
  if (refs.some((b) => b.filters !== undefined && b.filters.length > 0)) {
    const per = new Array<HeaderFilters>(refs.length);
    for (let i = 0; i < refs.length; i++) {
      const b = refs[i] as GRPCBackendRef;
      const f: HeaderFilters = {};
      const r = applyFilters(b.filters ?? NO_FILTERS, f, `backendRef ${b.name}`);
      if (r instanceof Invalid) return r;
      if (r.length > 0) return invalid(`backendRef ${b.name}: RequestMirror is not supported on backendRefs`);
      per[i] = f;
    }
    out.backendFilters = per;
  }
  return out;
}

/** Header modifiers into `out`; returns the RequestMirror filters (checked, resolved later). */
function applyFilters(filters: readonly GRPCRouteFilter[], out: HeaderFilters, where: string): GRPCRouteFilter[] | Invalid {
  const seen = new Set<string>();
  const mirrors: GRPCRouteFilter[] = [];
  for (const f of filters) {
    switch (f.type) {
      case 'RequestHeaderModifier':
      case 'ResponseHeaderModifier': {
        if (seen.has(f.type)) return invalid(`${where}: ${f.type} filter may appear only once`, Reason.IncompatibleFilters);
        seen.add(f.type);
        const config = f.type === 'RequestHeaderModifier' ? f.requestHeaderModifier : f.responseHeaderModifier;
        if (!config) return invalid(`${where}: filter ${f.type} has no configuration`);
        const problem = headerModifierError(config, f.type);
        if (problem) return invalid(`${where}: ${problem}`);
        const h = headerModifier(config);
        if (!h) break;
        if (f.type === 'RequestHeaderModifier') out.requestHeaders = h;
        else out.responseHeaders = h;
        break;
      }
      case 'RequestMirror': {
        if (!f.requestMirror) return invalid(`${where}: filter RequestMirror has no configuration`);
        const p = mirrorPercent(f.requestMirror);
        if (p instanceof Invalid) return p;
        mirrors.push(f);
        break;
      }
      case 'ExtensionRef':
        if (!f.extensionRef) return invalid(`${where}: filter ExtensionRef has no configuration`);
        if (where !== 'rule') return invalid(`${where}: ExtensionRef is not supported on backendRefs`);
        break;
      default:
        return invalid(`${where}: filter type ${f.type} is not supported`);
    }
  }
  return mirrors;
}


function mirrorPercent(m: NonNullable<GRPCRouteFilter['requestMirror']>): number | undefined | Invalid {
  if (m.percent !== undefined && m.fraction !== undefined) return invalid('RequestMirror takes percent or fraction, not both');
  if (m.percent !== undefined) {
    if (!(m.percent >= 0 && m.percent <= 100)) return invalid(`RequestMirror percent ${m.percent} is out of range`);
    return m.percent;
  }
  if (m.fraction !== undefined) {
    const den = m.fraction.denominator ?? 100;
    if (!(den > 0) || !(m.fraction.numerator >= 0) || m.fraction.numerator > den) return invalid(`RequestMirror fraction ${m.fraction.numerator}/${den} is invalid`);
    return (m.fraction.numerator * 100) / den;
  }
  return undefined;
}
