// RouteOption (gateway.gantry.dev/v1alpha1): options for HTTPRoute rules that the Gateway API's
// core filters do not have (regex rewrites, idle timeouts, retry conditions, faults, direct
// responses, hash policies) or that teams want to keep in one object and reuse. A rule names one
// with an ExtensionRef filter; or the RouteOption names routes (or one rule by sectionName) in
// spec.targetRefs. The shape follows Gloo Edge's RouteOption; the API server refuses what Envoy
// would (CEL rules below), and the translator checks the same again (manifest files, old objects).
import type { CrdSource, OpenApiSchema, ValidationRule } from '../crd.js';
import type { Condition, KubeObject } from '../meta.js';
import { CONDITION_SCHEMA, DURATION_PATTERN, HASH_POLICIES_SCHEMA, type Duration, type HashPolicy } from './upstream.js';

export const ROUTE_OPTION_KIND = 'RouteOption';

export interface RouteOptionTargetRef {
  group: string;
  kind: string;
  name: string;
  /** A rule's `name`; unset: every rule of the route. */
  sectionName?: string;
}

export interface HeaderValueOption {
  header: { key: string; value: string };
  /** Default true: add a value (keeping the request's own); false: replace it. */
  append?: boolean;
}

export interface HeaderManipulation {
  requestHeadersToAdd?: HeaderValueOption[];
  requestHeadersToRemove?: string[];
  responseHeadersToAdd?: HeaderValueOption[];
  responseHeadersToRemove?: string[];
}

export interface RouteOptionCors {
  allowOrigins?: string[];
  allowMethods?: string[];
  allowHeaders?: string[];
  exposeHeaders?: string[];
  maxAge?: Duration;
  allowCredentials?: boolean;
}

export interface RouteOptionRetries {
  /** Envoy retry conditions, comma separated, e.g. `5xx,connect-failure`. */
  retryOn?: string;
  numRetries?: number;
  perTryTimeout?: Duration;
  retriableStatusCodes?: number[];
}

export interface RouteOptionFaults {
  abort?: { percentage?: number; httpStatus: number };
  delay?: { percentage?: number; fixedDelay: Duration };
}

/** Every field is optional; at most one of prefixRewrite/regexRewrite and of hostRewrite/autoHostRewrite. */
export interface RouteOptions {
  prefixRewrite?: string;
  regexRewrite?: { pattern: string; substitution: string };
  hostRewrite?: string;
  autoHostRewrite?: boolean;
  timeout?: Duration;
  idleTimeout?: Duration;
  retries?: RouteOptionRetries;
  headerManipulation?: HeaderManipulation;
  cors?: RouteOptionCors;
  faults?: RouteOptionFaults;
  lbHash?: { hashPolicies: HashPolicy[] };
  directResponse?: { status: number; body?: string };
}

export interface RouteOptionSpec {
  targetRefs?: RouteOptionTargetRef[];
  options?: RouteOptions;
}

/** Gateway API PolicyAncestorStatus: here the ancestor is the HTTPRoute the RouteOption affects. */
export interface PolicyAncestorStatus {
  ancestorRef: { group?: string; kind?: string; namespace?: string; name: string; sectionName?: string };
  controllerName: string;
  conditions: Condition[];
}

export interface RouteOptionStatus {
  ancestors?: PolicyAncestorStatus[];
  /** Accepted: the object itself is valid and used by some route. */
  conditions?: Condition[];
}

export type RouteOption = KubeObject<RouteOptionSpec, RouteOptionStatus>;

// --- schema ----------------------------------------------------------------------------------

/** Gateway API's HTTPHeaderName: no `:` (pseudo-headers), no CR/LF, no spaces. */
export const HEADER_NAME_PATTERN = "^[A-Za-z0-9!#$%&'*+\\-.^_\\x60|~]+$";

const HEADER_NAME: OpenApiSchema = { description: 'Header name.', type: 'string', minLength: 1, maxLength: 256, pattern: HEADER_NAME_PATTERN };

/** Envoy refuses to modify Host through header options (hostRewrite is the way). */
const NOT_HOST: ValidationRule = { rule: "self.lowerAscii() != 'host'", message: 'the host header cannot be modified here; use hostRewrite' };

/** No CR, LF or NUL in a header value (Envoy refuses them). */
const HEADER_VALUE: OpenApiSchema = {
  description: 'Header value.', type: 'string', maxLength: 4096,
  'x-kubernetes-validations': [{ rule: "!self.matches('[\\r\\n\\x00]')", message: 'header values cannot contain CR, LF or NUL' }],
};

const duration = (description: string, positive: boolean): OpenApiSchema => ({
  description, type: 'string', maxLength: 32, pattern: DURATION_PATTERN,
  ...(positive ? {
    'x-kubernetes-validations': [{ rule: `!self.matches(r'${DURATION_PATTERN}') || duration(self) > duration('0s')`, message: 'must be greater than 0' }],
  } : {}),
});

const percentage = (description: string): OpenApiSchema => ({ description, type: 'number', minimum: 0, maximum: 100 });

function headersToAdd(description: string, request: boolean): OpenApiSchema {
  return {
    description, type: 'array', maxItems: 32,
    items: {
      type: 'object', required: ['header'],
      properties: {
        header: {
          type: 'object', required: ['key', 'value'],
          properties: {
            key: request ? { ...HEADER_NAME, 'x-kubernetes-validations': [NOT_HOST] } : HEADER_NAME,
            value: HEADER_VALUE,
          },
        },
        append: { description: 'true (default): add a value, keeping any the message has; false: replace them.', type: 'boolean' },
      },
    },
  };
}

function headersToRemove(description: string, request: boolean): OpenApiSchema {
  return {
    description, type: 'array', maxItems: 32,
    items: request ? { ...HEADER_NAME, 'x-kubernetes-validations': [NOT_HOST] } : HEADER_NAME,
  };
}

const RETRY_ON = ['5xx', 'gateway-error', 'reset', 'reset-before-request', 'connect-failure', 'envoy-ratelimited', 'retriable-4xx',
  'refused-stream', 'retriable-status-codes', 'retriable-headers', 'http3-post-connect-failure',
  'cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable'] as const;

/** Envoy's retry_on conditions (HTTP and gRPC). */
export const RETRY_ON_CONDITIONS: readonly string[] = RETRY_ON;

const OPTIONS: OpenApiSchema = {
  description: 'What the RouteOption does to the rules it applies to. Each field is optional; where several RouteOptions '
    + 'and the rule itself set the same field, precedence decides (see docs/routeoption.md).',
  type: 'object',
  properties: {
    prefixRewrite: {
      description: "Replace the part of the path the rule's PathPrefix match matched (with an Exact match: the whole path). "
        + 'Like the URLRewrite filter\'s ReplacePrefixMatch.',
      type: 'string', minLength: 1, maxLength: 1024, pattern: '^/[^\\r\\n\\x00?#]*$',
    },
    regexRewrite: {
      description: 'Rewrite the path with an RE2 regular expression; substitution may use \\1-style capture groups.',
      type: 'object', required: ['pattern', 'substitution'],
      properties: {
        pattern: { description: 'RE2 regular expression matched against the path.', type: 'string', minLength: 1, maxLength: 1024 },
        substitution: { description: 'Replacement for every match.', type: 'string', maxLength: 1024, pattern: '^[^\\r\\n\\x00]*$' },
      },
    },
    hostRewrite: {
      description: 'Host header sent to the backend.',
      type: 'string', minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*(:[0-9]{1,5})?$',
    },
    autoHostRewrite: {
      description: 'Send the backend host\'s DNS name as Host (static Upstreams with DNS names; no effect on IP hosts).',
      type: 'boolean',
    },
    timeout: duration('Time for the whole request, retries included; 0s disables the timeout. A request that takes longer gets 504.', false),
    idleTimeout: duration('Time a request stream may go without sending or receiving anything before it is reset.', true),
    retries: {
      description: 'Retry failed requests.',
      type: 'object',
      properties: {
        retryOn: {
          description: `Envoy retry conditions, comma separated: ${RETRY_ON.join(', ')}. Default: 5xx,connect-failure,refused-stream,reset.`,
          type: 'string', minLength: 1, maxLength: 512,
          'x-kubernetes-validations': [{
            rule: `self.split(',').all(c, c.trim() in [${RETRY_ON.map((c) => `'${c}'`).join(', ')}])`,
            message: `retryOn must be a comma-separated list of: ${RETRY_ON.join(', ')}`,
          }],
        },
        numRetries: { description: 'Retries after the first attempt. Default 1.', type: 'integer', format: 'int32', minimum: 0, maximum: 100 },
        perTryTimeout: duration('Timeout of each attempt.', true),
        retriableStatusCodes: {
          description: 'Status codes that are retried (adds retriable-status-codes to retryOn).',
          type: 'array', maxItems: 32, items: { type: 'integer', format: 'int32', minimum: 100, maximum: 599 },
        },
      },
    },
    headerManipulation: {
      description: 'Headers added to and removed from requests (before they go to the backend) and responses.',
      type: 'object',
      properties: {
        requestHeadersToAdd: headersToAdd('Request headers to add or replace (not Host, not :-pseudo-headers).', true),
        requestHeadersToRemove: headersToRemove('Request headers to remove.', true),
        responseHeadersToAdd: headersToAdd('Response headers to add or replace.', false),
        responseHeadersToRemove: headersToRemove('Response headers to remove.', false),
      },
    },
    cors: {
      description: 'Cross-origin resource sharing: Envoy answers preflight requests and adds the CORS response headers.',
      type: 'object',
      properties: {
        allowOrigins: { description: 'Origins allowed (exact, or with * wildcards; * alone: any).', type: 'array', maxItems: 64, items: { type: 'string', minLength: 1, maxLength: 253 } },
        allowMethods: { description: 'Methods allowed.', type: 'array', maxItems: 16, items: { type: 'string', minLength: 1, maxLength: 32, pattern: '^[A-Z]+$|^\\*$' } },
        allowHeaders: { description: 'Request headers allowed.', type: 'array', maxItems: 64, items: HEADER_NAME },
        exposeHeaders: { description: 'Response headers exposed to the page.', type: 'array', maxItems: 64, items: HEADER_NAME },
        maxAge: duration('How long a preflight answer may be cached. Default 5s.', false),
        allowCredentials: { description: 'Allow credentials (cookies, authorization).', type: 'boolean' },
      },
    },
    faults: {
      description: 'Fault injection, for testing resilience: abort some requests with a status, or delay them.',
      type: 'object',
      properties: {
        abort: {
          type: 'object', required: ['httpStatus'],
          properties: {
            percentage: percentage('Share of requests aborted, 0..100. Default 100.'),
            httpStatus: { description: 'Status of an aborted request.', type: 'integer', format: 'int32', minimum: 200, maximum: 599 },
          },
        },
        delay: {
          type: 'object', required: ['fixedDelay'],
          properties: {
            percentage: percentage('Share of requests delayed, 0..100. Default 100.'),
            fixedDelay: duration('How long a delayed request waits before it is forwarded.', true),
          },
        },
      },
      'x-kubernetes-validations': [{ rule: 'has(self.abort) || has(self.delay)', message: 'faults needs abort or delay' }],
    },
    lbHash: {
      description: "What consistent-hash load balancing (an Upstream's ringHash or maglev) hashes on for these rules; "
        + "replaces the Upstream's own hashPolicies.",
      type: 'object', required: ['hashPolicies'],
      properties: { hashPolicies: HASH_POLICIES_SCHEMA },
    },
    directResponse: {
      description: 'Answer directly with this status and body; the rule forwards nothing.',
      type: 'object', required: ['status'],
      properties: {
        status: { description: 'HTTP status.', type: 'integer', format: 'int32', minimum: 200, maximum: 599 },
        body: { description: 'Response body.', type: 'string', maxLength: 4096 },
      },
    },
  },
  'x-kubernetes-validations': [
    { rule: '!(has(self.prefixRewrite) && has(self.regexRewrite))', message: 'at most one of prefixRewrite and regexRewrite may be set' },
    { rule: '!(has(self.hostRewrite) && has(self.autoHostRewrite) && self.autoHostRewrite)', message: 'at most one of hostRewrite and autoHostRewrite may be set' },
  ],
};

export const ROUTE_OPTION_CRD: CrdSource = {
  comment: [
    'RouteOption: options for HTTPRoute rules, named by a rule\'s ExtensionRef filter',
    '(group gateway.gantry.dev, kind RouteOption) or attached by spec.targetRefs.',
  ],
  singular: 'routeoption',
  shortNames: ['rto'],
  categories: ['gantry'],
  printerColumns: [
    { name: 'Accepted', type: 'string', jsonPath: '.status.conditions[?(@.type=="Accepted")].status' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
  description: 'Options for HTTPRoute rules: rewrites, timeouts, retries, headers, CORS, faults, hashing, direct responses.',
  specRequired: true,
  spec: {
    description: 'targetRefs (optional) attaches the options to routes; without them the RouteOption applies only where an ExtensionRef filter names it.',
    type: 'object',
    properties: {
      targetRefs: {
        description: 'HTTPRoutes in the same namespace, whole or one rule (sectionName: the rule\'s name).',
        type: 'array', maxItems: 16,
        items: {
          type: 'object', required: ['group', 'kind', 'name'],
          properties: {
            group: { description: 'gateway.networking.k8s.io', type: 'string', maxLength: 253 },
            kind: { description: 'HTTPRoute', type: 'string', maxLength: 63 },
            name: { description: 'Name of the HTTPRoute.', type: 'string', minLength: 1, maxLength: 253 },
            sectionName: { description: 'Name of one rule of the route.', type: 'string', minLength: 1, maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' },
          },
          'x-kubernetes-validations': [{
            rule: "self.group == 'gateway.networking.k8s.io' && self.kind == 'HTTPRoute'",
            message: 'targetRefs may only name HTTPRoutes (group gateway.networking.k8s.io, kind HTTPRoute)',
          }],
        },
      },
      options: OPTIONS,
    },
  },
  status: {
    description: 'What Gantry made of the RouteOption.',
    type: 'object',
    properties: {
      ancestors: {
        description: 'One entry per HTTPRoute the RouteOption applies to (Gateway API PolicyAncestorStatus).',
        type: 'array', maxItems: 16,
        items: {
          type: 'object', required: ['ancestorRef', 'controllerName', 'conditions'],
          properties: {
            ancestorRef: {
              type: 'object', required: ['name'],
              properties: {
                group: { type: 'string', maxLength: 253 },
                kind: { type: 'string', maxLength: 63 },
                namespace: { type: 'string', maxLength: 63 },
                name: { type: 'string', minLength: 1, maxLength: 253 },
                sectionName: { type: 'string', maxLength: 253 },
              },
            },
            controllerName: { type: 'string', maxLength: 253 },
            conditions: { type: 'array', maxItems: 8, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'], items: CONDITION_SCHEMA },
          },
        },
      },
      conditions: {
        description: 'Accepted: valid, and used by at least one route.',
        type: 'array', maxItems: 8,
        'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'],
        items: CONDITION_SCHEMA,
      },
    },
  },
};
