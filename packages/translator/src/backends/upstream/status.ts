// An Upstream's own status: Accepted (its spec), ResolvedRefs (the Service it names, and the
// grant to reach it), how many endpoints it selects now, and its type (for `kubectl get`). Every
// Upstream gets one, whether a route uses it or not: that is where a user looks first.
import type { Upstream, UpstreamStatus } from '@gantry/api';
import { condition, ConditionType, Reason } from '../../status/conditions.js';
import type { StatusReport } from '../../status/reports.js';
import type { BackendStatusContext } from '../backend.js';
import { judgedUpstream } from './resolver.js';

export function reportUpstream(upstream: Upstream, ctx: BackendStatusContext): StatusReport {
  const gen = upstream.metadata.generation;
  const verdict = judgedUpstream(upstream, ctx);
  const acceptedTrue = condition(ConditionType.Accepted, 'True', Reason.Accepted, 'Upstream is valid', gen);
  const conditions = verdict.ok
    ? [acceptedTrue, condition(ConditionType.ResolvedRefs, 'True', Reason.ResolvedRefs, 'All references resolved', gen)]
    : verdict.condition === 'Accepted'
      ? [
          condition(ConditionType.Accepted, 'False', verdict.reason, verdict.message, gen),
          condition(ConditionType.ResolvedRefs, 'False', Reason.Invalid, 'Not resolved: the Upstream is not accepted', gen),
        ]
      : [acceptedTrue, condition(ConditionType.ResolvedRefs, 'False', verdict.reason, verdict.message, gen)];
  const status: UpstreamStatus = {};
  if (upstream.spec?.kube) status.type = 'Kube';
  else if (upstream.spec?.static) status.type = 'Static';
  status.conditions = conditions;
  status.endpoints = !verdict.ok ? 0 : verdict.source.kind === 'service' ? ctx.endpointCount(verdict.source) : (verdict.hostCount ?? 0);
  return {
    apiVersion: upstream.apiVersion,
    kind: 'Upstream',
    namespace: upstream.metadata.namespace ?? 'default',
    name: upstream.metadata.name,
    ...(gen !== undefined ? { generation: gen } : {}),
    status,
  };
}
