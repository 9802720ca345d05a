// The objects the cluster bench writes, and how it reads their status.
import type { Kube, KubeObject } from './kube.js';
import { objectPath } from './kube.js';
import { sleep } from './probe.js';

export const LISTENER_PORT = 8080;
export const BENCH_LABEL = 'bench.gantry.dev/run';

export function namespace(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { [BENCH_LABEL]: 'cluster-bench' } } };
}

/** A Service without selector (port 80) and its EndpointSlice: ready `addresses` on `targetPort`. */
export function service(ns: string, name: string, addresses: readonly string[], targetPort: number): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { ports: [{ name: 'http', port: 80, targetPort }] } },
    endpointSlice(ns, name, addresses, targetPort),
  ];
}

export function endpointSlice(ns: string, service: string, addresses: readonly string[], port: number): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name: `${service}-1`, namespace: ns, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    endpoints: addresses.map((a) => ({ addresses: [a], conditions: { ready: true } })),
    ports: [{ name: 'http', port, protocol: 'TCP' }],
  };
}

export function gateway(ns: string, name: string, gatewayClass: string, allNamespaces = false): KubeObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name, namespace: ns },
    spec: {
      gatewayClassName: gatewayClass,
      listeners: [{ name: 'http', port: LISTENER_PORT, protocol: 'HTTP', ...(allNamespaces ? { allowedRoutes: { namespaces: { from: 'All' } } } : {}) }],
    },
  };
}

export interface RouteSpec {
  readonly ns: string;
  readonly name: string;
  readonly hostname: string;
  readonly path: string;
  readonly service: string;
  readonly gateway: { ns: string; name: string };
}

export function httpRoute(r: RouteSpec): KubeObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: r.name, namespace: r.ns },
    spec: {
      parentRefs: [{ name: r.gateway.name, ...(r.gateway.ns !== r.ns ? { namespace: r.gateway.ns } : {}) }],
      hostnames: [r.hostname],
      rules: [{ matches: [{ path: { type: 'PathPrefix', value: r.path } }], backendRefs: [{ name: r.service, port: 80 }] }],
    },
  };
}

/** The merge patch that points route rules at `path` and `service`. */
export function routeRulesPatch(path: string, service: string): unknown {
  return { spec: { rules: [{ matches: [{ path: { type: 'PathPrefix', value: path } }], backendRefs: [{ name: service, port: 80 }] }] } };
}

interface Condition { type: string; status: string }
interface RouteStatus { parents?: { parentRef: { name: string; namespace?: string }; conditions?: Condition[] }[] }
interface GatewayStatus { listeners?: { name: string; attachedRoutes?: number }[]; conditions?: Condition[] }

export function routeAccepted(route: KubeObject, gw: { ns: string; name: string }): boolean {
  const status = route['status'] as RouteStatus | undefined;
  return (status?.parents ?? []).some((p) =>
    p.parentRef.name === gw.name && (p.parentRef.namespace ?? route.metadata.namespace) === gw.ns &&
    (p.conditions ?? []).some((c) => c.type === 'Accepted' && c.status === 'True'));
}

export function attachedRoutes(gw: KubeObject): number {
  const status = gw['status'] as GatewayStatus | undefined;
  return status?.listeners?.[0]?.attachedRoutes ?? 0;
}

export function gatewayProgrammed(gw: KubeObject): boolean {
  const status = gw['status'] as GatewayStatus | undefined;
  return (status?.conditions ?? []).some((c) => c.type === 'Programmed' && c.status === 'True');
}

export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

interface PodStatus { podIP?: string; conditions?: Condition[] }

/** The address of a Ready Pod matching `selector` in `ns`. */
export async function readyPodIP(kube: Kube, ns: string, selector: string, timeoutMs: number): Promise<string> {
  return waitFor(`a Ready Pod ${selector} in ${ns}`, timeoutMs, async () => {
    const pods = await kube.list(`/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(selector)}`);
    for (const p of pods.items) {
      const st = p['status'] as PodStatus | undefined;
      const meta = p.metadata as { deletionTimestamp?: string };
      if (!meta.deletionTimestamp && st?.podIP && (st.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')) return st.podIP;
    }
    return undefined;
  }, 500);
}

/** Deletes namespaces and waits (bounded) until they are gone. */
export async function deleteNamespaces(kube: Kube, names: readonly string[], timeoutMs = 300_000): Promise<void> {
  await Promise.all(names.map((n) => kube.delete(`/api/v1/namespaces/${n}`)));
  await waitFor(`namespaces ${names.length > 3 ? `${names[0]}… (${names.length})` : names.join(', ')} gone`, timeoutMs, async () => {
    for (const n of names) if (await kube.get(`/api/v1/namespaces/${n}`)) return undefined;
    return true;
  }, 1000);
}

export { objectPath };
