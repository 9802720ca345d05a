// Gateway API v1.6.1 objects, as plain data: only the fields Gantry reads or writes. Fields the
// API server defaults are optional here, because objects read from files arrive undefaulted; the
// translator applies the same defaults.
import type { Condition, KubeObject, LabelSelector } from './meta.js';

export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';

// ---- GatewayClass ---------------------------------------------------------------------------

export interface ParametersReference {
  group: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface GatewayClassSpec {
  controllerName: string;
  parametersRef?: ParametersReference;
  description?: string;
}

export interface SupportedFeature {
  name: string;
}

export interface GatewayClassStatus {
  conditions?: Condition[];
  supportedFeatures?: SupportedFeature[];
}

export type GatewayClass = KubeObject<GatewayClassSpec, GatewayClassStatus>;

// ---- Gateway --------------------------------------------------------------------------------

export interface SecretObjectReference {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
}

export interface ListenerTLSConfig {
  mode?: 'Terminate' | 'Passthrough' | string;
  certificateRefs?: SecretObjectReference[];
  options?: Record<string, string>;
}

export interface RouteGroupKind {
  group?: string;
  kind: string;
}

export interface RouteNamespaces {
  from?: 'All' | 'Same' | 'Selector' | 'None' | string;
  selector?: LabelSelector;
}

export interface AllowedRoutes {
  namespaces?: RouteNamespaces;
  kinds?: RouteGroupKind[];
}

export interface Listener {
  name: string;
  hostname?: string;
  port: number;
  protocol: string;
  tls?: ListenerTLSConfig;
  allowedRoutes?: AllowedRoutes;
}

export interface GatewaySpecAddress {
  type?: string;
  value?: string;
}

export interface LocalParametersReference {
  group: string;
  kind: string;
  name: string;
}

export interface GatewayInfrastructure {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  parametersRef?: LocalParametersReference;
}

/** Gateway-wide TLS: the client certificate Envoy presents to TLS backends; frontend validation. */
export interface GatewayTLSConfig {
  frontend?: FrontendTLSConfig;
  backend?: GatewayBackendTLS;
}

/** Client certificate validation on HTTPS listeners: a default, and per port. */
export interface FrontendTLSConfig {
  default?: TLSConfig;
  perPort?: { port: number; tls: TLSConfig }[];
}

export interface TLSConfig {
  validation?: FrontendTLSValidation;
}

export interface FrontendTLSValidation {
  caCertificateRefs?: { group?: string; kind?: string; name: string; namespace?: string }[];
  /** AllowValidOnly (default): a client must present a valid certificate; AllowInsecureFallback: any client is let in. */
  mode?: 'AllowValidOnly' | 'AllowInsecureFallback' | string;
}

export interface GatewayBackendTLS {
  clientCertificateRef?: SecretObjectReference;
}

export interface GatewaySpec {
  gatewayClassName: string;
  listeners?: Listener[];
  addresses?: GatewaySpecAddress[];
  infrastructure?: GatewayInfrastructure;
  tls?: GatewayTLSConfig;
  /** Which ListenerSets may add listeners to this Gateway (default: none). */
  allowedListeners?: AllowedListeners;
}

export interface AllowedListeners {
  namespaces?: { from?: string; selector?: LabelSelector };
}

export interface GatewayStatusAddress {
  type?: string;
  value: string;
}

export interface ListenerStatus {
  name: string;
  supportedKinds: RouteGroupKind[];
  attachedRoutes: number;
  conditions: Condition[];
}

export interface GatewayStatus {
  addresses?: GatewayStatusAddress[];
  conditions?: Condition[];
  listeners?: ListenerStatus[];
  /** ListenerSets attached to the Gateway (allowed, and Accepted). */
  attachedListenerSets?: number;
}

export type Gateway = KubeObject<GatewaySpec, GatewayStatus>;

// ---- ListenerSet (experimental) ---------------------------------------------------------------

export interface ListenerSetParentReference {
  group?: string;
  kind?: string;
  namespace?: string;
  name: string;
}

export interface ListenerSetSpec {
  parentRef: ListenerSetParentReference;
  listeners?: Listener[];
}

export interface ListenerSetStatus {
  conditions?: Condition[];
  listeners?: ListenerStatus[];
}

export type ListenerSet = KubeObject<ListenerSetSpec, ListenerSetStatus>;
export const LISTENER_SET_KIND = 'ListenerSet';

// ---- HTTPRoute ------------------------------------------------------------------------------

export interface ParentReference {
  group?: string;
  kind?: string;
  namespace?: string;
  name: string;
  sectionName?: string;
  port?: number;
}

export interface HTTPPathMatch {
  type?: string;
  value?: string;
}

export interface HTTPHeaderMatch {
  type?: string;
  name: string;
  value: string;
}

export interface HTTPQueryParamMatch {
  type?: string;
  name: string;
  value: string;
}

export interface HTTPRouteMatch {
  path?: HTTPPathMatch;
  headers?: HTTPHeaderMatch[];
  queryParams?: HTTPQueryParamMatch[];
  method?: string;
}

export interface HTTPHeader {
  name: string;
  value: string;
}

export interface HTTPHeaderFilter {
  set?: HTTPHeader[];
  add?: HTTPHeader[];
  remove?: string[];
}

export interface HTTPPathModifier {
  type: string;
  replaceFullPath?: string;
  replacePrefixMatch?: string;
}

export interface HTTPRequestRedirectFilter {
  scheme?: string;
  hostname?: string;
  path?: HTTPPathModifier;
  port?: number;
  statusCode?: number;
}

export interface HTTPURLRewriteFilter {
  hostname?: string;
  path?: HTTPPathModifier;
}

export interface BackendObjectReference {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
}

export interface Fraction {
  numerator: number;
  denominator?: number;
}

export interface HTTPRequestMirrorFilter {
  backendRef: BackendObjectReference;
  percent?: number;
  fraction?: Fraction;
}

export interface HTTPCORSFilter {
  allowOrigins?: string[];
  allowCredentials?: boolean;
  allowMethods?: string[];
  allowHeaders?: string[];
  exposeHeaders?: string[];
  maxAge?: number;
}

export interface LocalObjectReference {
  group: string;
  kind: string;
  name: string;
}

export interface HTTPRouteFilter {
  type: string;
  requestHeaderModifier?: HTTPHeaderFilter;
  responseHeaderModifier?: HTTPHeaderFilter;
  requestMirror?: HTTPRequestMirrorFilter;
  requestRedirect?: HTTPRequestRedirectFilter;
  urlRewrite?: HTTPURLRewriteFilter;
  cors?: HTTPCORSFilter;
  extensionRef?: LocalObjectReference;
  /** Experimental; not supported by Gantry yet (kept so it can be reported). */
  externalAuth?: unknown;
}

export interface HTTPBackendRef extends BackendObjectReference {
  weight?: number;
  filters?: HTTPRouteFilter[];
}

export interface HTTPRouteTimeouts {
  request?: string;
  backendRequest?: string;
}

export interface HTTPRouteRetry {
  codes?: number[];
  attempts?: number;
  backoff?: string;
}

export interface HTTPRouteRule {
  name?: string;
  matches?: HTTPRouteMatch[];
  filters?: HTTPRouteFilter[];
  backendRefs?: HTTPBackendRef[];
  timeouts?: HTTPRouteTimeouts;
  retry?: HTTPRouteRetry;
  /** Experimental; not supported by Gantry yet (kept so it can be reported). */
  sessionPersistence?: unknown;
}

export interface HTTPRouteSpec {
  parentRefs?: ParentReference[];
  hostnames?: string[];
  rules?: HTTPRouteRule[];
}

export interface RouteParentStatus {
  parentRef: ParentReference;
  controllerName: string;
  conditions: Condition[];
}

export interface HTTPRouteStatus {
  parents: RouteParentStatus[];
}

export type HTTPRoute = KubeObject<HTTPRouteSpec, HTTPRouteStatus>;

// ---- GRPCRoute ------------------------------------------------------------------------------

export interface GRPCMethodMatch {
  /** Exact (default) or RegularExpression. */
  type?: string;
  service?: string;
  method?: string;
}

export interface GRPCRouteMatch {
  method?: GRPCMethodMatch;
  headers?: HTTPHeaderMatch[];
}

export interface GRPCRouteFilter {
  type: string;
  requestHeaderModifier?: HTTPHeaderFilter;
  responseHeaderModifier?: HTTPHeaderFilter;
  requestMirror?: HTTPRequestMirrorFilter;
  extensionRef?: LocalObjectReference;
}

export interface GRPCBackendRef extends BackendObjectReference {
  weight?: number;
  filters?: GRPCRouteFilter[];
}

export interface GRPCRouteRule {
  name?: string;
  matches?: GRPCRouteMatch[];
  filters?: GRPCRouteFilter[];
  backendRefs?: GRPCBackendRef[];
  /** Experimental; not supported by Gantry yet (kept so it can be reported). */
  sessionPersistence?: unknown;
}

export interface GRPCRouteSpec {
  parentRefs?: ParentReference[];
  hostnames?: string[];
  rules?: GRPCRouteRule[];
}

/** The status of every route kind: its parents. */
export type RouteStatus = HTTPRouteStatus;

export type GRPCRoute = KubeObject<GRPCRouteSpec, RouteStatus>;

// ---- TLSRoute, TCPRoute, UDPRoute ---------------------------------------------------------------

/** A rule of a TLSRoute, TCPRoute or UDPRoute: where connections (or datagrams) go. */
export interface L4RouteRule {
  name?: string;
  backendRefs?: L4BackendRef[];
}

export interface L4BackendRef extends BackendObjectReference {
  weight?: number;
}

export interface TLSRouteSpec {
  parentRefs?: ParentReference[];
  hostnames?: string[];
  rules?: L4RouteRule[];
}

export interface L4RouteSpec {
  parentRefs?: ParentReference[];
  rules?: L4RouteRule[];
}

export type TLSRoute = KubeObject<TLSRouteSpec, RouteStatus>;
export type TCPRoute = KubeObject<L4RouteSpec, RouteStatus>;
export type UDPRoute = KubeObject<L4RouteSpec, RouteStatus>;

// ---- ReferenceGrant -------------------------------------------------------------------------

export interface ReferenceGrantFrom {
  group: string;
  kind: string;
  namespace: string;
}

export interface ReferenceGrantTo {
  group: string;
  kind: string;
  name?: string;
}

export interface ReferenceGrantSpec {
  from: ReferenceGrantFrom[];
  to: ReferenceGrantTo[];
}

export type ReferenceGrant = KubeObject<ReferenceGrantSpec>;
