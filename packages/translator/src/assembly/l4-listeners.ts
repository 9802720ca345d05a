// The listeners of a Gateway that forward connections or datagrams (protocols TLS, TCP, UDP),
// built from the routes placed on them. They are few, so they are rebuilt whole when one of their
// routes changes; equal results keep the previous objects (identity is what the xds translator
// caches on).
//
// TLS: one chain per SNI hostname (the route's effective hostnames on the listener); TCP and UDP:
// one chain per listener. When several routes claim the same chain, the oldest route wins
// (creationTimestamp, then namespace/name), as for conflicting HTTP routes.
import type { L4ChainIR, L4ListenerIR, L4Protocol } from '@gantry/ir';
import { deepEqual } from '../core/equality.js';
import { compareCreated, compareStrings } from '../core/sorted.js';
import type { ListenerState } from '../gateway/model.js';
import { ANY_HOST } from '../routes/hostnames.js';
import type { RouteTranslation } from '../routes/route-translation.js';

export function isL4Protocol(protocol: string): protocol is L4Protocol {
  return protocol === 'TLS' || protocol === 'TCP' || protocol === 'UDP';
}

/** The ready listeners of these protocols, by name. */
export function l4ListenerNames(listeners: readonly ListenerState[]): ReadonlySet<string> {
  const out = new Set<string>();
  for (const l of listeners) if (l.ready && isL4Protocol(l.info.protocol)) out.add(l.info.name);
  return out;
}

export function buildL4Listeners(
  gatewayKey: string,
  listeners: readonly ListenerState[],
  routes: Iterable<RouteTranslation>,
  previous: readonly L4ListenerIR[] | undefined,
): readonly L4ListenerIR[] | undefined {
  const byName = new Map<string, ListenerState>();
  for (const l of listeners) if (l.ready && isL4Protocol(l.info.protocol)) byName.set(l.info.name, l);
  if (byName.size === 0) return undefined;

  // A chain (an SNI name of a port) goes to the most specific listener that offers it (exact
  // hostname, then the wildcard with the most labels, then no hostname: what the spec asks of
  // listeners distinct only by hostname, e.g. a Passthrough `a.example.com` beside a Terminate
  // `*.example.com`), and among that listener's routes to the oldest.
  const placed: { t: RouteTranslation; l: ListenerState; domains: readonly string[] }[] = [];
  for (const t of routes) {
    for (const p of t.placementsOn(gatewayKey) ?? []) {
      const l = byName.get(p.listener);
      if (l) placed.push({ t, l, domains: p.domains });
    }
  }
  placed.sort((a, b) => compareSpecificity(a.l.info.hostname, b.l.info.hostname) || compareAge(a.t, b.t) || compareStrings(a.l.info.name, b.l.info.name));
  /** Per listener port and protocol: chains by name. */
  const ports = new Map<string, { port: number; protocol: L4Protocol; chains: Map<string, L4ChainIR> }>();
  for (const { t, l, domains } of placed) {
    const backends = t.l4Backends();
    const protocol = l.info.protocol as L4Protocol;
    const key = `${protocol}/${l.info.port}`;
    let entry = ports.get(key);
    if (!entry) ports.set(key, (entry = { port: l.info.port, protocol, chains: new Map() }));
    const base = `${protocol.toLowerCase()}-${l.info.port}`;
    if (protocol !== 'TLS') {
      if (!entry.chains.has(base)) entry.chains.set(base, { name: base, serverNames: [], backends });
      continue;
    }
    for (const domain of domains) {
      const name = `${base}/${domain}`;
      if (entry.chains.has(name)) continue;
      const chain: { -readonly [K in keyof L4ChainIR]: L4ChainIR[K] } = { name, serverNames: domain === ANY_HOST ? [] : [domain], backends };
      if (l.tlsSecrets.length > 0) chain.tlsSecrets = l.tlsSecrets.map((s) => s.name);
      entry.chains.set(name, chain);
    }
  }
  const out: L4ListenerIR[] = [];
  for (const e of [...ports.values()].sort((a, b) => a.port - b.port || compareStrings(a.protocol, b.protocol))) {
    const chains = [...e.chains.values()].sort((a, b) => compareStrings(a.name, b.name));
    const next: L4ListenerIR = { name: `${e.protocol.toLowerCase()}-${e.port}`, port: e.port, protocol: e.protocol, chains };
    const prev = previous?.find((x) => x.name === next.name);
    out.push(prev && deepEqual(prev, next) ? prev : next);
  }
  if (out.length === 0) return undefined;
  if (previous && previous.length === out.length && out.every((l, i) => l === previous[i])) return previous;
  return out;
}

/** Listener hostnames, the most specific first: exact, wildcards by label count, none. */
export function compareSpecificity(a: string | undefined, b: string | undefined): number {
  return specificity(a) - specificity(b);
}

function specificity(hostname: string | undefined): number {
  if (hostname === undefined || hostname === '' || hostname === ANY_HOST) return 2000;
  if (!hostname.startsWith('*.')) return 0;
  // More labels after the wildcard: more specific (smaller).
  return 1000 - hostname.split('.').length;
}

function compareAge(a: RouteTranslation, b: RouteTranslation): number {
  return compareCreated(a.route, b.route) || compareStrings(a.key, b.key);
}
