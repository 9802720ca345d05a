// What the translator knows of a Gateway: what it offers routes (attachment) and its judged listeners.
import type { ClientValidationIR, TLSSecretIR } from '@gantry/ir';
import type { Condition, Gateway, LabelSelector, ListenerSet, RouteGroupKind } from '@gantry/api';

export type HTTPProtocol = 'HTTP' | 'HTTPS';

/** The parts of a Gateway listener that decide which routes attach to it. */
export interface ListenerInfo {
  readonly name: string;
  readonly port: number;
  readonly protocol: string;
  /** Lower-cased; undefined = any host. */
  readonly hostname?: string;
  /** Route kinds that may attach, as `group/kind` (only kinds Gantry supports). */
  readonly routeKinds: readonly string[];
  readonly namespacesFrom: 'All' | 'Same' | 'Selector' | 'None';
  readonly selector?: LabelSelector;
  /**
   * A listener a ListenerSet adds: `name` is then unique in the Gateway (`ns/set/listener`), this
   * says which set and which of its listeners. Routes reach it only through the ListenerSet.
   */
  readonly listenerSet?: { readonly key: string; readonly namespace: string; readonly listener: string };
}

/**
 * What routes see of a Gateway of ours. Rebuilt only when one of these fields changes, so a
 * certificate rotation does not re-translate the routes attached to the Gateway.
 */
export interface GatewayAttachment {
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly listeners: readonly ListenerInfo[];
}

/** A listener after validation: its status (minus attachedRoutes) and what it serves. */
export interface ListenerState {
  readonly info: ListenerInfo;
  /** Produces data plane configuration (accepted, not conflicted, has what it needs). */
  readonly ready: boolean;
  readonly supportedKinds: readonly RouteGroupKind[];
  readonly conditions: readonly Condition[];
  /** HTTPS: the valid certificates, in certificateRefs order. */
  readonly tlsSecrets: readonly TLSSecretIR[];
  /** HTTPS with spec.tls.frontend: how client certificates are checked. */
  readonly clientValidation?: ClientValidationIR;
}

export interface GatewayContext {
  readonly gateway: Gateway;
  readonly key: string;
  readonly attachment: GatewayAttachment;
  /** Accepted Gateways produce a GatewayIR. */
  readonly accepted: boolean;
  readonly listeners: readonly ListenerState[];
  readonly conditions: readonly Condition[];
  /** spec.tls.backend.clientCertificateRef, resolved: presented to every TLS backend. */
  readonly backendClientCertificate?: TLSSecretIR;
  /** The ListenerSets naming this Gateway (allowed or not), for their status. */
  readonly listenerSets?: readonly ListenerSetState[];
}

/** A ListenerSet naming a Gateway of ours, judged (its listeners are in the Gateway's list). */
export interface ListenerSetState {
  readonly listenerSet: ListenerSet;
  readonly key: string;
  /** Allowed and accepted: its listeners serve (counts in status.attachedListenerSets). */
  readonly attached: boolean;
  readonly conditions: readonly Condition[];
  /** Its listeners' states, `info.name` being the Gateway-unique name. */
  readonly listeners: readonly ListenerState[];
}
