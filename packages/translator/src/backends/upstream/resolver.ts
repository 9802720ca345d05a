// Gantry's Upstream as a backend: `backendRefs: [{group: gateway.gantry.dev, kind: Upstream}]`.
// The Upstream defines the port (a port on the ref is ignored, and the route says so), where the
// endpoints come from (a Service's ready endpoints addressed directly, optionally only those of
// Pods with some labels, or static hosts) and the cluster's policies. An Upstream that cannot be
// used behaves like a missing one: the rule's traffic to it gets 500. References across
// namespaces need ReferenceGrants, as for Services: route → Upstream always; Upstream → Service
// unless the Upstream lives in the install namespace. Every Upstream also gets a status of its
// own (status.ts), from the same judgement.
import { upstreamClusterName, type ClusterIR } from '@gantry/ir';
import { GANTRY_API_GROUP, GATEWAY_API_GROUP, UPSTREAM_KIND, type ServicePort, type Upstream } from '@gantry/api';
import { Invalid } from '../../core/invalid.js';
import { flat, NamespacedKeys, type Mutable } from '../../core/memory.js';
import { podSelector } from '../../core/pod-index.js';
import { referenceAllowed } from '../../core/refgrants.js';
import { Reason } from '../../status/conditions.js';
import type { BackendContext, BackendResolution, BackendResolver, EndpointSource, ServiceEndpointSource } from '../backend.js';
import { clusterPolicies, staticHosts } from './cluster.js';
import { reportUpstream } from './status.js';

const upstreamWhere = (ns: string, name: string): string => `Upstream ${ns}/${name}`;

export const upstreamResolver: BackendResolver = {
  group: GANTRY_API_GROUP,
  kind: UPSTREAM_KIND,
  resolve(ref, ctx) {
    const ns = ref.namespace ?? ctx.fromNamespace;
    // Messages are built only on failure: every route to an Upstream resolves it on a full translation.
    if (ns !== ctx.fromNamespace) {
      const allowed = referenceAllowed(
        ctx.lookups.referenceGrants(ns),
        { group: GATEWAY_API_GROUP, kind: ctx.fromKind, namespace: ctx.fromNamespace },
        { group: GANTRY_API_GROUP, kind: UPSTREAM_KIND, name: ref.name },
      );
      if (!allowed) return { ok: false, reason: Reason.RefNotPermitted, message: `backendRef to ${upstreamWhere(ns, ref.name)} is not permitted by any ReferenceGrant` };
    }
    const upstream = ctx.lookups.object(GANTRY_API_GROUP, UPSTREAM_KIND, ns, ref.name) as Upstream | undefined;
    if (!upstream) return { ok: false, reason: Reason.BackendNotFound, message: `${upstreamWhere(ns, ref.name)} not found` };
    const verdict = judgedUpstream(upstream, ctx);
    // An Upstream that cannot be used is, to the route, as good as missing.
    if (!verdict.ok) return { ok: false, reason: Reason.BackendNotFound, message: `${upstreamWhere(ns, ref.name)} is not usable: ${verdict.message}` };
    const resolved: Mutable<Extract<BackendResolution, { ok: true }>> = {
      ok: true,
      cluster: ctx.clusterLike(verdict.cluster),
      source: verdict.source,
      websocket: false,
    };
    if (verdict.hashPolicies) resolved.hashPolicies = verdict.hashPolicies;
    if (ref.port !== undefined) resolved.note = `port ${ref.port} on the backendRef to ${upstreamWhere(ns, ref.name)} is ignored: the Upstream defines its port`;
    return resolved;
  },
  report: reportUpstream,
};

/** What an Upstream is: a usable cluster, or why not (its own spec, or what it refers to). */
export type UpstreamVerdict =
  | {
      readonly ok: true;
      /** Not interned: the resolver interns it, the status judge only counts its endpoints. */
      readonly cluster: ClusterIR;
      readonly source: EndpointSource;
      readonly hashPolicies?: Extract<BackendResolution, { ok: true }>['hashPolicies'];
      /** Static Upstreams: how many hosts. */
      readonly hostCount?: number;
    }
  | {
      readonly ok: false;
      /** Accepted: the spec itself is wrong; ResolvedRefs: what it names is missing or not allowed. */
      readonly condition: 'Accepted' | 'ResolvedRefs';
      readonly reason: string;
      readonly message: string;
    };

type Failed = Extract<UpstreamVerdict, { ok: false }>;

/** The verdict on an Upstream, computed once per translation for its routes and its status. */
export function judgedUpstream(upstream: Upstream, ctx: Pick<BackendContext, 'lookups' | 'installNamespace'>): UpstreamVerdict {
  // No closure per call: every route to an Upstream and its status ask, by the thousand.
  return ctx.lookups.memo(upstream, judgeUpstream, ctx);
}

const specProblem = (message: string): Failed => ({ ok: false, condition: 'Accepted', reason: Reason.Invalid, message });

function judgeUpstream(upstream: Upstream, ctx: Pick<BackendContext, 'lookups' | 'installNamespace'>): UpstreamVerdict {
  const spec = upstream.spec;
  const ns = upstream.metadata.namespace ?? 'default';
  if (!spec || (spec.kube === undefined) === (spec.static === undefined)) return specProblem('exactly one of spec.kube or spec.static must be set');
  // Where the endpoints come from. No intermediate object for a kube Upstream: every Upstream is
  // judged on every full translation.
  let source: EndpointSource | Failed;
  let discovery: ClusterIR['discovery'] | undefined;
  let tls = false;
  let hostCount: number | undefined;
  // The Host an HTTP health check sends by default: built only when the Upstream has a check.
  let healthCheckHost = '';
  if (spec.kube) {
    source = kubeTarget(spec.kube, ns, ctx);
    if (spec.healthCheck !== undefined && !('ok' in source)) healthCheckHost = `${spec.kube.serviceName}.${(source as ServiceEndpointSource).namespace}.svc`;
  } else {
    const hosts = staticHosts(spec.static as NonNullable<typeof spec.static>);
    if (hosts instanceof Invalid) return specProblem(hosts.message);
    const first = hosts.discovery.hosts[0];
    source = OWN_HOSTS;
    discovery = hosts.discovery;
    tls = hosts.tls;
    hostCount = hosts.discovery.hosts.length;
    healthCheckHost = first ? first.address : '';
  }
  // The spec's own problems come first: a policy error is reported even when the Service is missing.
  const policies = clusterPolicies(spec, healthCheckHost);
  if (policies instanceof Invalid) return specProblem(policies.message);
  if ('ok' in source) return source;
  // Fields in the IR's order: where the endpoints come from first, then how they are used.
  const cluster: Mutable<ClusterIR> = { name: flat(upstreamClusterName(ns, upstream.metadata.name)), protocol: policies.protocol };
  if (policies.connectTimeoutMs !== undefined) cluster.connectTimeoutMs = policies.connectTimeoutMs;
  if (discovery) cluster.discovery = discovery;
  if (policies.loadBalancer !== undefined) cluster.loadBalancer = policies.loadBalancer;
  if (policies.healthCheck !== undefined) cluster.healthCheck = policies.healthCheck;
  if (policies.outlierDetection !== undefined) cluster.outlierDetection = policies.outlierDetection;
  if (policies.circuitBreakers !== undefined) cluster.circuitBreakers = policies.circuitBreakers;
  if (tls) cluster.tls = spec.static?.sni ? { sni: spec.static.sni } : {};
  const verdict: Mutable<Extract<UpstreamVerdict, { ok: true }>> = { ok: true, cluster, source };
  if (policies.hashPolicies) verdict.hashPolicies = policies.hashPolicies;
  if (hostCount !== undefined) verdict.hostCount = hostCount;
  return verdict;
}

const OWN_HOSTS: EndpointSource = { kind: 'ownHosts' };
/** Service keys (`namespace/name`). */
const SERVICE_KEYS = new NamespacedKeys('');

// Built only for a message: every Upstream is judged on every full translation.
const serviceWhere = (kube: { readonly serviceName: string }, ns: string): string => `Service ${ns}/${kube.serviceName}`;
const unresolved = (reason: string, message: string): Failed => ({ ok: false, condition: 'ResolvedRefs', reason, message });

function servicePort(ports: readonly ServicePort[] | undefined, port: number): ServicePort | undefined {
  if (ports) for (const p of ports) if (p.port === port) return p;
  return undefined;
}

/** The Service port an Upstream names (as an endpoint source), and the rule that lets it cross namespaces. */
function kubeTarget(
  kube: NonNullable<NonNullable<Upstream['spec']>['kube']>,
  upstreamNs: string,
  ctx: Pick<BackendContext, 'lookups' | 'installNamespace'>,
): ServiceEndpointSource | Failed {
  const svcNs = kube.serviceNamespace || upstreamNs;
  if (svcNs !== upstreamNs && upstreamNs !== ctx.installNamespace) {
    const allowed = referenceAllowed(
      ctx.lookups.referenceGrants(svcNs),
      { group: GANTRY_API_GROUP, kind: UPSTREAM_KIND, namespace: upstreamNs },
      { group: '', kind: 'Service', name: kube.serviceName },
    );
    if (!allowed) {
      return unresolved(
        Reason.RefNotPermitted,
        `${serviceWhere(kube, svcNs)} is in another namespace: allowed only to Upstreams in ${ctx.installNamespace} or by a ReferenceGrant in ${svcNs}`,
      );
    }
  }
  const serviceKey = SERVICE_KEYS.key(svcNs, kube.serviceName);
  const svc = ctx.lookups.service(svcNs, kube.serviceName, serviceKey);
  if (!svc) return unresolved(Reason.BackendNotFound, `${serviceWhere(kube, svcNs)} not found`);
  if (svc.spec?.type === 'ExternalName') return unresolved(Reason.BackendNotFound, `${serviceWhere(kube, svcNs)} is of type ExternalName, which has no endpoints`);
  const port = servicePort(svc.spec?.ports, kube.servicePort);
  if (!port) return unresolved(Reason.BackendNotFound, `${serviceWhere(kube, svcNs)} has no port ${kube.servicePort}`);
  const source: Mutable<ServiceEndpointSource> = {
    kind: 'service', serviceKey, namespace: svcNs, service: kube.serviceName, port: kube.servicePort, portName: port.name ?? '',
  };
  const selector = podSelector(kube.selector);
  if (selector) source.podSelector = selector;
  return source;
}
