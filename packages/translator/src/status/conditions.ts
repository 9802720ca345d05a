// Condition values as the translator emits them. No lastTransitionTime: the translator has no
// clock; the status writer sets it when a condition actually changes.
import type { Condition } from '@gantry/api';

export type ConditionStatus = Condition['status'];

export function condition(
  type: string,
  status: ConditionStatus,
  reason: string,
  message: string,
  observedGeneration: number | undefined,
): Condition {
  const c: Condition = { type, status, reason, message };
  if (observedGeneration !== undefined) c.observedGeneration = observedGeneration;
  return c;
}

/** Condition types and reasons of Gateway API v1.6.1 used by the translator. */
export const Reason = {
  // shared
  Accepted: 'Accepted',
  Programmed: 'Programmed',
  ResolvedRefs: 'ResolvedRefs',
  Pending: 'Pending',
  Invalid: 'Invalid',
  InvalidParameters: 'InvalidParameters',
  UnsupportedValue: 'UnsupportedValue',
  RefNotPermitted: 'RefNotPermitted',
  // GatewayClass
  SupportedVersion: 'SupportedVersion',
  // Gateway
  ListenersNotValid: 'ListenersNotValid',
  NotAllowed: 'NotAllowed',
  ParentNotAccepted: 'ParentNotAccepted',
  ParentNotProgrammed: 'ParentNotProgrammed',
  UnsupportedAddress: 'UnsupportedAddress',
  AddressNotUsable: 'AddressNotUsable',
  // Listener
  UnsupportedProtocol: 'UnsupportedProtocol',
  InvalidCertificateRef: 'InvalidCertificateRef',
  InvalidClientCertificateRef: 'InvalidClientCertificateRef',
  InvalidRouteKinds: 'InvalidRouteKinds',
  NoConflicts: 'NoConflicts',
  HostnameConflict: 'HostnameConflict',
  ProtocolConflict: 'ProtocolConflict',
  OverlappingHostnames: 'OverlappingHostnames',
  // HTTPRoute
  NotAllowedByListeners: 'NotAllowedByListeners',
  NoMatchingListenerHostname: 'NoMatchingListenerHostname',
  NoMatchingParent: 'NoMatchingParent',
  IncompatibleFilters: 'IncompatibleFilters',
  InvalidKind: 'InvalidKind',
  BackendNotFound: 'BackendNotFound',
  /** A backendRef whose BackendTLSPolicy cannot be used (its requests fail, never plaintext). */
  InvalidBackendTLS: 'InvalidBackendTLSPolicy',
  // Policies (Gateway API PolicyConditionReason; Attached reasons as kgateway writes them)
  TargetNotFound: 'TargetNotFound',
  Attached: 'Attached',
  Merged: 'Merged',
  Overridden: 'Overridden',
  Conflicted: 'Conflicted',
  // BackendTLSPolicy
  NoValidCACertificate: 'NoValidCACertificate',
  InvalidCACertificateRef: 'InvalidCACertificateRef',
  InvalidCACertificateKind: 'InvalidCACertificateKind',
  ConfigurationChanged: 'ConfigurationChanged',
} as const;

export const ConditionType = {
  Accepted: 'Accepted',
  Programmed: 'Programmed',
  ResolvedRefs: 'ResolvedRefs',
  SupportedVersion: 'SupportedVersion',
  Conflicted: 'Conflicted',
  OverlappingTLSConfig: 'OverlappingTLSConfig',
  PartiallyInvalid: 'PartiallyInvalid',
  /** Gateway: some listener lets clients in without a valid certificate (AllowInsecureFallback). */
  InsecureFrontendValidationMode: 'InsecureFrontendValidationMode',
  /** Policies: whether the options it sets are applied (Attached), in part (Merged), or not (Overridden). */
  Attached: 'Attached',
} as const;

/** The message a Pending Programmed condition carries until the data plane acknowledges. */
export const PENDING_PROGRAMMED_MESSAGE = 'Waiting for the data plane to acknowledge the configuration';
