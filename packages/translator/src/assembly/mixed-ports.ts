// HTTPS and TLS listeners on one port (TLSRouteModeMixed): Envoy has one listener per port, so the
// TLS chains of that port (TLSRoutes, Passthrough or Terminate) join the HTTPS listener's chains,
// and Envoy picks a chain by SNI (exact names, then the longest wildcard, then the chain without
// names). A server name both sides offer goes to the HTTPS chain: an HTTPS chain's name is its
// listener's hostname, and listeners of one port have distinct hostnames, so the TLS chain's
// listener is the less specific one (the spec sends a flow to the most specific listener).
//
// Pure; `MixedPortMemo` keeps the merged objects while their inputs keep their identity (the xds
// translator caches on identity).
import type { L4ChainIR, L4ListenerIR, ListenerIR } from '@gantry/ir';

export interface MixedPorts {
  readonly listeners: readonly ListenerIR[];
  readonly l4Listeners: readonly L4ListenerIR[] | undefined;
}

export class MixedPortMemo {
  private last: { listeners: readonly ListenerIR[]; l4: readonly L4ListenerIR[] | undefined; out: MixedPorts } | undefined;
  private readonly merged = new WeakMap<ListenerIR, { tls: L4ListenerIR; out: ListenerIR }>();
  private readonly chains = new WeakMap<L4ListenerIR, { taken: string; kept: readonly L4ChainIR[] }>();

  merge(listeners: readonly ListenerIR[], l4: readonly L4ListenerIR[] | undefined): MixedPorts {
    const last = this.last;
    if (last && last.listeners === listeners && last.l4 === l4) return last.out;
    const out = mergeMixedPorts(listeners, l4, (https, tls) => {
      const m = this.merged.get(https);
      if (m && m.tls === tls) return m.out;
      // The TLS chains keep their identity while the names the HTTPS chains take do not change.
      const taken = takenNames(https);
      const c = this.chains.get(tls);
      const kept = c && c.taken === taken ? c.kept : tlsChainsBeside(https, tls.chains);
      this.chains.set(tls, { taken, kept });
      const built: ListenerIR = kept.length > 0 ? { ...https, tlsChains: kept } : https;
      this.merged.set(https, { tls, out: built });
      return built;
    });
    // Nothing merged: the inputs themselves.
    const result: MixedPorts = out.listeners === listeners && out.l4Listeners === l4 ? { listeners, l4Listeners: l4 } : out;
    const prev = last?.out;
    const same =
      prev &&
      prev.listeners.length === result.listeners.length &&
      prev.listeners.every((l, i) => l === result.listeners[i]) &&
      (prev.l4Listeners ?? []).length === (result.l4Listeners ?? []).length &&
      (prev.l4Listeners ?? []).every((l, i) => l === (result.l4Listeners ?? [])[i]);
    const kept = same && prev ? prev : result;
    this.last = { listeners, l4, out: kept };
    return kept;
  }
}

/** Moves each TLS listener sharing a port with an HTTPS listener into it; the rest is unchanged. */
export function mergeMixedPorts(
  listeners: readonly ListenerIR[],
  l4: readonly L4ListenerIR[] | undefined,
  join: (https: ListenerIR, tls: L4ListenerIR) => ListenerIR = (https, tls) => withTlsChains(https, tls.chains),
): MixedPorts {
  if (!l4 || l4.length === 0) return { listeners, l4Listeners: l4 };
  const https = new Map<number, ListenerIR>();
  for (const l of listeners) if (l.protocol === 'HTTPS') https.set(l.port, l);
  const tlsByPort = new Map<number, L4ListenerIR>();
  for (const l of l4) if (l.protocol === 'TLS' && https.has(l.port)) tlsByPort.set(l.port, l);
  if (tlsByPort.size === 0) return { listeners, l4Listeners: l4 };
  const outListeners = listeners.map((l) => {
    const tls = l.protocol === 'HTTPS' ? tlsByPort.get(l.port) : undefined;
    return tls ? join(l, tls) : l;
  });
  const rest = l4.filter((l) => !(l.protocol === 'TLS' && tlsByPort.has(l.port)));
  return { listeners: outListeners, l4Listeners: rest.length > 0 ? rest : undefined };
}

/** The HTTPS listener with the TLS chains whose server names no HTTPS chain has. */
export function withTlsChains(https: ListenerIR, chains: readonly L4ChainIR[]): ListenerIR {
  const kept = tlsChainsBeside(https, chains);
  return kept.length > 0 ? { ...https, tlsChains: kept } : https;
}

/** The TLS chains, less the server names the HTTPS chains match (all of them: the same array). */
export function tlsChainsBeside(https: ListenerIR, chains: readonly L4ChainIR[]): readonly L4ChainIR[] {
  const taken = new Set(https.filterChains.map((c) => sniKey(c.serverNames)));
  const kept: L4ChainIR[] = [];
  for (const c of chains) {
    if (c.serverNames.length > 0) {
      const names = c.serverNames.filter((n) => !taken.has(n));
      if (names.length === 0) continue;
      kept.push(names.length === c.serverNames.length ? c : { ...c, serverNames: names });
    } else if (!taken.has('')) {
      kept.push(c);
    }
  }
  return kept.length === chains.length && kept.every((c, i) => c === chains[i]) ? chains : kept;
}

/** The server names the HTTPS chains match, as one key. */
function takenNames(https: ListenerIR): string {
  return https.filterChains.map((c) => sniKey(c.serverNames)).sort().join('|');
}

function sniKey(names: readonly string[]): string {
  return [...names].sort().join(',');
}
