// An Upstream's own status: Accepted (its spec), ResolvedRefs (the Service it names, and the
// grant to reach it), how many endpoints it selects now, and its type (for `kubectl get`). Every
// Upstream gets one, whether a route uses it or not: that is where a user looks first.
import type { Condition, Upstream, UpstreamStatus } from '@gantry/api';
import { condition, ConditionType, Reason } from '../../status/conditions.js';
import type { StatusReport } from '../../status/reports.js';
import type { BackendStatusContext } from '../backend.js';
import { judgedUpstream, type UpstreamVerdict } from './resolver.js';

export function reportUpstream(upstream: Upstream, ctx: BackendStatusContext): StatusReport {
  const gen = upstream.metadata.generation;
  const verdict = judgedUpstream(upstream, ctx);
  let status: UpstreamStatus;
  if (verdict.ok) {
    // A usable Upstream's status depends on its generation, type and endpoint count only: shared.
    const type = upstream.spec?.kube ? 'Kube' : 'Static';
    const endpoints = verdict.source.kind === 'service' ? ctx.endpointCount(verdict.source, verdict.cluster.name) : (verdict.hostCount ?? 0);
    status = usableStatus(gen, type, endpoints);
  } else {
    status = {};
    if (upstream.spec?.kube) status.type = 'Kube';
    else if (upstream.spec?.static) status.type = 'Static';
    status.conditions = unusableConditions(verdict, gen);
    status.endpoints = 0;
  }
  const { apiVersion, metadata } = upstream;
  const namespace = metadata.namespace ?? 'default';
  return gen === undefined
    ? { apiVersion, kind: 'Upstream', namespace, name: metadata.name, status }
    : { apiVersion, kind: 'Upstream', namespace, name: metadata.name, generation: gen, status };
}

function unusableConditions(verdict: Extract<UpstreamVerdict, { ok: false }>, gen: number | undefined): Condition[] {
  return verdict.condition === 'Accepted'
    ? [
        condition(ConditionType.Accepted, 'False', verdict.reason, verdict.message, gen),
        condition(ConditionType.ResolvedRefs, 'False', Reason.Invalid, 'Not resolved: the Upstream is not accepted', gen),
      ]
    : [condition(ConditionType.Accepted, 'True', Reason.Accepted, 'Upstream is valid', gen), condition(ConditionType.ResolvedRefs, 'False', verdict.reason, verdict.message, gen)];
}

// The status of a usable Upstream depends on its generation, type and endpoint count only, and
// thousands of Upstreams share a few of each: one frozen status per combination (reports are
// data, never mutated) spares the allocations, and what the translator keeps per Upstream is its
// report alone. Bounded: a cache of a pure function, dropped whole when it grows.
interface UsableStatuses {
  readonly conditions: readonly Condition[];
  /** By endpoint count (small counts only), per type. */
  readonly Kube: UpstreamStatus[];
  readonly Static: UpstreamStatus[];
}
const usableByGeneration = new Map<number | undefined, UsableStatuses>();
/** Endpoint counts at and above this get a status of their own. */
const SHARED_COUNTS = 64;

function usableStatus(gen: number | undefined, type: 'Kube' | 'Static', endpoints: number): UpstreamStatus {
  let shared = usableByGeneration.get(gen);
  if (!shared) {
    if (usableByGeneration.size >= 64) usableByGeneration.clear();
    const conditions = Object.freeze([
      Object.freeze(condition(ConditionType.Accepted, 'True', Reason.Accepted, 'Upstream is valid', gen)),
      Object.freeze(condition(ConditionType.ResolvedRefs, 'True', Reason.ResolvedRefs, 'All references resolved', gen)),
    ]);
    usableByGeneration.set(gen, (shared = { conditions, Kube: [], Static: [] }));
  }
  const conditions = shared.conditions as Condition[];
  if (endpoints >= SHARED_COUNTS || !Number.isInteger(endpoints) || endpoints < 0) return { type, conditions, endpoints };
  const byCount = shared[type];
  return (byCount[endpoints] ??= Object.freeze({ type, conditions, endpoints }) as UpstreamStatus);
}
