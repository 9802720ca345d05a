// What the controller's integration tests share: a real control plane (one per test file), a
// controller started against it on loopback ports, builders for the objects the tests create, and
// readers that wait for the status the controller writes.
import { KIND_TABLE, type Condition } from '@gantry/api';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { envoyBinary } from '@gantry/xds/testing/envoy-binary';
import { freePort } from '@gantry/xds/testing/net';
import { CORE_KINDS, KubeClientConfig, type JsonObject, type KindRef } from '@gantry/kube';
import { createNamespace, createObject, deleteObject, getObject, mergePatchObject, waitFor } from '@gantry/kube/testing/api-helpers';
import { startControlPlane, type ControlPlane } from '@gantry/kube/testing/control-plane';
import { BOOTSTRAP_KEY, METRICS_LISTENER_NAME, READINESS_LISTENER_NAME } from '../../deployer/index.js';
import { setLogLevel } from '../../log.js';
import { Controller, type ControllerOptions } from '../controller.js';

export const GATEWAY_API = 'gateway.networking.k8s.io';
export const CLASS = 'gantry';
export const CONTROLLER = 'gantry.dev/gatewayclass-controller';
export const GATEWAY_PARAMETERS: KindRef = KIND_TABLE.GatewayParameters;
export { CORE_KINDS, createNamespace, createObject, deleteObject, freePort, getObject, mergePatchObject, waitFor };

// Quiet unless asked: the controller logs through winston at info by default.
setLogLevel(process.env['GANTRY_TEST_LOG'] ? 'debug' : 'error');

export interface TestCluster {
  readonly cp: ControlPlane;
  readonly kc: KubeConfig;
  readonly controllers: Controller[];
  /** Starts a controller (ports on loopback, chosen by the OS) and stops it with the cluster. */
  controller(opts?: Partial<ControllerOptions>): Promise<Controller>;
  stop(): Promise<void>;
}

export async function startCluster(opts: { controllerManager?: boolean; namespaces?: readonly string[] } = {}): Promise<TestCluster> {
  const started = Date.now();
  const cp = await startControlPlane({ crds: true, ...(opts.controllerManager ? { controllerManager: true } : {}) });
  if (process.env['GANTRY_TEST_LOG']) console.log(`control plane up in ${Date.now() - started} ms`);
  const kc = cp.kubeConfig;
  for (const ns of opts.namespaces ?? []) await createNamespace(kc, ns);
  const controllers: Controller[] = [];
  return {
    cp,
    kc,
    controllers,
    controller: async (o = {}) => {
      const c = new Controller({
        // The controller's own kubeconfig loader (client certificates against the real API
        // server), as `gantry controller --kubeconfig` loads it; the tests' kc is client-node's.
        kubeConfig: KubeClientConfig.load({ file: cp.kubeconfigPath }),
        xdsBind: { host: '127.0.0.1', port: 0 },
        admin: { host: '127.0.0.1', port: 0 },
        debug: { host: '127.0.0.1', port: 0 },
        envoyListenAddress: '127.0.0.1',
        deploy: false,
        debounceMs: 20,
        ...o,
      });
      controllers.push(c);
      await c.start();
      return c;
    },
    stop: async () => {
      await Promise.all(controllers.map((c) => c.stop().catch(() => undefined)));
      await cp.stop();
    },
  };
}

// ---- builders --------------------------------------------------------------------------------

export function gatewayClass(name = CLASS, spec: JsonObject = {}): JsonObject {
  return { metadata: { name }, spec: { controllerName: CONTROLLER, ...spec } };
}

export interface ListenerSpec {
  name: string;
  port: number;
  protocol?: string;
  hostname?: string;
  allowedRoutes?: JsonObject;
  tls?: JsonObject;
}

export function gateway(name: string, listeners: readonly ListenerSpec[], extra: JsonObject = {}): JsonObject {
  return {
    metadata: { name },
    spec: {
      gatewayClassName: CLASS,
      listeners: listeners.map((l) => ({ protocol: 'HTTP', ...l }) as unknown as JsonObject),
      ...extra,
    },
  };
}

export interface ParentRefSpec {
  name: string;
  namespace?: string;
  sectionName?: string;
  port?: number;
  kind?: string;
  group?: string;
}

export interface BackendRefSpec {
  name: string;
  namespace?: string;
  port?: number;
  kind?: string;
  group?: string;
}

export function httpRoute(name: string, parents: readonly ParentRefSpec[], backends: readonly BackendRefSpec[] = [], extra: { hostnames?: string[] } = {}): JsonObject {
  return {
    metadata: { name },
    spec: {
      parentRefs: parents.map((p) => ({ ...p }) as JsonObject),
      ...(extra.hostnames ? { hostnames: extra.hostnames } : {}),
      rules: [{ backendRefs: backends.map((b) => ({ port: 8080, ...b }) as JsonObject) }],
    },
  };
}

export function service(name: string, port = 8080): JsonObject {
  return { metadata: { name }, spec: { ports: [{ name: 'http', port, targetPort: port, protocol: 'TCP' }], selector: { app: name } } };
}

export function referenceGrant(name: string, fromNamespace: string, toKind = 'Service', fromKind = 'HTTPRoute'): JsonObject {
  return {
    metadata: { name },
    spec: {
      from: [{ group: GATEWAY_API, kind: fromKind, namespace: fromNamespace }],
      to: [{ group: '', kind: toKind }],
    },
  };
}

/** A self-signed EC certificate and its key (PEM), made by openssl. */
export function selfSignedCertificate(host: string): { crt: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-cert-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', `/CN=${host}`,
      '-addext', `subjectAltName=DNS:${host}`, '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt')], { stdio: 'ignore' });
    return { crt: readFileSync(join(dir, 'tls.crt'), 'utf8'), key: readFileSync(join(dir, 'tls.key'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function tlsSecret(name: string, cert: { crt: string; key: string }): JsonObject {
  return { metadata: { name }, type: 'kubernetes.io/tls', stringData: { 'tls.crt': cert.crt, 'tls.key': cert.key } };
}

// ---- reading what the controller wrote -------------------------------------------------------

export interface RouteParentStatus {
  parentRef: { name: string; namespace?: string; sectionName?: string; port?: number; group?: string; kind?: string };
  controllerName: string;
  conditions: Condition[];
}

export interface ListenerStatus {
  name: string;
  attachedRoutes: number;
  supportedKinds: { group?: string; kind: string }[];
  conditions: Condition[];
}

export interface ObjectWithStatus {
  metadata: { name: string; namespace?: string; generation?: number; resourceVersion?: string; uid?: string };
  spec?: JsonObject;
  status?: {
    conditions?: Condition[];
    supportedFeatures?: { name: string }[];
    listeners?: ListenerStatus[];
    addresses?: { type?: string; value: string }[];
    parents?: RouteParentStatus[];
  };
}

export async function read(kc: KubeConfig, kind: KindRef, namespace: string | undefined, name: string): Promise<ObjectWithStatus> {
  return (await getObject(kc, kind, namespace, name)) as unknown as ObjectWithStatus;
}

export function cond(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** "Type=Status/Reason" for each condition, sorted: compact to assert and to read in failures. */
export function summary(conditions: readonly Condition[] | undefined): string[] {
  return (conditions ?? []).map((c) => `${c.type}=${c.status}/${c.reason}`).sort();
}

/** Our parent entry of a route for the Gateway `name` (and section), if any. */
export function ourParent(obj: ObjectWithStatus, name: string, sectionName?: string): RouteParentStatus | undefined {
  return obj.status?.parents?.find((p) => p.controllerName === CONTROLLER && p.parentRef.name === name && p.parentRef.sectionName === sectionName);
}

/**
 * Polls the object until `ok` holds; returns it. On timeout the error shows the last status, which
 * is what one needs to see when a condition never arrived.
 */
export async function eventually(kc: KubeConfig, kind: KindRef, namespace: string | undefined, name: string, ok: (o: ObjectWithStatus) => boolean, timeoutMs = 20_000): Promise<ObjectWithStatus> {
  let last: ObjectWithStatus | undefined;
  try {
    await waitFor(`${kind.kind} ${namespace ?? ''}/${name}`, async () => {
      last = await read(kc, kind, namespace, name).catch(() => undefined);
      return last !== undefined && ok(last);
    }, timeoutMs, 50);
  } catch (err) {
    throw new Error(`${(err as Error).message}; last status: ${JSON.stringify(last?.status)}`);
  }
  return last!;
}

export function hasCondition(conditions: readonly Condition[] | undefined, type: string, status: string, reason?: string): boolean {
  const c = cond(conditions, type);
  return c !== undefined && c.status === status && (reason === undefined || c.reason === reason);
}

/** Waits for a condition on the object's top-level conditions. */
export function eventuallyCondition(kc: KubeConfig, kind: KindRef, namespace: string | undefined, name: string, type: string, status: string, reason?: string, timeoutMs?: number): Promise<ObjectWithStatus> {
  return eventually(kc, kind, namespace, name, (o) => hasCondition(o.status?.conditions, type, status, reason), timeoutMs);
}

/** Waits for our parent entry (Gateway `gateway`) of a route to carry the condition. */
export function eventuallyRouteCondition(kc: KubeConfig, namespace: string, route: string, gatewayName: string, type: string, status: string, reason?: string, sectionName?: string): Promise<ObjectWithStatus> {
  return eventually(kc, KIND_TABLE.HTTPRoute, namespace, route, (o) => hasCondition(ourParent(o, gatewayName, sectionName)?.conditions, type, status, reason));
}

// ---- a local Envoy run from the deployer's objects ---------------------------------------------

/** A port free on 127.0.0.1 right now (the OS picks it). */
export interface LocalEnvoy {
  readonly podName: string;
  readonly adminPort: number;
  readonly readinessPort: number;
  /** Envoy's /stats/prometheus (the metrics listener, moved to a free loopback port). */
  readonly metricsPort: number;
  /** Everything Envoy printed so far. */
  output(): string;
  /** SIGTERM, then SIGKILL after 5 s; resolves once it exited. */
  stop(): Promise<void>;
}

type JsonMap = { [key: string]: unknown };

interface PodSpecView {
  containers?: { args?: string[]; volumeMounts?: { name: string; mountPath: string }[] }[];
  volumes?: { name: string; secret?: { secretName?: string } }[];
}

/** Writes each Secret volume of the Envoy container into `dir`; returns mount path → directory. */
async function secretVolumes(kc: KubeConfig, namespace: string, spec: PodSpecView, dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const mount of spec.containers?.[0]?.volumeMounts ?? []) {
    const secretName = spec.volumes?.find((v) => v.name === mount.name)?.secret?.secretName;
    if (secretName === undefined) continue;
    const secret = (await getObject(kc, CORE_KINDS.Secret, namespace, secretName)) as { data?: Record<string, string> };
    const target = join(dir, `volume-${mount.name}`);
    mkdirSync(target);
    for (const [key, value] of Object.entries(secret.data ?? {})) writeFileSync(join(target, key), Buffer.from(value, 'base64'), { mode: 0o600 });
    out.set(mount.mountPath, target);
  }
  return out;
}

function remapPaths(value: unknown, mounts: ReadonlyMap<string, string>): unknown {
  if (typeof value === 'string') {
    for (const [from, to] of mounts) if (value.startsWith(`${from}/`)) return `${to}${value.slice(from.length)}`;
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => remapPaths(v, mounts));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, remapPaths(v, mounts)]));
  return value;
}

/**
 * Starts a real Envoy the way the deployer's Deployment would: the bootstrap from the Gateway's
 * ConfigMap, the container's arguments with $(POD_NAME) expanded. Only what cannot work outside
 * a Pod is changed: the admin port and the readiness listener move to free loopback ports (a Pod
 * has its own network namespace; this test shares the host's).
 */
export async function startEnvoyFromDeployment(kc: KubeConfig, namespace: string, objectName: string, podName: string): Promise<LocalEnvoy> {
  const configMap = (await getObject(kc, CORE_KINDS.ConfigMap, namespace, objectName)) as { data?: Record<string, string> };
  const deployment = (await getObject(kc, CORE_KINDS.Deployment, namespace, objectName)) as {
    spec?: { template?: { spec?: PodSpecView } };
  };
  const dir = mkdtempSync(join(tmpdir(), 'gantry-controller-envoy-'));
  // Secret volumes as the kubelet fills them (the xDS client certificate), and the bootstrap's
  // file paths under their mount paths pointed at those directories.
  const mounts = await secretVolumes(kc, namespace, deployment.spec?.template?.spec ?? {}, dir);
  const bootstrap = remapPaths(JSON.parse(configMap.data?.[BOOTSTRAP_KEY] ?? '{}'), mounts) as JsonMap;
  const adminPort = await freePort();
  const readinessPort = await freePort();
  const admin = bootstrap['admin'] as { address: { socketAddress: JsonMap } };
  admin.address.socketAddress['portValue'] = adminPort;
  const listeners = ((bootstrap['staticResources'] as JsonMap)['listeners'] ?? []) as { name: string; address: { socketAddress: JsonMap } }[];
  const readiness = listeners.find((l) => l.name === READINESS_LISTENER_NAME);
  if (!readiness) throw new Error('the bootstrap has no readiness listener');
  readiness.address.socketAddress['address'] = '127.0.0.1';
  readiness.address.socketAddress['portValue'] = readinessPort;
  // The metrics listener too, and the loopback cluster it proxies to follows the admin port.
  const metricsPort = await freePort();
  const metrics = listeners.find((l) => l.name === METRICS_LISTENER_NAME);
  if (metrics) {
    metrics.address.socketAddress['address'] = '127.0.0.1';
    metrics.address.socketAddress['portValue'] = metricsPort;
  }
  const clusters = ((bootstrap['staticResources'] as JsonMap)['clusters'] ?? []) as { name: string; loadAssignment?: { endpoints: { lbEndpoints: { endpoint: { address: { socketAddress: JsonMap } } }[] }[] } }[];
  for (const e of clusters.find((c) => c.name === 'gantry-admin')?.loadAssignment?.endpoints ?? []) {
    for (const lb of e.lbEndpoints) lb.endpoint.address.socketAddress['portValue'] = adminPort;
  }

  const file = join(dir, 'envoy.json');
  writeFileSync(file, JSON.stringify(bootstrap), { mode: 0o600 });
  const args = (deployment.spec?.template?.spec?.containers?.[0]?.args ?? [])
    .map((a) => a.replace('$(POD_NAME)', podName))
    .map((a) => (a === '/etc/envoy/envoy.json' ? file : a));
  if (!args.includes('--service-node')) throw new Error(`unexpected Envoy args ${JSON.stringify(args)}`);
  const proc: ChildProcess = spawn(envoyBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    podName,
    adminPort,
    readinessPort,
    metricsPort,
    output: () => out,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
