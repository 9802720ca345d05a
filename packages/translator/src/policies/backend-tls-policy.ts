// BackendTLSPolicy (Gateway API v1): TLS from Envoy to a backend. A policy targets Services (a
// port by its name in sectionName, or every port) and Upstreams; it names the CA to trust
// (ConfigMaps' `ca.crt`, or the system bundle), the hostname (the SNI, and the name the
// certificate must carry when no subjectAltNames are given) and subjectAltNames (DNS names and
// URIs, any of which the certificate must carry).
//
// Which policy applies to a backend: one naming its port (sectionName) over one naming the whole
// Service; among equals, the oldest (creationTimestamp, then name). The others are Conflicted.
// A policy that cannot be used (no valid CA) still applies: requests to its backends fail (the
// route reports it), never fall back to plaintext.
import { BACKEND_TLS_POLICY_KIND, GATEWAY_API_GROUP, type BackendTLSPolicy, type KubeObject } from '@gantry/api';
import type { SubjectAltNameIR, UpstreamTlsIR } from '@gantry/ir';
import type { BackendTlsChoice, BackendTlsTarget } from '../backends/backend.js';
import type { Lookups } from '../core/lookups.js';
import { targetRefsOf, type Target } from '../core/object-queries.js';
import { caBundleOf } from '../gateway/certificates.js';
import { Reason } from '../status/conditions.js';

export const BACKEND_TLS_POLICY_GROUP = GATEWAY_API_GROUP;
export { BACKEND_TLS_POLICY_KIND };

const CA_KEY = 'ca.crt';

/** What a policy object amounts to by itself (its conflicts aside). */
export type BackendTlsVerdict =
  | { readonly ok: true; readonly tls: UpstreamTlsIR; readonly refProblem?: Problem }
  | { readonly ok: false; readonly accepted: Problem; readonly refProblem?: Problem };

export interface Problem {
  readonly reason: string;
  readonly message: string;
}

const memo = new WeakMap<KubeObject, { readonly reads: readonly (KubeObject | undefined)[]; readonly verdict: BackendTlsVerdict }>();

/** The policy's own verdict: the TLS settings it gives, or why it cannot be used. */
export function judgeBackendTlsPolicy(obj: KubeObject, lookups: Lookups): BackendTlsVerdict {
  const policy = obj as BackendTLSPolicy;
  const ns = policy.metadata.namespace ?? 'default';
  const v = policy.spec?.validation;
  const refs = v?.caCertificateRefs ?? [];
  // Reads first (recorded as dependencies), then the memo: same objects read, same verdict.
  const reads = refs.map((r) => ((r.group ?? '') === '' && r.kind === 'ConfigMap' ? lookups.object('', 'ConfigMap', ns, r.name) : undefined));
  const cached = memo.get(obj);
  if (cached && cached.reads.length === reads.length && cached.reads.every((r, i) => r === reads[i])) return cached.verdict;
  const verdict = judge(policy, ns, reads);
  memo.set(obj, { reads, verdict });
  return verdict;
}

function judge(policy: BackendTLSPolicy, ns: string, reads: readonly (KubeObject | undefined)[]): BackendTlsVerdict {
  const v = policy.spec?.validation;
  const hostname = v?.hostname ?? '';
  if (hostname === '') return { ok: false, accepted: { reason: Reason.Invalid, message: 'validation.hostname is required' } };
  const sans: SubjectAltNameIR[] = [];
  for (const san of v?.subjectAltNames ?? []) {
    if (san.type === 'Hostname' && san.hostname) sans.push({ type: 'dns', value: san.hostname });
    else if (san.type === 'URI' && san.uri) sans.push({ type: 'uri', value: san.uri });
    else return { ok: false, accepted: { reason: Reason.Invalid, message: `subjectAltNames: type ${san.type} needs its ${san.type === 'URI' ? 'uri' : 'hostname'} field` } };
  }
  // Without subjectAltNames the certificate must carry the hostname.
  if (sans.length === 0) sans.push({ type: 'dns', value: hostname });

  const refs = v?.caCertificateRefs ?? [];
  const bundles: string[] = [];
  let refProblem: Problem | undefined;
  refs.forEach((ref, i) => {
    const where = `caCertificateRefs[${i}] ${ref.group === '' || ref.group === undefined ? 'core' : ref.group}/${ref.kind} ${ref.name}`;
    if ((ref.group ?? '') !== '' || ref.kind !== 'ConfigMap') {
      refProblem ??= { reason: Reason.InvalidKind, message: `${where}: only ConfigMaps (key ${CA_KEY}) are supported` };
      return;
    }
    const cm = reads[i] as { data?: Record<string, string> } | undefined;
    if (!cm) {
      refProblem ??= { reason: Reason.InvalidCACertificateRef, message: `${where} not found in namespace ${ns}` };
      return;
    }
    const bundle = caBundleOf(cm.data?.[CA_KEY] ?? '');
    if (!bundle.ok) {
      refProblem ??= { reason: Reason.InvalidCACertificateRef, message: `${where}: ${CA_KEY} ${bundle.message}` };
      return;
    }
    bundles.push(bundle.pem);
  });
  const system = v?.wellKnownCACertificates === 'System';
  if (v?.wellKnownCACertificates !== undefined && !system) {
    return { ok: false, accepted: { reason: Reason.Invalid, message: `wellKnownCACertificates ${v.wellKnownCACertificates} is not supported (System is)` } };
  }
  if (bundles.length === 0 && !system) {
    const accepted = { reason: Reason.NoValidCACertificate, message: refProblem ? `No valid CA certificate: ${refProblem.message}` : 'No CA certificate: set caCertificateRefs or wellKnownCACertificates' };
    return refProblem ? { ok: false, accepted, refProblem } : { ok: false, accepted };
  }
  const verify = system ? { systemCA: true, subjectAltNames: sans } : { trustedCA: bundles.join(''), subjectAltNames: sans };
  const tls: UpstreamTlsIR = { sni: hostname, verify };
  return refProblem ? { ok: true, tls, refProblem } : { ok: true, tls };
}

function sameTarget(t: { group?: string; kind: string; name: string }, target: Target): boolean {
  return (t.group ?? '') === target.group && t.kind === target.kind && t.name === target.name;
}

/**
 * The policy that applies to a backend (a Service port by name, an Upstream): one naming the
 * section over one naming the whole object, the oldest among equals. Undefined: none.
 */
export function backendTlsPolicyFor(target: BackendTlsTarget, lookups: Lookups): KubeObject | undefined {
  const candidates = lookups.policiesNaming(BACKEND_TLS_POLICY_GROUP, BACKEND_TLS_POLICY_KIND, target);
  if (candidates.length === 0) return undefined;
  if (target.sectionName !== undefined && target.sectionName !== '') {
    const own = candidates.find((p) => targetRefsOf(p).some((t) => sameTarget(t, target) && t.sectionName === target.sectionName));
    if (own) return own;
  }
  return candidates.find((p) => targetRefsOf(p).some((t) => sameTarget(t, target) && (t.sectionName === undefined || t.sectionName === '')));
}

/** What a backend gets: TLS settings, or why its requests must fail; undefined: no policy. */
export function backendTlsFor(target: BackendTlsTarget, lookups: Lookups): BackendTlsChoice | undefined {
  const policy = backendTlsPolicyFor(target, lookups);
  if (!policy) return undefined;
  const verdict = judgeBackendTlsPolicy(policy, lookups);
  const name = `BackendTLSPolicy ${policy.metadata.namespace ?? 'default'}/${policy.metadata.name}`;
  return verdict.ok ? { ok: true, tls: verdict.tls, policy: name } : { ok: false, policy: name, message: `${name} cannot be used: ${verdict.accepted.message}` };
}

/**
 * The older policy this one loses to on some target (same target and sectionName), if any.
 * `policiesNaming` answers oldest first.
 */
export function conflictOf(obj: KubeObject, lookups: Lookups): KubeObject | undefined {
  const ns = obj.metadata.namespace ?? 'default';
  for (const t of targetRefsOf(obj)) {
    const target: Target = { group: t.group ?? '', kind: t.kind, namespace: ns, name: t.name };
    const section = t.sectionName ?? '';
    for (const other of lookups.policiesNaming(BACKEND_TLS_POLICY_GROUP, BACKEND_TLS_POLICY_KIND, target)) {
      if (other === obj || (other.metadata.name === obj.metadata.name && (other.metadata.namespace ?? 'default') === ns)) break;
      if (targetRefsOf(other).some((o) => sameTarget(o, target) && (o.sectionName ?? '') === section)) return other;
    }
  }
  return undefined;
}
