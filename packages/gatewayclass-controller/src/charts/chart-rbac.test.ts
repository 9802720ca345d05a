// The chart's RBAC against a real API server (authorization mode RBAC): install what
// `helm template charts/gantry` renders, then run the controller in-process as the chart's
// ServiceAccount (a real bound token) with the chart's leader-election flags, and watch it do its
// whole job: sync every watch, win the Lease, write GatewayClass/Gateway/HTTPRoute status, deploy a
// Gateway's Envoy objects, publish its data-plane report Lease once a real Envoy ACKs, delete the
// objects when the Gateway leaves the class, release and delete its Leases on stop. Plus
// SubjectAccessReviews for what it must NOT be able to do, and why `create` sits next to `patch`
// for server-side apply.
import { KIND_TABLE } from '@gantry/api';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KubeConfig, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { CORE_KINDS, KubeClientConfig, collectionPath, inClusterConfig, objectPath, requestJson, requestOk, type JsonObject, type KindRef } from '@gantry/kube';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNamespace, createObject, getObject, mergePatchObject, waitFor } from '@gantry/kube/testing/api-helpers';
import { startControlPlane, type ControlPlane } from '@gantry/kube/testing/control-plane';
import { Controller } from '../controller/controller.js';
import { REPORT_LABEL } from '../controller/data-plane.js';
import { GATEWAY_PARAMETERS } from '../controller/testing/harness.js';
import { freePort, startEnvoyFromDeployment, type LocalEnvoy } from '../controller/testing/harness.js';
import { OWNED_OBJECT_SELECTOR } from '../deployer/index.js';
import { setLogLevel } from '../log.js';
import { CHARTS, only, render, type Manifest } from './testing/helm.js';
import { deploymentView, flagValue } from './testing/views.js';

setLogLevel(process.env['GANTRY_TEST_LOG'] ? 'debug' : 'error');

const NS = 'gantry-system';
const APPS = 'apps';
const SA_USER = `system:serviceaccount:${NS}:gantry`;
const SA_GROUPS = ['system:serviceaccounts', `system:serviceaccounts:${NS}`, 'system:authenticated'];
const SERVICE_ACCOUNT: KindRef = { group: '', version: 'v1', plural: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true };
// With authenticated xDS (the chart's default), each Gateway also gets its client certificate Secret.
const OWNED_KINDS: readonly KindRef[] = [CORE_KINDS.Deployment, CORE_KINDS.Service, CORE_KINDS.ConfigMap, SERVICE_ACCOUNT, CORE_KINDS.Secret];

interface Condition { type: string; status: string }

let cp: ControlPlane;
let admin: KubeConfig;
let objects: Manifest[];
let controller: Controller | undefined;
let envoy: LocalEnvoy | undefined;
const tempDirs: string[] = [];

/**
 * The controller's configuration as in its Pod (in-cluster: the service host and port, the
 * service account's ca.crt and token files), with a freshly requested token of a ServiceAccount.
 */
async function serviceAccountKubeConfig(namespace: string, name: string): Promise<KubeClientConfig> {
  const review = (await requestOk(admin, `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
    method: 'POST',
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
  })) as { status: { token: string } };
  const cluster = admin.getCurrentCluster();
  if (!cluster?.caData) throw new Error('no current cluster with an embedded CA');
  const dir = await mkdtemp(join(tmpdir(), `sa-${name}-`));
  tempDirs.push(dir);
  await writeFile(join(dir, 'ca.crt'), Buffer.from(cluster.caData, 'base64'));
  await writeFile(join(dir, 'token'), review.status.token);
  const server = new URL(cluster.server);
  return new KubeClientConfig(inClusterConfig({ KUBERNETES_SERVICE_HOST: server.hostname.replace(/^\[(.*)\]$/, '$1'), KUBERNETES_SERVICE_PORT: server.port || '443' }, dir));
}

interface Access { group: string; resource: string; verb: string; namespace?: string; name?: string; subresource?: string }

async function allowed(a: Access): Promise<boolean> {
  const review = (await requestOk(admin, '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    method: 'POST',
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: SA_USER, groups: SA_GROUPS, resourceAttributes: a } },
  })) as { status: { allowed: boolean } };
  return review.status.allowed;
}

async function listNames(kind: KindRef, namespace: string, labelSelector: string): Promise<string[]> {
  const list = (await requestOk(admin, collectionPath(kind, namespace), { query: { labelSelector } })) as { items: { metadata: { name: string } }[] };
  return list.items.map((i) => i.metadata.name);
}

function listOwned(kind: KindRef): Promise<string[]> {
  return listNames(kind, APPS, OWNED_OBJECT_SELECTOR);
}

function conditions(object: JsonObject): Condition[] {
  return ((object['status'] as { conditions?: Condition[] } | undefined)?.conditions) ?? [];
}

beforeAll(async () => {
  objects = await render(CHARTS.gantry, { release: 'gantry', namespace: NS });
  cp = await startControlPlane({ crds: true });
  admin = cp.kubeConfig;
  await createNamespace(admin, NS);
  await createNamespace(admin, APPS);
  // Everything the chart renders, as helm would install it (the Deployment too: the API server
  // validates it; no controller manager runs, so it stays inert).
  const api = KubernetesObjectApi.makeApiClient(admin);
  for (const o of objects) await api.create(o as unknown as KubernetesObject);
}, 5 * 60_000);

afterAll(async () => {
  await envoy?.stop();
  await controller?.stop().catch(() => undefined);
  await cp?.stop();
  await Promise.all(tempDirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('charts/gantry RBAC on a real API server', () => {
  it('is enough for the controller to do its whole job as the chart ServiceAccount', async () => {
    const args = deploymentView(only(objects, 'Deployment')).container.args ?? [];
    const leaseNamespace = flagValue(args, '--leader-election-namespace') ?? '';
    const lease = flagValue(args, '--leader-election-id') ?? '';
    expect([leaseNamespace, lease]).toEqual([NS, 'gantry-leader']);
    const kc = await serviceAccountKubeConfig(NS, 'gantry');
    // The Envoy runs here, not in a Pod: it reaches the xDS server on loopback instead of the
    // chart's Service name (chart.test.ts checks that one).
    const xdsPort = await freePort();
    const caSecret = flagValue(args, '--xds-ca-secret') ?? '';
    expect(caSecret).toBe('gantry-xds-ca');
    controller = new Controller({
      kubeConfig: kc,
      installNamespace: NS,
      // The chart's authenticated xDS: the CA Secret created in the release namespace (create,
      // get by name), a client certificate Secret per Gateway (get, create, delete).
      xdsTls: { caSecretName: caSecret },
      xdsBind: { host: '127.0.0.1', port: xdsPort },
      xdsAdvertise: { host: '127.0.0.1', port: xdsPort },
      envoyListenAddress: '127.0.0.1',
      leaderElection: { namespace: leaseNamespace, name: lease, identity: 'gantry-test-0', dataPlaneReportMs: 1000 },
      deploy: true,
      debounceMs: 20,
    });
    await controller.start();
    const c = controller;

    // Every watch lists and watches (a 403 would keep it unsynced): Secrets by field selector,
    // GatewayParameters, the deployer's own kinds by label.
    await waitFor('all watches synced', () => c.readiness().ready, 30_000);
    await waitFor('the Lease won', async () => {
      const lease = await getObject(admin, CORE_KINDS.Lease, NS, 'gantry-leader');
      return (lease['spec'] as { holderIdentity?: string }).holderIdentity === 'gantry-test-0';
    }, 30_000);

    await createObject(admin, CORE_KINDS.Service, APPS, { metadata: { name: 'echo' }, spec: { ports: [{ name: 'http', port: 8080 }], selector: { app: 'echo' } } });
    // A ClusterIP Service (no load balancer here), through GatewayParameters (read from the watch).
    await createObject(admin, GATEWAY_PARAMETERS, APPS, { metadata: { name: 'local' }, spec: { service: { type: 'ClusterIP' } } });
    // `gw` gets a real Envoy; `leaving` moves to another controller's class later.
    for (const name of ['gw', 'leaving']) {
      await createObject(admin, KIND_TABLE.Gateway, APPS, {
        metadata: { name },
        spec: {
          gatewayClassName: 'gantry',
          infrastructure: { parametersRef: { group: 'gateway.gantry.dev', kind: 'GatewayParameters', name: 'local' } },
          listeners: [{ name: 'http', port: await freePort(), protocol: 'HTTP' }],
        },
      });
    }
    await createObject(admin, KIND_TABLE.HTTPRoute, APPS, {
      metadata: { name: 'route' },
      spec: { parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: [{ name: 'echo', port: 8080 }] }] },
    });

    // Status: merge patches on gatewayclasses/status, gateways/status, httproutes/status.
    await waitFor('GatewayClass Accepted', async () =>
      conditions(await getObject(admin, KIND_TABLE.GatewayClass, undefined, 'gantry')).some((x) => x.type === 'Accepted' && x.status === 'True'), 30_000);
    await waitFor('Gateway Accepted', async () =>
      conditions(await getObject(admin, KIND_TABLE.Gateway, APPS, 'gw')).some((x) => x.type === 'Accepted' && x.status === 'True'), 30_000);
    await waitFor('HTTPRoute status written', async () => {
      const route = await getObject(admin, KIND_TABLE.HTTPRoute, APPS, 'route');
      const parents = (route['status'] as { parents?: { controllerName: string }[] } | undefined)?.parents ?? [];
      return parents.some((p) => p.controllerName === 'gantry.dev/gatewayclass-controller');
    }, 30_000);

    // The deployer: server-side apply creates the four objects of each Gateway.
    await waitFor('the Envoy objects deployed', async () => {
      for (const kind of OWNED_KINDS) if ((await listOwned(kind)).length !== 2) return false;
      return true;
    }, 30_000);

    // The Gateway leaves our classes: the deployer deletes what it made for it (delete verb).
    await createObject(admin, KIND_TABLE.GatewayClass, undefined, { metadata: { name: 'other' }, spec: { controllerName: 'example.com/other' } });
    await mergePatchObject(admin, KIND_TABLE.Gateway, APPS, 'leaving', { spec: { gatewayClassName: 'other' } });
    await waitFor('the departed Gateway\'s objects deleted', async () => {
      for (const kind of OWNED_KINDS) if ((await listOwned(kind)).length !== 1) return false;
      return true;
    }, 30_000);

    expect((await getObject(admin, CORE_KINDS.Secret, NS, 'gantry-xds-ca'))['type']).toBe('Opaque');

    // A real Envoy from gw's objects (over mTLS, with its client certificate) ACKs its config: this replica publishes that in its own
    // report Lease (server-side apply), the leader watches the reports and writes Programmed.
    const [deployed = ''] = await listOwned(CORE_KINDS.Deployment);
    envoy = await startEnvoyFromDeployment(admin, APPS, deployed, `${deployed}-pod-0`);
    await waitFor('Gateway Programmed', async () =>
      conditions(await getObject(admin, KIND_TABLE.Gateway, APPS, 'gw')).some((x) => x.type === 'Programmed' && x.status === 'True'), 30_000);
    await waitFor('the data-plane report Lease', async () => (await listNames(CORE_KINDS.Lease, NS, `${REPORT_LABEL}=${lease}`)).length === 1, 30_000);

    // Stopping releases the election Lease (update by name) and deletes the report Lease.
    await c.stop();
    controller = undefined;
    const election = await getObject(admin, CORE_KINDS.Lease, NS, lease);
    expect((election['spec'] as { holderIdentity?: string }).holderIdentity ?? '').toBe('');
    expect(await listNames(CORE_KINDS.Lease, NS, `${REPORT_LABEL}=${lease}`)).toEqual([]);
  }, 120_000);

  it('allows what the controller does, and nothing around it', async () => {
    const can: Access[] = [
      { group: 'coordination.k8s.io', resource: 'leases', verb: 'create', namespace: NS },
      { group: 'coordination.k8s.io', resource: 'leases', verb: 'update', namespace: NS, name: 'gantry-leader' },
      { group: 'coordination.k8s.io', resource: 'leases', verb: 'patch', namespace: NS, name: 'gantry-leader-dp-gantry-0' },
      { group: 'coordination.k8s.io', resource: 'leases', verb: 'watch', namespace: NS },
      { group: 'gateway.networking.k8s.io', resource: 'gateways', subresource: 'status', verb: 'patch', namespace: APPS, name: 'gw' },
      { group: 'gateway.networking.k8s.io', resource: 'gateways', subresource: 'finalizers', verb: 'update', namespace: APPS, name: 'gw' },
      { group: 'apps', resource: 'deployments', verb: 'create', namespace: APPS },
      { group: '', resource: 'secrets', verb: 'watch', namespace: APPS },
      // xDS client certificates (created, checked, replaced) and the CA Secret (by name).
      { group: '', resource: 'secrets', verb: 'create', namespace: APPS },
      { group: '', resource: 'secrets', verb: 'get', namespace: APPS, name: 'gw-gantry-xds' },
      { group: '', resource: 'secrets', verb: 'delete', namespace: APPS, name: 'gw-gantry-xds' },
      { group: '', resource: 'secrets', verb: 'get', namespace: NS, name: 'gantry-xds-ca' },
      // The translator watches Upstreams even without discovery and writes their status;
      // writing them is discovery's.
      { group: 'gateway.gantry.dev', resource: 'upstreams', verb: 'watch', namespace: APPS },
      { group: 'gateway.gantry.dev', resource: 'upstreams', subresource: 'status', verb: 'patch', namespace: APPS, name: 'u' },
      // Pods: their labels, watched as metadata.
      { group: '', resource: 'pods', verb: 'list' },
      { group: '', resource: 'pods', verb: 'watch', namespace: APPS },
    ];
    const cannot: Access[] = [
      { group: 'coordination.k8s.io', resource: 'leases', verb: 'update', namespace: NS, name: 'someone-else' },
      { group: 'coordination.k8s.io', resource: 'leases', verb: 'create', namespace: APPS },
      { group: 'coordination.k8s.io', resource: 'leases', verb: 'patch', namespace: APPS, name: 'x' },
      { group: 'coordination.k8s.io', resource: 'leases', verb: 'list' },
      // Never modify a Secret: only create (a name that exists is refused) and delete.
      { group: '', resource: 'secrets', verb: 'update', namespace: APPS, name: 'tls' },
      { group: '', resource: 'secrets', verb: 'patch', namespace: APPS, name: 'tls' },
      { group: '', resource: 'secrets', verb: 'update', namespace: NS, name: 'gantry-xds-ca' },
      { group: '', resource: 'secrets', verb: 'deletecollection', namespace: APPS },
      { group: '', resource: 'pods', verb: 'get', namespace: APPS, name: 'p' },
      { group: '', resource: 'pods', verb: 'create', namespace: APPS },
      { group: '', resource: 'pods', subresource: 'log', verb: 'get', namespace: APPS, name: 'p' },
      { group: '', resource: 'events', verb: 'create', namespace: NS },
      { group: 'gateway.networking.k8s.io', resource: 'gateways', verb: 'update', namespace: APPS, name: 'gw' },
      { group: 'gateway.networking.k8s.io', resource: 'gateways', verb: 'delete', namespace: APPS, name: 'gw' },
      { group: 'gateway.networking.k8s.io', resource: 'gateways', subresource: 'status', verb: 'update', namespace: APPS, name: 'gw' },
      { group: 'gateway.networking.k8s.io', resource: 'httproutes', verb: 'patch', namespace: APPS, name: 'route' },
      { group: 'gateway.gantry.dev', resource: 'gatewayparameters', verb: 'patch', namespace: APPS, name: 'p' },
      { group: 'gateway.gantry.dev', resource: 'upstreams', verb: 'create', namespace: APPS },
      { group: 'gateway.gantry.dev', resource: 'upstreams', verb: 'patch', namespace: APPS, name: 'u' },
      { group: 'gateway.gantry.dev', resource: 'upstreams', subresource: 'status', verb: 'update', namespace: APPS, name: 'u' },
      { group: 'rbac.authorization.k8s.io', resource: 'clusterroles', verb: 'escalate' },
    ];
    for (const a of can) expect({ ...a, allowed: await allowed(a) }).toEqual({ ...a, allowed: true });
    for (const a of cannot) expect({ ...a, allowed: await allowed(a) }).toEqual({ ...a, allowed: false });
  }, 60_000);

  it('needs create next to patch: server-side apply of a new object is authorized as create', async () => {
    // A ServiceAccount with the chart's ConfigMap verbs minus create.
    await createObject(admin, SERVICE_ACCOUNT, NS, { metadata: { name: 'patch-only' } });
    await createObject(admin, { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles', kind: 'Role', namespaced: true }, APPS, {
      metadata: { name: 'patch-only' },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list', 'watch', 'patch', 'delete'] }],
    });
    await createObject(admin, { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'rolebindings', kind: 'RoleBinding', namespaced: true }, APPS, {
      metadata: { name: 'patch-only' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'patch-only' },
      subjects: [{ kind: 'ServiceAccount', name: 'patch-only', namespace: NS }],
    });
    const kc = await serviceAccountKubeConfig(NS, 'patch-only');
    const apply = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied', namespace: APPS }, data: { a: '1' } };
    const r = await requestJson(kc, objectPath(CORE_KINDS.ConfigMap, APPS, 'applied'), {
      method: 'PATCH', query: { fieldManager: 'gantry', force: true }, body: apply, contentType: 'application/apply-patch+yaml',
    });
    expect(r.status).toBe(403);
    // Once the object exists, patch alone is enough for the same apply.
    await createObject(admin, CORE_KINDS.ConfigMap, APPS, { metadata: { name: 'applied' }, data: { a: '0' } });
    const again = await requestJson(kc, objectPath(CORE_KINDS.ConfigMap, APPS, 'applied'), {
      method: 'PATCH', query: { fieldManager: 'gantry', force: true }, body: apply, contentType: 'application/apply-patch+yaml',
    });
    expect(again.status).toBe(200);
  }, 60_000);
});
