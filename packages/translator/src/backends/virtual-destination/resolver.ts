// Gantry's VirtualDestination as a backend: `backendRefs: [{group: gateway.gantry.dev, kind:
// VirtualDestination, name, port}]`, where port is one of its ports (optional when it has one).
// Its cluster `vd/<ns>/<name>/<port>` gets the ready endpoints of every Service its selectors pick
// (ORed; in every cluster Gantry knows, or the one a selector names), on the target port, straight
// to the pods (EDS). Which Services are picked is read through label-selector lookups, so a label
// added to or removed from a Service re-resolves the routes to it: the cluster keeps its name and
// only its endpoints change. Across clusters each endpoint carries its cluster as locality, the
// local ones priority 0 and remote ones 1 (LocalFirst) or all 0 (Spread), with outlier detection
// so that failing local endpoints are ejected and traffic moves on.
//
// References across namespaces need ReferenceGrants: route → VirtualDestination always; a
// selector's namespace → from: VirtualDestination, to: Service, unless the VirtualDestination is
// in the install namespace. A Service not granted is left out (and the status says so).
import { virtualDestinationClusterName, type ClusterIR, type OutlierDetectionIR, type UpstreamProtocol } from '@gantry/ir';
import {
  GANTRY_API_GROUP,
  GATEWAY_API_GROUP,
  LOCAL_CLUSTER,
  UPSTREAM_KIND,
  VD_HOST_PATTERN,
  VIRTUAL_DESTINATION_KIND,
  type BackingServiceRef,
  type KubeObject,
  type OutlierDetection,
  type Service,
  type ServicePort,
  type ServiceSelector,
  type Upstream,
  type VirtualDestination,
  type VirtualDestinationPort,
} from '@gantry/api';
import { parseDurationMs } from '../../core/duration.js';
import { flat, type Mutable } from '../../core/memory.js';
import { referenceAllowed } from '../../core/refgrants.js';
import { olderFirst } from '../../core/sorted.js';
import { Reason } from '../../status/conditions.js';
import {
  remoteServiceKey,
  servicesSourceKey,
  type BackendContext,
  type BackendResolution,
  type BackendResolver,
  type ServicePart,
  type ServicesEndpointSource,
} from '../backend.js';
import { reportVirtualDestination } from './status.js';

export const virtualDestinationResolver: BackendResolver = {
  group: GANTRY_API_GROUP,
  kind: VIRTUAL_DESTINATION_KIND,
  resolve(ref, ctx) {
    const ns = ref.namespace ?? ctx.fromNamespace;
    const where = `VirtualDestination ${ns}/${ref.name}`;
    if (ns !== ctx.fromNamespace) {
      const allowed = referenceAllowed(
        ctx.lookups.referenceGrants(ns),
        { group: GATEWAY_API_GROUP, kind: ctx.fromKind, namespace: ctx.fromNamespace },
        { group: GANTRY_API_GROUP, kind: VIRTUAL_DESTINATION_KIND, name: ref.name },
      );
      if (!allowed) return { ok: false, reason: Reason.RefNotPermitted, message: `backendRef to ${where} is not permitted by any ReferenceGrant` };
    }
    const vd = ctx.lookups.object(GANTRY_API_GROUP, VIRTUAL_DESTINATION_KIND, ns, ref.name) as VirtualDestination | undefined;
    if (!vd) return { ok: false, reason: Reason.BackendNotFound, message: `${where} not found` };
    const verdict = judgedVirtualDestination(vd, ctx);
    if (!verdict.ok) return { ok: false, reason: Reason.BackendNotFound, message: `${where} is not usable: ${verdict.message}` };
    let port: PortVerdict | undefined;
    if (ref.port === undefined) {
      if (verdict.ports.length !== 1) {
        return { ok: false, reason: Reason.UnsupportedValue, message: `backendRef to ${where} needs a port: it has ${verdict.ports.length} (${verdict.ports.map((p) => p.number).join(', ')})` };
      }
      port = verdict.ports[0];
    } else port = verdict.ports.find((p) => p.number === ref.port);
    if (!port) return { ok: false, reason: Reason.BackendNotFound, message: `${where} has no port ${ref.port}` };
    const resolved: Mutable<Extract<BackendResolution, { ok: true }>> = { ok: true, cluster: ctx.clusterLike(port.cluster), source: port.source, websocket: false };
    if (verdict.hostRewrite !== undefined) resolved.hostRewrite = verdict.hostRewrite;
    return resolved;
  },
  report: reportVirtualDestination,
};

export interface PortVerdict {
  readonly number: number;
  /** Not interned: the resolver interns it. */
  readonly cluster: ClusterIR;
  readonly source: ServicesEndpointSource;
}

/** Something the VirtualDestination works around, said in its status as a condition of its own. */
export interface Warnings {
  /** Oldest selection with several Services in a cluster: what was kept and what was not. */
  readonly multiple: string[];
  /** Selected Services without the target port, Upstreams that cannot be used. */
  readonly skipped: string[];
  /** Services in other namespaces no ReferenceGrant allows. */
  readonly notPermitted: string[];
  /** Clusters named by selectors that Gantry does not know. */
  readonly unknownClusters: string[];
}

export type VirtualDestinationVerdict =
  | {
      readonly ok: true;
      readonly ports: readonly PortVerdict[];
      readonly hostRewrite?: string;
      /** Sorted by cluster, namespace, name, port. */
      readonly selected: readonly BackingServiceRef[];
      /** Distinct Services (and Upstreams) behind it, in every cluster. */
      readonly count: number;
      readonly warnings: Warnings;
      /** The remote clusters searched, with their state (empty: one cluster). */
      readonly remotes: readonly { readonly name: string; readonly state: string }[];
    }
  | { readonly ok: false; readonly reason: string; readonly message: string };

/** The verdict on a VirtualDestination, computed once per translation for its routes and its status. */
export function judgedVirtualDestination(vd: VirtualDestination, ctx: Pick<BackendContext, 'lookups' | 'installNamespace'>): VirtualDestinationVerdict {
  return ctx.lookups.memo(vd, () => judge(vd, ctx));
}

const invalid = (message: string): VirtualDestinationVerdict => ({ ok: false, reason: Reason.Invalid, message });

const PROTOCOLS: Readonly<Record<string, UpstreamProtocol>> = { HTTP: 'http1', HTTP2: 'h2c', GRPC: 'h2c' };
const HOST = new RegExp(VD_HOST_PATTERN);

/** Across clusters, without an outlierDetection of its own: eject a failing endpoint quickly, all of them if need be. */
export const FAILOVER_OUTLIER_DETECTION: OutlierDetectionIR = { consecutive5xx: 3, intervalMs: 1000, baseEjectionTimeMs: 30000, maxEjectionPercent: 100 };

/** The spec's own problems (the CRD's rules, for files that never met the API server). */
function specProblem(vd: VirtualDestination): string | undefined {
  const spec = vd.spec;
  if (!spec) return 'spec is required';
  const ports = Array.isArray(spec.ports) ? spec.ports : [];
  if (ports.length === 0) return 'spec.ports: at least one port is required';
  const numbers = new Set<number>();
  for (let i = 0; i < ports.length; i++) {
    const p = ports[i] as VirtualDestinationPort;
    if (!Number.isInteger(p.number) || p.number < 1 || p.number > 65535) return `spec.ports[${i}].number ${p.number} must be 1-65535`;
    if (numbers.has(p.number)) return `spec.ports: port ${p.number} appears twice`;
    numbers.add(p.number);
    if (PROTOCOLS[p.protocol] === undefined) return `spec.ports[${i}].protocol ${JSON.stringify(p.protocol)} must be HTTP, HTTP2 or GRPC`;
    if (p.targetPort !== undefined && (p.targetPort.number === undefined) === (p.targetPort.name === undefined)) return `spec.ports[${i}].targetPort needs exactly one of number or name`;
    const tn = p.targetPort?.number;
    if (tn !== undefined && (!Number.isInteger(tn) || tn < 1 || tn > 65535)) return `spec.ports[${i}].targetPort.number ${tn} must be 1-65535`;
  }
  const services = spec.services ?? [];
  const upstreams = spec.upstreams ?? [];
  if (services.length === 0 && upstreams.length === 0) return 'at least one of spec.services or spec.upstreams must be set';
  if (services.length === 0 && ports.some((p) => p.targetPort !== undefined)) return 'targetPort needs spec.services selectors';
  for (const [field, list] of [['services', services], ['upstreams', upstreams]] as const) {
    for (let i = 0; i < list.length; i++) {
      const sel = list[i] as ServiceSelector;
      if (sel.labels === undefined && !sel.name) return `spec.${field}[${i}]: a selector needs labels or a name`;
    }
  }
  const hosts = spec.hosts ?? [];
  for (const h of hosts) {
    if (typeof h !== 'string' || h.includes('*')) return `spec.hosts: ${JSON.stringify(h)}: hosts must not contain wildcards`;
    if (!HOST.test(h)) return `spec.hosts: ${JSON.stringify(h)} is not a lowercase DNS name whose last label has a letter`;
  }
  if (new Set(hosts).size !== hosts.length) return 'spec.hosts must be unique';
  if (spec.rewriteHost === true && hosts.length === 0) return 'rewriteHost needs hosts';
  if (spec.selection !== undefined && spec.selection !== 'Oldest' && spec.selection !== 'All') return `spec.selection ${JSON.stringify(spec.selection)} must be Oldest or All`;
  const policy = spec.failover?.policy;
  if (policy !== undefined && policy !== 'LocalFirst' && policy !== 'Spread') return `spec.failover.policy ${JSON.stringify(policy)} must be LocalFirst or Spread`;
  return undefined;
}

function outlierDetectionIR(od: OutlierDetection): OutlierDetectionIR | string {
  const out: Mutable<OutlierDetectionIR> = {};
  if (od.consecutive5xx !== undefined) {
    if (!Number.isInteger(od.consecutive5xx) || od.consecutive5xx < 1) return 'spec.outlierDetection.consecutive5xx must be a whole number ≥ 1';
    out.consecutive5xx = od.consecutive5xx;
  }
  for (const [field, key] of [['interval', 'intervalMs'], ['baseEjectionTime', 'baseEjectionTimeMs']] as const) {
    const text = od[field];
    if (text === undefined) continue;
    const ms = typeof text === 'string' ? parseDurationMs(text) : undefined;
    if (ms === undefined || ms <= 0) return `spec.outlierDetection.${field} ${JSON.stringify(text)} must be a duration greater than 0 (e.g. 5s)`;
    out[key] = ms;
  }
  if (od.maxEjectionPercent !== undefined) {
    if (!Number.isInteger(od.maxEjectionPercent) || od.maxEjectionPercent < 0 || od.maxEjectionPercent > 100) return 'spec.outlierDetection.maxEjectionPercent must be 0-100';
    out.maxEjectionPercent = od.maxEjectionPercent;
  }
  return out;
}

interface Candidate {
  readonly cluster: string;
  readonly service: Service;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function judge(vd: VirtualDestination, ctx: Pick<BackendContext, 'lookups' | 'installNamespace'>): VirtualDestinationVerdict {
  const problem = specProblem(vd);
  if (problem !== undefined) return invalid(problem);
  const spec = vd.spec as NonNullable<VirtualDestination['spec']>;
  let outlier: OutlierDetectionIR | undefined;
  if (spec.outlierDetection) {
    const od = outlierDetectionIR(spec.outlierDetection);
    if (typeof od === 'string') return invalid(od);
    outlier = od;
  }
  const vdNs = vd.metadata.namespace ?? 'default';
  const { lookups } = ctx;
  const remotes = lookups.remoteClusters();
  const multi = remotes.length > 0;
  const spread = spec.failover?.policy === 'Spread';
  const warnings: Warnings = { multiple: [], skipped: [], notPermitted: [], unknownClusters: [] };

  // Services, per cluster, deduplicated across selectors.
  const candidates = new Map<string, Candidate>();
  for (const sel of spec.services ?? []) {
    const ns = sel.namespace || vdNs;
    const needsGrant = ns !== vdNs && vdNs !== ctx.installNamespace;
    let clusters: readonly string[];
    if (!sel.cluster) clusters = [LOCAL_CLUSTER, ...remotes.filter((r) => r.state !== 'Unreachable').map((r) => r.name)];
    else if (sel.cluster === LOCAL_CLUSTER) clusters = [LOCAL_CLUSTER];
    else {
      const known = remotes.find((r) => r.name === sel.cluster);
      if (!known) {
        if (!warnings.unknownClusters.includes(sel.cluster)) warnings.unknownClusters.push(sel.cluster);
        continue;
      }
      clusters = known.state === 'Unreachable' ? [] : [sel.cluster];
    }
    for (const cluster of clusters) {
      for (const svc of lookups.selectServices(cluster, ns, { matchLabels: sel.labels ?? {} })) {
        if (sel.name && svc.metadata.name !== sel.name) continue;
        if (svc.spec?.type === 'ExternalName') continue;
        const where = `${cluster === LOCAL_CLUSTER ? '' : `${cluster}:`}${ns}/${svc.metadata.name}`;
        if (needsGrant && !referenceAllowed(lookups.referenceGrants(ns), { group: GANTRY_API_GROUP, kind: VIRTUAL_DESTINATION_KIND, namespace: vdNs }, { group: '', kind: 'Service', name: svc.metadata.name })) {
          if (!warnings.notPermitted.includes(where)) warnings.notPermitted.push(where);
          continue;
        }
        candidates.set(`${cluster}/${ns}/${svc.metadata.name}`, { cluster, service: svc });
      }
    }
  }

  // Oldest: one Service per cluster.
  const byCluster = new Map<string, Candidate[]>();
  for (const c of candidates.values()) {
    const list = byCluster.get(c.cluster);
    if (list) list.push(c);
    else byCluster.set(c.cluster, [c]);
  }
  const kept: Candidate[] = [];
  for (const [cluster, list] of [...byCluster].sort((a, b) => compareStrings(a[0], b[0]))) {
    list.sort((a, b) => olderFirst(a.service, b.service));
    if (spec.selection === 'All' || list.length === 1) kept.push(...list);
    else {
      const [oldest] = list as [Candidate, ...Candidate[]];
      kept.push(oldest);
      const name = (c: Candidate) => `${c.service.metadata.namespace ?? 'default'}/${c.service.metadata.name}`;
      warnings.multiple.push(`cluster ${cluster}: ${list.length} Services match (${list.map(name).join(', ')}); kept the oldest, ${name(oldest)}`);
    }
  }

  // Upstreams (this cluster): a kube Upstream's Service port, a static Upstream's IP hosts.
  const upstreamParts: { part: ServicePart; ref?: BackingServiceRef; key: string }[] = [];
  for (const sel of spec.upstreams ?? []) {
    const ns = sel.namespace || vdNs;
    const found = sel.name
      ? [lookups.object(GANTRY_API_GROUP, UPSTREAM_KIND, ns, sel.name)].filter((u): u is KubeObject => u !== undefined && (sel.labels === undefined || Object.entries(sel.labels).every(([k, v]) => u.metadata.labels?.[k] === v)))
      : lookups.select(GANTRY_API_GROUP, UPSTREAM_KIND, ns, { matchLabels: sel.labels ?? {} });
    for (const u of found as readonly Upstream[]) {
      const uName = u.metadata.name;
      const where = `Upstream ${ns}/${uName}`;
      if (ns !== vdNs && vdNs !== ctx.installNamespace
        && !referenceAllowed(lookups.referenceGrants(ns), { group: GANTRY_API_GROUP, kind: VIRTUAL_DESTINATION_KIND, namespace: vdNs }, { group: GANTRY_API_GROUP, kind: UPSTREAM_KIND, name: uName })) {
        if (!warnings.notPermitted.includes(where)) warnings.notPermitted.push(where);
        continue;
      }
      const part = upstreamPart(u, ns, ctx, warnings);
      if (part) upstreamParts.push(part);
    }
  }

  const ports: PortVerdict[] = [];
  const selected = new Map<string, BackingServiceRef>();
  const counted = new Set<string>();
  for (const port of spec.ports) {
    const target = port.targetPort ?? { number: port.number };
    const parts: ServicePart[] = [];
    for (const c of kept) {
      const svc = c.service;
      const ns = svc.metadata.namespace ?? 'default';
      const sp: ServicePort | undefined = svc.spec?.ports?.find((p) => (target.name !== undefined ? p.name === target.name : p.port === target.number));
      if (!sp) {
        warnings.skipped.push(`${c.cluster === LOCAL_CLUSTER ? '' : `${c.cluster}:`}${ns}/${svc.metadata.name} has no port ${target.name ?? target.number} (port ${port.number})`);
        continue;
      }
      const part: Mutable<ServicePart> = {
        serviceKey: c.cluster === LOCAL_CLUSTER ? flat(`${ns}/${svc.metadata.name}`) : remoteServiceKey(c.cluster, ns, svc.metadata.name),
        portName: sp.name ?? '',
      };
      if (multi) part.locality = c.cluster;
      if (multi && !spread && c.cluster !== LOCAL_CLUSTER) part.priority = 1;
      parts.push(part);
      const ref = { cluster: c.cluster, namespace: ns, name: svc.metadata.name, port: sp.port };
      selected.set(`${c.cluster}/${ns}/${svc.metadata.name}/${sp.port}`, ref);
      counted.add(`${c.cluster}/${ns}/${svc.metadata.name}`);
    }
    for (const u of upstreamParts) {
      const part: Mutable<ServicePart> = { ...u.part };
      if (multi) part.locality = LOCAL_CLUSTER;
      parts.push(part);
      if (u.ref) selected.set(`${u.ref.cluster}/${u.ref.namespace}/${u.ref.name}/${u.ref.port}`, u.ref);
      counted.add(u.key);
    }
    parts.sort((a, b) => (a.priority ?? 0) - (b.priority ?? 0) || compareStrings(a.serviceKey, b.serviceKey) || compareStrings(a.portName, b.portName));
    const cluster: Mutable<ClusterIR> = {
      name: flat(virtualDestinationClusterName(vdNs, vd.metadata.name, port.number)),
      protocol: PROTOCOLS[port.protocol] as UpstreamProtocol,
    };
    const od = outlier ?? (multi ? FAILOVER_OUTLIER_DETECTION : undefined);
    if (od) cluster.outlierDetection = od;
    ports.push({ number: port.number, cluster, source: { kind: 'services', key: servicesSourceKey(parts), parts } });
  }
  const refs = [...selected.values()].sort(
    (a, b) => compareStrings(a.cluster, b.cluster) || compareStrings(a.namespace, b.namespace) || compareStrings(a.name, b.name) || a.port - b.port,
  );
  const verdict: Mutable<Extract<VirtualDestinationVerdict, { ok: true }>> = {
    ok: true,
    ports,
    selected: refs,
    count: counted.size,
    warnings,
    remotes: remotes.map((r) => ({ name: r.name, state: r.state })),
  };
  const host = spec.hosts?.[0];
  if (spec.rewriteHost === true && host !== undefined) verdict.hostRewrite = host;
  return verdict;
}

/** A kube Upstream's Service port (its pod selector is not applied), or a static Upstream's IP hosts. */
function upstreamPart(
  u: Upstream,
  ns: string,
  ctx: Pick<BackendContext, 'lookups' | 'installNamespace'>,
  warnings: Warnings,
): { part: ServicePart; ref?: BackingServiceRef; key: string } | undefined {
  const where = `Upstream ${ns}/${u.metadata.name}`;
  const kube = u.spec?.kube;
  if (kube) {
    const svcNs = kube.serviceNamespace || ns;
    if (svcNs !== ns && ns !== ctx.installNamespace
      && !referenceAllowed(ctx.lookups.referenceGrants(svcNs), { group: GANTRY_API_GROUP, kind: UPSTREAM_KIND, namespace: ns }, { group: '', kind: 'Service', name: kube.serviceName })) {
      warnings.notPermitted.push(`${where} → Service ${svcNs}/${kube.serviceName}`);
      return undefined;
    }
    const svc = ctx.lookups.service(svcNs, kube.serviceName);
    const sp = svc?.spec?.ports?.find((p) => p.port === kube.servicePort);
    if (!svc || !sp) {
      warnings.skipped.push(`${where}: Service ${svcNs}/${kube.serviceName} port ${kube.servicePort} not found`);
      return undefined;
    }
    if (kube.selector && Object.keys(kube.selector).length > 0) warnings.skipped.push(`${where}: its kube.selector is not applied (all the Service's endpoints are used)`);
    return {
      part: { serviceKey: flat(`${svcNs}/${kube.serviceName}`), portName: sp.name ?? '' },
      ref: { cluster: LOCAL_CLUSTER, namespace: svcNs, name: kube.serviceName, port: sp.port },
      key: `${LOCAL_CLUSTER}/${svcNs}/${kube.serviceName}`,
    };
  }
  const hosts = u.spec?.static?.hosts ?? [];
  const ips = hosts.filter((h) => IP.test(h.addr) || h.addr.includes(':'));
  if (ips.length === 0 || ips.length !== hosts.length) {
    warnings.skipped.push(`${where}: only static IP hosts can join a VirtualDestination${ips.length > 0 ? ' (its DNS hosts are left out)' : ''}`);
    if (ips.length === 0) return undefined;
  }
  return {
    part: { serviceKey: flat(`upstream:${ns}/${u.metadata.name}`), portName: '', hosts: ips.map((h) => ({ address: h.addr, port: h.port })) },
    key: `upstream:${ns}/${u.metadata.name}`,
  };
}

const IP = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
