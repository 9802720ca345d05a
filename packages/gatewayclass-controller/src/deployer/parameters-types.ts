// GatewayParameters (gateway.gantry.dev/v1alpha1): how the Envoy of a Gateway is deployed.
// Referenced from a GatewayClass `spec.parametersRef` (defaults for the class) or a Gateway
// `spec.infrastructure.parametersRef` (overrides for one Gateway). Every field is optional:
// an empty object means "Gantry's defaults".
import type { KubeObject } from '../api/meta.js';

export const GANTRY_API_GROUP = 'gateway.gantry.dev';
export const GANTRY_API_VERSION = `${GANTRY_API_GROUP}/v1alpha1`;
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
 * The shape of charts/gantry-crds/templates/gateway.gantry.dev_gatewayparameters.yaml (the API
 * server prunes anything else).
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
