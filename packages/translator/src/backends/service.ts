// Kubernetes Services as backends: a port of the Service, its endpoints from EndpointSlices
// (service-endpoints.ts), the protocol from the port's appProtocol, TLS from a BackendTLSPolicy
// naming the Service (ctx.backendTls). Cross-namespace refs need a ReferenceGrant.
import { serviceClusterName, type UpstreamProtocol } from '@gantry/ir';
import { GATEWAY_API_GROUP, type ServicePort } from '@gantry/api';
import { flat } from '../core/memory.js';
import { referenceAllowed } from '../core/refgrants.js';
import { Reason } from '../status/conditions.js';
import type { BackendResolver } from './backend.js';

/** Service port appProtocol → how Envoy talks to it. Unknown protocols cannot be served. */
function appProtocolOf(port: ServicePort): { protocol: UpstreamProtocol; websocket: boolean; tls?: true } | undefined {
  const p = port.appProtocol;
  if (p === undefined || p === '' || p.toLowerCase() === 'http') return HTTP1;
  if (p === 'kubernetes.io/h2c' || p.toLowerCase() === 'h2c') return H2C;
  if (p === 'kubernetes.io/ws') return WS;
  // TLS to the backend: only with a BackendTLSPolicy to say what to trust (resolve checks it).
  if (p.toLowerCase() === 'https' || p === 'kubernetes.io/https') return HTTPS;
  return undefined;
}

export const serviceResolver: BackendResolver = {
  group: '',
  kind: 'Service',
  resolve(ref, ctx) {
    const ns = ref.namespace ?? ctx.fromNamespace;
    if (!ctx.kubernetesDestinations) {
      return {
        ok: false,
        reason: Reason.InvalidKind,
        message: `backendRef to ${serviceWhere(ns, ref.name)}: routing to Services directly is disabled (disableKubernetesDestinations); route to an Upstream instead ({group: gateway.gantry.dev, kind: Upstream}), e.g. one with spec.kube naming this Service`,
      };
    }
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
    const name = flat(serviceClusterName(ns, ref.name, ref.port));
    const tls = ctx.backendTls?.({ group: '', kind: 'Service', namespace: ns, name: ref.name, sectionName: port.name ?? '' }, ctx.lookups);
    if (tls !== undefined && !tls.ok) return { ok: false, reason: Reason.InvalidBackendTLS, message: tls.message };
    if (tls === undefined && 'tls' in app) {
      return { ok: false, reason: Reason.UnsupportedProtocol, message: `${serviceWhere(ns, ref.name)} port ${ref.port}: appProtocol ${port.appProtocol} needs a BackendTLSPolicy (what to trust)` };
    }
    return {
      ok: true,
      cluster: tls === undefined ? ctx.cluster(name, app.protocol) : ctx.clusterLike({ name, protocol: app.protocol, tls: tls.tls }),
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
const HTTPS = { protocol: 'http1', websocket: false, tls: true } as const;
