// GatewayParameters (gateway.gantry.dev/v1alpha1): how the Envoy of a Gateway is deployed.
// Referenced from a GatewayClass `spec.parametersRef` (defaults for the class) or a Gateway
// `spec.infrastructure.parametersRef` (overrides for one Gateway). Every field is optional:
// an empty object means "Gantry's defaults".
import type { CrdSource, OpenApiSchema } from '../crd.js';
import type { Condition, KubeObject } from '../meta.js';

export const GATEWAY_PARAMETERS_KIND = 'GatewayParameters';

export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer';
export const SERVICE_TYPES: readonly ServiceType[] = ['ClusterIP', 'NodePort', 'LoadBalancer'];

/** Envoy's `--log-level` values. */
export const ENVOY_LOG_LEVELS = ['trace', 'debug', 'info', 'warning', 'error', 'critical', 'off'] as const;
export type EnvoyLogLevel = (typeof ENVOY_LOG_LEVELS)[number];

/** A Kubernetes quantity: `"100m"`, `"128Mi"`, or a plain number (the CRD says int-or-string). */
export type Quantity = string | number;

export interface ResourceRequirements {
  requests?: Record<string, Quantity>;
  limits?: Record<string, Quantity>;
}

/**
 * The shape of GATEWAY_PARAMETERS_CRD's spec (the API server prunes anything else).
 */
export interface GatewayParametersSpec {
  /** Envoy Pods. Default 1. */
  replicas?: number;
  /** Envoy container image. Default: the Envoy release Gantry is tested with. */
  image?: string;
  /** Default `info`. */
  logLevel?: EnvoyLogLevel;
  /** Of the Envoy container; replaced as a whole when a Gateway's parameters set it. */
  resources?: ResourceRequirements;
  service?: {
    /** Default LoadBalancer. */
    type?: ServiceType;
    /** On the Service only (e.g. a cloud load balancer's settings). */
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  /** On every object created for the Gateway, and on its Pods. */
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Secrets (in the Gateway's namespace) the kubelet uses to pull `image`. */
  imagePullSecrets?: SecretName[];
  /** The Envoy Pods run only on nodes with these labels. */
  nodeSelector?: Record<string, string>;
  /** core/v1 Tolerations of the Envoy Pods. */
  tolerations?: Toleration[];
  /** core/v1 Affinity of the Envoy Pods (node affinity, pod (anti-)affinity), passed through as is. */
  affinity?: Record<string, unknown>;
  /** A PodDisruptionBudget for the Envoy Pods (one of minAvailable, maxUnavailable). */
  podDisruptionBudget?: PodDisruptionBudgetSettings;
  /** A HorizontalPodAutoscaler for the Envoy Deployment; `replicas` is then the HPA's to set. */
  autoscaling?: AutoscalingSettings;
  /** Envoy's access log: one line per HTTP request on Envoy's stdout. Off unless set. */
  accessLog?: AccessLogSettings;
}

export const ACCESS_LOG_FORMATS = ['json', 'text'] as const;

export interface AccessLogSettings {
  /** Default true once `accessLog` is set; false turns off a log the class's parameters turned on. */
  enabled?: boolean;
  /** Default json. */
  format?: (typeof ACCESS_LOG_FORMATS)[number];
  /** With format json: the fields, each an Envoy command operator (default: DEFAULT_ACCESS_LOG_JSON). */
  json?: Record<string, string>;
  /** With format text: an Envoy format string (default: Envoy's default line). */
  text?: string;
}

/** The JSON access log's fields unless `accessLog.json` names others. */
export const DEFAULT_ACCESS_LOG_JSON: Readonly<Record<string, string>> = {
  start_time: '%START_TIME%',
  method: '%REQ(:METHOD)%',
  path: '%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%',
  protocol: '%PROTOCOL%',
  authority: '%REQ(:AUTHORITY)%',
  response_code: '%RESPONSE_CODE%',
  response_flags: '%RESPONSE_FLAGS%',
  bytes_received: '%BYTES_RECEIVED%',
  bytes_sent: '%BYTES_SENT%',
  duration_ms: '%DURATION%',
  upstream_service_time: '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%',
  upstream_host: '%UPSTREAM_HOST%',
  upstream_cluster: '%UPSTREAM_CLUSTER%',
  route_name: '%ROUTE_NAME%',
  downstream_remote_address: '%DOWNSTREAM_REMOTE_ADDRESS%',
  x_forwarded_for: '%REQ(X-FORWARDED-FOR)%',
  user_agent: '%REQ(USER-AGENT)%',
  request_id: '%REQ(X-REQUEST-ID)%',
};

/** A core/v1 LocalObjectReference to a Secret. */
export interface SecretName {
  name: string;
}

export const TOLERATION_OPERATORS = ['Exists', 'Equal'] as const;
export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;

export interface Toleration {
  key?: string;
  operator?: (typeof TOLERATION_OPERATORS)[number];
  value?: string;
  effect?: (typeof TAINT_EFFECTS)[number];
  tolerationSeconds?: number;
}

export interface PodDisruptionBudgetSettings {
  /** A number of Pods or a percentage (`"50%"`). */
  minAvailable?: number | string;
  maxUnavailable?: number | string;
}

export interface AutoscalingSettings {
  /** Default 1. */
  minReplicas?: number;
  maxReplicas: number;
  /** Average CPU utilisation (% of the container's CPU request) to keep. Default 80 when no target is set. */
  targetCPUUtilizationPercentage?: number;
  /** Average memory utilisation (% of the request) to keep. */
  targetMemoryUtilizationPercentage?: number;
}

/** What the controller writes on a GatewayParameters: whether it is usable, and who uses it. */
export interface GatewayParametersStatus {
  conditions?: Condition[];
  /** `GatewayClass/<name>` and `Gateway/<namespace>/<name>` that reference it. */
  usedBy?: string[];
}

export type GatewayParameters = KubeObject<GatewayParametersSpec, GatewayParametersStatus>;

const QUANTITY: OpenApiSchema = {
  anyOf: [{ type: 'integer' }, { type: 'string' }],
  pattern: '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$',
  'x-kubernetes-int-or-string': true,
};

const INT_OR_PERCENT: OpenApiSchema = {
  anyOf: [{ type: 'integer' }, { type: 'string' }],
  'x-kubernetes-int-or-string': true,
  'x-kubernetes-validations': [{ rule: "type(self) == int ? self >= 0 : self.matches('^[0-9]+%$')", message: 'must be a non-negative number or a percentage such as 50%' }],
};

const stringMap = (description: string): OpenApiSchema => ({
  description, type: 'object', maxProperties: 64, additionalProperties: { type: 'string' },
});

export const GATEWAY_PARAMETERS_CRD: CrdSource = {
  comment: [
    'GatewayParameters: how Gantry provisions the Envoy of a Gateway. A',
    'GatewayClass or Gateway points at one through spec.parametersRef /',
    "spec.infrastructure.parametersRef. Unset fields take the deployer's defaults.",
  ],
  singular: 'gatewayparameters',
  // Not `gwp`: kgateway's GatewayParameters has that short name, and both may be installed.
  shortNames: ['gantrygwp'],
  categories: ['gantry'],
  description: 'How Gantry provisions the Envoy Deployment and Service of a Gateway.',
  spec: {
    description: 'The desired shape of the provisioned Envoy.',
    type: 'object',
    properties: {
      replicas: {
        description: "Number of Envoy pods. Unset means the deployer's default.",
        type: 'integer', format: 'int32', minimum: 0, maximum: 1000,
      },
      image: {
        description: 'Envoy container image (a reference a container runtime can pull).',
        type: 'string', minLength: 1, maxLength: 1024,
      },
      logLevel: { description: "Envoy's --log-level.", type: 'string', enum: ENVOY_LOG_LEVELS },
      service: {
        description: 'The Service that exposes the Envoy pods.',
        type: 'object',
        properties: {
          type: { description: 'Service type.', type: 'string', enum: SERVICE_TYPES },
          annotations: stringMap('Extra annotations on the Service.'),
          labels: stringMap('Extra labels on the Service.'),
        },
      },
      resources: {
        description: 'Compute resources of the Envoy container (the shape of a core/v1 ResourceRequirements).',
        type: 'object',
        properties: {
          limits: {
            description: 'Maximum amount of each resource, e.g. {cpu: 500m, memory: 256Mi}.',
            type: 'object', additionalProperties: QUANTITY,
          },
          requests: {
            description: 'Minimum amount of each resource the scheduler reserves.',
            type: 'object', additionalProperties: QUANTITY,
          },
        },
      },
      labels: stringMap('Extra labels on every object created for the Gateway (Deployment, its pods, Service, ConfigMap).'),
      annotations: stringMap('Extra annotations on every object created for the Gateway (Deployment, its pods, Service, ConfigMap).'),
      imagePullSecrets: {
        description: "Secrets in the Gateway's namespace used to pull the Envoy image.",
        type: 'array', maxItems: 16, 'x-kubernetes-list-type': 'atomic',
        items: {
          type: 'object', required: ['name'],
          properties: { name: { description: 'Name of a Secret.', type: 'string', minLength: 1, maxLength: 253 } },
        },
      },
      nodeSelector: stringMap('The Envoy pods run only on nodes with all these labels.'),
      tolerations: {
        description: 'Tolerations of the Envoy pods (core/v1 Toleration).',
        type: 'array', maxItems: 32, 'x-kubernetes-list-type': 'atomic',
        items: {
          type: 'object',
          properties: {
            key: { description: 'Taint key; empty with operator Exists matches every taint.', type: 'string', maxLength: 316 },
            operator: { description: 'Exists or Equal (default).', type: 'string', enum: TOLERATION_OPERATORS },
            value: { description: 'Taint value (operator Equal).', type: 'string', maxLength: 63 },
            effect: { description: 'Taint effect; empty matches every effect.', type: 'string', enum: TAINT_EFFECTS },
            tolerationSeconds: { description: 'With effect NoExecute: how long the pod stays bound after the taint appears.', type: 'integer', format: 'int64' },
          },
          'x-kubernetes-validations': [
            { rule: "!has(self.operator) || self.operator != 'Exists' || !has(self.value) || self.value == ''", message: 'a toleration with operator Exists takes no value' },
            { rule: "has(self.key) && self.key != '' || has(self.operator) && self.operator == 'Exists'", message: 'a toleration without a key needs operator Exists' },
            { rule: "!has(self.tolerationSeconds) || has(self.effect) && self.effect == 'NoExecute'", message: 'tolerationSeconds applies to effect NoExecute only' },
          ],
        },
      },
      affinity: {
        description: 'Affinity of the Envoy pods (core/v1 Affinity: nodeAffinity, podAffinity, podAntiAffinity), passed to the pods as is; the API server checks it when the Deployment is applied.',
        type: 'object',
        properties: {
          nodeAffinity: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          podAffinity: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          podAntiAffinity: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        },
      },
      podDisruptionBudget: {
        description: 'A PodDisruptionBudget (policy/v1) for the Envoy pods: exactly one of minAvailable or maxUnavailable.',
        type: 'object',
        properties: {
          minAvailable: { ...INT_OR_PERCENT, description: 'Pods that must stay available during voluntary disruptions: a number or a percentage.' },
          maxUnavailable: { ...INT_OR_PERCENT, description: 'Pods that may be unavailable during voluntary disruptions: a number or a percentage.' },
        },
        'x-kubernetes-validations': [
          { rule: 'has(self.minAvailable) != has(self.maxUnavailable)', message: 'set exactly one of minAvailable and maxUnavailable' },
        ],
      },
      accessLog: {
        description: "Envoy's access log: one line per HTTP request on Envoy's stdout (kubectl logs). Off unless set.",
        type: 'object',
        properties: {
          enabled: { description: 'Default true; false turns off a log that the class\'s parameters turn on.', type: 'boolean' },
          format: { description: 'json (default) or text.', type: 'string', enum: ACCESS_LOG_FORMATS },
          json: {
            description: 'With format json: field name to Envoy command operator, e.g. {status: "%RESPONSE_CODE%"}. Default: start_time, method, path, protocol, authority, response_code, response_flags, bytes, duration_ms, upstream host/cluster, route_name, client address, user_agent, request_id.',
            type: 'object', maxProperties: 64, additionalProperties: { type: 'string', maxLength: 1024 },
          },
          text: { description: 'With format text: an Envoy format string (default: Envoy\'s default line).', type: 'string', minLength: 1, maxLength: 4096 },
        },
        'x-kubernetes-validations': [
          { rule: "!has(self.json) || !has(self.format) || self.format == 'json'", message: 'json fields go with format json' },
          { rule: "!has(self.text) || has(self.format) && self.format == 'text'", message: 'text goes with format text' },
        ],
      },
      autoscaling: {
        description: 'A HorizontalPodAutoscaler (autoscaling/v2) for the Envoy Deployment. replicas is then left to it.',
        type: 'object', required: ['maxReplicas'],
        properties: {
          minReplicas: { description: 'Default 1.', type: 'integer', format: 'int32', minimum: 1, maximum: 1000 },
          maxReplicas: { type: 'integer', format: 'int32', minimum: 1, maximum: 1000 },
          targetCPUUtilizationPercentage: { description: 'Average CPU use to keep, in % of the request (80 when no target is set). Needs resources.requests.cpu.', type: 'integer', format: 'int32', minimum: 1, maximum: 1000 },
          targetMemoryUtilizationPercentage: { description: 'Average memory use to keep, in % of the request. Needs resources.requests.memory.', type: 'integer', format: 'int32', minimum: 1, maximum: 1000 },
        },
        'x-kubernetes-validations': [
          { rule: '!has(self.minReplicas) || self.minReplicas <= self.maxReplicas', message: 'minReplicas must not exceed maxReplicas' },
        ],
      },
    },
  },
  status: {
    description: 'Written by the controller: whether the parameters are usable, and which GatewayClasses and Gateways use them.',
    type: 'object',
    properties: {
      conditions: {
        description: 'Accepted: True when the parameters are usable, False (reason InvalidParameters) with what is wrong.',
        type: 'array', maxItems: 8, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'],
        items: {
          type: 'object', required: ['type', 'status', 'reason', 'message', 'lastTransitionTime'],
          properties: {
            type: { type: 'string', maxLength: 316 },
            status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
            reason: { type: 'string', maxLength: 1024 },
            message: { type: 'string', maxLength: 32768 },
            lastTransitionTime: { type: 'string', format: 'date-time' },
            observedGeneration: { type: 'integer', format: 'int64', minimum: 0 },
          },
        },
      },
      usedBy: {
        description: 'GatewayClass/<name> and Gateway/<namespace>/<name> that reference these parameters.',
        type: 'array', maxItems: 256, 'x-kubernetes-list-type': 'atomic', items: { type: 'string' },
      },
    },
  },
  printerColumns: [
    { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
    { name: 'Image', type: 'string', jsonPath: '.spec.image' },
    { name: 'Service', type: 'string', jsonPath: '.spec.service.type' },
    { name: 'Accepted', type: 'string', jsonPath: '.status.conditions[?(@.type=="Accepted")].status' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
};
