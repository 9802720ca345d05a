// Which route Envoy refused. Envoy's NACK of a RouteConfiguration names the offending entry by
// position ("…VirtualHosts[2]… Routes[5]…", from its proto validation); the route's name (which
// leads back to its HTTPRoute rule) is read from the table that was served.
import { RouteConfiguration } from '@gantry/envoy-xds-proto/generated/envoy/config/route/v3/route';
import type { ResourceSet } from '../resources.js';

const POSITION = /VirtualHosts\[(\d+)\][\s\S]*?Routes\[(\d+)\]/;

/** The name of the route a NACK message points at, in the route tables served; undefined when it names none. */
export function nackedRouteName(tables: ResourceSet, message: string): string | undefined {
  const m = POSITION.exec(message);
  if (m === null) return undefined;
  const vh = Number(m[1]);
  const index = Number(m[2]);
  // The table: one the message names (Envoy quotes it), else the only one there is.
  const named = [...tables.values()].filter((t) => message.includes(`"${t.name}"`) || message.includes(`'${t.name}'`));
  const candidates = named.length > 0 ? named : tables.size === 1 ? [...tables.values()] : [];
  for (const t of candidates) {
    const name = RouteConfiguration.decode(t.bytes).virtualHosts[vh]?.routes[index]?.name;
    if (name) return name;
  }
  return undefined;
}
