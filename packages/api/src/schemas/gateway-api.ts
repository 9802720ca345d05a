// Structural schemas of the Gateway API kinds Gantry reads from files (their CRDs come from
// upstream): enough to name a malformed field before the translator sees it.
import { any, arr, bool, int, labelSelector, obj, oneOf, port, str, strMap, strings, type ManifestSchema } from '../schema.js';

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
  tls: obj({
    frontend: obj({ default: any, perPort: arr(obj({ port, tls: any }, ['port', 'tls'])) }),
    backend: obj({ clientCertificateRef: secretObjectRef }),
  }),
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

const grpcFilter = obj({
  type: oneOf('RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'ExtensionRef'),
  requestHeaderModifier: headerModifier,
  responseHeaderModifier: headerModifier,
  requestMirror: obj({
    backendRef: backendObjectRef, percent: int(0, 100),
    fraction: obj({ numerator: int(0), denominator: int(1) }, ['numerator']),
  }, ['backendRef']),
  extensionRef: obj({ group: str, kind: str, name: str }, ['group', 'kind', 'name']),
}, ['type']);

const grpcRoute = obj({
  parentRefs: arr(parentRef),
  hostnames: strings,
  rules: arr(obj({
    name: str,
    matches: arr(obj({
      method: obj({ type: oneOf('Exact', 'RegularExpression'), service: str, method: str }),
      headers: arr(obj({ type: oneOf('Exact', 'RegularExpression'), name: str, value: str }, ['name', 'value'])),
    })),
    filters: arr(grpcFilter),
    backendRefs: arr(obj({
      group: str, kind: str, name: str, namespace: str, port, weight: int(0, 1000000), filters: arr(grpcFilter),
    }, ['name'])),
    sessionPersistence: any,
  })),
}, []);

const l4Rules = arr(obj({
  name: str,
  backendRefs: arr(obj({ group: str, kind: str, name: str, namespace: str, port, weight: int(0, 1000000) }, ['name'])),
}));
const tlsRoute = obj({ parentRefs: arr(parentRef), hostnames: strings, rules: l4Rules }, []);
const l4Route = obj({ parentRefs: arr(parentRef), rules: l4Rules }, []);

const referenceGrant = obj({
  from: arr(obj({ group: str, kind: str, namespace: str }, ['group', 'kind', 'namespace'])),
  to: arr(obj({ group: str, kind: str, name: str }, ['group', 'kind'])),
}, ['from', 'to']);

const backendTlsPolicy = obj({
  targetRefs: arr(obj({ group: str, kind: str, name: str, sectionName: str }, ['group', 'kind', 'name'])),
  validation: obj({
    caCertificateRefs: arr(obj({ group: str, kind: str, name: str }, ['group', 'kind', 'name'])),
    wellKnownCACertificates: str,
    hostname: str,
    subjectAltNames: arr(obj({ type: oneOf('Hostname', 'URI'), hostname: str, uri: str }, ['type'])),
  }, ['hostname']),
  options: strMap,
}, ['targetRefs', 'validation']);

export const GATEWAY_CLASS_SCHEMA: ManifestSchema = { spec: gatewayClass };
export const BACKEND_TLS_POLICY_SCHEMA: ManifestSchema = { spec: backendTlsPolicy };
export const GATEWAY_SCHEMA: ManifestSchema = { spec: gateway };
export const LISTENER_SET_SCHEMA: ManifestSchema = {
  spec: obj({ parentRef: obj({ group: str, kind: str, namespace: str, name: str }, ['name']), listeners: arr(listener) }, ['parentRef']),
};
export const HTTP_ROUTE_SCHEMA: ManifestSchema = { spec: httpRoute };
export const GRPC_ROUTE_SCHEMA: ManifestSchema = { spec: grpcRoute };
export const TLS_ROUTE_SCHEMA: ManifestSchema = { spec: tlsRoute };
export const L4_ROUTE_SCHEMA: ManifestSchema = { spec: l4Route };
export const REFERENCE_GRANT_SCHEMA: ManifestSchema = { spec: referenceGrant };
