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
  const status: UpstreamStatus = {};
  if (upstream.spec?.kube) status.type = 'Kube';
  else if (upstream.spec?.static) status.type = 'Static';
  status.conditions = verdict.ok ? usableConditions(gen) : unusableConditions(verdict, gen);
  status.endpoints = !verdict.ok ? 0 : verdict.source.kind === 'service' ? ctx.endpointCount(verdict.source, verdict.cluster.name) : (verdict.hostCount ?? 0);
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

// The conditions of a usable Upstream depend on its generation only, and thousands of Upstreams
// share a few generations: one frozen list per generation (reports are data, never mutated) spares
// the allocations. Bounded: a cache of a pure function, dropped whole when it grows.
const usableByGeneration = new Map<number | undefined, readonly Condition[]>();

function usableConditions(gen: number | undefined): Condition[] {
  let conditions = usableByGeneration.get(gen);
  if (!conditions) {
    if (usableByGeneration.size >= 64) usableByGeneration.clear();
    conditions = Object.freeze([
      Object.freeze(condition(ConditionType.Accepted, 'True', Reason.Accepted, 'Upstream is valid', gen)),
      Object.freeze(condition(ConditionType.ResolvedRefs, 'True', Reason.ResolvedRefs, 'All references resolved', gen)),
    ]);
    usableByGeneration.set(gen, conditions);
  }
  return conditions as Condition[];
}
