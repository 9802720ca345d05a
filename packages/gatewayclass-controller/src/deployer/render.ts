// Pure rendering: a Gateway (with its class and resolved GatewayParameters) → the ServiceAccount,
// ConfigMap, Deployment and Service that run its Envoy (and, when the parameters ask, a
// PodDisruptionBudget and a HorizontalPodAutoscaler). No I/O; problems come back as values.
//
// Ports: the Service and the container use the Gateway's listener ports unchanged, because the
// xDS translator binds each Envoy listener at the Gateway listener's port. Ports below 1024 are
// bound without root and without any capability through the namespaced sysctl
// `net.ipv4.ip_unprivileged_port_start=0` (a "safe" sysctl, allowed by Pod Security "baseline"),
// set only when such a port exists.
import { createHash } from 'node:crypto';
import type { V1Affinity, V1ConfigMap, V1ContainerPort, V1Deployment, V1OwnerReference, V1PodDisruptionBudget, V1Service, V1ServiceAccount, V1ServicePort, V1Toleration, V2HorizontalPodAutoscaler, V2MetricSpec } from '@kubernetes/client-node';
import type { EnvoyLogLevel, Gateway, GatewayClass, GatewayParameters, Listener, Quantity, ServiceType } from '@gantry/api';
import { requestedLoadBalancerIP } from './addresses.js';
import { gatewayBootstrap, METRICS_PATH, READINESS_PATH } from './bootstrap.js';
import { BOOTSTRAP_HASH_ANNOTATION, fixedLabels, infrastructureName, selectorLabels } from './naming.js';
import { mergeParameters, validateGatewayParameters, type ParametersProblem } from './parameters.js';
import { XDS_CLIENT_CA_KEY, XDS_CLIENT_CERT_KEY, XDS_CLIENT_KEY_KEY, type XdsClientSecretRef } from '../xds-auth/client-secret.js';

/** The Envoy release Gantry is tested with (hack/install-envoy.sh pins the same version). */
export const DEFAULT_ENVOY_IMAGE = 'envoyproxy/envoy:v1.39.3';
/** The `envoy` user of the official image. */
export const ENVOY_UID = 101;
export const BOOTSTRAP_KEY = 'envoy.json';
export const BOOTSTRAP_DIR = '/etc/envoy';
export const ENVOY_CONTAINER = 'envoy';
/** Where the Gateway's xDS client certificate Secret is mounted. */
export const XDS_TLS_DIR = '/etc/gantry/xds';
/** Changes when the client certificate is issued again: the Pods restart onto it. */
export const XDS_CERTIFICATE_ANNOTATION = 'gateway.gantry.dev/xds-certificate';
/** Preferred ports of the admin API (loopback) and the readiness listener; see reservedPorts. */
export const PREFERRED_ADMIN_PORT = 19000;
export const PREFERRED_READINESS_PORT = 19001;
/** Preferred port of the metrics listener (Envoy's /stats/prometheus only). */
export const PREFERRED_METRICS_PORT = 19002;

export interface DeployerDefaults {
  readonly envoyImage: string;
  readonly replicas: number;
  readonly serviceType: ServiceType;
  readonly logLevel: EnvoyLogLevel;
  /** Where the readiness listener binds inside the Pod (tests use 127.0.0.1). */
  readonly readinessAddress: string;
  /** Preferred admin (loopback) and readiness ports; see reservedPorts. */
  readonly adminPort: number;
  readonly readinessPort: number;
  /** Preferred port of the metrics listener (Envoy's Prometheus stats); see reservedPorts. */
  readonly metricsPort: number;
}

export const DEFAULT_DEPLOYER_DEFAULTS: DeployerDefaults = {
  envoyImage: DEFAULT_ENVOY_IMAGE,
  replicas: 1,
  serviceType: 'LoadBalancer',
  logLevel: 'info',
  readinessAddress: '0.0.0.0',
  adminPort: PREFERRED_ADMIN_PORT,
  readinessPort: PREFERRED_READINESS_PORT,
  metricsPort: PREFERRED_METRICS_PORT,
};

export interface XdsServerAddress {
  /** Usually the DNS name of the controller's xDS Service. */
  readonly host: string;
  readonly port: number;
  readonly sotw?: boolean;
}

export interface RenderInput {
  readonly gateway: Gateway;
  readonly gatewayClass: GatewayClass;
  readonly classParams?: GatewayParameters;
  readonly gatewayParams?: GatewayParameters;
  readonly xds: XdsServerAddress;
  readonly defaults?: Partial<DeployerDefaults>;
  /**
   * The Gateway's xDS client certificate Secret (authenticated xDS): mounted into the Pod, and the
   * bootstrap speaks mTLS to the xDS server with it. Without it, plaintext xDS.
   */
  readonly xdsClientSecret?: XdsClientSecretRef;
}

/** A problem that keeps the Gateway from being deployed. */
export interface RenderProblem {
  readonly object: 'GatewayClass' | 'Gateway';
  /** `InvalidParameters` for GatewayParameters; `Invalid` for a Gateway nothing can be deployed for. */
  readonly reason: ParametersProblem['reason'] | 'Invalid';
  readonly message: string;
}

export interface RenderedInfrastructure {
  readonly name: string;
  readonly namespace: string;
  readonly serviceAccount: V1ServiceAccount;
  readonly configMap: V1ConfigMap;
  readonly deployment: V1Deployment;
  readonly service: V1Service;
  /** When GatewayParameters ask for one. */
  readonly podDisruptionBudget?: V1PodDisruptionBudget;
  readonly horizontalPodAutoscaler?: V2HorizontalPodAutoscaler;
}

export type RenderResult =
  | { readonly ok: true; readonly infrastructure: RenderedInfrastructure; readonly objects: readonly InfrastructureObject[] }
  | { readonly ok: false; readonly problems: readonly RenderProblem[] };

export type InfrastructureObject = V1ServiceAccount | V1ConfigMap | V1Deployment | V1Service | V1PodDisruptionBudget | V2HorizontalPodAutoscaler;

export function renderGatewayResources(input: RenderInput): RenderResult {
  const { gateway, gatewayClass } = input;
  const problems: RenderProblem[] = [
    ...paramsProblems('GatewayClass', input.classParams),
    ...paramsProblems('Gateway', input.gatewayParams),
  ];
  const listeners = gateway.spec?.listeners ?? [];
  if (listeners.length === 0) problems.push({ object: 'Gateway', reason: 'Invalid', message: 'the Gateway has no listeners' });
  if (!gateway.metadata.uid) problems.push({ object: 'Gateway', reason: 'Invalid', message: 'the Gateway has no uid (it was not read from the API server)' });
  if (problems.length > 0) return { ok: false, problems };

  const defaults = { ...DEFAULT_DEPLOYER_DEFAULTS, ...input.defaults };
  const params = mergeParameters(input.classParams?.spec, input.gatewayParams?.spec);
  const infra = gateway.spec?.infrastructure;
  const namespace = gateway.metadata.namespace ?? 'default';
  const name = infrastructureName(gateway.metadata.name, gatewayClass.metadata.name);
  // Precedence, lowest first: the parameters (class, then Gateway; for the Service, then its
  // service.labels/annotations), the Gateway's spec.infrastructure, and Gantry's own labels
  // (selectors and watches depend on them).
  const metadata = (extra?: { labels?: Record<string, string>; annotations?: Record<string, string> }): V1Deployment['metadata'] => {
    const a = sortedKeys({ ...params.annotations, ...extra?.annotations, ...infra?.annotations });
    return {
      name,
      namespace,
      labels: sortedKeys({ ...params.labels, ...extra?.labels, ...infra?.labels, ...fixedLabels(gateway.metadata.name) }),
      ...(Object.keys(a).length > 0 ? { annotations: a } : {}),
      ownerReferences: [ownerReference(gateway)],
    };
  };

  const ports = listenerPorts(listeners);
  const { adminPort, readinessPort, metricsPort } = reservedPorts(ports.map((p) => p.port), defaults.adminPort, defaults.readinessPort, defaults.metricsPort);
  const bootstrap = gatewayBootstrap({
    gatewayKey: `${namespace}/${gateway.metadata.name}`,
    nodeId: name,
    xdsHost: input.xds.host,
    xdsPort: input.xds.port,
    ...(input.xds.sotw !== undefined ? { sotw: input.xds.sotw } : {}),
    adminPort,
    readinessAddress: defaults.readinessAddress,
    readinessPort,
    metricsPort,
    ...(input.xdsClientSecret
      ? { xdsTls: { caFile: `${XDS_TLS_DIR}/${XDS_CLIENT_CA_KEY}`, certFile: `${XDS_TLS_DIR}/${XDS_CLIENT_CERT_KEY}`, keyFile: `${XDS_TLS_DIR}/${XDS_CLIENT_KEY_KEY}` } }
      : {}),
  });
  const xdsSecret = input.xdsClientSecret;
  const bootstrapText = `${JSON.stringify(bootstrap, null, 2)}\n`;

  const serviceAccount: V1ServiceAccount = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: metadata(),
    // Envoy never talks to the API server.
    automountServiceAccountToken: false,
  };

  const configMap: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: metadata(),
    data: { [BOOTSTRAP_KEY]: bootstrapText },
  };

  const resources = quantities(params.resources);
  const podMetadata = metadata();
  const privilegedPorts = ports.some((p) => p.port < 1024);
  const deployment: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: metadata(),
    spec: {
      // With an autoscaler the replica count is its to set: not applied (so not owned) here.
      ...(params.autoscaling ? {} : { replicas: params.replicas ?? defaults.replicas }),
      selector: { matchLabels: selectorLabels(gateway.metadata.name) },
      template: {
        metadata: {
          labels: podMetadata?.labels ?? {},
          annotations: {
            // Prometheus' conventional scrape annotations (the parameters' annotations may override them).
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': String(metricsPort),
            'prometheus.io/path': METRICS_PATH,
            ...podMetadata?.annotations,
            [BOOTSTRAP_HASH_ANNOTATION]: createHash('sha256').update(bootstrapText).digest('hex').slice(0, 16),
            ...(xdsSecret ? { [XDS_CERTIFICATE_ANNOTATION]: xdsSecret.revision } : {}),
          },
        },
        spec: {
          serviceAccountName: name,
          automountServiceAccountToken: false,
          ...(params.imagePullSecrets?.length ? { imagePullSecrets: params.imagePullSecrets.map((p) => ({ name: p.name })) } : {}),
          ...(params.nodeSelector && Object.keys(params.nodeSelector).length > 0 ? { nodeSelector: sortedKeys(params.nodeSelector) } : {}),
          ...(params.tolerations?.length ? { tolerations: params.tolerations as V1Toleration[] } : {}),
          ...(params.affinity && Object.keys(params.affinity).length > 0 ? { affinity: params.affinity as V1Affinity } : {}),
          securityContext: {
            runAsNonRoot: true,
            runAsUser: ENVOY_UID,
            runAsGroup: ENVOY_UID,
            seccompProfile: { type: 'RuntimeDefault' },
            ...(privilegedPorts ? { sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }] } : {}),
          },
          containers: [
            {
              name: ENVOY_CONTAINER,
              image: params.image ?? defaults.envoyImage,
              command: ['envoy'],
              args: [
                '-c', `${BOOTSTRAP_DIR}/${BOOTSTRAP_KEY}`,
                // Kubernetes expands $(POD_NAME); Envoy lets the command line override node.id.
                '--service-node', '$(POD_NAME)',
                '--log-level', params.logLevel ?? defaults.logLevel,
                // No shared-memory hot restart in a Pod; also lets many Envoys share one IPC namespace.
                '--disable-hot-restart',
              ],
              env: [
                { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
                { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
              ],
              ports: [
                ...ports.map((p): V1ContainerPort => ({ name: p.name, containerPort: p.port, protocol: p.protocol })),
                { name: 'readiness', containerPort: readinessPort, protocol: 'TCP' },
                { name: 'metrics', containerPort: metricsPort, protocol: 'TCP' },
              ],
              readinessProbe: {
                httpGet: { path: READINESS_PATH, port: readinessPort, scheme: 'HTTP' },
                periodSeconds: 5,
                timeoutSeconds: 1,
                successThreshold: 1,
                failureThreshold: 3,
              },
              ...(resources ? { resources } : {}),
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                privileged: false,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [
                { name: 'bootstrap', mountPath: BOOTSTRAP_DIR, readOnly: true },
                { name: 'tmp', mountPath: '/tmp' },
                ...(xdsSecret ? [{ name: 'xds-tls', mountPath: XDS_TLS_DIR, readOnly: true }] : []),
              ],
            },
          ],
          volumes: [
            { name: 'bootstrap', configMap: { name, items: [{ key: BOOTSTRAP_KEY, path: BOOTSTRAP_KEY }] } },
            { name: 'tmp', emptyDir: {} },
            ...(xdsSecret ? [{ name: 'xds-tls', secret: { secretName: xdsSecret.secretName } }] : []),
          ],
        },
      },
    },
  };

  const serviceType = params.service?.type ?? defaults.serviceType;
  const staticIP = requestedLoadBalancerIP(gateway.spec?.addresses);
  const service: V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: metadata({ ...(params.service?.labels ? { labels: params.service.labels } : {}), ...(params.service?.annotations ? { annotations: params.service.annotations } : {}) }),
    spec: {
      type: serviceType,
      // A static address (spec.addresses): asked of the load balancer; see addresses.ts.
      ...(serviceType === 'LoadBalancer' && staticIP !== undefined ? { loadBalancerIP: staticIP } : {}),
      selector: selectorLabels(gateway.metadata.name),
      ports: ports.map((p): V1ServicePort => ({ name: p.name, port: p.port, targetPort: p.port, protocol: p.protocol })),
    },
  };

  const pdb = params.podDisruptionBudget;
  const podDisruptionBudget: V1PodDisruptionBudget | undefined = pdb
    ? {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: metadata(),
        spec: {
          selector: { matchLabels: selectorLabels(gateway.metadata.name) },
          ...(pdb.minAvailable !== undefined ? { minAvailable: pdb.minAvailable } : {}),
          ...(pdb.maxUnavailable !== undefined ? { maxUnavailable: pdb.maxUnavailable } : {}),
        },
      }
    : undefined;

  const scaling = params.autoscaling;
  const horizontalPodAutoscaler: V2HorizontalPodAutoscaler | undefined = scaling
    ? {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: metadata(),
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
          minReplicas: scaling.minReplicas ?? 1,
          maxReplicas: scaling.maxReplicas,
          metrics: autoscalingMetrics(scaling.targetCPUUtilizationPercentage, scaling.targetMemoryUtilizationPercentage),
        },
      }
    : undefined;

  const infrastructure = {
    name, namespace, serviceAccount, configMap, deployment, service,
    ...(podDisruptionBudget ? { podDisruptionBudget } : {}),
    ...(horizontalPodAutoscaler ? { horizontalPodAutoscaler } : {}),
  };
  return {
    ok: true,
    infrastructure,
    objects: [serviceAccount, configMap, deployment, service, ...(podDisruptionBudget ? [podDisruptionBudget] : []), ...(horizontalPodAutoscaler ? [horizontalPodAutoscaler] : [])],
  };
}

/** Utilisation targets of the autoscaler: CPU at 80% when none is given. */
function autoscalingMetrics(cpu: number | undefined, memory: number | undefined): V2MetricSpec[] {
  const resource = (resourceName: string, averageUtilization: number): V2MetricSpec => ({
    type: 'Resource',
    resource: { name: resourceName, target: { type: 'Utilization', averageUtilization } },
  });
  const metrics: V2MetricSpec[] = [];
  if (cpu !== undefined || memory === undefined) metrics.push(resource('cpu', cpu ?? 80));
  if (memory !== undefined) metrics.push(resource('memory', memory));
  return metrics;
}

/** Same content, keys in order: stable output for golden files and for readers. */
function sortedKeys(m: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function paramsProblems(object: 'GatewayClass' | 'Gateway', params: GatewayParameters | undefined): RenderProblem[] {
  if (!params) return [];
  const where = `${params.metadata.namespace ?? ''}/${params.metadata.name}`;
  return validateGatewayParameters(params).map((message) => ({ object, reason: 'InvalidParameters', message: `GatewayParameters ${where}: ${message}` }));
}

function ownerReference(gateway: Gateway): V1OwnerReference {
  return {
    apiVersion: gateway.apiVersion || 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    name: gateway.metadata.name,
    uid: gateway.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

export interface ListenerPort {
  /** `<protocol>-<port>`: at most 15 characters, as container port names must be. */
  readonly name: string;
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP';
}

/**
 * One entry per distinct (port, transport) of the listeners, by port. Named after the listeners'
 * protocol when they agree on one Gantry knows (`http-80`, `https-443`), otherwise `tcp-<port>`.
 */
export function listenerPorts(listeners: readonly Listener[]): ListenerPort[] {
  const byKey = new Map<string, { port: number; protocol: 'TCP' | 'UDP'; names: Set<string> }>();
  for (const l of listeners) {
    const protocol = l.protocol === 'UDP' ? 'UDP' : 'TCP';
    const key = `${l.port}/${protocol}`;
    const entry = byKey.get(key) ?? { port: l.port, protocol, names: new Set<string>() };
    entry.names.add(portPrefix(l.protocol));
    byKey.set(key, entry);
  }
  return [...byKey.values()]
    .sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol))
    .map((e) => {
      const prefix = e.names.size === 1 ? [...e.names][0]! : e.protocol.toLowerCase();
      return { name: `${prefix}-${e.port}`, port: e.port, protocol: e.protocol };
    });
}

function portPrefix(protocol: string): string {
  const p = protocol.toLowerCase();
  return ['http', 'https', 'tls', 'tcp', 'udp'].includes(p) ? p : protocol === 'UDP' ? 'udp' : 'tcp';
}

/**
 * The admin API (loopback), readiness and metrics listener ports: 19000, 19001 and 19002 unless a
 * Gateway listener already uses one of them, then the next free ports above.
 */
export function reservedPorts(
  listenerPorts: readonly number[],
  preferredAdmin = PREFERRED_ADMIN_PORT,
  preferredReadiness = PREFERRED_READINESS_PORT,
  preferredMetrics = PREFERRED_METRICS_PORT,
): { adminPort: number; readinessPort: number; metricsPort: number } {
  const taken = new Set(listenerPorts);
  const next = (from: number): number => {
    let p = from;
    while (taken.has(p)) p += 1;
    taken.add(p);
    return p;
  };
  const adminPort = next(preferredAdmin);
  const readinessPort = next(preferredReadiness);
  const metricsPort = next(preferredMetrics);
  return { adminPort, readinessPort, metricsPort };
}

function quantities(r: { requests?: Record<string, Quantity>; limits?: Record<string, Quantity> } | undefined): { requests?: Record<string, string>; limits?: Record<string, string> } | undefined {
  if (!r) return undefined;
  const strings = (m: Record<string, Quantity> | undefined): Record<string, string> | undefined =>
    m === undefined ? undefined : Object.fromEntries(Object.entries(m).map(([k, v]) => [k, String(v)]));
  const requests = strings(r.requests);
  const limits = strings(r.limits);
  if (!requests && !limits) return undefined;
  return { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
}
