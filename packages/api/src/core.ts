// Core Kubernetes objects the gateway translator reads, as plain data (only the fields used).
import type { KubeObject } from './meta.js';

export type Namespace = KubeObject;

export interface ServicePort {
  name?: string;
  protocol?: string;
  port: number;
  targetPort?: number | string;
  appProtocol?: string;
}

export interface ServiceSpec {
  type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName' | string;
  clusterIP?: string;
  externalName?: string;
  selector?: Record<string, string>;
  ports?: ServicePort[];
}

export type Service = KubeObject<ServiceSpec>;

export interface EndpointConditions {
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

/** What an endpoint stands for: a Pod, for the endpoints of a Service with a selector. */
export interface EndpointTargetRef {
  kind?: string;
  name?: string;
  namespace?: string;
  uid?: string;
}

export interface Endpoint {
  addresses: string[];
  conditions?: EndpointConditions;
  hostname?: string;
  nodeName?: string;
  zone?: string;
  targetRef?: EndpointTargetRef;
}

export interface EndpointPort {
  name?: string;
  port?: number;
  protocol?: string;
  appProtocol?: string;
}

/** discovery.k8s.io/v1: its payload sits at the top level, not under `spec`. */
export interface EndpointSlice extends KubeObject {
  addressType: 'IPv4' | 'IPv6' | 'FQDN' | string;
  endpoints?: Endpoint[];
  ports?: EndpointPort[];
}

/** The label that ties an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** Read by reference (a BackendTLSPolicy's CA certificates, key `ca.crt`). */
export interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

/** Values are base64 in `data`; files may use plain-text `stringData` instead. */
export interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

/**
 * Gantry reads Pods only for their labels (an Upstream's `kube.selector` picks endpoints by the
 * labels of the Pod behind them): the controller watches them as metadata only. Manifest files
 * may carry `status.podIP`, for endpoints without a targetRef.
 */
export interface PodStatus {
  podIP?: string;
  podIPs?: { ip: string }[];
}

export type Pod = KubeObject<unknown, PodStatus>;
