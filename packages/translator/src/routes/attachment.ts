// parentRefs → listeners. A route attaches to the listeners its parentRef selects (sectionName,
// port), that allow it (kind, namespace) and whose hostname intersects its hostnames. The first
// check that leaves no listener gives the reason the parent rejects the route.
import { GATEWAY_API_GROUP, LISTENER_SET_KIND, selectorMatches, type ListenerSet, type ParentReference } from '@gantry/api';
import { Reason } from '../status/conditions.js';
import type { RouteKind } from './route-kind.js';
import { effectiveHostnames } from './hostnames.js';
import { hostnameError } from '../core/envoy-limits.js';
import type { Lookups } from '../core/lookups.js';
import { append, exactList } from '../core/memory.js';
import type { GatewayAttachment, ListenerInfo } from '../gateway/model.js';

export interface ListenerAttachment {
  readonly listener: string;
  /** Effective hostnames of the route on this listener (non-empty). */
  readonly domains: readonly string[];
}

export interface ParentOutcome {
  /** The parentRef as given, with the API's defaults for group and kind filled in. */
  readonly ref: ParentReference;
  readonly gatewayKey: string;
  readonly accepted: boolean;
  readonly reason: string;
  readonly message: string;
  readonly listeners: readonly ListenerAttachment[];
}

/** Outcome for a parentRef naming a Gateway of ours, or undefined for any other parent. */
export function attachToParent(
  ref: ParentReference,
  routeNamespace: string,
  hostnames: readonly string[],
  lookups: Lookups,
  routeKind: Pick<RouteKind, 'kind' | 'key'>,
): ParentOutcome | undefined {
  const group = ref.group ?? GATEWAY_API_GROUP;
  const kind = ref.kind ?? 'Gateway';
  if (group !== GATEWAY_API_GROUP || (kind !== 'Gateway' && kind !== LISTENER_SET_KIND)) return undefined;
  const ns = ref.namespace ?? routeNamespace;
  // A ListenerSet parent: its Gateway's listeners that came from this set (none unless attached).
  let setKey: string | undefined;
  let gw: GatewayAttachment | undefined;
  if (kind === LISTENER_SET_KIND) {
    const set = lookups.object(GATEWAY_API_GROUP, LISTENER_SET_KIND, ns, ref.name) as ListenerSet | undefined;
    const parent = set?.spec?.parentRef;
    if (!parent || (parent.group ?? GATEWAY_API_GROUP) !== GATEWAY_API_GROUP || (parent.kind ?? 'Gateway') !== 'Gateway') return undefined;
    gw = lookups.gateway(parent.namespace ?? ns, parent.name);
    setKey = `${ns}/${ref.name}`;
  } else gw = lookups.gateway(ns, ref.name);
  if (!gw) return undefined;
  const parentRef = withDefaults(ref, group, kind);
  for (const h of hostnames) {
    const err = hostnameError(h, 'spec.hostnames entry');
    if (err) return rejected(parentRef, gw, Reason.UnsupportedValue, err);
  }

  let selected = 0;
  let allowed = 0;
  // Most routes attach to one listener: that list is made at its exact size.
  let listeners: ListenerAttachment[] | undefined;
  for (const l of gw.listeners) {
    if (l.listenerSet?.key !== setKey) continue;
    if (ref.sectionName !== undefined && (l.listenerSet?.listener ?? l.name) !== ref.sectionName) continue;
    if (ref.port !== undefined && l.port !== ref.port) continue;
    selected++;
    if (!l.routeKinds.includes(routeKind.key) || !namespaceAllowed(l, gw, routeNamespace, lookups)) continue;
    allowed++;
    const domains = effectiveHostnames(l.hostname, hostnames);
    if (domains.length > 0) listeners = append(listeners, { listener: l.name, domains });
  }
  if (selected === 0) return rejected(parentRef, gw, Reason.NoMatchingParent, noParentMessage(gw, ref));
  if (allowed === 0) {
    return rejected(parentRef, gw, Reason.NotAllowedByListeners, `No listener of Gateway ${gw.key} allows this ${routeKind.kind} (kind or namespace)`);
  }
  if (listeners === undefined) {
    return rejected(parentRef, gw, Reason.NoMatchingListenerHostname, `No listener of Gateway ${gw.key} has a hostname matching the route's hostnames`);
  }
  return { ref: parentRef, gatewayKey: gw.key, accepted: true, reason: Reason.Accepted, message: 'Route is accepted', listeners: exactList(listeners) };
}

/**
 * The parentRef with group and kind filled in, in the API's field order: group, kind, namespace,
 * name, sectionName, port. The usual shapes are literals (no properties added one by one).
 */
function withDefaults(ref: ParentReference, group: string, kind: string): ParentReference {
  if (ref.sectionName === undefined && ref.port === undefined) {
    return ref.namespace === undefined ? { group, kind, name: ref.name } : { group, kind, namespace: ref.namespace, name: ref.name };
  }
  const out = { group, kind } as ParentReference;
  if (ref.namespace !== undefined) out.namespace = ref.namespace;
  out.name = ref.name;
  if (ref.sectionName !== undefined) out.sectionName = ref.sectionName;
  if (ref.port !== undefined) out.port = ref.port;
  return out;
}

function rejected(ref: ParentReference, gw: GatewayAttachment, reason: string, message: string): ParentOutcome {
  return { ref, gatewayKey: gw.key, accepted: false, reason, message, listeners: [] };
}

function noParentMessage(gw: GatewayAttachment, ref: ParentReference): string {
  const parts: string[] = [];
  if (ref.sectionName !== undefined) parts.push(`named ${ref.sectionName}`);
  if (ref.port !== undefined) parts.push(`on port ${ref.port}`);
  const set = ref.kind === LISTENER_SET_KIND ? ` from ListenerSet ${ref.name}` : '';
  return `Gateway ${gw.key} has no listener${set} ${parts.join(' ')}`;
}

function namespaceAllowed(l: ListenerInfo, gw: GatewayAttachment, routeNamespace: string, lookups: Lookups): boolean {
  switch (l.namespacesFrom) {
    case 'All':
      return true;
    case 'Same':
      return routeNamespace === (l.listenerSet?.namespace ?? gw.namespace);
    case 'Selector':
      return l.selector !== undefined && selectorMatches(l.selector, lookups.namespaceLabels(routeNamespace));
    case 'None':
      return false;
  }
}
