// Gateway API header modifiers as Envoy header mutations.
import type { HeaderModifierIR, HeaderValueIR } from '@gantry/ir';
import { HeaderValueOption_HeaderAppendAction } from '@gantry/envoy-xds-proto/generated/envoy/config/core/v3/base';
import type { HeaderValueOption } from '@gantry/envoy-xds-proto';
import type { DeepPartial } from './proto.js';

export interface HeaderMutations {
  readonly add: DeepPartial<HeaderValueOption>[];
  readonly remove: string[];
}

/**
 * Envoy rejects a whole RouteConfiguration (NACK) that mutates pseudo-headers or `host`, so those
 * are left out here; a `host` set while forwarding becomes a host rewrite (see route.ts).
 */
export function isMutableHeader(name: string): boolean {
  return !name.startsWith(':') && name.toLowerCase() !== 'host';
}

/** `%` starts a substitution command in Envoy header values; a literal one is written `%%`. */
function literalHeaderValue(value: string): string {
  return value.includes('%') ? value.replace(/%/g, '%%') : value;
}

function option(h: HeaderValueIR, appendAction: HeaderValueOption_HeaderAppendAction): DeepPartial<HeaderValueOption> {
  return {
    header: { key: h.name, value: literalHeaderValue(h.value) },
    appendAction,
    // An explicitly empty value is still a value the user asked for.
    ...(h.value === '' ? { keepEmptyValue: true } : {}),
  };
}

export function headerMutations(mod: HeaderModifierIR | undefined): HeaderMutations {
  if (mod === undefined) return { add: [], remove: [] };
  const add: DeepPartial<HeaderValueOption>[] = [];
  for (const h of mod.set ?? []) {
    if (isMutableHeader(h.name)) add.push(option(h, HeaderValueOption_HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD));
  }
  for (const h of mod.add ?? []) {
    if (isMutableHeader(h.name)) add.push(option(h, HeaderValueOption_HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD));
  }
  return { add, remove: (mod.remove ?? []).filter(isMutableHeader) };
}

/** The value a `set host: ...` asks for, if any (last one wins). */
export function hostHeaderSet(mod: HeaderModifierIR | undefined): string | undefined {
  let host: string | undefined;
  for (const h of mod?.set ?? []) if (h.name.toLowerCase() === 'host') host = h.value;
  return host;
}
