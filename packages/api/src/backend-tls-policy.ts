// Gateway API BackendTLSPolicy (v1): how a Gateway originates TLS to a backend (a Service port or
// an Upstream): the CA to trust, the hostname (SNI and, without SANs, the name to check), SANs.
import type { KubeObject } from './meta.js';
import type { PolicyAncestorStatus } from './gantry/route-option.js';
import type { Condition } from './meta.js';

export const BACKEND_TLS_POLICY_KIND = 'BackendTLSPolicy';

export interface PolicyTargetReferenceWithSectionName {
  group: string;
  kind: string;
  name: string;
  sectionName?: string;
}

export interface BackendTLSLocalObjectReference {
  group: string;
  kind: string;
  name: string;
}

export interface SubjectAltName {
  type: 'Hostname' | 'URI' | string;
  hostname?: string;
  uri?: string;
}

export interface BackendTLSPolicyValidation {
  caCertificateRefs?: BackendTLSLocalObjectReference[];
  wellKnownCACertificates?: 'System' | string;
  hostname: string;
  subjectAltNames?: SubjectAltName[];
}

export interface BackendTLSPolicySpec {
  targetRefs: PolicyTargetReferenceWithSectionName[];
  validation: BackendTLSPolicyValidation;
  options?: Record<string, string>;
}

/** Gateway API PolicyStatus: one entry per Gateway whose routes reach a target of the policy. */
export interface BackendTLSPolicyStatus {
  ancestors?: PolicyAncestorStatus[];
  conditions?: Condition[];
}

export type BackendTLSPolicy = KubeObject<BackendTLSPolicySpec, BackendTLSPolicyStatus>;
