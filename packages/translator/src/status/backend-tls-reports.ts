// Status of BackendTLSPolicies (Gateway API PolicyStatus): one ancestor entry per Gateway of ours
// whose routes reach a target of the policy, each saying whether the policy is Accepted (or
// Conflicted, or without a valid CA: NoValidCACertificate) and whether its references resolved.
import { GATEWAY_API_GROUP, type BackendTLSPolicyStatus, type Condition, type KubeObject, type PolicyAncestorStatus } from '@gantry/api';
import type { BackendTlsVerdict } from '../policies/backend-tls-policy.js';
import { condition, ConditionType, Reason } from './conditions.js';
import type { StatusReport } from './reports.js';

/** Gateway API's limit on status.ancestors. */
const MAX_ANCESTORS = 16;

export function backendTlsPolicyReport(
  obj: KubeObject,
  verdict: BackendTlsVerdict,
  conflict: KubeObject | undefined,
  gateways: readonly string[],
  controllerName: string,
): StatusReport {
  const gen = obj.metadata.generation;
  const conditions = ancestorConditions(verdict, conflict, gen);
  const ancestors: PolicyAncestorStatus[] = gateways.slice(0, MAX_ANCESTORS).map((key) => {
    const [namespace = '', name = ''] = key.split('/');
    return { ancestorRef: { group: GATEWAY_API_GROUP, kind: 'Gateway', namespace, name }, controllerName, conditions };
  });
  const status: BackendTLSPolicyStatus = { ancestors };
  return {
    apiVersion: obj.apiVersion,
    kind: 'BackendTLSPolicy',
    namespace: obj.metadata.namespace ?? 'default',
    name: obj.metadata.name,
    ...(gen !== undefined ? { generation: gen } : {}),
    status,
  };
}

function ancestorConditions(verdict: BackendTlsVerdict, conflict: KubeObject | undefined, gen: number | undefined): Condition[] {
  const refs = verdict.refProblem
    ? condition(ConditionType.ResolvedRefs, 'False', verdict.refProblem.reason, verdict.refProblem.message, gen)
    : condition(ConditionType.ResolvedRefs, 'True', Reason.ResolvedRefs, 'All CA certificate references resolved', gen);
  let accepted: Condition;
  if (conflict) {
    accepted = condition(ConditionType.Accepted, 'False', Reason.Conflicted, `BackendTLSPolicy ${conflict.metadata.name} is older and targets the same backend (and sectionName)`, gen);
  } else if (!verdict.ok) {
    accepted = condition(ConditionType.Accepted, 'False', verdict.accepted.reason, verdict.accepted.message, gen);
  } else {
    accepted = condition(ConditionType.Accepted, 'True', Reason.Accepted, 'TLS to the targeted backends is configured', gen);
  }
  return [accepted, refs];
}
