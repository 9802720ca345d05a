// GatewayClass: ours when spec.controllerName names this controller. Accepted unless its
// parametersRef points at something Gantry cannot use.
import { GANTRY_API_GROUP, GATEWAY_API_GROUP, GATEWAY_PARAMETERS_KIND, type Condition, type GatewayClass, type GatewayClassStatus } from '@gantry/api';
import { condition, ConditionType, Reason } from '../status/conditions.js';
import { SUPPORTED_FEATURES } from './features.js';
import type { Lookups } from '../core/lookups.js';


export interface GatewayClassVerdict {
  readonly accepted: boolean;
  readonly message: string;
  readonly status: GatewayClassStatus;
}

export function judgeGatewayClass(gc: GatewayClass, lookups: Pick<Lookups, 'object'>): GatewayClassVerdict {
  const gen = gc.metadata.generation;
  const problem = parametersProblem(gc, lookups);
  const accepted: Condition = problem
    ? condition(ConditionType.Accepted, 'False', Reason.InvalidParameters, problem, gen)
    : condition(ConditionType.Accepted, 'True', Reason.Accepted, 'Handled by Gantry', gen);
  const conditions = [
    accepted,
    condition(ConditionType.SupportedVersion, 'True', Reason.SupportedVersion, 'Gateway API v1.6.1', gen),
  ];
  return {
    accepted: !problem,
    message: problem ?? '',
    status: { conditions, supportedFeatures: SUPPORTED_FEATURES.map((name) => ({ name })) },
  };
}

function parametersProblem(gc: GatewayClass, lookups: Pick<Lookups, 'object'>): string | undefined {
  const ref = gc.spec?.parametersRef;
  if (!ref) return undefined;
  if (ref.group !== GANTRY_API_GROUP || ref.kind !== GATEWAY_PARAMETERS_KIND) {
    return `parametersRef ${ref.group}/${ref.kind} is not supported; use ${GANTRY_API_GROUP}/${GATEWAY_PARAMETERS_KIND}`;
  }
  if (!ref.namespace) return 'parametersRef to GatewayParameters needs a namespace';
  if (!lookups.object(ref.group, ref.kind, ref.namespace, ref.name)) {
    return `parametersRef ${ref.kind} ${ref.namespace}/${ref.name} not found`;
  }
  return undefined;
}

export { GATEWAY_API_GROUP };
