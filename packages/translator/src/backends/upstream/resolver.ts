// Gantry's Upstream as a backend: `backendRefs: [{group: gateway.gantry.dev, kind: Upstream}]`.
// The Upstream defines the port (a port on the ref is ignored, and the route says so), where the
// endpoints come from (a Service's ready endpoints addressed directly, or static hosts) and the
// cluster's policies. An Upstream that cannot be used behaves like a missing one: the rule's
// traffic to it gets 500. References across namespaces need ReferenceGrants, as for Services:
// route → Upstream always; Upstream → Service unless the Upstream lives in the install namespace.
import { upstreamClusterName, type ClusterIR } from '@gantry/ir';
import { GANTRY_API_GROUP, GATEWAY_API_GROUP, UPSTREAM_KIND, type ServicePort, type Upstream } from '@gantry/api';
import { Invalid } from '../../core/invalid.js';
import { flat, type Mutable } from '../../core/memory.js';
import { referenceAllowed } from '../../core/refgrants.js';
import { Reason } from '../../status/conditions.js';
import type { BackendContext, BackendResolution, BackendResolver, EndpointSource } from '../backend.js';
import { clusterPolicies, staticHosts } from './cluster.js';

export const upstreamResolver: BackendResolver = {
  group: GANTRY_API_GROUP,
  kind: UPSTREAM_KIND,
  resolve(ref, ctx) {
    const ns = ref.namespace ?? ctx.fromNamespace;
    const where = `Upstream ${ns}/${ref.name}`;
    if (ns !== ctx.fromNamespace) {
      const allowed = referenceAllowed(
        ctx.lookups.referenceGrants(ns),
        { group: GATEWAY_API_GROUP, kind: ctx.fromKind, namespace: ctx.fromNamespace },
        { group: GANTRY_API_GROUP, kind: UPSTREAM_KIND, name: ref.name },
      );
      if (!allowed) return { ok: false, reason: Reason.RefNotPermitted, message: `backendRef to ${where} is not permitted by any ReferenceGrant` };
    }
    const upstream = ctx.lookups.object(GANTRY_API_GROUP, UPSTREAM_KIND, ns, ref.name) as Upstream | undefined;
    if (!upstream) return { ok: false, reason: Reason.BackendNotFound, message: `${where} not found` };
    const res = upstreamCluster(upstream, ns, ctx);
    // An Upstream that cannot be used is, to the route, as good as missing.
    if (!res.ok) return { ok: false, reason: Reason.BackendNotFound, message: `${where} is not usable: ${res.message}` };
    return ref.port !== undefined ? { ...res, note: `port ${ref.port} on the backendRef to ${where} is ignored: the Upstream defines its port` } : res;
  },
};

type Resolved = Extract<BackendResolution, { ok: true }>;
type Failed = Extract<BackendResolution, { ok: false }>;

function upstreamCluster(upstream: Upstream, ns: string, ctx: BackendContext): Resolved | Failed {
  const spec = upstream.spec;
  if (!spec || (spec.kube === undefined) === (spec.static === undefined)) {
    return { ok: false, reason: Reason.BackendNotFound, message: 'exactly one of spec.kube or spec.static must be set' };
  }
  let target: { source: EndpointSource; tls: boolean; discovery?: ClusterIR['discovery']; healthCheckHost: string } | Failed;
  if (spec.kube) target = kubeTarget(spec.kube, ns, ctx);
  else {
    const hosts = staticHosts(spec.static as NonNullable<typeof spec.static>);
    if (hosts instanceof Invalid) return { ok: false, reason: Reason.BackendNotFound, message: hosts.message };
    const first = hosts.discovery.hosts[0];
    target = { source: OWN_HOSTS, tls: hosts.tls, discovery: hosts.discovery, healthCheckHost: first ? first.address : '' };
  }
  if ('ok' in target) return target;
  const policies = clusterPolicies(spec, target.healthCheckHost);
  if (policies instanceof Invalid) return { ok: false, reason: Reason.BackendNotFound, message: policies.message };
  const { hashPolicies, protocol, connectTimeoutMs, ...rest } = policies;
  // Fields in the IR's order: where the endpoints come from first, then how they are used.
  const cluster: Mutable<ClusterIR> = { name: flat(upstreamClusterName(ns, upstream.metadata.name)), protocol };
  if (connectTimeoutMs !== undefined) cluster.connectTimeoutMs = connectTimeoutMs;
  if (target.discovery) cluster.discovery = target.discovery;
  Object.assign(cluster, rest);
  if (target.tls) cluster.tls = spec.static?.sni ? { sni: spec.static.sni } : {};
  const resolved: Mutable<Resolved> = { ok: true, cluster: ctx.clusterLike(cluster), source: target.source, websocket: false };
  if (hashPolicies) resolved.hashPolicies = hashPolicies;
  return resolved;
}

const OWN_HOSTS: EndpointSource = { kind: 'ownHosts' };

/** The Service port an Upstream names, and the rule that lets it cross namespaces. */
function kubeTarget(
  kube: NonNullable<NonNullable<Upstream['spec']>['kube']>,
  upstreamNs: string,
  ctx: BackendContext,
): { source: EndpointSource; tls: false; healthCheckHost: string } | Failed {
  const svcNs = kube.serviceNamespace || upstreamNs;
  const svcWhere = `Service ${svcNs}/${kube.serviceName}`;
  if (kube.selector !== undefined && Object.keys(kube.selector).length > 0) {
    // Selecting pods by label needs their labels, which Gantry does not watch yet.
    return { ok: false, reason: Reason.BackendNotFound, message: 'spec.kube.selector (selecting pods by label) is not supported yet' };
  }
  if (svcNs !== upstreamNs && upstreamNs !== ctx.installNamespace) {
    const allowed = referenceAllowed(
      ctx.lookups.referenceGrants(svcNs),
      { group: GANTRY_API_GROUP, kind: UPSTREAM_KIND, namespace: upstreamNs },
      { group: '', kind: 'Service', name: kube.serviceName },
    );
    if (!allowed) {
      return {
        ok: false,
        reason: Reason.RefNotPermitted,
        message: `${svcWhere} is in another namespace: allowed only to Upstreams in ${ctx.installNamespace} or by a ReferenceGrant in ${svcNs}`,
      };
    }
  }
  const serviceKey = flat(`${svcNs}/${kube.serviceName}`);
  const svc = ctx.lookups.service(svcNs, kube.serviceName, serviceKey);
  if (!svc) return { ok: false, reason: Reason.BackendNotFound, message: `${svcWhere} not found` };
  if (svc.spec?.type === 'ExternalName') return { ok: false, reason: Reason.BackendNotFound, message: `${svcWhere} is of type ExternalName, which has no endpoints` };
  const port: ServicePort | undefined = svc.spec?.ports?.find((p) => p.port === kube.servicePort);
  if (!port) return { ok: false, reason: Reason.BackendNotFound, message: `${svcWhere} has no port ${kube.servicePort}` };
  return {
    source: { kind: 'service', serviceKey, namespace: svcNs, service: kube.serviceName, port: kube.servicePort, portName: port.name ?? '' },
    tls: false,
    healthCheckHost: `${kube.serviceName}.${svcNs}.svc`,
  };
}
