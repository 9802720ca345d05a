// A structural schema for the manifests Gantry reads from files: enough to name the exact field
// that is malformed (wrong type, missing, unknown enum value) before the translator sees it. The
// translator then judges meaning (references, conflicts) and reports it in status, as on a cluster.

export type Schema =
  | { readonly type: 'string'; readonly enum?: readonly string[] }
  | { readonly type: 'integer'; readonly min?: number; readonly max?: number }
  | { readonly type: 'number' }
  | { readonly type: 'boolean' }
  | { readonly type: 'any' }
  | { readonly type: 'map'; readonly values: Schema }
  | { readonly type: 'array'; readonly items: Schema }
  | { readonly type: 'object'; readonly properties: Readonly<Record<string, Schema>>; readonly required?: readonly string[] };

const str: Schema = { type: 'string' };
const int = (min?: number, max?: number): Schema => ({ type: 'integer', min, max });
const bool: Schema = { type: 'boolean' };
const any: Schema = { type: 'any' };
const strMap: Schema = { type: 'map', values: str };
const strings: Schema = { type: 'array', items: str };
const oneOf = (...values: string[]): Schema => ({ type: 'string', enum: values });
const arr = (items: Schema): Schema => ({ type: 'array', items });
const obj = (properties: Record<string, Schema>, required?: string[]): Schema => ({ type: 'object', properties, required });
const port = int(1, 65535);

const labelSelector = obj({
  matchLabels: strMap,
  matchExpressions: arr(obj({ key: str, operator: oneOf('In', 'NotIn', 'Exists', 'DoesNotExist'), values: strings }, ['key', 'operator'])),
});

const objectMeta = obj(
  {
    name: str, namespace: str, uid: str, generation: int(0), resourceVersion: str, creationTimestamp: str,
    labels: strMap, annotations: strMap, generateName: str, ownerReferences: arr(any), finalizers: strings,
    managedFields: arr(any), deletionTimestamp: str,
  },
  ['name'],
);

const secretObjectRef = obj({ group: str, kind: str, name: str, namespace: str }, ['name']);

const gatewayClass = obj({
  controllerName: str,
  parametersRef: obj({ group: str, kind: str, name: str, namespace: str }, ['group', 'kind', 'name']),
  description: str,
}, ['controllerName']);

const listener = obj({
  name: str,
  hostname: str,
  port,
  protocol: str,
  tls: obj({
    mode: oneOf('Terminate', 'Passthrough'),
    certificateRefs: arr(secretObjectRef),
    frontendValidation: any,
    options: strMap,
  }),
  allowedRoutes: obj({
    namespaces: obj({ from: oneOf('All', 'Same', 'Selector'), selector: labelSelector }),
    kinds: arr(obj({ group: str, kind: str }, ['kind'])),
  }),
}, ['name', 'port', 'protocol']);

const gateway = obj({
  gatewayClassName: str,
  listeners: arr(listener),
  addresses: arr(obj({ type: str, value: str })),
  infrastructure: obj({
    labels: strMap,
    annotations: strMap,
    parametersRef: obj({ group: str, kind: str, name: str }, ['group', 'kind', 'name']),
  }),
  backendTLS: any,
  allowedListeners: any,
}, ['gatewayClassName', 'listeners']);

const parentRef = obj({ group: str, kind: str, namespace: str, name: str, sectionName: str, port }, ['name']);
const headerValue = obj({ name: str, value: str }, ['name', 'value']);
const headerModifier = obj({ set: arr(headerValue), add: arr(headerValue), remove: strings });
const pathModifier = obj({
  type: oneOf('ReplaceFullPath', 'ReplacePrefixMatch'), replaceFullPath: str, replacePrefixMatch: str,
}, ['type']);
const backendObjectRef = obj({ group: str, kind: str, name: str, namespace: str, port }, ['name']);

const httpFilter = obj({
  type: oneOf('RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'RequestRedirect', 'URLRewrite', 'ExtensionRef', 'CORS', 'ExternalAuth'),
  requestHeaderModifier: headerModifier,
  responseHeaderModifier: headerModifier,
  requestMirror: obj({
    backendRef: backendObjectRef, percent: int(0, 100),
    fraction: obj({ numerator: int(0), denominator: int(1) }, ['numerator']),
  }, ['backendRef']),
  requestRedirect: obj({
    scheme: oneOf('http', 'https'), hostname: str, path: pathModifier, port, statusCode: int(),
  }),
  urlRewrite: obj({ hostname: str, path: pathModifier }),
  extensionRef: obj({ group: str, kind: str, name: str }, ['group', 'kind', 'name']),
  cors: obj({
    allowOrigins: strings, allowCredentials: bool, allowMethods: strings, allowHeaders: strings,
    exposeHeaders: strings, maxAge: int(0),
  }),
  externalAuth: any,
}, ['type']);

const httpMatch = obj({
  path: obj({ type: oneOf('Exact', 'PathPrefix', 'RegularExpression'), value: str }),
  headers: arr(obj({ type: oneOf('Exact', 'RegularExpression'), name: str, value: str }, ['name', 'value'])),
  queryParams: arr(obj({ type: oneOf('Exact', 'RegularExpression'), name: str, value: str }, ['name', 'value'])),
  method: oneOf('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'),
});

const httpRoute = obj({
  parentRefs: arr(parentRef),
  hostnames: strings,
  rules: arr(obj({
    name: str,
    matches: arr(httpMatch),
    filters: arr(httpFilter),
    backendRefs: arr(obj({
      group: str, kind: str, name: str, namespace: str, port, weight: int(0, 1000000), filters: arr(httpFilter),
    }, ['name'])),
    timeouts: obj({ request: str, backendRequest: str }),
    retry: obj({ codes: arr(int(400, 599)), attempts: int(0), backoff: str }),
    sessionPersistence: any,
  })),
}, []);

const referenceGrant = obj({
  from: arr(obj({ group: str, kind: str, namespace: str }, ['group', 'kind', 'namespace'])),
  to: arr(obj({ group: str, kind: str, name: str }, ['group', 'kind'])),
}, ['from', 'to']);

const service = obj({
  type: str, clusterIP: str, clusterIPs: strings, selector: strMap, externalName: str,
  ports: arr(obj({
    name: str, port, targetPort: any, protocol: oneOf('TCP', 'UDP', 'SCTP'), appProtocol: str, nodePort: int(),
  }, ['port'])),
  ipFamilies: strings, ipFamilyPolicy: str, sessionAffinity: str, publishNotReadyAddresses: bool,
  externalTrafficPolicy: str, internalTrafficPolicy: str, loadBalancerIP: str, loadBalancerClass: str,
  allocateLoadBalancerNodePorts: bool, healthCheckNodePort: int(),
});

/** Top-level fields outside spec (EndpointSlice and Secret keep their data at the top). */
const endpointSliceTop: Record<string, Schema> = {
  addressType: oneOf('IPv4', 'IPv6', 'FQDN'),
  endpoints: arr(obj({
    addresses: strings,
    conditions: obj({ ready: bool, serving: bool, terminating: bool }),
    hostname: str, nodeName: str, zone: str, targetRef: any, hints: any,
  }, ['addresses'])),
  ports: arr(obj({ name: str, port, protocol: str, appProtocol: str })),
};
const secretTop: Record<string, Schema> = {
  type: str, data: strMap, stringData: strMap, immutable: bool,
};

interface KindSchema {
  readonly apiVersions: readonly string[];
  readonly namespaced: boolean;
  readonly spec?: Schema;
  readonly top?: Record<string, Schema>;
}

const gatewayApi = (...versions: string[]): string[] => versions.map((v) => `gateway.networking.k8s.io/${v}`);

export const KINDS: Readonly<Record<string, KindSchema>> = {
  GatewayClass: { apiVersions: gatewayApi('v1', 'v1beta1'), namespaced: false, spec: gatewayClass },
  Gateway: { apiVersions: gatewayApi('v1', 'v1beta1'), namespaced: true, spec: gateway },
  HTTPRoute: { apiVersions: gatewayApi('v1', 'v1beta1'), namespaced: true, spec: httpRoute },
  ReferenceGrant: { apiVersions: gatewayApi('v1beta1', 'v1alpha2', 'v1'), namespaced: true, spec: referenceGrant },
  Namespace: { apiVersions: ['v1'], namespaced: false, spec: any },
  Service: { apiVersions: ['v1'], namespaced: true, spec: service },
  EndpointSlice: { apiVersions: ['discovery.k8s.io/v1'], namespaced: true, top: endpointSliceTop },
  Secret: { apiVersions: ['v1'], namespaced: true, top: secretTop },
};

export const OBJECT_META: Schema = objectMeta;

/** Problems with `value` against `schema`, each naming its field path (e.g. `spec.listeners[0].port`). */
export function checkSchema(value: unknown, schema: Schema, path: string): string[] {
  if (value === undefined || value === null) return [];
  switch (schema.type) {
    case 'any':
      return [];
    case 'string':
      if (typeof value !== 'string') return [`${path}: expected a string, got ${describe(value)}`];
      if (schema.enum && !schema.enum.includes(value)) {
        return [`${path}: unsupported value "${value}", expected one of ${schema.enum.join(', ')}`];
      }
      return [];
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return [`${path}: expected an integer, got ${describe(value)}`];
      if (schema.min !== undefined && value < schema.min) return [`${path}: ${value} is below the minimum ${schema.min}`];
      if (schema.max !== undefined && value > schema.max) return [`${path}: ${value} is above the maximum ${schema.max}`];
      return [];
    case 'number':
      return typeof value === 'number' ? [] : [`${path}: expected a number, got ${describe(value)}`];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${path}: expected true or false, got ${describe(value)}`];
    case 'array':
      if (!Array.isArray(value)) return [`${path}: expected a list, got ${describe(value)}`];
      return value.flatMap((item, i) => checkSchema(item, schema.items, `${path}[${i}]`));
    case 'map':
      if (!isRecord(value)) return [`${path}: expected a mapping, got ${describe(value)}`];
      return Object.entries(value).flatMap(([k, v]) => checkSchema(v, schema.values, `${path}.${k}`));
    case 'object': {
      if (!isRecord(value)) return [`${path}: expected a mapping, got ${describe(value)}`];
      const errors: string[] = [];
      for (const req of schema.required ?? []) {
        if (value[req] === undefined || value[req] === null) errors.push(`${path}.${req}: required field is missing`);
      }
      for (const [k, v] of Object.entries(value)) {
        const sub = schema.properties[k];
        if (sub === undefined) errors.push(`${path}.${k}: unknown field`);
        else errors.push(...checkSchema(v, sub, `${path}.${k}`));
      }
      return errors;
    }
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (isRecord(value)) return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}
