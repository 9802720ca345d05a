// GatewayParameters (gateway.gantry.dev/v1alpha1): how the Envoy of a Gateway is deployed.
// Referenced from a GatewayClass `spec.parametersRef` (defaults for the class) or a Gateway
// `spec.infrastructure.parametersRef` (overrides for one Gateway). Every field is optional:
// an empty object means "Gantry's defaults".
import type { CrdSource, OpenApiSchema } from '../crd.js';
import type { KubeObject } from '../meta.js';

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
}

export type GatewayParameters = KubeObject<GatewayParametersSpec>;

const QUANTITY: OpenApiSchema = {
  anyOf: [{ type: 'integer' }, { type: 'string' }],
  pattern: '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$',
  'x-kubernetes-int-or-string': true,
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
  shortNames: ['gwp'],
  categories: ['gantry'],
  printerColumns: [
    { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
    { name: 'Image', type: 'string', jsonPath: '.spec.image' },
    { name: 'Service', type: 'string', jsonPath: '.spec.service.type' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
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
    },
  },
};
