// Envoy's access log from GatewayParameters (`spec.accessLog`): which Gateways of a snapshot get
// one, in the form the xDS translator takes. Pure; the same resolution (class parameters, then the
// Gateway's) as the deployer's. A Gateway whose parameters are unusable gets none (its status
// says InvalidParameters).
import { DEFAULT_ACCESS_LOG_JSON, GATEWAY_PARAMETERS_KIND, type AccessLogSettings, type GatewayParameters, type Snapshot } from '@gantry/api';
import type { AccessLogOptions } from '@gantry/xds/translator/index';
import { mergeParameters, resolveParameters } from './parameters.js';

export function accessLogOptions(settings: AccessLogSettings | undefined): AccessLogOptions | undefined {
  if (settings === undefined || settings.enabled === false) return undefined;
  if (settings.format === 'text') return settings.text !== undefined ? { format: 'text', text: settings.text } : { format: 'text' };
  return { format: 'json', json: settings.json !== undefined && Object.keys(settings.json).length > 0 ? settings.json : DEFAULT_ACCESS_LOG_JSON };
}

/**
 * `namespace/name` of each Gateway whose parameters turn the access log on, with its options.
 * Empty (and cheap) when no GatewayParameters asks for one.
 */
export function accessLogsOf(snapshot: Snapshot): ReadonlyMap<string, AccessLogOptions> {
  const out = new Map<string, AccessLogOptions>();
  const params = new Map<string, GatewayParameters>();
  for (const o of snapshot.others ?? []) {
    if (o.kind === GATEWAY_PARAMETERS_KIND) params.set(`${o.metadata.namespace ?? 'default'}/${o.metadata.name}`, o as GatewayParameters);
  }
  if (![...params.values()].some((p) => p.spec?.accessLog !== undefined)) return out;
  const classes = new Map(snapshot.gatewayClasses.map((c) => [c.metadata.name, c]));
  for (const gateway of snapshot.gateways) {
    const gatewayClass = classes.get(gateway.spec?.gatewayClassName ?? '');
    if (gatewayClass === undefined) continue;
    const resolved = resolveParameters(gatewayClass, gateway, (k) => params.get(`${k.namespace}/${k.name}`));
    if (resolved.problems.length > 0) continue;
    const options = accessLogOptions(mergeParameters(resolved.classParams?.spec, resolved.gatewayParams?.spec).accessLog);
    if (options !== undefined) out.set(`${gateway.metadata.namespace ?? 'default'}/${gateway.metadata.name}`, options);
  }
  return out;
}
