// Backend references, resolved through a table keyed by `group/kind`. Kubernetes Services are
// built in; Gantry's own kinds (Upstream, ...) register here later without touching the rest.
import { serviceClusterName, type ClusterIR, type UpstreamProtocol } from '@gantry/ir';
import { GATEWAY_API_GROUP, type BackendObjectReference, type ServicePort } from '@gantry/api';
import { Reason } from '../status/conditions.js';
import { flat, type EndpointSource, type Lookups } from '../core/model.js';
import { referenceAllowed } from '../core/refgrants.js';

export interface BackendContext {
  /** The referring route: its kind and namespace (for defaults and ReferenceGrants). */
  readonly fromKind: string;
  readonly fromNamespace: string;
  readonly lookups: Lookups;
  /** Interns ClusterIR objects so that equal clusters keep one identity. */
  readonly cluster: (name: string, protocol: UpstreamProtocol) => ClusterIR;
}

export type BackendResolution =
  | { readonly ok: true; readonly cluster: ClusterIR; readonly source: EndpointSource; readonly websocket: boolean }
  | { readonly ok: false; readonly reason: string; readonly message: string };

export interface BackendResolver {
  resolve(ref: BackendObjectReference, ctx: BackendContext): BackendResolution;
}

export type BackendResolvers = ReadonlyMap<string, BackendResolver>;

export function backendKindKey(group: string, kind: string): string {
  return `${group}/${kind}`;
}

/** Resolves any backend reference: unknown kinds are InvalidKind. */
export function resolveBackend(ref: BackendObjectReference, ctx: BackendContext, resolvers: BackendResolvers): BackendResolution {
  const group = ref.group ?? '';
  const kind = ref.kind ?? 'Service';
  const resolver = resolvers.get(group === '' && kind === 'Service' ? SERVICE_KIND_KEY : backendKindKey(group, kind));
  if (!resolver) {
    return { ok: false, reason: Reason.InvalidKind, message: `backendRef ${group === '' ? 'core' : group}/${kind} ${ref.name}: kind not supported` };
  }
  return resolver.resolve(ref, ctx);
}

/** Service port appProtocol → how Envoy talks to it. Unknown protocols cannot be served. */
function appProtocolOf(port: ServicePort): { protocol: UpstreamProtocol; websocket: boolean } | undefined {
  const p = port.appProtocol;
  if (p === undefined || p === '' || p.toLowerCase() === 'http') return HTTP1;
  if (p === 'kubernetes.io/h2c' || p.toLowerCase() === 'h2c') return H2C;
  if (p === 'kubernetes.io/ws') return WS;
  return undefined;
}

export const serviceResolver: BackendResolver = {
  resolve(ref, ctx) {
    const ns = ref.namespace ?? ctx.fromNamespace;
    if (ref.port === undefined) return { ok: false, reason: Reason.UnsupportedValue, message: `backendRef to ${serviceWhere(ns, ref.name)} needs a port` };
    if (ns !== ctx.fromNamespace) {
      const allowed = referenceAllowed(
        ctx.lookups.referenceGrants(ns),
        { group: GATEWAY_API_GROUP, kind: ctx.fromKind, namespace: ctx.fromNamespace },
        { group: '', kind: 'Service', name: ref.name },
      );
      if (!allowed) return { ok: false, reason: Reason.RefNotPermitted, message: `backendRef to ${serviceWhere(ns, ref.name)} is not permitted by any ReferenceGrant` };
    }
    const serviceKey = flat(`${ns}/${ref.name}`);
    const svc = ctx.lookups.service(ns, ref.name, serviceKey);
    if (!svc) return { ok: false, reason: Reason.BackendNotFound, message: `${serviceWhere(ns, ref.name)} not found` };
    const spec = svc.spec;
    if (spec?.type === 'ExternalName') {
      return { ok: false, reason: Reason.InvalidKind, message: `${serviceWhere(ns, ref.name)} is of type ExternalName, which is not supported` };
    }
    let port: ServicePort | undefined;
    for (const p of spec?.ports ?? []) {
      if (p.port === ref.port) {
        port = p;
        break;
      }
    }
    if (!port) return { ok: false, reason: Reason.BackendNotFound, message: `${serviceWhere(ns, ref.name)} has no port ${ref.port}` };
    const app = appProtocolOf(port);
    if (!app) {
      return { ok: false, reason: Reason.UnsupportedProtocol, message: `${serviceWhere(ns, ref.name)} port ${ref.port}: appProtocol ${port.appProtocol} is not supported` };
    }
    return {
      ok: true,
      cluster: ctx.cluster(flat(serviceClusterName(ns, ref.name, ref.port)), app.protocol),
      source: { kind: 'service', serviceKey, namespace: ns, service: ref.name, port: ref.port, portName: port.name ?? '' },
      websocket: app.websocket,
    };
  },
};

function serviceWhere(namespace: string, name: string): string {
  return `Service ${namespace}/${name}`;
}

const HTTP1 = { protocol: 'http1', websocket: false } as const;
const H2C = { protocol: 'h2c', websocket: false } as const;
const WS = { protocol: 'http1', websocket: true } as const;

const SERVICE_KIND_KEY = backendKindKey('', 'Service');

export const DEFAULT_BACKEND_RESOLVERS: BackendResolvers = new Map([[SERVICE_KIND_KEY, serviceResolver]]);
