// Upstream (gateway.gantry.dev/v1alpha1): a backend an HTTPRoute routes to with
// `backendRefs: [{group: gateway.gantry.dev, kind: Upstream, name}]`, and everything about how
// Envoy talks to it (the Envoy cluster): where the endpoints come from (a Service's pods,
// addressed directly, or static hosts), protocol, load balancing, health checking, outlier
// detection and circuit breakers. The shape follows Gloo Edge's Upstream; the API server rejects
// what Envoy would (CEL rules below), so a bad Upstream fails at `kubectl apply`, not as a NACK.
import type { CrdSource, OpenApiSchema, ValidationRule } from '../crd.js';
import type { Condition, KubeObject } from '../meta.js';

export const UPSTREAM_KIND = 'Upstream';

/** Gateway API style duration: up to four number/unit pairs, e.g. `5s`, `1m30s`, `250ms`. */
export type Duration = string;
export const DURATION_PATTERN = '^([0-9]{1,5}(h|m|s|ms)){1,4}$';

/** The pods of a Service, addressed directly (no kube-proxy). */
export interface KubeUpstream {
  serviceName: string;
  /** Defaults to the Upstream's namespace. */
  serviceNamespace?: string;
  /** The Service port; traffic goes to its targetPort on each pod. */
  servicePort: number;
  /** Only the Service's pods that carry all these labels. */
  selector?: Record<string, string>;
}

export interface StaticHost {
  /** An IP address or a DNS name (DNS names make the cluster STRICT_DNS). */
  addr: string;
  port: number;
  /** Relative load-balancing weight, default 1. */
  weight?: number;
  /** SNI for this host, overriding `static.sni`. */
  sniAddr?: string;
}

export interface StaticUpstream {
  hosts: StaticHost[];
  /** TLS origination. Unset: TLS when any host's port is 443. */
  useTls?: boolean;
  sni?: string;
}

export interface HashPolicy {
  header?: { name: string };
  cookie?: { name: string; ttl?: Duration; path?: string };
  sourceIP?: Record<string, never>;
  queryParameter?: { name: string };
  /** Stop at this policy when it yields a hash (Envoy's `terminal`). */
  terminal?: boolean;
}

/** At most one kind; none means round robin. */
export interface LoadBalancer {
  roundRobin?: Record<string, never>;
  leastRequest?: { choiceCount?: number };
  random?: Record<string, never>;
  ringHash?: { minimumRingSize?: number; maximumRingSize?: number; hashPolicies?: HashPolicy[] };
  maglev?: { tableSize?: number; hashPolicies?: HashPolicy[] };
}

/** An inclusive range of HTTP status codes. */
export interface StatusRange {
  start: number;
  end: number;
}

/** One active health check (Envoy allows one per cluster); exactly one of http, tcp, grpc. */
export interface HealthCheck {
  interval: Duration;
  timeout: Duration;
  unhealthyThreshold: number;
  healthyThreshold: number;
  http?: { path: string; host?: string; expectedStatuses?: StatusRange[] };
  tcp?: { send?: string; receive?: string[] };
  grpc?: { serviceName?: string };
}

export interface OutlierDetection {
  consecutive5xx?: number;
  interval?: Duration;
  baseEjectionTime?: Duration;
  maxEjectionPercent?: number;
}

export interface CircuitBreakers {
  maxConnections?: number;
  maxPendingRequests?: number;
  maxRequests?: number;
  maxRetries?: number;
}

/** The shape of UPSTREAM_CRD's spec. Exactly one of `kube` and `static`. */
export interface UpstreamSpec {
  kube?: KubeUpstream;
  static?: StaticUpstream;
  useHttp2?: boolean;
  connectTimeout?: Duration;
  loadBalancer?: LoadBalancer;
  healthCheck?: HealthCheck;
  outlierDetection?: OutlierDetection;
  circuitBreakers?: CircuitBreakers;
  /** Written by discovery: what it knew of the Service (its labels). */
  discoveryMetadata?: { labels?: Record<string, string> };
}

export interface UpstreamStatus {
  /** Which of spec.kube or spec.static is set (what `kubectl get upstreams` prints as Type). */
  type?: 'Kube' | 'Static';
  /** Accepted, ResolvedRefs. */
  conditions?: Condition[];
  /** Endpoints currently selected. */
  endpoints?: number;
  observedGeneration?: number;
}

export type Upstream = KubeObject<UpstreamSpec, UpstreamStatus>;

// --- schema building blocks -------------------------------------------------------------------

const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const DNS_NAME = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
/** Gateway API's HTTPHeaderName. */
const HEADER_NAME = "^[A-Za-z0-9!#$%&'*+\\-.^_\\x60|~]+$";

const empty = (description: string): OpenApiSchema => ({ description, type: 'object', properties: {} });

const int = (description: string, minimum: number, maximum?: number): OpenApiSchema => ({
  description, type: 'integer', format: 'int32', minimum, ...(maximum !== undefined ? { maximum } : {}),
});

const port = (description: string): OpenApiSchema => int(description, 1, 65535);

/** `exactly` or `at most` one of `fields` is set on the object the rule sits on. */
function oneOf(fields: readonly string[], mode: 'exactly' | 'at most', message: string): ValidationRule {
  return { rule: `[${fields.map((f) => `has(self.${f})`).join(', ')}].filter(x, x).size() ${mode === 'exactly' ? '==' : '<='} 1`, message };
}

/**
 * A duration string. The pattern is the API server's structural check; `positive` adds a CEL rule
 * for what Envoy requires to be > 0, guarded by the pattern so a malformed value gets one error
 * (the pattern's), not a second one from duration() failing to parse it.
 */
function duration(description: string, positive: boolean): OpenApiSchema {
  return {
    description, type: 'string', maxLength: 32, pattern: DURATION_PATTERN,
    ...(positive ? {
      'x-kubernetes-validations': [{
        rule: `!self.matches(r'${DURATION_PATTERN}') || duration(self) > duration('0s')`,
        message: 'must be greater than 0',
      }],
    } : {}),
  };
}

const hostname = (description: string): OpenApiSchema => ({ description, type: 'string', minLength: 1, maxLength: 253, pattern: DNS_NAME });

const HASH_POLICY_KINDS = ['header', 'cookie', 'sourceIP', 'queryParameter'] as const;

const HASH_POLICIES: OpenApiSchema = {
  description: 'What a request is hashed on to pick a host: the first policy that yields a value is used, '
    + 'combined with later ones unless it is terminal. A request none of them yields a value for goes to a random host.',
  type: 'array', minItems: 1, maxItems: 16,
  items: {
    type: 'object',
    properties: {
      header: {
        description: 'Hash on the value of a request header.',
        type: 'object', required: ['name'],
        properties: { name: { description: 'Header name (case-insensitive).', type: 'string', minLength: 1, maxLength: 256, pattern: HEADER_NAME } },
      },
      cookie: {
        description: 'Hash on a cookie. With ttl, Envoy sets the cookie on the response when the request has none (sticky sessions).',
        type: 'object', required: ['name'],
        properties: {
          name: { description: 'Cookie name.', type: 'string', minLength: 1, maxLength: 256 },
          ttl: duration('Lifetime of a cookie Envoy generates; unset: Envoy never generates one. 0s: a session cookie.', false),
          path: { description: 'Path attribute of a generated cookie.', type: 'string', minLength: 1, maxLength: 1024, pattern: '^/' },
        },
      },
      sourceIP: empty("Hash on the client's (downstream) IP address."),
      queryParameter: {
        description: 'Hash on the value of a query parameter.',
        type: 'object', required: ['name'],
        properties: { name: { description: 'Query parameter name (case-sensitive).', type: 'string', minLength: 1, maxLength: 256 } },
      },
      terminal: {
        description: 'When this policy yields a hash, ignore the policies after it. Default false.',
        type: 'boolean',
      },
    },
    'x-kubernetes-validations': [
      oneOf(HASH_POLICY_KINDS, 'exactly', 'each hash policy must set exactly one of header, cookie, sourceIP or queryParameter'),
    ],
  },
};

const LB_KINDS = ['roundRobin', 'leastRequest', 'random', 'ringHash', 'maglev'] as const;
/** Envoy's limit for both ring sizes. */
const MAX_RING = 8388608;

const LOAD_BALANCER: OpenApiSchema = {
  description: 'How Envoy picks a host for each request: at most one of roundRobin, leastRequest, random, ringHash or maglev. Unset or empty: roundRobin.',
  type: 'object',
  properties: {
    roundRobin: empty('Each healthy host in turn (weighted).'),
    leastRequest: {
      description: 'The host with the fewest active requests among choiceCount random picks.',
      type: 'object',
      properties: { choiceCount: int('Hosts compared per pick. Default 2.', 2) },
    },
    random: empty('A random healthy host.'),
    ringHash: {
      description: 'Consistent hashing on a ring (Ketama): requests with the same hash go to the same host while it is healthy.',
      type: 'object',
      properties: {
        minimumRingSize: int('Minimum number of ring entries. Default 1024.', 1, MAX_RING),
        maximumRingSize: int('Maximum number of ring entries. Default 8388608.', 1, MAX_RING),
        hashPolicies: HASH_POLICIES,
      },
      'x-kubernetes-validations': [{
        rule: '!has(self.minimumRingSize) || !has(self.maximumRingSize) || self.minimumRingSize <= self.maximumRingSize',
        message: 'minimumRingSize must not be greater than maximumRingSize',
      }],
    },
    maglev: {
      description: 'Consistent hashing with a Maglev lookup table: less disruption than ringHash when hosts change, faster to build.',
      type: 'object',
      properties: {
        tableSize: int('Size of the lookup table; must be a prime number (Envoy rejects others). Default 65537.', 2, 5000011),
        hashPolicies: HASH_POLICIES,
      },
    },
  },
  'x-kubernetes-validations': [
    oneOf(LB_KINDS, 'at most', 'at most one of roundRobin, leastRequest, random, ringHash or maglev may be set'),
  ],
};

const HEALTH_CHECK: OpenApiSchema = {
  description: 'One active health check (Envoy runs one per cluster): exactly one of http, tcp or grpc. '
    + 'A host that fails it is taken out of load balancing until it passes again.',
  type: 'object',
  required: ['interval', 'timeout', 'unhealthyThreshold', 'healthyThreshold'],
  properties: {
    interval: duration('Time between checks of a host, e.g. 5s.', true),
    timeout: duration('Time to wait for a check to answer before it counts as failed, e.g. 1s. '
      + 'Envoy starts the next check only after this one ends, so a timeout longer than interval stretches the period of failing checks.', true),
    unhealthyThreshold: int('Consecutive failed checks before a host is marked unhealthy.', 1),
    healthyThreshold: int('Consecutive passed checks before an unhealthy host is marked healthy again.', 1),
    http: {
      description: 'An HTTP GET; the check passes on an expected status.',
      type: 'object', required: ['path'],
      properties: {
        path: { description: 'Request path, e.g. /healthz.', type: 'string', minLength: 1, maxLength: 1024, pattern: '^/' },
        host: {
          description: "Host header of the check request. Unset or empty: the Service's cluster DNS name (kube) or the host's addr (static).",
          type: 'string', maxLength: 253,
        },
        expectedStatuses: {
          description: 'Statuses that pass, as inclusive ranges. Default: only 200.',
          type: 'array', minItems: 1, maxItems: 16,
          items: {
            type: 'object', required: ['start', 'end'],
            properties: {
              start: int('First status of the range (inclusive).', 100, 599),
              end: int('Last status of the range (inclusive).', 100, 599),
            },
            'x-kubernetes-validations': [{ rule: 'self.start <= self.end', message: 'start must not be greater than end' }],
          },
        },
      },
    },
    tcp: {
      description: 'Connect, optionally send a payload and look for the expected bytes in the answer. Without send and receive: connect only.',
      type: 'object',
      properties: {
        send: { description: 'Text sent after connecting (UTF-8).', type: 'string', minLength: 1, maxLength: 1024 },
        receive: {
          description: 'Text expected in the answer: each item must appear, in this order, not necessarily contiguous.',
          type: 'array', maxItems: 16,
          items: { type: 'string', minLength: 1, maxLength: 1024 },
        },
      },
    },
    grpc: {
      description: 'The gRPC health checking protocol (grpc.health.v1.Health/Check); the check passes on SERVING.',
      type: 'object',
      properties: {
        serviceName: { description: "The service to ask about; unset: the server's overall health.", type: 'string', maxLength: 1024 },
      },
    },
  },
  'x-kubernetes-validations': [oneOf(['http', 'tcp', 'grpc'], 'exactly', 'healthCheck must set exactly one of http, tcp or grpc')],
};

const OUTLIER_DETECTION: OpenApiSchema = {
  description: 'Passive health checking: hosts that keep failing real requests are ejected from load balancing for a while. Unset fields take Envoy\'s defaults.',
  type: 'object',
  properties: {
    consecutive5xx: int('Consecutive 5xx answers (or connection failures) that eject a host. Default 5.', 1),
    interval: duration('Time between ejection sweeps. Default 10s.', true),
    baseEjectionTime: duration('How long a host stays ejected, multiplied by the number of times it has been ejected. Default 30s.', true),
    maxEjectionPercent: int('Most hosts that may be ejected at once, in percent. Default 10.', 0, 100),
  },
};

const CIRCUIT_BREAKERS: OpenApiSchema = {
  description: 'Limits on what Envoy sends to this Upstream as a whole; beyond them requests fail fast with 503. Unset fields take Envoy\'s defaults.',
  type: 'object',
  properties: {
    maxConnections: int('Most connections to all hosts. Default 1024.', 1),
    maxPendingRequests: int('Most requests waiting for a connection. Default 1024.', 0),
    maxRequests: int('Most requests in flight. Default 1024.', 1),
    maxRetries: int('Most retries in flight. Default 3.', 0),
  },
};

const CONDITION: OpenApiSchema = {
  description: 'A metav1.Condition.',
  type: 'object',
  required: ['type', 'status', 'reason', 'message', 'lastTransitionTime'],
  properties: {
    type: { type: 'string', maxLength: 316, pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$' },
    status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
    reason: { type: 'string', minLength: 1, maxLength: 1024, pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$' },
    message: { type: 'string', maxLength: 32768 },
    observedGeneration: { type: 'integer', format: 'int64', minimum: 0 },
    lastTransitionTime: { type: 'string', format: 'date-time' },
  },
};

export const UPSTREAM_CRD: CrdSource = {
  comment: [
    'Upstream: a backend an HTTPRoute routes to (backendRefs group gateway.gantry.dev,',
    "kind Upstream): a Service's pods addressed directly, or static hosts, plus how Envoy",
    'balances, health-checks and limits traffic to them.',
  ],
  singular: 'upstream',
  shortNames: ['us'],
  categories: ['gantry'],
  // A JSONPath cannot turn "which of kube/static is set" into a word, so Gantry writes the type
  // into the status. The target shows with `-o wide` (priority 1).
  printerColumns: [
    { name: 'Type', type: 'string', jsonPath: '.status.type', description: 'Kube or Static.' },
    { name: 'Accepted', type: 'string', jsonPath: '.status.conditions[?(@.type=="Accepted")].status' },
    { name: 'Endpoints', type: 'integer', jsonPath: '.status.endpoints', description: 'Endpoints currently selected.' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    { name: 'Service', type: 'string', jsonPath: '.spec.kube.serviceName', description: 'The Service of a kube Upstream.', priority: 1 },
    { name: 'Host', type: 'string', jsonPath: '.spec.static.hosts[0].addr', description: 'The first host of a static Upstream.', priority: 1 },
  ],
  description: 'A backend for HTTPRoutes (backendRefs with group gateway.gantry.dev, kind Upstream) and how Envoy sends traffic to it.',
  specRequired: true,
  spec: {
    description: 'Exactly one of kube or static says where the endpoints come from; the rest applies to either.',
    type: 'object',
    properties: {
      kube: {
        description: "The ready pods of a Service, addressed directly (no kube-proxy). An Upstream may name a Service in another namespace only from the controller's install namespace or with a ReferenceGrant in the Service's namespace.",
        type: 'object',
        required: ['serviceName', 'servicePort'],
        properties: {
          serviceName: { description: 'Name of the Service.', type: 'string', minLength: 1, maxLength: 63, pattern: DNS_LABEL },
          serviceNamespace: { description: "Namespace of the Service. Default: the Upstream's namespace.", type: 'string', minLength: 1, maxLength: 63, pattern: DNS_LABEL },
          servicePort: port('A port of the Service (its port, not its targetPort); traffic goes to the matching targetPort on each pod.'),
          selector: {
            description: "Only the Service's pods that carry all these labels (e.g. {version: v2}).",
            type: 'object', maxProperties: 64, additionalProperties: { type: 'string', maxLength: 63 },
          },
        },
      },
      static: {
        description: 'Fixed hosts, by IP address or DNS name (DNS names are re-resolved by Envoy).',
        type: 'object',
        required: ['hosts'],
        properties: {
          hosts: {
            description: 'The hosts, at least one.',
            type: 'array', maxItems: 256,
            items: {
              type: 'object',
              required: ['addr', 'port'],
              properties: {
                addr: { description: 'IP address or DNS name.', type: 'string', minLength: 1, maxLength: 253 },
                port: port('Port on the host.'),
                weight: int('Relative share of the traffic among hosts. Default 1.', 1, 1000000),
                sniAddr: hostname('SNI sent to this host, overriding static.sni.'),
              },
              'x-kubernetes-validations': [{
                rule: `isIP(self.addr) || self.addr.matches(r'${DNS_NAME}')`,
                message: 'addr must be an IP address or a lowercase DNS name',
              }],
            },
            'x-kubernetes-validations': [{ rule: 'size(self) >= 1', message: 'a static Upstream needs at least one host' }],
          },
          useTls: { description: 'Originate TLS to the hosts. Unset: TLS when any host uses port 443.', type: 'boolean' },
          sni: hostname('SNI sent to every host (unless a host sets sniAddr). Unset: none.'),
        },
        'x-kubernetes-validations': [{
          rule: "!has(self.useTls) || self.useTls || (!has(self.sni) && self.hosts.all(h, !has(h.sniAddr)))",
          message: 'sni and sniAddr need TLS: useTls is false',
        }],
      },
      useHttp2: { description: 'Speak HTTP/2 to the hosts (h2 over TLS, h2c without). Default false: HTTP/1.1.', type: 'boolean' },
      connectTimeout: duration('Time allowed to open a connection to a host. Default 5s.', true),
      loadBalancer: LOAD_BALANCER,
      healthCheck: HEALTH_CHECK,
      outlierDetection: OUTLIER_DETECTION,
      circuitBreakers: CIRCUIT_BREAKERS,
      discoveryMetadata: {
        description: 'Set by discovery on the Upstreams it creates: the labels of the Service they come from.',
        type: 'object',
        properties: {
          labels: { description: "The Service's labels.", type: 'object', maxProperties: 64, additionalProperties: { type: 'string', maxLength: 63 } },
        },
      },
    },
    'x-kubernetes-validations': [{ rule: 'has(self.kube) != has(self.static)', message: 'exactly one of kube or static must be set' }],
  },
  status: {
    description: 'What Gantry made of the Upstream.',
    type: 'object',
    properties: {
      type: { description: 'Which of spec.kube or spec.static is set.', type: 'string', enum: ['Kube', 'Static'] },
      conditions: {
        description: 'Accepted and ResolvedRefs, with reasons.',
        type: 'array', maxItems: 8,
        'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'],
        items: CONDITION,
      },
      endpoints: { description: 'Endpoints currently selected.', type: 'integer', format: 'int32', minimum: 0 },
      observedGeneration: { description: 'The generation the status describes.', type: 'integer', format: 'int64', minimum: 0 },
    },
  },
};

/** Shared with RouteOption (lbHash.hashPolicies, status conditions). */
export const HASH_POLICIES_SCHEMA = HASH_POLICIES;
export const CONDITION_SCHEMA = CONDITION;
/** Shared with VirtualDestination. */
export const OUTLIER_DETECTION_SCHEMA = OUTLIER_DETECTION;
