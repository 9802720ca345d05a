// The status of each GatewayParameters: Accepted (its spec is usable, else InvalidParameters with
// what is wrong) and usedBy (the GatewayClasses of ours and their Gateways that reference it). Pure;
// the controller's leader writes it, `gantry translate -o status` prints it.
import { GANTRY_API_GROUP, GATEWAY_PARAMETERS_KIND, type Gateway, type GatewayClass, type GatewayParameters, type GatewayParametersStatus } from '@gantry/api';
import type { StatusReport } from '@gantry/translator';
import { validateGatewayParameters } from './parameters.js';

export function gatewayParametersReports(
  params: readonly GatewayParameters[],
  classes: readonly GatewayClass[],
  gateways: readonly Gateway[],
  controllerName: string,
): StatusReport[] {
  if (params.length === 0) return [];
  const usedBy = new Map<string, string[]>();
  const use = (key: string, user: string): void => {
    const list = usedBy.get(key);
    if (list) list.push(user);
    else usedBy.set(key, [user]);
  };
  const ours = new Set<string>();
  for (const c of classes) {
    if (c.spec?.controllerName !== controllerName) continue;
    ours.add(c.metadata.name);
    const ref = c.spec.parametersRef;
    if (ref && ref.group === GANTRY_API_GROUP && ref.kind === GATEWAY_PARAMETERS_KIND && ref.namespace) use(`${ref.namespace}/${ref.name}`, `GatewayClass/${c.metadata.name}`);
  }
  for (const g of gateways) {
    if (!ours.has(g.spec?.gatewayClassName ?? '')) continue;
    const ref = g.spec?.infrastructure?.parametersRef;
    const ns = g.metadata.namespace ?? 'default';
    if (ref && ref.group === GANTRY_API_GROUP && ref.kind === GATEWAY_PARAMETERS_KIND) use(`${ns}/${ref.name}`, `Gateway/${ns}/${g.metadata.name}`);
  }
  return params.map((p) => {
    const namespace = p.metadata.namespace ?? 'default';
    const gen = p.metadata.generation;
    const problems = validateGatewayParameters(p);
    const status: GatewayParametersStatus = {
      conditions: [{
        type: 'Accepted',
        status: problems.length === 0 ? 'True' : 'False',
        reason: problems.length === 0 ? 'Accepted' : 'InvalidParameters',
        message: problems.length === 0 ? 'The parameters are valid' : problems.join('; '),
        ...(gen !== undefined ? { observedGeneration: gen } : {}),
      }],
      usedBy: (usedBy.get(`${namespace}/${p.metadata.name}`) ?? []).sort(),
    };
    return { apiVersion: p.apiVersion, kind: 'GatewayParameters', namespace, name: p.metadata.name, ...(gen !== undefined ? { generation: gen } : {}), status };
  });
}
