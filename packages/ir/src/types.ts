// The IR: the contract between the Kubernetes world (gateway translator) and the Envoy world
// (xds translator). Plain, JSON-serialisable data with deterministic ordering and readable names.
//
// Identity matters: translators reuse unchanged IR objects between runs (structural sharing), so
// later stages may memoise work on object identity (WeakMap) and redo only what changed.
// IR objects are therefore never mutated after they are produced.

/** Everything one Gateway's Envoy needs. Keyed by `namespace/name` of the Gateway. */
export interface GatewayIR {
  /** `namespace/name` of the Gateway. */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  /** One entry per distinct port, sorted by port. */
  readonly listeners: readonly ListenerIR[];
  /** Upstream clusters referenced by any route, sorted by name. */
  readonly clusters: readonly ClusterIR[];
  /**
   * Ready endpoints of each cluster, sorted by cluster name. Kept apart from the clusters so that
   * an endpoint change replaces only these objects (the EDS fast path).
   */
  readonly endpoints: readonly ClusterEndpointsIR[];
  /** TLS certificates referenced by HTTPS listeners, sorted by name. */
  readonly secrets: readonly TLSSecretIR[];
  /**
   * Listeners that forward connections (TLS, TCP) or datagrams (UDP) instead of HTTP requests,
   * sorted by port then protocol. Absent when the Gateway has none.
   */
  readonly l4Listeners?: readonly L4ListenerIR[];
}

export type L4Protocol = 'TLS' | 'TCP' | 'UDP';

/** One Envoy listener that proxies connections (TLS, TCP) or datagrams (UDP) to clusters. */
export interface L4ListenerIR {
  /** Stable Envoy listener name, e.g. `tls-443`, `tcp-9000`, `udp-5353`. */
  readonly name: string;
  readonly port: number;
  readonly protocol: L4Protocol;
  /**
   * TLS: one chain per SNI hostname (`*` = any SNI: empty serverNames), sorted by name.
   * TCP and UDP: exactly one chain, without serverNames.
   */
  readonly chains: readonly L4ChainIR[];
}

export interface L4ChainIR {
  /** Stable name, e.g. `tls-443/foo.example.com`, `tcp-9000`. */
  readonly name: string;
  /** SNI names (exact or `*.` wildcard); empty matches any SNI. */
  readonly serverNames: readonly string[];
  /** TLS listeners in Terminate mode: the certificates served (absent: passthrough). */
  readonly tlsSecrets?: readonly string[];
  /**
   * Weighted backends (weights relative, none 0). Empty: every connection is closed (no backend
   * could be resolved). UDP applies the weights per session (client address and port).
   */
  readonly backends: readonly { readonly cluster: string; readonly weight: number }[];
}

export type ListenerProtocol = 'HTTP' | 'HTTPS';

/** One Envoy listener: every Gateway listener sharing a port is merged into it. */
export interface ListenerIR {
  /** Stable Envoy listener name, e.g. `http-80`, `https-443`. */
  readonly name: string;
  readonly port: number;
  readonly protocol: ListenerProtocol;
  /**
   * HTTP: exactly one chain, no serverNames, no tls.
   * HTTPS: one chain per Gateway listener, matched on SNI (serverNames; empty = default chain).
   * Sorted so that the order is deterministic (by name).
   */
  readonly filterChains: readonly FilterChainIR[];
  /**
   * HTTPS only: the chains of TLS listeners (TLSRoutes, Passthrough or Terminate) on the same port
   * (TLSRouteModeMixed), chosen by SNI beside the HTTPS chains; sorted by name. No server name is
   * in both lists (an HTTPS chain's names win: its listener hostname is the more specific one).
   * The port then has no `l4Listeners` entry. Absent when there are none.
   */
  readonly tlsChains?: readonly L4ChainIR[];
}

export interface FilterChainIR {
  /** Stable name, e.g. `https-443/foo` (port/Gateway listener name). */
  readonly name: string;
  /** SNI names (exact or `*.` wildcard); empty matches any/no SNI. */
  readonly serverNames: readonly string[];
  /** Names of TLSSecretIR entries served on this chain (several: e.g. RSA + ECDSA). */
  readonly tlsSecrets?: readonly string[];
  /** Client certificates are checked against this CA (Gateway spec.tls.frontend). */
  readonly clientValidation?: ClientValidationIR;
  /** The RouteConfiguration this chain's HTTP connection manager uses over RDS. */
  readonly routeConfig: RouteConfigIR;
}

export interface ClientValidationIR {
  /** PEM: the CA certificates a client certificate must chain to. */
  readonly trustedCA: string;
  /** AllowInsecureFallback: clients without a (valid) certificate are let in too. */
  readonly insecureFallback?: boolean;
}

export interface RouteConfigIR {
  /** Stable name, unique within the Gateway, e.g. `http-80` or `https-443/foo`. */
  readonly name: string;
  /** Sorted: exact hostnames first (longest first), then wildcards (longest first), `*` last. */
  readonly virtualHosts: readonly VirtualHostIR[];
}

export interface VirtualHostIR {
  /** Stable name, e.g. `http-80/foo.example.com`. */
  readonly name: string;
  /** Envoy domains: the hostname (exact, `*.suffix` or `*`). */
  readonly domains: readonly string[];
  /** In the Gateway API precedence order: Envoy takes the first route that matches. */
  readonly routes: readonly RouteIR[];
}

export interface RouteIR {
  /** Stable, readable: `httproute/<ns>/<name>/rule/<i>/match/<j>`. */
  readonly name: string;
  readonly match: RouteMatchIR;
  readonly action: RouteActionIR;
  /** Applied to the request before it is forwarded (RequestHeaderModifier). */
  readonly requestHeaders?: HeaderModifierIR;
  /** Applied to the response (ResponseHeaderModifier). */
  readonly responseHeaders?: HeaderModifierIR;
  readonly cors?: CorsIR;
  /** Fault injection (RouteOption faults): abort or delay a share of the requests. */
  readonly faults?: FaultIR;
}

export interface FaultIR {
  /** Answer `status` to `percent` (0..100) of the requests, without forwarding them. */
  readonly abort?: { readonly percent: number; readonly status: number };
  /** Hold `percent` (0..100) of the requests for `fixedDelayMs` before forwarding them. */
  readonly delay?: { readonly percent: number; readonly fixedDelayMs: number };
}

export interface RouteMatchIR {
  readonly path: PathMatchIR;
  readonly headers?: readonly StringMatchIR[];
  readonly queryParams?: readonly StringMatchIR[];
  /** HTTP method, e.g. `GET`. */
  readonly method?: string;
}

export interface PathMatchIR {
  /**
   * PathPrefix matches whole path segments (`/foo` matches `/foo`, `/foo/` and `/foo/bar`, not
   * `/foobar`); its value never ends with `/` except the root `/` itself. RegularExpression
   * values are RE2 syntax (the gateway translator rejects what RE2 cannot compile).
   */
  readonly type: 'Exact' | 'PathPrefix' | 'RegularExpression';
  readonly value: string;
}

export interface StringMatchIR {
  /** Header names are lower-cased; query parameter names keep their case. */
  readonly name: string;
  readonly type: 'Exact' | 'RegularExpression';
  readonly value: string;
}

export type RouteActionIR = ForwardActionIR | RedirectActionIR | DirectResponseActionIR;

export interface ForwardActionIR {
  readonly kind: 'forward';
  /** Weighted backends. Weights are relative; a backend with weight 0 is omitted. */
  readonly backends: readonly WeightedBackendIR[];
  readonly urlRewrite?: URLRewriteIR;
  readonly mirrors?: readonly MirrorIR[];
  readonly timeouts?: TimeoutsIR;
  readonly retry?: RetryIR;
  /** Allow websocket upgrades (a backend has appProtocol `kubernetes.io/ws`). */
  readonly websocket?: boolean;
  /**
   * Relative weight (same units as `backends[].weight`) of the requests that would have gone to
   * backendRefs that could not be resolved: the spec requires exactly that share to get HTTP 500.
   * Absent when every backendRef resolved. (In Envoy: one more weighted cluster entry naming a
   * cluster that does not exist, with `cluster_not_found_response_code: INTERNAL_SERVER_ERROR`.)
   */
  readonly invalidBackendWeight?: number;
  /**
   * For backends with a consistent-hash load balancer (ringHash, maglev); tried in order, their
   * hashes combined. Other load balancers ignore them. Routes with them leave the route fast path.
   */
  readonly hashPolicies?: readonly HashPolicyIR[];
}

export interface WeightedBackendIR {
  /** Name of a ClusterIR in the same GatewayIR. */
  readonly cluster: string;
  readonly weight: number;
  /** Per-backend filters (backendRefs[].filters). */
  readonly requestHeaders?: HeaderModifierIR;
  readonly responseHeaders?: HeaderModifierIR;
  /** The Host header sent to this backend (a VirtualDestination's host with rewriteHost). */
  readonly hostRewrite?: string;
}

export interface RedirectActionIR {
  readonly kind: 'redirect';
  /**
   * The gateway translator always sets scheme and port, resolved as the spec says (scheme: the
   * filter's, else the listener's; port: the filter's, else the scheme's well-known port when the
   * filter sets a scheme, else the listener's port). The Location header must omit the port when
   * it is the default one for the scheme (http 80, https 443).
   */
  readonly scheme?: string;
  /** Absent: keep the request's host (without its port). */
  readonly hostname?: string;
  readonly port?: number;
  readonly path?: PathModifierIR;
  /** 301, 302, 303, 307 or 308. */
  readonly statusCode: number;
}

export interface DirectResponseActionIR {
  readonly kind: 'directResponse';
  /**
   * 500 for a rule whose backends are all invalid, for example; 421 (Misdirected Request) on an
   * HTTPS listener for a Host that belongs to another listener of the same port.
   */
  readonly status: number;
  readonly body?: string;
}

export interface URLRewriteIR {
  readonly hostname?: string;
  /** Host becomes the DNS name of the host Envoy picked (Envoy auto_host_rewrite); never with hostname. */
  readonly autoHostname?: boolean;
  readonly path?: PathModifierIR;
}

export type PathModifierIR =
  | {
      /**
       * ReplacePrefixMatch replaces the route's PathPrefix match (whole segments) with `value`,
       * which never ends with `/` (so a replacement of `/` arrives as ''). The new path is `value`
       * followed by the rest of the path after the prefix, or `/` if that is empty.
       */
      readonly type: 'ReplaceFullPath' | 'ReplacePrefixMatch';
      readonly value: string;
    }
  | {
      /** Every match of the RE2 pattern `value` in the path is replaced by `substitution` (`\1` groups). */
      readonly type: 'RegexReplace';
      readonly value: string;
      readonly substitution: string;
    };

export interface HeaderModifierIR {
  readonly set?: readonly HeaderValueIR[];
  readonly add?: readonly HeaderValueIR[];
  readonly remove?: readonly string[];
}

export interface HeaderValueIR {
  readonly name: string;
  readonly value: string;
}

export interface MirrorIR {
  readonly cluster: string;
  /** Share of requests mirrored, 0..100 (fractions allowed); absent = all. */
  readonly percent?: number;
}

export interface TimeoutsIR {
  /** Whole-request timeout in ms; 0 disables. */
  readonly requestMs?: number;
  /** Per attempt to the backend, in ms. */
  readonly backendRequestMs?: number;
  /** Stream idle timeout of the route, in ms (Envoy RouteAction.idle_timeout). */
  readonly idleMs?: number;
}

export interface RetryIR {
  /** HTTP status codes that trigger a retry. */
  readonly codes?: readonly number[];
  readonly attempts?: number;
  readonly backoffMs?: number;
  /**
   * Envoy retry_on conditions replacing the default set (connect-failure, refused-stream, reset;
   * plus retriable-status-codes when there are codes).
   */
  readonly on?: readonly string[];
  /** Timeout of each attempt, in ms; wins over timeouts.backendRequestMs. */
  readonly perTryTimeoutMs?: number;
}

export interface CorsIR {
  /** Exact origins or patterns with `*` wildcards; `*` alone allows any origin. */
  readonly allowOrigins: readonly string[];
  readonly allowCredentials?: boolean;
  readonly allowMethods?: readonly string[];
  readonly allowHeaders?: readonly string[];
  readonly exposeHeaders?: readonly string[];
  readonly maxAgeSeconds?: number;
}

export type UpstreamProtocol = 'http1' | 'h2c';

export interface ClusterIR {
  /** Stable name from the naming helpers, e.g. `kube/default/echo/8080`. */
  readonly name: string;
  readonly protocol: UpstreamProtocol;
  readonly connectTimeoutMs?: number;
  /**
   * How Envoy learns the endpoints. Absent: EDS, from this GatewayIR's `endpoints` over ADS.
   * Present: the cluster carries its hosts, and `endpoints` must not list it (validate()).
   */
  readonly discovery?: ClusterDiscoveryIR;
  /** Absent: round robin. */
  readonly loadBalancer?: LoadBalancerIR;
  /** One active check (Envoy takes one per cluster that works as users expect). */
  readonly healthCheck?: HealthCheckIR;
  readonly outlierDetection?: OutlierDetectionIR;
  readonly circuitBreakers?: CircuitBreakersIR;
  /** TLS origination to the endpoints (system trust roots are not implied: none are checked). */
  readonly tls?: UpstreamTlsIR;
}

/** Endpoints the cluster carries itself instead of receiving over EDS. */
export type ClusterDiscoveryIR =
  /** IP addresses, as given (Envoy STATIC). */
  | { readonly type: 'static'; readonly hosts: readonly StaticHostIR[] }
  /** DNS names Envoy resolves and re-resolves, each address an endpoint (Envoy STRICT_DNS). */
  | { readonly type: 'strictDns'; readonly hosts: readonly StaticHostIR[] };

export interface StaticHostIR {
  /** An IP address (static) or a DNS name (strictDns). */
  readonly address: string;
  readonly port: number;
  /** Relative load-balancing weight, default 1. */
  readonly weight?: number;
  /** With TLS: the SNI for this host, over the cluster's (ignored without `tls`). */
  readonly sni?: string;
}

export type LoadBalancerIR =
  | { readonly type: 'roundRobin' }
  | { readonly type: 'leastRequest'; readonly choiceCount?: number }
  | { readonly type: 'random' }
  /** Consistent hashing on the route's hashPolicies (ForwardActionIR). */
  | { readonly type: 'ringHash'; readonly minimumRingSize?: number; readonly maximumRingSize?: number }
  | { readonly type: 'maglev'; readonly tableSize?: number };

export interface HealthCheckIR {
  /** Also the interval for clusters that have not carried traffic yet (Envoy's default: 60 s). */
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly unhealthyThreshold: number;
  readonly healthyThreshold: number;
  readonly check: HttpHealthCheckIR | TcpHealthCheckIR | GrpcHealthCheckIR;
}

export interface HttpHealthCheckIR {
  readonly type: 'http';
  readonly path: string;
  /** The Host header; absent: the cluster name, as Envoy does. */
  readonly host?: string;
  /** Healthy status ranges, both ends inclusive; absent: 200 only. */
  readonly expectedStatuses?: readonly { readonly start: number; readonly end: number }[];
}

export interface TcpHealthCheckIR {
  readonly type: 'tcp';
  /** Text sent on connect (non-empty; sent as its UTF-8 bytes); absent: a connect-only check. */
  readonly send?: string;
  /** Texts the response must contain, in order. */
  readonly receive?: readonly string[];
}

/** Needs a cluster with protocol h2c (Envoy refuses it otherwise; validate()). */
export interface GrpcHealthCheckIR {
  readonly type: 'grpc';
  readonly serviceName?: string;
}

export interface OutlierDetectionIR {
  readonly consecutive5xx?: number;
  readonly intervalMs?: number;
  readonly baseEjectionTimeMs?: number;
  readonly maxEjectionPercent?: number;
}

/** Envoy's default-priority thresholds; absent fields keep Envoy's defaults (1024, 1024, 1024, 3). */
export interface CircuitBreakersIR {
  readonly maxConnections?: number;
  readonly maxPendingRequests?: number;
  readonly maxRequests?: number;
  readonly maxRetries?: number;
}

export interface UpstreamTlsIR {
  /** SNI sent to every host that does not name its own. */
  readonly sni?: string;
  /**
   * Verify the backend's certificate (BackendTLSPolicy): it must chain to `trustedCA` (PEM, one or
   * more certificates) or, with `systemCA`, to the system's trust bundle, and carry one of
   * `subjectAltNames`. Absent: the certificate is not checked (an Upstream's own `tls`).
   */
  readonly verify?: UpstreamTlsVerifyIR;
  /** The client certificate Envoy presents (a TLSSecretIR of the Gateway; its spec.tls.backend). */
  readonly clientCertificate?: string;
}

export interface UpstreamTlsVerifyIR {
  readonly trustedCA?: string;
  readonly systemCA?: boolean;
  /** The certificate must carry one of these (DNS names and URIs); at least one. */
  readonly subjectAltNames: readonly SubjectAltNameIR[];
}

export interface SubjectAltNameIR {
  readonly type: 'dns' | 'uri';
  readonly value: string;
}

/**
 * What a consistent-hash load balancer hashes on (Envoy RouteAction.hash_policy). `terminal`: when
 * this policy yields a hash, the later ones are not evaluated.
 */
export type HashPolicyIR = (
  | { readonly type: 'header'; readonly name: string }
  | { readonly type: 'cookie'; readonly name: string; readonly ttlMs?: number; readonly path?: string }
  | { readonly type: 'sourceIP' }
  | { readonly type: 'queryParameter'; readonly name: string }
) & { readonly terminal?: boolean };

export interface ClusterEndpointsIR {
  readonly cluster: string;
  /** Ready endpoints, sorted by address then port. */
  readonly endpoints: readonly EndpointIR[];
}

export interface EndpointIR {
  readonly address: string;
  readonly port: number;
  /**
   * Where the endpoint runs: the Kubernetes cluster's name (`local` for Gantry's own), sent as
   * its Envoy Locality's region. Absent: no locality (one cluster).
   */
  readonly locality?: string;
  /**
   * Envoy's load-balancing priority: 0 (absent) first; Envoy sends to priority 1 only as far as
   * priority 0 lacks healthy endpoints (failover across clusters).
   */
  readonly priority?: number;
}

/** A certificate with its key. Never printed unredacted: use redactIR(). */
export interface TLSSecretIR {
  /** Stable name, e.g. `secret/<ns>/<name>`. */
  readonly name: string;
  readonly certificateChain: string;
  readonly privateKey: string;
}
