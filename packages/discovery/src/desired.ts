// What discovery wants for one Service: one kube Upstream per TCP port, in the install namespace.
// The body is exactly what discovery owns (server-side apply, field manager gantry-discovery):
// the kube target and selector, the Service's labels under discoveryMetadata, and useHttp2 only
// when the port says HTTP/2. Everything else on the Upstream belongs to whoever set it.
import { GANTRY_API_GROUP, UPSTREAM_KIND, type Service, type ServicePort, type Upstream } from '@gantry/api';
import { discoveredName, sourceKey } from './naming.js';

export const DISCOVERED_BY_LABEL = 'gantry.dev/discovered-by';
export const DISCOVERED_BY = 'discovery';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const FIELD_MANAGER = 'gantry-discovery';
/** Selects discovery's Upstreams (and nothing a user made). */
export const DISCOVERED_SELECTOR = `${DISCOVERED_BY_LABEL}=${DISCOVERED_BY}`;

export interface DesiredUpstream {
  /** `namespace/service/port` of its source. */
  readonly key: string;
  /** Its name when no other Service port claims the same (see naming.ts). */
  readonly name: string;
  readonly namespace: string;
  readonly service: string;
  readonly port: number;
  /** The apply body; metadata.name is set when the name is settled. */
  readonly spec: NonNullable<Upstream['spec']>;
}

const HTTP2_APP_PROTOCOLS = new Set(['http2', 'grpc', 'grpc-web', 'kubernetes.io/h2c']);
const HTTP2_NAME = /^(grpc|h2|http2)/;

/** HTTP/2 as the port says it: its appProtocol, or a name starting grpc, h2 or http2. */
export function speaksHttp2(port: ServicePort): boolean {
  if (port.appProtocol !== undefined) return HTTP2_APP_PROTOCOLS.has(port.appProtocol.toLowerCase());
  return HTTP2_NAME.test((port.name ?? '').toLowerCase());
}

export function desiredUpstreams(service: Service): DesiredUpstream[] {
  const namespace = service.metadata.namespace ?? 'default';
  const name = service.metadata.name;
  const selector = service.spec?.selector;
  const labels = service.metadata.labels ?? {};
  const out: DesiredUpstream[] = [];
  for (const port of service.spec?.ports ?? []) {
    if ((port.protocol ?? 'TCP') !== 'TCP') continue;
    const spec: NonNullable<Upstream['spec']> = {
      kube: {
        serviceName: name,
        serviceNamespace: namespace,
        servicePort: port.port,
        ...(selector && Object.keys(selector).length > 0 ? { selector: { ...selector } } : {}),
      },
      ...(speaksHttp2(port) ? { useHttp2: true } : {}),
      discoveryMetadata: { labels: { ...labels } },
    };
    out.push({ key: sourceKey(namespace, name, port.port), name: discoveredName(namespace, name, port.port), namespace, service: name, port: port.port, spec });
  }
  return out;
}

/** The object discovery applies for a desired Upstream under its settled name. */
export function applyBody(d: DesiredUpstream, name: string, installNamespace: string): Record<string, unknown> {
  return {
    apiVersion: `${GANTRY_API_GROUP}/v1alpha1`,
    kind: UPSTREAM_KIND,
    metadata: { name, namespace: installNamespace, labels: { [DISCOVERED_BY_LABEL]: DISCOVERED_BY, [MANAGED_BY_LABEL]: 'gantry' } },
    spec: d.spec,
  };
}

/**
 * Whether an existing Upstream already carries what discovery would apply: its label, and the
 * owned fields equal (a user's extra fields do not count). Then no write is needed.
 */
export function upToDate(existing: Upstream, d: DesiredUpstream): boolean {
  if (existing.metadata.labels?.[DISCOVERED_BY_LABEL] !== DISCOVERED_BY || existing.metadata.labels?.[MANAGED_BY_LABEL] !== 'gantry') return false;
  const have = existing.spec;
  const want = d.spec;
  return (
    have?.kube?.serviceName === want.kube?.serviceName &&
    have?.kube?.serviceNamespace === want.kube?.serviceNamespace &&
    have?.kube?.servicePort === want.kube?.servicePort &&
    sameStringMap(have?.kube?.selector, want.kube?.selector) &&
    // Discovery sets useHttp2 only to true; an existing true it no longer wants may be its own.
    (want.useHttp2 === true ? have?.useHttp2 === true : have?.useHttp2 !== true) &&
    sameStringMap(have?.discoveryMetadata?.labels, want.discoveryMetadata?.labels)
  );
}

export function sameStringMap(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>> | undefined): boolean {
  const ak = Object.keys(a ?? {});
  if (ak.length !== Object.keys(b ?? {}).length) return false;
  for (const k of ak) if (a?.[k] !== b?.[k]) return false;
  return true;
}
