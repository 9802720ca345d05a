// The deployer against a real kube-apiserver (+ controller manager for the garbage collector):
// server-side apply creates the four objects owned by the Gateway under the `gantry` field
// manager, takes back fields another manager changed, follows GatewayParameters (class, then
// Gateway, then spec.infrastructure), reports addresses from the Service, refuses bad
// references without touching what runs, and cleans up after a class change and a deletion.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  AppsV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
  type V1ConfigMap,
  type V1Deployment,
  type V1ObjectMeta,
  type V1Service,
} from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from '@gantry/kube/testing/control-plane';
import type { Gateway, GatewayClass } from '@gantry/api';
import { Deployer, FIELD_MANAGER, type ReconcileResult } from './apply.js';
import { OWNED_OBJECT_SELECTOR } from './naming.js';
import { owningGateway } from './owner.js';
import { BOOTSTRAP_KEY, DEFAULT_ENVOY_IMAGE } from './render.js';

const NS = 'apps';
const SYSTEM_NS = 'gantry-system';
const XDS = { host: 'gantry-xds.gantry-system.svc.cluster.local', port: 18000 };

let cp: ControlPlane;
let api: KubernetesObjectApi;
let core: CoreV1Api;
let apps: AppsV1Api;
let deployer: Deployer;

type Obj = KubernetesObject & Record<string, unknown>;

async function create<T extends object>(o: T): Promise<T> {
  return (await api.create(o as unknown as Obj)) as unknown as T;
}

async function read<T extends KubernetesObject>(apiVersion: string, kind: string, name: string, namespace?: string): Promise<T> {
  return api.read<T>({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } });
}

const readGateway = (name: string): Promise<Gateway> => read<Obj>('gateway.networking.k8s.io/v1', 'Gateway', name, NS) as unknown as Promise<Gateway>;
const readClass = (name: string): Promise<GatewayClass> => read<Obj>('gateway.networking.k8s.io/v1', 'GatewayClass', name) as unknown as Promise<GatewayClass>;

function deployed(r: ReconcileResult): Extract<ReconcileResult, { kind: 'deployed' }> {
  if (r.kind !== 'deployed') throw new Error(`not deployed: ${JSON.stringify(r.problems)}`);
  return r;
}

function managers(meta: V1ObjectMeta | undefined): string[] {
  return (meta?.managedFields ?? []).map((m) => `${m.manager ?? ''}/${m.operation ?? ''}`).sort();
}

async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: timed out`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  cp = await startControlPlane({ crds: true, controllerManager: true });
  api = KubernetesObjectApi.makeApiClient(cp.kubeConfig);
  core = cp.kubeConfig.makeApiClient(CoreV1Api);
  apps = cp.kubeConfig.makeApiClient(AppsV1Api);
  deployer = new Deployer({ kubeConfig: cp.kubeConfig, xds: XDS });
  for (const name of [NS, SYSTEM_NS]) await core.createNamespace({ body: { metadata: { name } } });
  for (const name of ['gantry', 'gantry-b']) {
    await create({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name }, spec: { controllerName: 'gantry.dev/gatewayclass-controller' } });
  }
  await create({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'web', namespace: NS },
    spec: {
      gatewayClassName: 'gantry',
      listeners: [
        { name: 'http', port: 80, protocol: 'HTTP' },
        { name: 'alt', port: 8080, protocol: 'HTTP' },
      ],
    },
  });
}, 240_000);

afterAll(async () => {
  await cp?.stop();
}, 60_000);

describe('Deployer against a real API server', () => {
  it('creates ServiceAccount, ConfigMap, Deployment and Service, owned by the Gateway, under the gantry field manager', async () => {
    const gateway = await readGateway('web');
    const result = deployed(await deployer.reconcile(gateway, await readClass('gantry')));
    expect(result.name).toBe('web-gantry');
    // A LoadBalancer Service and no load balancer controller: no address yet.
    expect(result.addresses).toEqual([]);
    expect(result.addressesPending).toBe(true);

    for (const [apiVersion, kind] of [['v1', 'ServiceAccount'], ['v1', 'ConfigMap'], ['apps/v1', 'Deployment'], ['v1', 'Service']] as const) {
      const o = await read<KubernetesObject>(apiVersion, kind, 'web-gantry', NS);
      expect(o.metadata?.ownerReferences).toEqual([
        { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', name: 'web', uid: gateway.metadata.uid, controller: true, blockOwnerDeletion: true },
      ]);
      expect(managers(o.metadata)).toContain(`${FIELD_MANAGER}/Apply`);
      expect(o.metadata?.labels?.['gateway.networking.k8s.io/gateway-name']).toBe('web');
      expect(owningGateway(o.metadata)).toEqual({ namespace: NS, name: 'web', uid: gateway.metadata.uid });
    }
    const owned = await api.list('apps/v1', 'Deployment', undefined, undefined, undefined, undefined, undefined, OWNED_OBJECT_SELECTOR);
    expect(owned.items.map((d) => d.metadata?.name)).toEqual(['web-gantry']);

    const service = await core.readNamespacedService({ name: 'web-gantry', namespace: NS });
    expect(service.spec?.type).toBe('LoadBalancer');
    expect(service.spec?.ports?.map((p) => [p.name, p.port, p.targetPort])).toEqual([['http-80', 80, 80], ['http-8080', 8080, 8080]]);
    const cm = await core.readNamespacedConfigMap({ name: 'web-gantry', namespace: NS });
    expect(JSON.parse(cm.data?.[BOOTSTRAP_KEY] ?? '{}')).toMatchObject({ node: { metadata: { 'gantry.dev/gateway': `${NS}/web` } } });
    // Nothing the renderer set was lost on the way (client serialisation, API server pruning).
    const sa = await core.readNamespacedServiceAccount({ name: 'web-gantry', namespace: NS });
    expect(sa.automountServiceAccountToken).toBe(false);
    const pod = (await apps.readNamespacedDeployment({ name: 'web-gantry', namespace: NS })).spec?.template.spec;
    expect(pod?.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 101, sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }], seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod?.containers[0]).toMatchObject({
      command: ['envoy'],
      ports: [{ name: 'http-80', containerPort: 80 }, { name: 'http-8080', containerPort: 8080 }, { name: 'readiness', containerPort: 19001 }, { name: 'metrics', containerPort: 19002 }],
      readinessProbe: { httpGet: { path: '/ready', port: 19001 } },
      securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
    });
    expect(pod?.containers[0]?.args).toEqual(['-c', '/etc/envoy/envoy.json', '--service-node', '$(POD_NAME)', '--log-level', 'info', '--disable-hot-restart']);
  });

  it('is idempotent: a second apply changes nothing', async () => {
    // The deployment controller may write the Deployment's status (and its revision annotation)
    // at any moment, moving its resourceVersion. What must not move is everything else, which
    // is ours; nobody else writes the ServiceAccount or ConfigMap, so those keep their version.
    const kinds = [['v1', 'ServiceAccount'], ['v1', 'ConfigMap'], ['apps/v1', 'Deployment'], ['v1', 'Service']] as const;
    const readAll = (): Promise<Obj[]> => Promise.all(kinds.map(([apiVersion, kind]) => read<Obj>(apiVersion, kind, 'web-gantry', NS)));
    const ours = ({ status: _status, metadata, ...rest }: Obj): object => {
      const { resourceVersion: _rv, managedFields, annotations, ...meta } = metadata ?? {};
      const { 'deployment.kubernetes.io/revision': _revision, ...ownAnnotations } = annotations ?? {};
      return { ...rest, metadata: { ...meta, annotations: ownAnnotations, managedFields: managedFields?.filter((m) => m.manager === FIELD_MANAGER) } };
    };
    const before = await readAll();
    deployed(await deployer.reconcile(await readGateway('web'), await readClass('gantry')));
    const after = await readAll();
    expect(after.map(ours)).toEqual(before.map(ours));
    expect(after.slice(0, 2).map((o) => o.metadata?.resourceVersion)).toEqual(before.slice(0, 2).map((o) => o.metadata?.resourceVersion));
  });

  it('reverts manual drift of the fields it owns, and recreates a deleted object', async () => {
    const target = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web-gantry', namespace: NS } };
    await api.patch({ ...target, spec: { replicas: 5 } } as Obj, undefined, undefined, 'kubectl-edit', undefined, PatchStrategy.MergePatch);
    await api.patch(
      { ...target, spec: { template: { spec: { containers: [{ name: 'envoy', image: 'example.com/not-envoy:1' }] } } } } as Obj,
      undefined,
      undefined,
      'kubectl-edit',
      undefined,
      PatchStrategy.StrategicMergePatch,
    );
    await api.patch(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-gantry', namespace: NS }, data: { [BOOTSTRAP_KEY]: '{}' } } as Obj,
      undefined,
      undefined,
      'kubectl-edit',
      undefined,
      PatchStrategy.MergePatch,
    );
    const drifted = await apps.readNamespacedDeployment({ name: 'web-gantry', namespace: NS });
    expect(drifted.spec?.replicas).toBe(5);
    expect(drifted.spec?.template.spec?.containers[0]?.image).toBe('example.com/not-envoy:1');
    await core.deleteNamespacedService({ name: 'web-gantry', namespace: NS });

    deployed(await deployer.reconcile(await readGateway('web'), await readClass('gantry')));
    const fixed = await apps.readNamespacedDeployment({ name: 'web-gantry', namespace: NS });
    expect(fixed.spec?.replicas).toBe(1);
    expect(fixed.spec?.template.spec?.containers[0]?.image).toBe(DEFAULT_ENVOY_IMAGE);
    const cm = await core.readNamespacedConfigMap({ name: 'web-gantry', namespace: NS });
    expect(JSON.parse(cm.data?.[BOOTSTRAP_KEY] ?? '{}')).toHaveProperty('dynamicResources');
    await core.readNamespacedService({ name: 'web-gantry', namespace: NS });
  });

  it('follows GatewayParameters: class defaults, Gateway overrides, infrastructure on top', async () => {
    await create({
      apiVersion: 'gateway.gantry.dev/v1alpha1',
      kind: 'GatewayParameters',
      metadata: { name: 'class-defaults', namespace: SYSTEM_NS },
      spec: { replicas: 2, logLevel: 'debug', service: { type: 'ClusterIP' }, labels: { tier: 'edge', env: 'prod' }, annotations: { 'example.com/from': 'class' } },
    });
    await create({
      apiVersion: 'gateway.gantry.dev/v1alpha1',
      kind: 'GatewayParameters',
      metadata: { name: 'web-overrides', namespace: NS },
      spec: { replicas: 3, resources: { requests: { cpu: '100m', memory: '64Mi' } }, labels: { env: 'staging' } },
    });
    await api.patch(
      { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'gantry' }, spec: { parametersRef: { group: 'gateway.gantry.dev', kind: 'GatewayParameters', name: 'class-defaults', namespace: SYSTEM_NS } } } as Obj,
      undefined, undefined, 'test', undefined, PatchStrategy.MergePatch,
    );
    await api.patch(
      {
        apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'web', namespace: NS },
        spec: { infrastructure: { parametersRef: { group: 'gateway.gantry.dev', kind: 'GatewayParameters', name: 'web-overrides' }, labels: { 'cost-center': '42' }, annotations: { 'example.com/from': 'infrastructure' } } },
      } as Obj,
      undefined, undefined, 'test', undefined, PatchStrategy.MergePatch,
    );

    const result = deployed(await deployer.reconcile(await readGateway('web'), await readClass('gantry')));
    const deployment: V1Deployment = await apps.readNamespacedDeployment({ name: 'web-gantry', namespace: NS });
    expect(deployment.spec?.replicas).toBe(3);
    const envoy = deployment.spec?.template.spec?.containers[0];
    expect(envoy?.resources).toEqual({ requests: { cpu: '100m', memory: '64Mi' } });
    expect(envoy?.args).toContain('debug');
    expect(deployment.metadata?.labels).toMatchObject({ tier: 'edge', env: 'staging', 'cost-center': '42' });
    expect(deployment.metadata?.annotations?.['example.com/from']).toBe('infrastructure');
    expect(deployment.spec?.template.metadata?.labels).toMatchObject({ tier: 'edge', env: 'staging', 'cost-center': '42' });

    // LoadBalancer → ClusterIP: the API server drops the node ports it had allocated.
    const service: V1Service = await core.readNamespacedService({ name: 'web-gantry', namespace: NS });
    expect(service.spec?.type).toBe('ClusterIP');
    expect(service.spec?.ports?.every((p) => p.nodePort === undefined)).toBe(true);
    expect(service.metadata?.labels).toMatchObject({ env: 'staging', 'cost-center': '42' });
    // ClusterIP Service: its cluster IP is the address.
    expect(result.addressesPending).toBe(false);
    expect(result.addresses).toEqual([{ type: 'IPAddress', value: service.spec?.clusterIP }]);
  });

  it('drops what the parameters no longer ask for (apply owns its fields)', async () => {
    await api.patch(
      { apiVersion: 'gateway.gantry.dev/v1alpha1', kind: 'GatewayParameters', metadata: { name: 'web-overrides', namespace: NS }, spec: { resources: null, labels: null } } as unknown as Obj,
      undefined, undefined, 'test', undefined, PatchStrategy.MergePatch,
    );
    deployed(await deployer.reconcile(await readGateway('web'), await readClass('gantry')));
    const deployment = await apps.readNamespacedDeployment({ name: 'web-gantry', namespace: NS });
    expect(deployment.spec?.template.spec?.containers[0]?.resources ?? {}).toEqual({});
    expect(deployment.metadata?.labels?.['env']).toBe('prod');
  });

  it('schedules, pulls, protects and autoscales as GatewayParameters say; drops the PDB and HPA when they no longer do', async () => {
    const affinity = { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'web' } } } }] } };
    await api.patch(
      {
        apiVersion: 'gateway.gantry.dev/v1alpha1', kind: 'GatewayParameters', metadata: { name: 'web-overrides', namespace: NS },
        spec: {
          imagePullSecrets: [{ name: 'registry' }],
          nodeSelector: { 'node-role.example.com/edge': 'true' },
          tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'edge', effect: 'NoSchedule' }, { operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }],
          affinity,
          podDisruptionBudget: { maxUnavailable: 1 },
          autoscaling: { minReplicas: 2, maxReplicas: 5, targetCPUUtilizationPercentage: 70 },
        },
      } as Obj,
      undefined, undefined, 'test', undefined, PatchStrategy.MergePatch,
    );
    deployed(await deployer.reconcile(await readGateway('web'), await readClass('gantry')));
    const deployment = await apps.readNamespacedDeployment({ name: 'web-gantry', namespace: NS });
    const pod = deployment.spec?.template.spec;
    expect(pod?.imagePullSecrets).toEqual([{ name: 'registry' }]);
    expect(pod?.nodeSelector).toEqual({ 'node-role.example.com/edge': 'true' });
    expect(pod?.tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'edge', effect: 'NoSchedule' }, { operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }]);
    expect(pod?.affinity).toEqual(affinity);
    // The replica count is the autoscaler's: the deployer no longer owns the field.
    const owned = deployment.metadata?.managedFields?.find((m) => m.manager === FIELD_MANAGER && m.operation === 'Apply');
    expect(JSON.stringify(owned?.fieldsV1)).not.toContain('"f:replicas"');
    const pdb = await read<Obj>('policy/v1', 'PodDisruptionBudget', 'web-gantry', NS);
    expect(pdb['spec']).toEqual({ maxUnavailable: 1, selector: { matchLabels: deployment.spec?.selector.matchLabels } });
    expect(pdb.metadata?.ownerReferences?.[0]?.kind).toBe('Gateway');
    const hpa = await read<Obj>('autoscaling/v2', 'HorizontalPodAutoscaler', 'web-gantry', NS);
    expect(hpa['spec']).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web-gantry' },
      minReplicas: 2,
      maxReplicas: 5,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
    });

    await api.patch(
      { apiVersion: 'gateway.gantry.dev/v1alpha1', kind: 'GatewayParameters', metadata: { name: 'web-overrides', namespace: NS }, spec: { podDisruptionBudget: null, autoscaling: null, tolerations: null, affinity: null, nodeSelector: null, imagePullSecrets: null } } as unknown as Obj,
      undefined, undefined, 'test', undefined, PatchStrategy.MergePatch,
    );
    const result = deployed(await deployer.reconcile(await readGateway('web'), await readClass('gantry')));
    expect([...result.pruned].sort()).toEqual(['HorizontalPodAutoscaler/web-gantry', 'PodDisruptionBudget/web-gantry']);
    const back = await apps.readNamespacedDeployment({ name: 'web-gantry', namespace: NS });
    expect(back.spec?.replicas).toBe(3); // the parameters' replicas again
    expect(back.spec?.template.spec?.tolerations).toBeUndefined();
    expect(back.spec?.template.spec?.nodeSelector).toBeUndefined();
  });

  it('the GatewayParameters CRD refuses what cannot work (CEL), and its short name is not kgateway\'s gwp', async () => {
    const tryCreate = async (spec: object): Promise<string> => {
      try {
        await create({ apiVersion: 'gateway.gantry.dev/v1alpha1', kind: 'GatewayParameters', metadata: { generateName: 'bad-', namespace: NS }, spec });
        return 'created';
      } catch (e) {
        return String((e as { body?: unknown }).body ?? e);
      }
    };
    expect(await tryCreate({ podDisruptionBudget: { minAvailable: 1, maxUnavailable: 1 } })).toContain('set exactly one of minAvailable and maxUnavailable');
    expect(await tryCreate({ podDisruptionBudget: { minAvailable: 'half' } })).toContain('must be a non-negative number or a percentage such as 50%');
    expect(await tryCreate({ autoscaling: { minReplicas: 4, maxReplicas: 2 } })).toContain('minReplicas must not exceed maxReplicas');
    expect(await tryCreate({ autoscaling: { minReplicas: 1 } })).toContain('maxReplicas');
    expect(await tryCreate({ tolerations: [{ key: 'k', operator: 'Exists', value: 'v' }] })).toContain('a toleration with operator Exists takes no value');
    expect(await tryCreate({ tolerations: [{ key: 'k', effect: 'NoSchedule', tolerationSeconds: 5 }] })).toContain('tolerationSeconds applies to effect NoExecute only');
    expect(await tryCreate({ accessLog: { format: 'text', json: { code: '%RESPONSE_CODE%' } } })).toContain('json fields go with format json');
    expect(await tryCreate({ accessLog: { text: '%RESPONSE_CODE%' } })).toContain('text goes with format text');
    expect(await tryCreate({ podDisruptionBudget: { minAvailable: '50%' }, autoscaling: { maxReplicas: 3 }, tolerations: [{ operator: 'Exists' }], accessLog: { format: 'text', text: '%RESPONSE_CODE%' } })).toBe('created');
    const crd = await read<Obj>('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'gatewayparameters.gateway.gantry.dev');
    expect((crd['spec'] as { names: { shortNames: string[] } }).names.shortNames).toEqual(['gantrygwp']);
  });

  it('reports LoadBalancer ingress addresses once the Service has them', async () => {
    await api.patch(
      { apiVersion: 'gateway.gantry.dev/v1alpha1', kind: 'GatewayParameters', metadata: { name: 'class-defaults', namespace: SYSTEM_NS }, spec: { service: { type: 'LoadBalancer' } } } as Obj,
      undefined, undefined, 'test', undefined, PatchStrategy.MergePatch,
    );
    const pending = deployed(await deployer.reconcile(await readGateway('web'), await readClass('gantry')));
    expect(pending).toMatchObject({ addresses: [], addressesPending: true });

    const service = await core.readNamespacedService({ name: 'web-gantry', namespace: NS });
    expect(service.spec?.type).toBe('LoadBalancer');
    service.status = { loadBalancer: { ingress: [{ ip: '203.0.113.10' }, { hostname: 'web.lb.example.com' }] } };
    await core.replaceNamespacedServiceStatus({ name: 'web-gantry', namespace: NS, body: service });

    const ready = deployed(await deployer.reconcile(await readGateway('web'), await readClass('gantry')));
    expect(ready.addressesPending).toBe(false);
    expect(ready.addresses).toEqual([
      { type: 'IPAddress', value: '203.0.113.10' },
      { type: 'Hostname', value: 'web.lb.example.com' },
    ]);
  });

  it('refuses bad references with InvalidParameters and leaves running objects alone', async () => {
    const before = await apps.readNamespacedDeployment({ name: 'web-gantry', namespace: NS });
    const gateway = await readGateway('web');
    const gatewayClass = await readClass('gantry');

    const missingClassParams: GatewayClass = { ...gatewayClass, spec: { ...gatewayClass.spec!, parametersRef: { group: 'gateway.gantry.dev', kind: 'GatewayParameters', name: 'nope', namespace: SYSTEM_NS } } };
    const r1 = await deployer.reconcile(gateway, missingClassParams);
    expect(r1).toEqual({ kind: 'rejected', problems: [{ object: 'GatewayClass', reason: 'InvalidParameters', message: `parametersRef GatewayParameters ${SYSTEM_NS}/nope not found` }] });

    const wrongKind: Gateway = { ...gateway, spec: { ...gateway.spec!, infrastructure: { parametersRef: { group: '', kind: 'ConfigMap', name: 'web-gantry' } } } };
    const r2 = await deployer.reconcile(wrongKind, gatewayClass);
    expect(r2.kind).toBe('rejected');
    expect(r2.kind === 'rejected' && r2.problems.map((p) => [p.object, p.reason])).toEqual([['Gateway', 'InvalidParameters']]);

    const after = await apps.readNamespacedDeployment({ name: 'web-gantry', namespace: NS });
    // The controller manager may update the Deployment's status meanwhile; what the deployer
    // would change is the spec, which bumps the generation.
    expect(after.metadata?.generation).toBe(before.metadata?.generation);
    expect(after.spec).toEqual(before.spec);
  });

  it('moves to the new name when the Gateway changes class, deleting the old objects', async () => {
    const gateway = await readGateway('web');
    const moved: Gateway = { ...gateway, spec: { ...gateway.spec!, gatewayClassName: 'gantry-b' } };
    const result = deployed(await deployer.reconcile(moved, await readClass('gantry-b')));
    expect(result.name).toBe('web-gantry-b');
    expect([...result.pruned].sort()).toEqual(['ConfigMap/web-gantry', 'Deployment/web-gantry', 'Service/web-gantry', 'ServiceAccount/web-gantry']);
    const left = await api.list('v1', 'ConfigMap', NS, undefined, undefined, undefined, undefined, OWNED_OBJECT_SELECTOR);
    expect(left.items.map((c) => c.metadata?.name)).toEqual(['web-gantry-b']);
    const cm: V1ConfigMap = await core.readNamespacedConfigMap({ name: 'web-gantry-b', namespace: NS });
    expect(cm.metadata?.ownerReferences?.[0]?.uid).toBe(gateway.metadata.uid);
  });

  it('remove() deletes everything it made for a Gateway that is no longer ours', async () => {
    const gateway = await readGateway('web');
    expect([...(await deployer.remove(gateway))].sort()).toEqual(['ConfigMap/web-gantry-b', 'Deployment/web-gantry-b', 'Service/web-gantry-b', 'ServiceAccount/web-gantry-b']);
    const left = await api.list('v1', 'Service', NS, undefined, undefined, undefined, undefined, OWNED_OBJECT_SELECTOR);
    expect(left.items).toEqual([]);
  });

  it('leaves cleanup after a deleted Gateway to the garbage collector (ownerReferences)', async () => {
    const gateway = await readGateway('web');
    deployed(await deployer.reconcile(gateway, await readClass('gantry')));
    await api.delete({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'web', namespace: NS } });
    await eventually('garbage collection', async () => {
      const lists = await Promise.all(
        [['v1', 'ServiceAccount'], ['v1', 'ConfigMap'], ['apps/v1', 'Deployment'], ['v1', 'Service']].map(([v, k]) =>
          api.list(v!, k!, NS, undefined, undefined, undefined, undefined, OWNED_OBJECT_SELECTOR),
        ),
      );
      return lists.every((l) => l.items.length === 0);
    });
  }, 90_000);
});
