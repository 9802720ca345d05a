// GatewayParameters references: which objects a GatewayClass and a Gateway point at, whether
// those references and objects are usable, and the merge of both (the class gives defaults, the
// Gateway overrides them). Pure: the caller fetches the referenced objects.
import { ACCESS_LOG_FORMATS, ENVOY_LOG_LEVELS, GANTRY_API_GROUP, GATEWAY_PARAMETERS_KIND, SERVICE_TYPES, TAINT_EFFECTS, TOLERATION_OPERATORS, type Gateway, type GatewayClass, type GatewayParameters, type GatewayParametersSpec } from '@gantry/api';

export interface ParametersKey {
  readonly namespace: string;
  readonly name: string;
}

/** A reason to set `Accepted=False` with reason `InvalidParameters` on the named object. */
export interface ParametersProblem {
  readonly object: 'GatewayClass' | 'Gateway';
  readonly reason: 'InvalidParameters';
  readonly message: string;
}

export type ParametersLookup = (key: ParametersKey) => GatewayParameters | undefined;

export interface ResolvedParameters {
  readonly classParams?: GatewayParameters;
  readonly gatewayParams?: GatewayParameters;
  /** Empty when both references (if any) are usable. */
  readonly problems: readonly ParametersProblem[];
}

/** The GatewayParameters objects the two references name (only well-formed references). */
export function referencedParameters(gatewayClass: GatewayClass, gateway: Gateway): ParametersKey[] {
  const keys: ParametersKey[] = [];
  const classRef = gatewayClass.spec?.parametersRef;
  if (classRef && isOurKind(classRef) && classRef.namespace) keys.push({ namespace: classRef.namespace, name: classRef.name });
  const gwRef = gateway.spec?.infrastructure?.parametersRef;
  if (gwRef && isOurKind(gwRef)) keys.push({ namespace: gateway.metadata.namespace ?? 'default', name: gwRef.name });
  return keys;
}

export function resolveParameters(gatewayClass: GatewayClass, gateway: Gateway, lookup: ParametersLookup): ResolvedParameters {
  const problems: ParametersProblem[] = [];
  let classParams: GatewayParameters | undefined;
  let gatewayParams: GatewayParameters | undefined;

  const classRef = gatewayClass.spec?.parametersRef;
  if (classRef) {
    const problem = (message: string): void => void problems.push({ object: 'GatewayClass', reason: 'InvalidParameters', message });
    if (!isOurKind(classRef)) problem(`parametersRef to ${describeKind(classRef)} is not supported; use ${GATEWAY_PARAMETERS_KIND} (group ${GANTRY_API_GROUP})`);
    else if (!classRef.namespace) problem(`parametersRef to ${GATEWAY_PARAMETERS_KIND} ${classRef.name} needs a namespace (${GATEWAY_PARAMETERS_KIND} is namespaced)`);
    else {
      classParams = lookup({ namespace: classRef.namespace, name: classRef.name });
      if (!classParams) problem(`parametersRef ${GATEWAY_PARAMETERS_KIND} ${classRef.namespace}/${classRef.name} not found`);
      else for (const p of validateGatewayParameters(classParams)) problem(`${GATEWAY_PARAMETERS_KIND} ${classRef.namespace}/${classRef.name}: ${p}`);
    }
  }

  const gwRef = gateway.spec?.infrastructure?.parametersRef;
  if (gwRef) {
    const problem = (message: string): void => void problems.push({ object: 'Gateway', reason: 'InvalidParameters', message });
    const namespace = gateway.metadata.namespace ?? 'default';
    if (!isOurKind(gwRef)) problem(`infrastructure.parametersRef to ${describeKind(gwRef)} is not supported; use ${GATEWAY_PARAMETERS_KIND} (group ${GANTRY_API_GROUP})`);
    else {
      gatewayParams = lookup({ namespace, name: gwRef.name });
      if (!gatewayParams) problem(`infrastructure.parametersRef ${GATEWAY_PARAMETERS_KIND} ${namespace}/${gwRef.name} not found`);
      else for (const p of validateGatewayParameters(gatewayParams)) problem(`${GATEWAY_PARAMETERS_KIND} ${namespace}/${gwRef.name}: ${p}`);
    }
  }

  if (problems.length > 0) return { problems };
  return { ...(classParams ? { classParams } : {}), ...(gatewayParams ? { gatewayParams } : {}), problems };
}

function describeKind(ref: { group: string; kind: string }): string {
  return `${ref.kind} (group ${ref.group === '' ? '"" (core)' : ref.group})`;
}

function isOurKind(ref: { group: string; kind: string }): boolean {
  return ref.group === GANTRY_API_GROUP && ref.kind === GATEWAY_PARAMETERS_KIND;
}

// ---- validation -------------------------------------------------------------------------------
// The CRD schema enforces the same rules in a cluster; objects read from files are not
// validated by anyone else, and "malformed data" is InvalidParameters per the spec.

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(([KMGTPE]i)|[numkMGTPE]|[eE][+-]?\d+)?$/;

/** `prefix/name` with a DNS subdomain prefix (at most 253) and a 63-character name. */
export function isQualifiedName(key: string): boolean {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return false;
  return LABEL_NAME.test(name);
}

/** Everything wrong with a GatewayParameters object, as messages (empty when usable). */
export function validateGatewayParameters(params: GatewayParameters): string[] {
  const problems: string[] = [];
  const spec: unknown = params.spec;
  if (spec === undefined || spec === null) return problems;
  if (!isRecord(spec)) return ['spec must be an object'];

  checkLabels(spec['labels'], 'spec.labels', problems);
  checkAnnotations(spec['annotations'], 'spec.annotations', problems);

  const replicas = spec['replicas'];
  if (replicas !== undefined && !(Number.isInteger(replicas) && (replicas as number) >= 0 && (replicas as number) <= 1000)) {
    problems.push('spec.replicas must be an integer from 0 to 1000');
  }
  const image = spec['image'];
  if (image !== undefined && (typeof image !== 'string' || !/^\S+$/.test(image))) problems.push('spec.image must be a non-empty image reference');
  oneOf(spec['logLevel'], ENVOY_LOG_LEVELS, 'spec.logLevel', problems);

  const resources = section(spec, 'resources', problems);
  if (resources) {
    for (const part of ['requests', 'limits'] as const) {
      const m = resources[part];
      if (m === undefined) continue;
      if (!isRecord(m)) { problems.push(`spec.resources.${part} must be a map`); continue; }
      for (const [k, v] of Object.entries(m)) {
        if (!isQualifiedName(k) || !((typeof v === 'string' && QUANTITY.test(v)) || (typeof v === 'number' && Number.isFinite(v) && v >= 0))) {
          problems.push(`spec.resources.${part}[${k}]: invalid quantity ${JSON.stringify(v)}`);
        }
      }
    }
  }

  const service = section(spec, 'service', problems);
  if (service) {
    oneOf(service['type'], SERVICE_TYPES, 'spec.service.type', problems);
    checkLabels(service['labels'], 'spec.service.labels', problems);
    checkAnnotations(service['annotations'], 'spec.service.annotations', problems);
  }

  checkLabels(spec['nodeSelector'], 'spec.nodeSelector', problems);
  const pullSecrets = spec['imagePullSecrets'];
  if (pullSecrets !== undefined && !(Array.isArray(pullSecrets) && pullSecrets.every((p) => isRecord(p) && typeof p['name'] === 'string' && DNS_SUBDOMAIN.test(p['name'])))) {
    problems.push('spec.imagePullSecrets must be a list of {name: <Secret name>}');
  }
  const tolerations = spec['tolerations'];
  if (tolerations !== undefined) {
    if (!Array.isArray(tolerations)) problems.push('spec.tolerations must be a list');
    else tolerations.forEach((t: unknown, i) => problems.push(...tolerationProblems(t, `spec.tolerations[${i}]`)));
  }
  const affinity = section(spec, 'affinity', problems);
  if (affinity) {
    for (const k of Object.keys(affinity)) {
      if (!['nodeAffinity', 'podAffinity', 'podAntiAffinity'].includes(k)) problems.push(`spec.affinity.${k}: unknown field (nodeAffinity, podAffinity, podAntiAffinity)`);
      else if (!isRecord(affinity[k])) problems.push(`spec.affinity.${k} must be an object`);
    }
  }
  const pdb = section(spec, 'podDisruptionBudget', problems);
  if (pdb) {
    if ((pdb['minAvailable'] !== undefined) === (pdb['maxUnavailable'] !== undefined)) problems.push('spec.podDisruptionBudget: set exactly one of minAvailable and maxUnavailable');
    for (const k of ['minAvailable', 'maxUnavailable']) {
      const v = pdb[k];
      if (v !== undefined && !intOrPercent(v)) problems.push(`spec.podDisruptionBudget.${k} must be a non-negative number or a percentage such as 50%`);
    }
  }
  const autoscaling = section(spec, 'autoscaling', problems);
  if (autoscaling) {
    const int = (k: string, required: boolean): number | undefined => {
      const v = autoscaling[k];
      if (v === undefined) { if (required) problems.push(`spec.autoscaling.${k} is required`); return undefined; }
      if (!(Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 1000)) { problems.push(`spec.autoscaling.${k} must be an integer from 1 to 1000`); return undefined; }
      return v as number;
    };
    const min = int('minReplicas', false);
    const max = int('maxReplicas', true);
    int('targetCPUUtilizationPercentage', false);
    int('targetMemoryUtilizationPercentage', false);
    if (min !== undefined && max !== undefined && min > max) problems.push('spec.autoscaling: minReplicas must not exceed maxReplicas');
  }
  const accessLog = section(spec, 'accessLog', problems);
  if (accessLog) {
    for (const k of Object.keys(accessLog)) if (!['enabled', 'format', 'json', 'text'].includes(k)) problems.push(`spec.accessLog.${k}: unknown field`);
    if (accessLog['enabled'] !== undefined && typeof accessLog['enabled'] !== 'boolean') problems.push('spec.accessLog.enabled must be true or false');
    oneOf(accessLog['format'], ACCESS_LOG_FORMATS, 'spec.accessLog.format', problems);
    checkStringMap(accessLog['json'], 'spec.accessLog.json', problems, () => undefined);
    if (accessLog['text'] !== undefined && (typeof accessLog['text'] !== 'string' || accessLog['text'] === '')) problems.push('spec.accessLog.text must be a non-empty string');
    if (accessLog['json'] !== undefined && accessLog['format'] === 'text') problems.push('spec.accessLog: json fields go with format json');
    if (accessLog['text'] !== undefined && accessLog['format'] !== 'text') problems.push('spec.accessLog: text goes with format text');
  }
  return problems;
}

function intOrPercent(v: unknown): boolean {
  return (Number.isInteger(v) && (v as number) >= 0) || (typeof v === 'string' && /^[0-9]+%$/.test(v));
}

const TOLERATION_FIELDS = ['key', 'operator', 'value', 'effect', 'tolerationSeconds'];

function tolerationProblems(t: unknown, path: string): string[] {
  if (!isRecord(t)) return [`${path} must be an object`];
  const out: string[] = [];
  for (const k of Object.keys(t)) if (!TOLERATION_FIELDS.includes(k)) out.push(`${path}.${k}: unknown field`);
  oneOf(t['operator'], TOLERATION_OPERATORS, `${path}.operator`, out);
  oneOf(t['effect'], TAINT_EFFECTS, `${path}.effect`, out);
  for (const k of ['key', 'value']) if (t[k] !== undefined && typeof t[k] !== 'string') out.push(`${path}.${k} must be a string`);
  if (t['tolerationSeconds'] !== undefined && !Number.isInteger(t['tolerationSeconds'])) out.push(`${path}.tolerationSeconds must be an integer`);
  if (t['operator'] === 'Exists' && t['value'] !== undefined && t['value'] !== '') out.push(`${path}: a toleration with operator Exists takes no value`);
  if ((t['key'] === undefined || t['key'] === '') && t['operator'] !== 'Exists') out.push(`${path}: a toleration without a key needs operator Exists`);
  if (t['tolerationSeconds'] !== undefined && t['effect'] !== 'NoExecute') out.push(`${path}: tolerationSeconds applies to effect NoExecute only`);
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function section(spec: Record<string, unknown>, key: string, problems: string[]): Record<string, unknown> | undefined {
  const v = spec[key];
  if (v === undefined || v === null) return undefined;
  if (!isRecord(v)) { problems.push(`spec.${key} must be an object`); return undefined; }
  return v;
}

function oneOf(v: unknown, allowed: readonly string[], path: string, problems: string[]): void {
  if (v !== undefined && !(typeof v === 'string' && allowed.includes(v))) problems.push(`${path} must be one of ${allowed.join(', ')}`);
}

function checkLabels(v: unknown, path: string, problems: string[]): void {
  checkStringMap(v, path, problems, (k, value) =>
    !isQualifiedName(k) ? `${path}: invalid key ${JSON.stringify(k)}` : !LABEL_VALUE.test(value) ? `${path}[${k}]: invalid value ${JSON.stringify(value)}` : undefined,
  );
}

function checkAnnotations(v: unknown, path: string, problems: string[]): void {
  checkStringMap(v, path, problems, (k) => (!isQualifiedName(k) ? `${path}: invalid key ${JSON.stringify(k)}` : undefined));
}

function checkStringMap(v: unknown, path: string, problems: string[], check: (k: string, v: string) => string | undefined): void {
  if (v === undefined || v === null) return;
  if (!isRecord(v)) { problems.push(`${path} must be a map of strings`); return; }
  for (const [k, value] of Object.entries(v)) {
    if (typeof value !== 'string') { problems.push(`${path}[${k}] must be a string`); continue; }
    const p = check(k, value);
    if (p) problems.push(p);
  }
}

// ---- merge ------------------------------------------------------------------------------------

/**
 * The class's parameters with the Gateway's on top: maps (labels, annotations, nodeSelector) merge
 * key by key, everything else (lists, affinity, podDisruptionBudget, autoscaling) is replaced whole.
 */
export function mergeParameters(base: GatewayParametersSpec | undefined, over: GatewayParametersSpec | undefined): GatewayParametersSpec {
  const b = base ?? {};
  const o = over ?? {};
  const pick = <K extends 'replicas' | 'image' | 'logLevel' | 'resources' | 'imagePullSecrets' | 'tolerations' | 'affinity' | 'podDisruptionBudget' | 'autoscaling' | 'accessLog'>(k: K): Pick<GatewayParametersSpec, K> => {
    const v = o[k] ?? b[k];
    return (v === undefined ? {} : { [k]: v }) as Pick<GatewayParametersSpec, K>;
  };
  const serviceType = o.service?.type ?? b.service?.type;
  return {
    ...pick('replicas'),
    ...pick('image'),
    ...pick('logLevel'),
    ...pick('resources'),
    ...pick('imagePullSecrets'),
    ...pick('tolerations'),
    ...pick('affinity'),
    ...pick('podDisruptionBudget'),
    ...pick('autoscaling'),
    ...pick('accessLog'),
    ...(b.nodeSelector !== undefined || o.nodeSelector !== undefined ? { nodeSelector: { ...b.nodeSelector, ...o.nodeSelector } } : {}),
    service: {
      ...(serviceType !== undefined ? { type: serviceType } : {}),
      labels: { ...b.service?.labels, ...o.service?.labels },
      annotations: { ...b.service?.annotations, ...o.service?.annotations },
    },
    labels: { ...b.labels, ...o.labels },
    annotations: { ...b.annotations, ...o.annotations },
  };
}
