// An Upstream's spec → the cluster policies Envoy applies (load balancer, health check, outlier
// detection, circuit breakers, connect timeout, protocol) and, for static Upstreams, the hosts.
// The API server checks the CRD's rules; files (translate, standalone) are checked here, with the
// same meaning, and a problem makes the Upstream unusable rather than half-applied.
import { isIP, UINT32_MAX } from '../../core/envoy-limits.js';
import type {
  CircuitBreakersIR,
  ClusterDiscoveryIR,
  HashPolicyIR,
  HealthCheckIR,
  LoadBalancerIR,
  OutlierDetectionIR,
  StaticHostIR,
  UpstreamProtocol,
} from '@gantry/ir';
import type { HealthCheck, LoadBalancer, OutlierDetection, StaticUpstream, UpstreamSpec } from '@gantry/api';
import { parseDurationMs } from '../../core/duration.js';
import { hashPoliciesIR } from '../../core/hash-policies.js';
import { Invalid, invalid } from '../../core/invalid.js';
import type { Mutable } from '../../core/memory.js';

/** Everything of a cluster but its name and where its endpoints come from. */
export interface ClusterPolicies {
  readonly protocol: UpstreamProtocol;
  readonly connectTimeoutMs?: number;
  readonly loadBalancer?: LoadBalancerIR;
  readonly healthCheck?: HealthCheckIR;
  readonly outlierDetection?: OutlierDetectionIR;
  readonly circuitBreakers?: CircuitBreakersIR;
  /** For the routes to a consistent-hash cluster. */
  readonly hashPolicies?: readonly HashPolicyIR[];
}

const HTTP1_ONLY: ClusterPolicies = Object.freeze({ protocol: 'http1' });
const H2C_ONLY: ClusterPolicies = Object.freeze({ protocol: 'h2c' });

/** `healthCheckHost`: the Host header an HTTP check sends when the Upstream names none. */
export function clusterPolicies(spec: UpstreamSpec, healthCheckHost: string): ClusterPolicies | Invalid {
  // No policy but the protocol (most Upstreams): one shared answer per protocol, not an object each.
  if (spec.connectTimeout === undefined && !spec.loadBalancer && !spec.healthCheck && !spec.outlierDetection && !spec.circuitBreakers) return spec.useHttp2 ? H2C_ONLY : HTTP1_ONLY;
  const out: Mutable<ClusterPolicies> = { protocol: spec.useHttp2 ? 'h2c' : 'http1' };
  if (spec.connectTimeout !== undefined) {
    const ms = positiveDuration(spec.connectTimeout, 'spec.connectTimeout');
    if (ms instanceof Invalid) return ms;
    out.connectTimeoutMs = ms;
  }
  if (spec.loadBalancer) {
    const lb = loadBalancer(spec.loadBalancer);
    if (lb instanceof Invalid) return lb;
    if (lb.ir) out.loadBalancer = lb.ir;
    if (lb.hashPolicies) out.hashPolicies = lb.hashPolicies;
  }
  if (spec.healthCheck) {
    const hc = healthCheck(spec.healthCheck, healthCheckHost);
    if (hc instanceof Invalid) return hc;
    out.healthCheck = hc;
  }
  if (spec.outlierDetection) {
    const od = outlierDetection(spec.outlierDetection);
    if (od instanceof Invalid) return od;
    out.outlierDetection = od;
  }
  if (spec.circuitBreakers) {
    const cb = spec.circuitBreakers;
    const bad = (['maxConnections', 'maxPendingRequests', 'maxRequests', 'maxRetries'] as const).find((k) => cb[k] !== undefined && !isCount(cb[k], 0));
    if (bad) return invalid(`spec.circuitBreakers.${bad} must be a whole number ≥ 0`);
    out.circuitBreakers = { ...cb };
  }
  return out;
}

/** The hosts of a static Upstream: IP addresses only → STATIC, any DNS name → STRICT_DNS. */
export function staticHosts(s: StaticUpstream): { readonly discovery: ClusterDiscoveryIR; readonly tls: boolean } | Invalid {
  if (!s.hosts || s.hosts.length === 0) return invalid('spec.static.hosts: a static Upstream needs at least one host');
  const hosts: StaticHostIR[] = [];
  let names = false;
  for (let i = 0; i < s.hosts.length; i++) {
    const h = s.hosts[i];
    if (!h) continue;
    const where = `spec.static.hosts[${i}]`;
    const addr = typeof h.addr === 'string' ? h.addr.toLowerCase() : '';
    if (!isIP(addr) && !DNS_NAME.test(addr)) return invalid(`${where}.addr ${JSON.stringify(h.addr)} must be an IP address or a DNS name`);
    if (!isCount(h.port, 1) || h.port > 65535) return invalid(`${where}.port ${h.port} must be 1-65535`);
    if (h.weight !== undefined && !(isCount(h.weight, 1) && h.weight <= UINT32_MAX)) return invalid(`${where}.weight ${h.weight} must be a whole number from 1 to ${UINT32_MAX}`);
    if (!isIP(addr)) names = true;
    const host: Mutable<StaticHostIR> = { address: addr, port: h.port };
    if (h.weight !== undefined) host.weight = h.weight;
    if (h.sniAddr) host.sni = h.sniAddr;
    hosts.push(host);
  }
  const tls = s.useTls ?? hosts.some((h) => h.port === 443);
  if (!tls && (s.sni || hosts.some((h) => h.sni))) return invalid('spec.static: sni and sniAddr need TLS, and useTls is false');
  return { discovery: names ? { type: 'strictDns', hosts } : { type: 'static', hosts }, tls };
}

function loadBalancer(lb: LoadBalancer): { ir?: LoadBalancerIR; hashPolicies?: HashPolicyIR[] } | Invalid {
  const kinds = (['roundRobin', 'leastRequest', 'random', 'ringHash', 'maglev'] as const).filter((k) => lb[k] !== undefined);
  if (kinds.length > 1) return invalid(`spec.loadBalancer: set at most one of roundRobin, leastRequest, random, ringHash or maglev (got ${kinds.join(', ')})`);
  if (lb.roundRobin) return { ir: { type: 'roundRobin' } };
  if (lb.random) return { ir: { type: 'random' } };
  if (lb.leastRequest) {
    const n = lb.leastRequest.choiceCount;
    if (n !== undefined && !isCount(n, 2)) return invalid(`spec.loadBalancer.leastRequest.choiceCount ${n} must be ≥ 2`);
    return { ir: n !== undefined ? { type: 'leastRequest', choiceCount: n } : { type: 'leastRequest' } };
  }
  if (lb.ringHash) {
    const { minimumRingSize: min, maximumRingSize: max } = lb.ringHash;
    if (min !== undefined && max !== undefined && min > max) return invalid('spec.loadBalancer.ringHash: minimumRingSize must not be greater than maximumRingSize');
    const hp = hashPoliciesIR(lb.ringHash.hashPolicies, 'spec.loadBalancer.ringHash.hashPolicies');
    if (hp instanceof Invalid) return hp;
    const ir: Mutable<Extract<LoadBalancerIR, { type: 'ringHash' }>> = { type: 'ringHash' };
    if (min !== undefined) ir.minimumRingSize = min;
    if (max !== undefined) ir.maximumRingSize = max;
    return hp ? { ir, hashPolicies: hp } : { ir };
  }
  if (lb.maglev) {
    const hp = hashPoliciesIR(lb.maglev.hashPolicies, 'spec.loadBalancer.maglev.hashPolicies');
    if (hp instanceof Invalid) return hp;
    const size = lb.maglev.tableSize;
    if (size !== undefined && !isPrime(size)) return invalid(`spec.loadBalancer.maglev.tableSize ${size} must be a prime number`);
    const ir: LoadBalancerIR = size !== undefined ? { type: 'maglev', tableSize: size } : { type: 'maglev' };
    return hp ? { ir, hashPolicies: hp } : { ir };
  }
  return {};
}

function healthCheck(hc: HealthCheck, defaultHost: string): HealthCheckIR | Invalid {
  const kinds = (['http', 'tcp', 'grpc'] as const).filter((k) => hc[k] !== undefined);
  if (kinds.length !== 1) return invalid('spec.healthCheck: set exactly one of http, tcp or grpc');
  const intervalMs = positiveDuration(hc.interval, 'spec.healthCheck.interval');
  if (intervalMs instanceof Invalid) return intervalMs;
  const timeoutMs = positiveDuration(hc.timeout, 'spec.healthCheck.timeout');
  if (timeoutMs instanceof Invalid) return timeoutMs;
  if (!isCount(hc.unhealthyThreshold, 1)) return invalid('spec.healthCheck.unhealthyThreshold must be a whole number ≥ 1');
  if (!isCount(hc.healthyThreshold, 1)) return invalid('spec.healthCheck.healthyThreshold must be a whole number ≥ 1');
  const base = { intervalMs, timeoutMs, unhealthyThreshold: hc.unhealthyThreshold, healthyThreshold: hc.healthyThreshold };
  if (hc.http) {
    if (typeof hc.http.path !== 'string' || !hc.http.path.startsWith('/')) return invalid('spec.healthCheck.http.path must start with /');
    for (const r of hc.http.expectedStatuses ?? []) {
      if (!(isCount(r.start, 100) && isCount(r.end, 100) && r.start <= r.end && r.end <= 599)) {
        return invalid(`spec.healthCheck.http.expectedStatuses ${r.start}-${r.end}: start ≤ end, both 100-599`);
      }
    }
    const check: Mutable<Extract<HealthCheckIR['check'], { type: 'http' }>> = { type: 'http', path: hc.http.path, host: hc.http.host || defaultHost };
    if (hc.http.expectedStatuses && hc.http.expectedStatuses.length > 0) check.expectedStatuses = hc.http.expectedStatuses.map((r) => ({ start: r.start, end: r.end }));
    return { ...base, check };
  }
  if (hc.tcp) {
    const check: Mutable<Extract<HealthCheckIR['check'], { type: 'tcp' }>> = { type: 'tcp' };
    if (hc.tcp.send) check.send = hc.tcp.send;
    if (hc.tcp.receive && hc.tcp.receive.length > 0) check.receive = [...hc.tcp.receive];
    return { ...base, check };
  }
  const grpc = hc.grpc ?? {};
  return { ...base, check: grpc.serviceName ? { type: 'grpc', serviceName: grpc.serviceName } : { type: 'grpc' } };
}

function outlierDetection(od: OutlierDetection): OutlierDetectionIR | Invalid {
  const out: Mutable<OutlierDetectionIR> = {};
  if (od.consecutive5xx !== undefined) {
    if (!isCount(od.consecutive5xx, 1)) return invalid('spec.outlierDetection.consecutive5xx must be a whole number ≥ 1');
    out.consecutive5xx = od.consecutive5xx;
  }
  if (od.interval !== undefined) {
    const ms = positiveDuration(od.interval, 'spec.outlierDetection.interval');
    if (ms instanceof Invalid) return ms;
    out.intervalMs = ms;
  }
  if (od.baseEjectionTime !== undefined) {
    const ms = positiveDuration(od.baseEjectionTime, 'spec.outlierDetection.baseEjectionTime');
    if (ms instanceof Invalid) return ms;
    out.baseEjectionTimeMs = ms;
  }
  if (od.maxEjectionPercent !== undefined) {
    if (!(isCount(od.maxEjectionPercent, 0) && od.maxEjectionPercent <= 100)) return invalid('spec.outlierDetection.maxEjectionPercent must be 0-100');
    out.maxEjectionPercent = od.maxEjectionPercent;
  }
  return out;
}

function duration(text: string, field: string): number | Invalid {
  const ms = typeof text === 'string' ? parseDurationMs(text) : undefined;
  return ms === undefined ? invalid(`${field} ${JSON.stringify(text)} is not a valid duration (e.g. 5s, 1m30s, 250ms)`) : ms;
}

function positiveDuration(text: string, field: string): number | Invalid {
  const ms = duration(text, field);
  if (ms instanceof Invalid) return ms;
  return ms > 0 ? ms : invalid(`${field} must be greater than 0`);
}

function isCount(n: unknown, min: number): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= min && n <= 0x7fffffff;
}

function isPrime(n: number): boolean {
  if (!Number.isInteger(n) || n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

const DNS_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export { isIP };
