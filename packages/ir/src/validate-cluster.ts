// The invariants of a ClusterIR's policies and of forward actions' hash policies: values Envoy
// would reject (NACKing the whole CDS or RDS update), or that make no sense in the IR.
import type { ClusterIR, HashPolicyIR, HealthCheckIR, LoadBalancerIR, StaticHostIR } from './types.js';

/** Envoy's ring sizes and Maglev table sizes are capped (cluster.proto). */
const MAX_RING_SIZE = 8_388_608;
const MAX_MAGLEV_TABLE_SIZE = 5_000_011;

function isInt(n: number, min: number, max = Number.MAX_SAFE_INTEGER): boolean {
  return Number.isInteger(n) && n >= min && n <= max;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** An IPv4 or IPv6 address literal (no brackets, no zone). */
export function isIpAddress(s: string): boolean {
  if (IPV4.test(s)) return true;
  if (!s.includes(':') || s.includes('[') || s.includes('%')) return false;
  try {
    return new URL(`http://[${s}]/`).hostname !== '';
  } catch {
    return false;
  }
}

const DNS_LABEL = /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

/**
 * A DNS name Envoy can resolve (a trailing dot allowed). Not an IP literal, nor anything whose
 * last label is all digits (RFC 3696: `256.0.0.1` is a bad address, not a name).
 */
export function isDnsName(s: string): boolean {
  const name = s.endsWith('.') ? s.slice(0, -1) : s;
  if (name === '' || name.length > 253 || isIpAddress(name)) return false;
  const labels = name.split('.');
  return labels.every((label) => DNS_LABEL.test(label)) && !/^\d+$/.test(labels[labels.length - 1] ?? '');
}

function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

function sniOk(sni: string): boolean {
  return sni !== '' && new TextEncoder().encode(sni).length <= 255;
}

function checkHosts(c: ClusterIR, errors: string[]): void {
  const d = c.discovery;
  if (d === undefined) return;
  for (const h of d.hosts) {
    const where = `cluster ${c.name}: host ${h.address}:${h.port}`;
    if (d.type === 'static' && !isIpAddress(h.address)) errors.push(`${where}: a static host must be an IP address`);
    if (d.type === 'strictDns' && !isDnsName(h.address)) errors.push(`${where}: a strictDns host must be a DNS name`);
    checkHost(h, where, errors);
  }
}

function checkHost(h: StaticHostIR, where: string, errors: string[]): void {
  if (!isInt(h.port, 1, 65535)) errors.push(`${where}: port out of range`);
  if (h.weight !== undefined && !isInt(h.weight, 1, 2 ** 32 - 1)) errors.push(`${where}: weight ${h.weight}`);
  if (h.sni !== undefined && !sniOk(h.sni)) errors.push(`${where}: sni must have 1 to 255 bytes`);
}

function checkLoadBalancer(name: string, lb: LoadBalancerIR | undefined, errors: string[]): void {
  if (lb?.type === 'leastRequest' && lb.choiceCount !== undefined && !isInt(lb.choiceCount, 2)) {
    errors.push(`cluster ${name}: leastRequest choiceCount ${lb.choiceCount} (at least 2)`);
  }
  if (lb?.type === 'ringHash') {
    const { minimumRingSize: min, maximumRingSize: max } = lb;
    if (min !== undefined && !isInt(min, 1, MAX_RING_SIZE)) errors.push(`cluster ${name}: minimumRingSize ${min}`);
    if (max !== undefined && !isInt(max, 1, MAX_RING_SIZE)) errors.push(`cluster ${name}: maximumRingSize ${max}`);
    if (min !== undefined && max !== undefined && min > max) errors.push(`cluster ${name}: minimumRingSize above maximumRingSize`);
  }
  if (lb?.type === 'maglev' && lb.tableSize !== undefined && !(isInt(lb.tableSize, 2, MAX_MAGLEV_TABLE_SIZE) && isPrime(lb.tableSize))) {
    errors.push(`cluster ${name}: maglev tableSize ${lb.tableSize} (a prime up to ${MAX_MAGLEV_TABLE_SIZE})`);
  }
}

function checkHealthCheck(c: ClusterIR, hc: HealthCheckIR, errors: string[]): void {
  const where = `cluster ${c.name}: health check`;
  if (!(hc.intervalMs > 0)) errors.push(`${where}: intervalMs ${hc.intervalMs}`);
  if (!(hc.timeoutMs > 0)) errors.push(`${where}: timeoutMs ${hc.timeoutMs}`);
  if (!isInt(hc.unhealthyThreshold, 1)) errors.push(`${where}: unhealthyThreshold ${hc.unhealthyThreshold}`);
  if (!isInt(hc.healthyThreshold, 1)) errors.push(`${where}: healthyThreshold ${hc.healthyThreshold}`);
  const check = hc.check;
  switch (check.type) {
    case 'http':
      if (!check.path.startsWith('/')) errors.push(`${where}: path ${JSON.stringify(check.path)} must start with /`);
      for (const r of check.expectedStatuses ?? []) {
        if (!isInt(r.start, 100, 599) || !isInt(r.end, 100, 599) || r.start > r.end) errors.push(`${where}: expected statuses ${r.start}-${r.end}`);
      }
      break;
    case 'tcp':
      // Envoy's payloads cannot be empty.
      if (check.send === '' || (check.receive ?? []).includes('')) errors.push(`${where}: empty tcp payload`);
      break;
    case 'grpc':
      // Envoy refuses gRPC health checks on a cluster that does not speak HTTP/2.
      if (c.protocol !== 'h2c') errors.push(`${where}: grpc needs protocol h2c`);
      break;
  }
}

function checkPolicies(c: ClusterIR, errors: string[]): void {
  const o = c.outlierDetection;
  if (o !== undefined) {
    if (o.consecutive5xx !== undefined && !isInt(o.consecutive5xx, 1)) errors.push(`cluster ${c.name}: consecutive5xx ${o.consecutive5xx}`);
    if (o.intervalMs !== undefined && !(o.intervalMs > 0)) errors.push(`cluster ${c.name}: outlier intervalMs ${o.intervalMs}`);
    if (o.baseEjectionTimeMs !== undefined && !(o.baseEjectionTimeMs > 0)) errors.push(`cluster ${c.name}: baseEjectionTimeMs ${o.baseEjectionTimeMs}`);
    if (o.maxEjectionPercent !== undefined && !isInt(o.maxEjectionPercent, 0, 100)) errors.push(`cluster ${c.name}: maxEjectionPercent ${o.maxEjectionPercent}`);
  }
  const cb = c.circuitBreakers;
  if (cb !== undefined) {
    // A limit of 0 connections or requests would refuse every request; 0 retries is a real choice.
    for (const [field, value, min] of [
      ['maxConnections', cb.maxConnections, 1],
      ['maxPendingRequests', cb.maxPendingRequests, 1],
      ['maxRequests', cb.maxRequests, 1],
      ['maxRetries', cb.maxRetries, 0],
    ] as const) {
      if (value !== undefined && !isInt(value, min, 2 ** 32 - 1)) errors.push(`cluster ${c.name}: ${field} ${value}`);
    }
  }
  if (c.tls?.sni !== undefined && !sniOk(c.tls.sni)) errors.push(`cluster ${c.name}: tls sni must have 1 to 255 bytes`);
  const verify = c.tls?.verify;
  if (verify !== undefined) {
    if ((verify.trustedCA === undefined || verify.trustedCA === '') === (verify.systemCA !== true)) errors.push(`cluster ${c.name}: tls verify needs exactly one of trustedCA and systemCA`);
    if (verify.subjectAltNames.length === 0) errors.push(`cluster ${c.name}: tls verify needs at least one subjectAltName`);
  }
}

export function checkCluster(c: ClusterIR, errors: string[]): void {
  checkHosts(c, errors);
  checkLoadBalancer(c.name, c.loadBalancer, errors);
  if (c.healthCheck !== undefined) checkHealthCheck(c, c.healthCheck, errors);
  checkPolicies(c, errors);
}

export function checkHashPolicies(route: string, policies: readonly HashPolicyIR[], errors: string[]): void {
  for (const p of policies) {
    if (p.type !== 'sourceIP' && p.name === '') errors.push(`route ${route}: ${p.type} hash policy without a name`);
    if (p.type === 'cookie' && p.ttlMs !== undefined && !(p.ttlMs >= 0)) errors.push(`route ${route}: cookie ttlMs ${p.ttlMs}`);
  }
}
