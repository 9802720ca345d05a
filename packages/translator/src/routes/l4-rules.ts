// The rules of the route kinds that forward connections or datagrams (TLSRoute, TCPRoute,
// UDPRoute): no matches, just weighted backends. One rule: the v1 CRDs of Gateway API v1.6.1 give
// `rules` `maxItems: 1`; a list that bypassed the schema has its other rules reported as dropped. Backends that cannot be resolved are reported; their share of the weight
// is dropped (there is no error response to give a connection), and a rule with no backend left
// closes every connection.
import type { DirectResponseActionIR, WeightedBackendIR } from '@gantry/ir';
import type { L4BackendRef, L4RouteRule } from '@gantry/api';
import { resolveBackend, type BackendContext, type ClusterUse } from '../backends/backend.js';
import { append, exactList } from '../core/memory.js';
import { Reason } from '../status/conditions.js';
import type { CompiledRule, CompiledRules, CompileTables, RefProblem, RuleProblem } from './route-kind.js';

const NO_BACKENDS: DirectResponseActionIR = { kind: 'directResponse', status: 500 };

export function compileL4Rules(kind: string, rules: readonly L4RouteRule[] | undefined, ctx: BackendContext, tables: CompileTables): CompiledRules {
  const list = rules ?? [];
  const invalid: RuleProblem[] = [];
  for (let i = 1; i < list.length; i++) {
    invalid.push({ rule: i, reason: Reason.UnsupportedValue, message: `rule ${i}: a ${kind} has at most one rule (Gateway API v1: rules maxItems 1)` });
  }
  const first = list[0];
  if (!first) return { rules: [], invalid: [{ rule: 0, reason: Reason.UnsupportedValue, message: `a ${kind} needs a rule` }], refProblems: [], notes: [], clusters: [], policyUses: [] };
  const refProblems: RefProblem[] = [];
  const notes: string[] = [];
  let backends: WeightedBackendIR[] | undefined;
  let clusters: ClusterUse[] | undefined;
  for (const b of first.backendRefs ?? ([] as L4BackendRef[])) {
    const res = resolveBackend(b, ctx, tables.backends);
    if (!res.ok) {
      refProblems.push({ reason: res.reason, message: `rule 0: ${res.message}` });
      continue;
    }
    if (res.note !== undefined) notes.push(`rule 0: ${res.note}`);
    const weight = b.weight ?? 1;
    if (weight <= 0) continue;
    const i = backends?.findIndex((x) => x.cluster === res.cluster.name) ?? -1;
    if (backends && i >= 0) backends[i] = { cluster: res.cluster.name, weight: (backends[i] as WeightedBackendIR).weight + weight };
    else backends = append(backends, { cluster: res.cluster.name, weight });
    if (!clusters?.some((c) => c.cluster.name === res.cluster.name)) clusters = append<ClusterUse>(clusters, res);
  }
  const rule: CompiledRule = { index: 0, matches: [], action: backends ? { kind: 'forward', backends: exactList(backends) } : NO_BACKENDS };
  return { rules: [rule], invalid, refProblems, notes, clusters: clusters ?? [], policyUses: [] };
}
