import type { GatewayIR, L4ChainIR, RouteIR } from './types.js';
import { checkCluster, checkHashPolicies } from './validate-cluster.js';

/**
 * Checks the invariants the xds translator relies on. Returns every problem found (empty when
 * valid); a non-empty result is a bug in the gateway translator, not a user error.
 */
export function validate(ir: GatewayIR): string[] {
  const errors: string[] = [];
  const clusters = uniqueNames(ir.clusters, 'cluster', errors);
  const secrets = uniqueNames(ir.secrets, 'secret', errors);
  uniqueNames(ir.endpoints.map((e) => ({ name: e.cluster })), 'endpoints of cluster', errors);
  const ownHosts = new Map<string, string>();
  for (const c of ir.clusters) {
    checkCluster(c, errors);
    if (c.tls?.clientCertificate !== undefined && !secrets.has(c.tls.clientCertificate)) errors.push(`cluster ${c.name} names unknown client certificate secret ${c.tls.clientCertificate}`);
    if (c.discovery !== undefined) ownHosts.set(c.name, c.discovery.type);
  }
  for (const e of ir.endpoints) {
    if (!clusters.has(e.cluster)) errors.push(`endpoints name unknown cluster ${e.cluster}`);
    // Such a cluster carries its hosts itself; the xds translator would ignore these.
    const own = ownHosts.get(e.cluster);
    if (own !== undefined) errors.push(`endpoints for cluster ${e.cluster}, which has ${own} hosts of its own`);
    for (const ep of e.endpoints) {
      const p = ep.priority;
      if (p !== undefined && !(Number.isInteger(p) && p >= 0 && p <= 127)) errors.push(`endpoint ${ep.address}:${ep.port} of cluster ${e.cluster} has priority ${p} (0-127)`);
    }
  }
  // The xds translator patches its cluster and endpoint sets by walking old and new lists in order.
  sortedByName(ir.clusters.map((c) => c.name), 'clusters', errors);
  sortedByName(ir.endpoints.map((e) => e.cluster), 'endpoints', errors);
  uniqueNames(ir.listeners, 'listener', errors);
  const ports = new Set<number>();
  const routeConfigs = new Set<string>();
  for (const l of ir.listeners) {
    if (ports.has(l.port)) errors.push(`port ${l.port} used by two listeners`);
    ports.add(l.port);
    if (l.protocol === 'HTTP' && l.filterChains.length !== 1) {
      errors.push(`HTTP listener ${l.name} must have exactly one filter chain`);
    }
    const sni = new Set<string>();
    for (const fc of l.filterChains) {
      const key = [...fc.serverNames].sort().join(',');
      if (sni.has(key)) errors.push(`listener ${l.name}: two filter chains match server names [${key}]`);
      sni.add(key);
      if (l.protocol === 'HTTPS' && !(fc.tlsSecrets && fc.tlsSecrets.length > 0)) {
        errors.push(`HTTPS filter chain ${fc.name} has no certificate`);
      }
      for (const s of fc.tlsSecrets ?? []) {
        if (!secrets.has(s)) errors.push(`filter chain ${fc.name} names unknown secret ${s}`);
      }
      const rc = fc.routeConfig;
      if (routeConfigs.has(rc.name)) errors.push(`route config ${rc.name} appears twice`);
      routeConfigs.add(rc.name);
      const domains = new Set<string>();
      for (const vh of rc.virtualHosts) {
        for (const d of vh.domains) {
          if (domains.has(d)) errors.push(`route config ${rc.name}: domain ${d} in two virtual hosts`);
          domains.add(d);
        }
        for (const r of vh.routes) checkRoute(r, clusters, errors);
      }
    }
  }
  for (const l of ir.listeners) {
    if (l.tlsChains === undefined) continue;
    if (l.protocol !== 'HTTPS') errors.push(`listener ${l.name}: TLS chains on an ${l.protocol} listener`);
    if (l.tlsChains.length === 0) errors.push(`listener ${l.name}: empty TLS chain list`);
    sortedByName(l.tlsChains.map((c) => c.name), `TLS chains of ${l.name}`, errors);
    const sni = new Set(l.filterChains.map((fc) => [...fc.serverNames].sort().join(',')));
    const names = new Set(l.filterChains.map((fc) => fc.name));
    for (const c of l.tlsChains) {
      const key = [...c.serverNames].sort().join(',');
      if (sni.has(key)) errors.push(`listener ${l.name}: two chains match server names [${key}]`);
      sni.add(key);
      if (names.has(c.name)) errors.push(`listener ${l.name}: two chains named ${c.name}`);
      names.add(c.name);
      checkL4Chain(c, secrets, clusters, errors);
    }
  }
  const l4 = ir.l4Listeners ?? [];
  if (l4.length > 0) uniqueNames([...ir.listeners, ...l4], 'listener', errors);
  const udpPorts = new Set<number>();
  for (const l of l4) {
    // UDP and TCP sockets of one port do not collide.
    const used = l.protocol === 'UDP' ? udpPorts : ports;
    if (used.has(l.port)) errors.push(`port ${l.port} used by two listeners`);
    used.add(l.port);
    if (l.chains.length === 0) errors.push(`listener ${l.name} has no chain`);
    if (l.protocol !== 'TLS' && l.chains.length !== 1) errors.push(`${l.protocol} listener ${l.name} must have exactly one chain`);
    const sni = new Set<string>();
    for (const c of l.chains) {
      const key = [...c.serverNames].sort().join(',');
      if (sni.has(key)) errors.push(`listener ${l.name}: two chains match server names [${key}]`);
      sni.add(key);
      if (l.protocol !== 'TLS' && (c.serverNames.length > 0 || c.tlsSecrets !== undefined)) errors.push(`${l.protocol} chain ${c.name} has server names or certificates`);
      checkL4Chain(c, secrets, clusters, errors);
    }
  }
  return errors;
}

function checkL4Chain(c: L4ChainIR, secrets: ReadonlySet<string>, clusters: ReadonlySet<string>, errors: string[]): void {
  for (const s of c.tlsSecrets ?? []) if (!secrets.has(s)) errors.push(`chain ${c.name} names unknown secret ${s}`);
  for (const b of c.backends) {
    if (!clusters.has(b.cluster)) errors.push(`chain ${c.name} names unknown cluster ${b.cluster}`);
    if (!(Number.isInteger(b.weight) && b.weight > 0)) errors.push(`chain ${c.name}: backend ${b.cluster} has weight ${b.weight}`);
  }
}

function checkRoute(r: RouteIR, clusters: Set<string>, errors: string[]): void {
  if (r.action.kind === 'redirect' && ![301, 302, 303, 307, 308].includes(r.action.statusCode)) {
    errors.push(`route ${r.name}: redirect status ${r.action.statusCode}`);
  }
  const f = r.faults;
  if (f !== undefined) {
    if (f.abort === undefined && f.delay === undefined) errors.push(`route ${r.name}: faults without abort or delay`);
    if (f.abort && !(f.abort.percent >= 0 && f.abort.percent <= 100 && Number.isInteger(f.abort.status) && f.abort.status >= 200 && f.abort.status <= 599)) {
      errors.push(`route ${r.name}: fault abort ${f.abort.percent}% status ${f.abort.status}`);
    }
    if (f.delay && !(f.delay.percent >= 0 && f.delay.percent <= 100 && f.delay.fixedDelayMs > 0)) {
      errors.push(`route ${r.name}: fault delay ${f.delay.percent}% ${f.delay.fixedDelayMs}ms`);
    }
  }
  if (r.action.kind === 'directResponse' && !(Number.isInteger(r.action.status) && r.action.status >= 200 && r.action.status <= 599)) {
    errors.push(`route ${r.name}: direct response status ${r.action.status}`);
  }
  if (r.action.kind !== 'forward') return;
  const rw = r.action.urlRewrite;
  if (rw?.hostname !== undefined && rw.autoHostname === true) errors.push(`route ${r.name}: hostname and autoHostname both set`);
  if (r.action.timeouts?.idleMs !== undefined && !(r.action.timeouts.idleMs > 0)) errors.push(`route ${r.name}: idle timeout ${r.action.timeouts.idleMs}`);
  if (r.action.backends.length === 0) errors.push(`route ${r.name} forwards to no backend`);
  for (const b of r.action.backends) {
    if (!clusters.has(b.cluster)) errors.push(`route ${r.name} names unknown cluster ${b.cluster}`);
    if (!(b.weight > 0)) errors.push(`route ${r.name}: backend ${b.cluster} has weight ${b.weight}`);
  }
  if (r.action.invalidBackendWeight !== undefined && !(r.action.invalidBackendWeight > 0)) {
    errors.push(`route ${r.name}: invalidBackendWeight ${r.action.invalidBackendWeight}`);
  }
  checkHashPolicies(r.name, r.action.hashPolicies ?? [], errors);
  for (const m of r.action.mirrors ?? []) {
    if (!clusters.has(m.cluster)) errors.push(`route ${r.name} mirrors to unknown cluster ${m.cluster}`);
  }
}

function sortedByName(names: readonly string[], what: string, errors: string[]): void {
  for (let i = 1; i < names.length; i++) {
    if ((names[i - 1] as string) > (names[i] as string)) {
      errors.push(`${what} not sorted by name: ${names[i - 1]} before ${names[i]}`);
      return;
    }
  }
}

function uniqueNames(items: readonly { readonly name: string }[], what: string, errors: string[]): Set<string> {
  const seen = new Set<string>();
  for (const { name } of items) {
    if (seen.has(name)) errors.push(`${what} ${name} appears twice`);
    seen.add(name);
  }
  return seen;
}
