// Header modifier filters (RequestHeaderModifier, ResponseHeaderModifier), shared by the route
// kinds that have them (HTTPRoute, GRPCRoute): the IR, and what Envoy would refuse.
import type { HeaderModifierIR } from '@gantry/ir';
import type { HTTPHeaderFilter } from '@gantry/api';
import { headerNameError, headerValueError } from '../core/envoy-limits.js';

/** Names and values Envoy would refuse (and with them the whole route table). */
export function headerModifierError(f: HTTPHeaderFilter, type: string): string | undefined {
  for (const [which, list] of [['set', f.set], ['add', f.add]] as const) {
    for (const [i, h] of (list ?? []).entries()) {
      const err = headerNameError(h.name, `${type}.${which}[${i}].name`) ?? headerValueError(h.value, `${type}.${which}[${i}].value`);
      if (err) return err;
    }
  }
  for (const [i, name] of (f.remove ?? []).entries()) {
    const err = headerNameError(name, `${type}.remove[${i}]`);
    if (err) return err;
  }
  return undefined;
}

export function headerModifier(f: HTTPHeaderFilter): HeaderModifierIR | undefined {
  const set = (f.set ?? []).map((h) => ({ name: h.name, value: h.value }));
  const add = (f.add ?? []).map((h) => ({ name: h.name, value: h.value }));
  const remove = [...(f.remove ?? [])];
  if (set.length + add.length + remove.length === 0) return undefined;
  return {
    ...(set.length > 0 ? { set } : {}),
    ...(add.length > 0 ? { add } : {}),
    ...(remove.length > 0 ? { remove } : {}),
  };
}
