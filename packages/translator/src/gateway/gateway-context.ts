// A Gateway of ours, judged: each listener validated (protocol, TLS certificates, route kinds,
// namespaces policy), conflicts between listeners found, and the Gateway's own conditions
// (addresses, parameters, overall acceptance). Pure: reads only through Lookups.
import type { ClientValidationIR, TLSSecretIR } from '@gantry/ir';
import { GANTRY_API_GROUP, GATEWAY_API_GROUP, GATEWAY_PARAMETERS_KIND, labelSelectorError, LISTENER_SET_KIND, selectorMatches, type Condition, type Gateway, type Listener, type ListenerSet, type RouteGroupKind } from '@gantry/api';
import { caBundleOf, tlsSecretOf } from './certificates.js';
import { hostnameError } from '../core/envoy-limits.js';
import { condition, ConditionType, PENDING_PROGRAMMED_MESSAGE, Reason } from '../status/conditions.js';
import { ANY_HOST, intersect } from '../routes/hostnames.js';
import { defaultRouteKinds, listenerProtocolSupported, routeKindAllowed } from '../routes/registry.js';
import { namespaceOf } from '../core/keys.js';
import type { Lookups } from '../core/lookups.js';
import type { GatewayAttachment, GatewayContext, ListenerInfo, ListenerSetState, ListenerState } from './model.js';
import { referenceAllowed } from '../core/refgrants.js';

const SUPPORTED_ADDRESS_TYPES = new Set(['IPAddress', 'Hostname']);

/** What the class verdict contributes: undefined when the class is fine. */
export type ClassProblem = string | undefined;

interface Draft {
  clientValidation?: ClientValidationIR;
  readonly spec: Listener;
  readonly info: ListenerInfo;
  supportedKinds: RouteGroupKind[];
  accepted: { ok: true } | { ok: false; reason: string; message: string };
  refs: { ok: true } | { ok: false; reason: string; message: string };
  conflict?: { reason: string; message: string };
  tlsSecrets: TLSSecretIR[];
  overlapping: string[];
}

export function buildGatewayContext(gateway: Gateway, classProblem: ClassProblem, lookups: Lookups): GatewayContext {
  const ns = namespaceOf(gateway);
  const key = `${ns}/${gateway.metadata.name}`;
  const gen = gateway.metadata.generation;
  const own = (gateway.spec?.listeners ?? []).map((l) => draftListener(gateway, l, lookups));
  findConflicts(own);

  // ListenerSets: the Gateway's own listeners first, then the sets (creationTimestamp, then
  // namespace/name); a set listener conflicting with an earlier listener is the one rejected.
  const sets = listenerSetsOf(gateway, lookups);
  const earlier = own.filter((d) => d.accepted.ok || d.accepted.reason !== Reason.UnsupportedProtocol);
  const setDrafts: Draft[][] = [];
  for (const s of sets) {
    const setNs = namespaceOf(s.set);
    const setKey = `${setNs}/${s.set.metadata.name}`;
    const list = s.allowed
      ? (s.set.spec?.listeners ?? []).map((l) => draftListener(gateway, l, lookups, { key: setKey, namespace: setNs, listener: l.name }))
      : [];
    for (const d of list) {
      if (!d.accepted.ok && d.accepted.reason === Reason.UnsupportedProtocol) continue;
      conflictWithEarlier(d, earlier);
      // A rejected listener takes nothing from the listeners after it.
      if (!d.conflict) earlier.push(d);
    }
    setDrafts.push(list);
  }
  const drafts = [...own, ...setDrafts.flat()];

  const all: ListenerState[] = [];
  for (const d of drafts) all.push(finishListener(d, gen));
  findOverlappingTLS(drafts, all, gen);
  const listeners = all.slice(0, own.length);

  const setUsable = setDrafts.flat().filter((d) => d.accepted.ok && !d.conflict).length;
  const { accepted, conditions } = gatewayConditions(gateway, own, classProblem, lookups, setUsable);
  const setStates: ListenerSetState[] = [];
  let offset = own.length;
  sets.forEach((s, i) => {
    const list = setDrafts[i] ?? [];
    const states = all.slice(offset, offset + list.length);
    offset += list.length;
    setStates.push(judgeListenerSet(s.set, s.allowed, accepted, list, states));
  });
  const attachedSets = setStates.filter((s) => s.attached);
  const attachedInfos = attachedSets.flatMap((s) => s.listeners.map((l) => l.info));
  const attachment: GatewayAttachment = { key, namespace: ns, name: gateway.metadata.name, listeners: [...own.map((d) => d.info), ...attachedInfos] };
  // Nothing of a Gateway that is not accepted gets programmed.
  const served = [...listeners, ...attachedSets.flatMap((s) => s.listeners)];
  const final = accepted ? served : served.map((l) => notProgrammed(l, gen));
  const extra = sets.length > 0 || gateway.spec?.allowedListeners !== undefined ? { listenerSets: setStates } : {};
  const backend = gateway.spec?.tls?.backend;
  if (backend === undefined) return { gateway, key, attachment, accepted, listeners: final, conditions, ...extra };
  // spec.tls.backend: ResolvedRefs says whether the client certificate can be used; without it
  // TLS backends are still reached, without a client certificate.
  const client = backendClientCertificate(gateway, lookups);
  const resolved = client.ok
    ? condition(ConditionType.ResolvedRefs, 'True', Reason.ResolvedRefs, 'All references resolved', gen)
    : condition(ConditionType.ResolvedRefs, 'False', client.reason, client.message, gen);
  return {
    gateway, key, attachment, accepted, listeners: final, conditions: [...conditions, resolved], ...extra,
    ...(client.ok && client.secret ? { backendClientCertificate: client.secret } : {}),
  };
}

/** spec.tls.backend.clientCertificateRef: a kubernetes.io/tls Secret (cross-namespace: with a ReferenceGrant). */
function backendClientCertificate(gateway: Gateway, lookups: Lookups): { ok: true; secret?: TLSSecretIR } | { ok: false; reason: string; message: string } {
  const ref = gateway.spec?.tls?.backend?.clientCertificateRef;
  if (!ref) return { ok: true };
  const gwNs = namespaceOf(gateway);
  const ns = ref.namespace ?? gwNs;
  const group = ref.group ?? '';
  const kind = ref.kind ?? 'Secret';
  const where = `${ns}/${ref.name}`;
  if (group !== '' || kind !== 'Secret') {
    return { ok: false, reason: Reason.InvalidClientCertificateRef, message: `tls.backend.clientCertificateRef ${group === '' ? 'core' : group}/${kind} ${where}: only core Secrets are supported` };
  }
  if (ns !== gwNs) {
    const allowed = referenceAllowed(lookups.referenceGrants(ns), { group: GATEWAY_API_GROUP, kind: 'Gateway', namespace: gwNs }, { group: '', kind: 'Secret', name: ref.name });
    if (!allowed) return { ok: false, reason: Reason.RefNotPermitted, message: `tls.backend.clientCertificateRef to Secret ${where} is not permitted by any ReferenceGrant` };
  }
  const secret = lookups.secret(ns, ref.name);
  if (!secret) return { ok: false, reason: Reason.InvalidClientCertificateRef, message: `tls.backend.clientCertificateRef: Secret ${where} not found (a kubernetes.io/tls Secret)` };
  const cert = tlsSecretOf(secret);
  if (!cert.ok) return { ok: false, reason: Reason.InvalidClientCertificateRef, message: `tls.backend.clientCertificateRef: ${cert.message}` };
  return { ok: true, secret: cert.secret };
}

// ---- ListenerSets ----------------------------------------------------------------------------

/** The ListenerSets whose parentRef names this Gateway, in precedence order, and whether it admits each. */
function listenerSetsOf(gateway: Gateway, lookups: Lookups): { set: ListenerSet; allowed: boolean }[] {
  const gwNs = namespaceOf(gateway);
  const out: { set: ListenerSet; allowed: boolean }[] = [];
  for (const o of lookups.objectsOf(GATEWAY_API_GROUP, LISTENER_SET_KIND)) {
    const set = o as ListenerSet;
    const ref = set.spec?.parentRef;
    if (!ref) continue;
    const setNs = namespaceOf(set);
    if ((ref.group ?? GATEWAY_API_GROUP) !== GATEWAY_API_GROUP || (ref.kind ?? 'Gateway') !== 'Gateway') continue;
    if (ref.name !== gateway.metadata.name || (ref.namespace ?? setNs) !== gwNs) continue;
    out.push({ set, allowed: listenerSetAllowed(gateway, setNs, lookups) });
  }
  const ts = (s: ListenerSet) => s.metadata.creationTimestamp ?? '';
  const id = (s: ListenerSet) => `${namespaceOf(s)}/${s.metadata.name}`;
  return out.sort((a, b) => (ts(a.set) !== ts(b.set) ? (ts(a.set) < ts(b.set) ? -1 : 1) : id(a.set) < id(b.set) ? -1 : id(a.set) > id(b.set) ? 1 : 0));
}

function listenerSetAllowed(gateway: Gateway, setNs: string, lookups: Lookups): boolean {
  const n = gateway.spec?.allowedListeners?.namespaces;
  switch (n?.from ?? 'None') {
    case 'All':
      return true;
    case 'Same':
      return setNs === namespaceOf(gateway);
    case 'Selector':
      return n?.selector !== undefined && labelSelectorError(n.selector) === undefined && selectorMatches(n.selector, lookups.namespaceLabels(setNs));
    default:
      return false;
  }
}

/** A set listener after the listeners before it: same port, other protocol or same hostname. */
function conflictWithEarlier(d: Draft, earlier: readonly Draft[]): void {
  for (const e of earlier) {
    if (e.info.port !== d.info.port) continue;
    if (!sharePort(new Set([e.info.protocol, d.info.protocol]))) {
      d.conflict = { reason: Reason.ProtocolConflict, message: `Port ${d.info.port} is already used with protocol ${e.info.protocol}` };
      return;
    }
    if ((e.info.hostname ?? '') === (d.info.hostname ?? '')) {
      d.conflict = { reason: Reason.HostnameConflict, message: `Port ${d.info.port} and hostname ${d.info.hostname ?? '(none)'} are already used by listener ${e.info.listenerSet?.listener ?? e.info.name}` };
      return;
    }
  }
}

function judgeListenerSet(set: ListenerSet, allowed: boolean, gatewayAccepted: boolean, drafts: readonly Draft[], judged: readonly ListenerState[]): ListenerSetState {
  const gen = set.metadata.generation;
  // A conflicted set listener says why it is not programmed: the conflict's reason.
  const states = judged.map((l, i) => {
    const conflict = drafts[i]?.conflict;
    if (!conflict) return l;
    return { ...l, conditions: l.conditions.map((c) => (c.type === ConditionType.Programmed ? condition(ConditionType.Programmed, 'False', conflict.reason, conflict.message, gen) : c)) };
  });
  const key = `${namespaceOf(set)}/${set.metadata.name}`;
  const no = (reason: string, message: string, programmedReason: string, listeners: readonly ListenerState[]): ListenerSetState => ({
    listenerSet: set,
    key,
    attached: false,
    conditions: [
      condition(ConditionType.Accepted, 'False', reason, message, gen),
      condition(ConditionType.Programmed, 'False', programmedReason, message, gen),
    ],
    listeners: listeners.map((l) => notProgrammed(l, gen)),
  });
  if (!allowed) return no(Reason.NotAllowed, 'The parent Gateway does not allow ListenerSets from this namespace (spec.allowedListeners)', Reason.NotAllowed, []);
  if (!gatewayAccepted) return no(Reason.ParentNotAccepted, 'The parent Gateway is not accepted', Reason.ParentNotProgrammed, states);
  // Valid: accepted, not conflicted, and with what it needs to serve (e.g. a permitted certificate).
  const usable = states.filter((l) => l.ready);
  if (usable.length === 0) return no(Reason.ListenersNotValid, drafts.length === 0 ? 'ListenerSet has no listeners' : 'No listener is valid', Reason.ListenersNotValid, states);
  const invalid = drafts.filter((d) => !d.accepted.ok || d.conflict || !d.refs.ok);
  // The Gateway's Programmed follows the data plane's ACK; a set's listeners are programmed
  // with their Gateway's configuration, reported here as soon as they are ready.
  const listeners = states.map((l) => ({
    ...l,
    conditions: l.conditions.map((c) => (c.type === ConditionType.Programmed && c.reason === Reason.Pending ? condition(ConditionType.Programmed, 'True', Reason.Programmed, 'Listener is programmed', gen) : c)),
  }));
  return {
    listenerSet: set,
    key,
    attached: true,
    conditions: [
      invalid.length > 0
        ? condition(ConditionType.Accepted, 'True', Reason.ListenersNotValid, `Invalid listeners: ${invalid.map((d) => d.info.listenerSet?.listener ?? d.info.name).join(', ')}`, gen)
        : condition(ConditionType.Accepted, 'True', Reason.Accepted, 'ListenerSet is accepted', gen),
      listeners.some((l) => l.ready)
        ? condition(ConditionType.Programmed, 'True', Reason.Programmed, 'ListenerSet is programmed', gen)
        : condition(ConditionType.Programmed, 'False', Reason.Invalid, 'No listener is ready', gen),
    ],
    listeners,
  };
}

// ---- listeners -------------------------------------------------------------------------------

function draftListener(gateway: Gateway, l: Listener, lookups: Lookups, set?: ListenerInfo['listenerSet']): Draft {
  const protocol = l.protocol;
  const supportedProtocol = listenerProtocolSupported(protocol);
  const kinds = routeKinds(l, supportedProtocol);
  const ns = namespacePolicy(l);
  const info: ListenerInfo = {
    name: set ? `${set.key}/${l.name}` : l.name,
    port: l.port,
    protocol,
    ...(l.hostname ? { hostname: l.hostname.toLowerCase() } : {}),
    routeKinds: kinds.valid.map((k) => `${k.group ?? GATEWAY_API_GROUP}/${k.kind}`),
    namespacesFrom: ns.from,
    ...(ns.selector ? { selector: ns.selector } : {}),
    ...(set ? { listenerSet: set } : {}),
  };
  const draft: Draft = {
    spec: l,
    info,
    supportedKinds: kinds.valid,
    accepted: { ok: true },
    refs: { ok: true },
    tlsSecrets: [],
    overlapping: [],
  };
  if (!supportedProtocol) {
    draft.accepted = { ok: false, reason: Reason.UnsupportedProtocol, message: `Protocol ${protocol} is not supported` };
    return draft;
  }
  if (ns.error) draft.accepted = { ok: false, reason: Reason.UnsupportedValue, message: ns.error };
  const hostnameProblem = listenerHostnameError(l);
  if (hostnameProblem) draft.accepted = { ok: false, reason: Reason.UnsupportedValue, message: hostnameProblem };
  if (kinds.invalid.length > 0) {
    const names = kinds.invalid.map((k) => `${k.group ?? GATEWAY_API_GROUP}/${k.kind}`).join(', ');
    draft.refs = { ok: false, reason: Reason.InvalidRouteKinds, message: `Route kinds not supported: ${names}` };
  }
  if (protocol === 'HTTPS') {
    resolveCertificates(gateway, l, draft, lookups);
    resolveClientValidation(gateway, l, draft, lookups);
  }
  // TLS: Passthrough forwards the connection by SNI as it is; Terminate needs certificates.
  if (protocol === 'TLS') {
    const mode = l.tls?.mode ?? 'Terminate';
    if (mode === 'Passthrough') {
      if ((l.tls?.certificateRefs ?? []).length > 0) draft.accepted = { ok: false, reason: Reason.UnsupportedValue, message: 'TLS Passthrough listeners take no certificateRefs' };
    } else resolveCertificates(gateway, l, draft, lookups);
  }
  return draft;
}

/** A listener hostname Envoy would refuse (as a domain, or as an HTTPS server name). */
function listenerHostnameError(l: Listener): string | undefined {
  if (l.hostname === undefined || l.hostname === null) return undefined;
  // `*` alone, or a wildcard anywhere but a leading `*.` label, is no valid Hostname.
  return hostnameError(l.hostname, 'listener hostname');
}

/**
 * spec.tls.frontend for an HTTPS listener: its port's entry, else the default. The CA comes from
 * ConfigMaps (key ca.crt; another namespace needs a ReferenceGrant). A listener left without any
 * valid CA is not accepted (NoValidCACertificate): serving it without the checks asked for would
 * let in clients the user meant to keep out.
 */
function resolveClientValidation(gateway: Gateway, l: Listener, draft: Draft, lookups: Lookups): void {
  const frontend = gateway.spec?.tls?.frontend;
  if (!frontend) return;
  const validation = (frontend.perPort?.find((p) => p.port === l.port)?.tls ?? frontend.default)?.validation;
  const refs = validation?.caCertificateRefs ?? [];
  if (refs.length === 0) return;
  const gwNs = namespaceOf(gateway);
  const problems: { reason: string; message: string }[] = [];
  const bundles: string[] = [];
  for (const ref of refs) {
    const group = ref.group ?? '';
    const kind = ref.kind ?? 'ConfigMap';
    const ns = ref.namespace ?? gwNs;
    const where = `${group === '' ? 'core' : group}/${kind} ${ns}/${ref.name}`;
    if (group !== '' || kind !== 'ConfigMap') {
      problems.push({ reason: Reason.InvalidCACertificateKind, message: `tls.frontend caCertificateRef ${where}: only ConfigMaps (key ca.crt) are supported` });
      continue;
    }
    if (ns !== gwNs && !referenceAllowed(lookups.referenceGrants(ns), { group: GATEWAY_API_GROUP, kind: 'Gateway', namespace: gwNs }, { group: '', kind: 'ConfigMap', name: ref.name })) {
      problems.push({ reason: Reason.RefNotPermitted, message: `tls.frontend caCertificateRef ${where} is not permitted by any ReferenceGrant` });
      continue;
    }
    const cm = lookups.object('', 'ConfigMap', ns, ref.name) as { data?: Record<string, string> } | undefined;
    if (!cm) {
      problems.push({ reason: Reason.InvalidCACertificateRef, message: `tls.frontend caCertificateRef ${where} not found` });
      continue;
    }
    const bundle = caBundleOf(cm.data?.['ca.crt'] ?? '');
    if (!bundle.ok) {
      problems.push({ reason: Reason.InvalidCACertificateRef, message: `tls.frontend caCertificateRef ${where}: ca.crt ${bundle.message}` });
      continue;
    }
    bundles.push(bundle.pem);
  }
  const first = problems[0];
  if (first && draft.refs.ok) draft.refs = { ok: false, reason: first.reason, message: problems.map((p) => p.message).join('; ') };
  if (bundles.length === 0) {
    if (draft.accepted.ok) draft.accepted = { ok: false, reason: Reason.NoValidCACertificate, message: `No valid CA certificate to check client certificates: ${problems.map((p) => p.message).join('; ')}` };
    return;
  }
  draft.clientValidation = { trustedCA: bundles.join(''), ...(validation?.mode === 'AllowInsecureFallback' ? { insecureFallback: true } : {}) };
}

function routeKinds(l: Listener, supportedProtocol: boolean): { valid: RouteGroupKind[]; invalid: RouteGroupKind[] } {
  if (!supportedProtocol) return { valid: [], invalid: [] };
  const requested = l.allowedRoutes?.kinds;
  if (!requested || requested.length === 0) return { valid: defaultRouteKinds(l.protocol), invalid: [] };
  const valid: RouteGroupKind[] = [];
  const invalid: RouteGroupKind[] = [];
  for (const k of requested) {
    const group = k.group ?? GATEWAY_API_GROUP;
    if (routeKindAllowed(l.protocol, group, k.kind)) {
      if (!valid.some((v) => v.kind === k.kind)) valid.push({ group, kind: k.kind });
    } else invalid.push(k);
  }
  return { valid, invalid };
}

function namespacePolicy(l: Listener): { from: ListenerInfo['namespacesFrom']; selector?: ListenerInfo['selector']; error?: string } {
  const n = l.allowedRoutes?.namespaces;
  const from = n?.from ?? 'Same';
  switch (from) {
    case 'All':
    case 'Same':
    case 'None':
      return { from };
    case 'Selector': {
      if (!n?.selector) return { from: 'None', error: 'allowedRoutes.namespaces.from is Selector but no selector is set' };
      const err = labelSelectorError(n.selector);
      if (err) return { from: 'None', error: `allowedRoutes.namespaces.selector: ${err}` };
      return { from, selector: n.selector };
    }
    default:
      return { from: 'None', error: `allowedRoutes.namespaces.from ${from} is not supported` };
  }
}

function resolveCertificates(gateway: Gateway, l: Listener, draft: Draft, lookups: Lookups): void {
  const tls = l.tls;
  const mode = tls?.mode ?? 'Terminate';
  if (mode !== 'Terminate') {
    draft.accepted = { ok: false, reason: Reason.UnsupportedValue, message: `TLS mode ${mode} is not supported on ${l.protocol} listeners` };
    return;
  }
  const refs = tls?.certificateRefs ?? [];
  if (refs.length === 0) {
    draft.refs = { ok: false, reason: Reason.InvalidCertificateRef, message: `${l.protocol} listener has no certificateRefs` };
    return;
  }
  const gwNs = draft.info.listenerSet?.namespace ?? namespaceOf(gateway);
  const fromKind = draft.info.listenerSet ? LISTENER_SET_KIND : 'Gateway';
  const problems: { reason: string; message: string }[] = [];
  for (const ref of refs) {
    const group = ref.group ?? '';
    const kind = ref.kind ?? 'Secret';
    const ns = ref.namespace ?? gwNs;
    const where = `${ns}/${ref.name}`;
    if (group !== '' || kind !== 'Secret') {
      problems.push({ reason: Reason.InvalidCertificateRef, message: `certificateRef ${group === "" ? "core" : group}/${kind} ${where}: only core Secrets are supported` });
      continue;
    }
    if (ns !== gwNs) {
      const allowed = referenceAllowed(
        lookups.referenceGrants(ns),
        { group: GATEWAY_API_GROUP, kind: fromKind, namespace: gwNs },
        { group: '', kind: 'Secret', name: ref.name },
      );
      if (!allowed) {
        problems.push({ reason: Reason.RefNotPermitted, message: `certificateRef to Secret ${where} is not permitted by any ReferenceGrant` });
        continue;
      }
    }
    const secret = lookups.secret(ns, ref.name);
    if (!secret) {
      problems.push({ reason: Reason.InvalidCertificateRef, message: `Secret ${where} not found` });
      continue;
    }
    const cert = tlsSecretOf(secret);
    if (!cert.ok) {
      problems.push({ reason: Reason.InvalidCertificateRef, message: cert.message });
      continue;
    }
    if (!draft.tlsSecrets.some((s) => s.name === cert.secret.name)) draft.tlsSecrets.push(cert.secret);
  }
  const first = problems[0];
  if (first && draft.refs.ok) {
    draft.refs = { ok: false, reason: first.reason, message: problems.map((p) => p.message).join('; ') };
  }
}

/**
 * Protocols that may share a port: one protocol, or HTTPS beside TLS (TLSRouteModeMixed: one
 * Envoy listener whose filter chains are chosen by SNI; TLS listeners may also mix Terminate and
 * Passthrough). HTTP cannot share (no SNI to tell the flows apart), nor can TCP or UDP.
 */
function sharePort(protocols: ReadonlySet<string>): boolean {
  if (protocols.size <= 1) return true;
  return protocols.size === 2 && protocols.has('HTTPS') && protocols.has('TLS');
}

/**
 * Listeners sharing a port must be distinct: protocols that can share it (else ProtocolConflict),
 * and one hostname per port among them (else HostnameConflict: HTTPS and TLS listeners of one port
 * are told apart by SNI alone, whatever their TLS mode). Listeners already rejected for an
 * unsupported protocol take no part (the spec: they SHOULD NOT be accepted, and do not conflict).
 */
function findConflicts(drafts: Draft[]): void {
  const byPort = new Map<number, Draft[]>();
  for (const d of drafts) {
    if (!d.accepted.ok && d.accepted.reason === Reason.UnsupportedProtocol) continue;
    const list = byPort.get(d.info.port) ?? [];
    list.push(d);
    byPort.set(d.info.port, list);
  }
  for (const [port, list] of byPort) {
    const protocols = new Set(list.map((d) => d.info.protocol));
    if (!sharePort(protocols)) {
      const msg = `Port ${port} is used with several protocols: ${[...protocols].sort().join(', ')}`;
      for (const d of list) d.conflict = { reason: Reason.ProtocolConflict, message: msg };
      continue;
    }
    const byHost = new Map<string, Draft[]>();
    for (const d of list) {
      const h = d.info.hostname ?? '';
      const same = byHost.get(h) ?? [];
      same.push(d);
      byHost.set(h, same);
    }
    for (const [h, same] of byHost) {
      if (same.length < 2) continue;
      const msg = `Listeners ${same.map((d) => d.info.name).join(', ')} share port ${port} and hostname ${h || '(none)'}`;
      for (const d of same) d.conflict = { reason: Reason.HostnameConflict, message: msg };
    }
  }
}

function finishListener(d: Draft, gen: number | undefined): ListenerState {
  const conditions: Condition[] = [];
  if (d.conflict) {
    conditions.push(condition(ConditionType.Accepted, 'False', d.conflict.reason, d.conflict.message, gen));
  } else if (!d.accepted.ok) {
    conditions.push(condition(ConditionType.Accepted, 'False', d.accepted.reason, d.accepted.message, gen));
  } else {
    conditions.push(condition(ConditionType.Accepted, 'True', Reason.Accepted, 'Listener is valid', gen));
  }
  conditions.push(
    d.refs.ok
      ? condition(ConditionType.ResolvedRefs, 'True', Reason.ResolvedRefs, 'All references resolved', gen)
      : condition(ConditionType.ResolvedRefs, 'False', d.refs.reason, d.refs.message, gen),
  );
  conditions.push(
    d.conflict
      ? condition(ConditionType.Conflicted, 'True', d.conflict.reason, d.conflict.message, gen)
      : condition(ConditionType.Conflicted, 'False', Reason.NoConflicts, 'No conflicts', gen),
  );
  const usable = d.accepted.ok && !d.conflict;
  const ready = usable && (!needsCertificates(d) || d.tlsSecrets.length > 0);
  conditions.push(
    ready
      ? condition(ConditionType.Programmed, 'Unknown', Reason.Pending, PENDING_PROGRAMMED_MESSAGE, gen)
      : condition(ConditionType.Programmed, 'False', Reason.Invalid, notReadyMessage(d), gen),
  );
  return { info: d.info, ready, supportedKinds: d.supportedKinds, conditions, tlsSecrets: d.tlsSecrets, ...(d.clientValidation ? { clientValidation: d.clientValidation } : {}) };
}

/** HTTPS listeners and TLS listeners that terminate TLS serve nothing without a certificate. */
function needsCertificates(d: Draft): boolean {
  return d.info.protocol === 'HTTPS' || (d.info.protocol === 'TLS' && (d.spec.tls?.mode ?? 'Terminate') === 'Terminate');
}

function notProgrammed(l: ListenerState, gen: number | undefined): ListenerState {
  if (!l.ready) return l;
  return {
    ...l,
    ready: false,
    conditions: l.conditions.map((c) =>
      c.type === ConditionType.Programmed ? condition(ConditionType.Programmed, 'False', Reason.Invalid, 'Gateway is not accepted', gen) : c,
    ),
  };
}

function notReadyMessage(d: Draft): string {
  if (d.conflict) return 'Listener is conflicted';
  if (!d.accepted.ok) return 'Listener is not accepted';
  return 'Listener has no valid certificate';
}

/**
 * HTTPS listeners on one port whose hostnames overlap share TLS connections through HTTP/2
 * coalescing; the spec requires the OverlappingTLSConfig condition on each of them.
 */
function findOverlappingTLS(drafts: Draft[], listeners: ListenerState[], gen: number | undefined): void {
  const https = listeners.map((l, i) => ({ l, i })).filter(({ l }) => l.ready && l.info.protocol === 'HTTPS');
  for (const a of https) {
    for (const b of https) {
      if (a === b || a.l.info.port !== b.l.info.port) continue;
      if (intersect(a.l.info.hostname ?? ANY_HOST, b.l.info.hostname ?? ANY_HOST) !== undefined) {
        (drafts[a.i] as Draft).overlapping.push(b.l.info.name);
      }
    }
  }
  for (const { i } of https) {
    const d = drafts[i] as Draft;
    if (d.overlapping.length === 0) continue;
    const l = listeners[i] as ListenerState;
    listeners[i] = {
      ...l,
      conditions: [
        ...l.conditions,
        condition(
          ConditionType.OverlappingTLSConfig,
          'True',
          Reason.OverlappingHostnames,
          `Hostname overlaps with listeners ${d.overlapping.join(', ')} on port ${d.info.port}`,
          gen,
        ),
      ],
    };
  }
}

// ---- the Gateway ----------------------------------------------------------------------------

function gatewayConditions(
  gateway: Gateway,
  drafts: Draft[],
  classProblem: ClassProblem,
  lookups: Lookups,
  setUsable = 0,
): { accepted: boolean; conditions: Condition[] } {
  const gen = gateway.metadata.generation;
  const notAccepted = (reason: string, message: string) => ({
    accepted: false,
    conditions: [
      condition(ConditionType.Accepted, 'False', reason, message, gen),
      condition(ConditionType.Programmed, 'False', Reason.Invalid, 'Gateway is not accepted', gen),
    ],
  });
  if (classProblem) return notAccepted(Reason.InvalidParameters, `GatewayClass is not accepted: ${classProblem}`);

  const addresses = gateway.spec?.addresses ?? [];
  const badType = addresses.find((a) => !SUPPORTED_ADDRESS_TYPES.has(a.type ?? 'IPAddress'));
  if (badType) return notAccepted(Reason.UnsupportedAddress, `Address type ${badType.type} is not supported`);

  const paramsProblem = infrastructureParametersProblem(gateway, lookups);
  if (paramsProblem) return notAccepted(Reason.InvalidParameters, paramsProblem);


  const usable = drafts.filter((d) => d.accepted.ok && !d.conflict);
  const invalid = drafts.filter((d) => !d.accepted.ok || d.conflict || !d.refs.ok);
  if (usable.length === 0 && setUsable === 0) {
    return notAccepted(Reason.ListenersNotValid, drafts.length === 0 ? 'Gateway has no listeners' : 'No listener is valid');
  }
  const accepted =
    invalid.length > 0
      ? condition(ConditionType.Accepted, 'True', Reason.ListenersNotValid, `Invalid listeners: ${invalid.map((d) => d.info.name).join(', ')}`, gen)
      : condition(ConditionType.Accepted, 'True', Reason.Accepted, 'Gateway is valid', gen);
  // Static addresses (spec.addresses) are the deployer's to request and judge: it reports
  // AddressNotUsable for one the load balancer cannot give (controller/deploy-status.ts).
  const programmed = condition(ConditionType.Programmed, 'Unknown', Reason.Pending, PENDING_PROGRAMMED_MESSAGE, gen);
  const frontend = gateway.spec?.tls?.frontend;
  const insecure = [frontend?.default, ...(frontend?.perPort ?? []).map((p) => p.tls)].some((t) => t?.validation?.mode === 'AllowInsecureFallback');
  if (!insecure) return { accepted: true, conditions: [accepted, programmed] };
  const warning = condition(ConditionType.InsecureFrontendValidationMode, 'True', Reason.ConfigurationChanged, 'Client certificate validation lets clients without a valid certificate in (AllowInsecureFallback)', gen);
  return { accepted: true, conditions: [accepted, programmed, warning] };
}

function infrastructureParametersProblem(gateway: Gateway, lookups: Lookups): string | undefined {
  const ref = gateway.spec?.infrastructure?.parametersRef;
  if (!ref) return undefined;
  if (ref.group !== GANTRY_API_GROUP || ref.kind !== GATEWAY_PARAMETERS_KIND) {
    return `infrastructure.parametersRef ${ref.group}/${ref.kind} is not supported; use ${GANTRY_API_GROUP}/${GATEWAY_PARAMETERS_KIND}`;
  }
  if (!lookups.object(ref.group, ref.kind, namespaceOf(gateway), ref.name)) {
    return `infrastructure.parametersRef ${ref.kind} ${ref.name} not found`;
  }
  return undefined;
}
