// Remote clusters against real API servers: cluster A runs the controller, cluster B is watched
// as remote cluster "b" with the least-privilege credentials of docs/remote-cluster-reader.yaml
// (a ServiceAccount token that may only list and watch Services, EndpointSlices and Pods). B is
// reached through a TCP proxy, so the test can cut the path: Synced → Stale (objects kept) →
// Unreachable (objects dropped) after --remote-cluster-stale-after, and back. Times are printed.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import jsyaml from 'js-yaml';
import { KubeConfig } from '@kubernetes/client-node';
import type { RemoteClusterSnapshot } from '@gantry/api';
import { requestOk, type JsonObject } from '@gantry/kube';
import { startControlPlane, type ControlPlane } from '@gantry/kube/testing/control-plane';
import { startTcpProxy, type TcpProxy } from '@gantry/kube/testing/tcp-proxy';
import { silentLogger } from '@gantry/kube';
import { RemoteClusters } from './remote-clusters.js';
import { CORE_KINDS, createNamespace, createObject, mergePatchObject, startCluster, waitFor, type TestCluster } from './testing/harness.js';

const NS = 'apps';
const POD = { ...CORE_KINDS.Service, kind: 'Pod', plural: 'pods' };
const READER = fileURLToPath(new URL('../../../../docs/remote-cluster-reader.yaml', import.meta.url));

let a: TestCluster;
let b: ControlPlane;
let proxy: TcpProxy;
/** B through the proxy, as the ServiceAccount of docs/remote-cluster-reader.yaml. */
let readerKc: KubeConfig;

/** POST path of an object of the reader manifest (the kinds it has). */
function pathOf(o: JsonObject): string {
  const kind = String(o['kind']);
  const ns = String((o['metadata'] as JsonObject)['namespace'] ?? '');
  switch (kind) {
    case 'Namespace': return '/api/v1/namespaces';
    case 'ServiceAccount': return `/api/v1/namespaces/${ns}/serviceaccounts`;
    case 'ClusterRole': return '/apis/rbac.authorization.k8s.io/v1/clusterroles';
    case 'ClusterRoleBinding': return '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings';
    default: throw new Error(`unexpected kind ${kind} in ${READER}`);
  }
}

beforeAll(async () => {
  [a, b] = await Promise.all([startCluster({ namespaces: [NS] }), startControlPlane()]);
  const kc = b.kubeConfig;
  for (const doc of jsyaml.loadAll(readFileSync(READER, 'utf8')) as JsonObject[]) await requestOk(kc, pathOf(doc), { method: 'POST', body: doc });
  const token = await requestOk(kc, '/api/v1/namespaces/gantry-remote/serviceaccounts/gantry-remote-reader/token', {
    method: 'POST', body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
  }) as JsonObject;
  proxy = await startTcpProxy(Number(new URL(b.server).port));
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('no cluster');
  readerKc = new KubeConfig();
  readerKc.loadFromOptions({
    clusters: [{ ...cluster, name: 'b', server: `https://127.0.0.1:${proxy.port}` }],
    users: [{ name: 'reader', token: String((token['status'] as JsonObject)['token']) }],
    contexts: [{ name: 'b', cluster: 'b', user: 'reader' }],
    currentContext: 'b',
  });
  await createNamespace(kc, NS);
  // No controller-manager in B: the ServiceAccount admission needs the default one to exist.
  await createObject(kc, CORE_KINDS.ServiceAccount, NS, { metadata: { name: 'default' } });
  await createObject(kc, CORE_KINDS.Service, NS, {
    metadata: { name: 'global-app', labels: { app: 'global-app' } },
    spec: { ports: [{ name: 'http', port: 9080, targetPort: 9080 }], selector: { app: 'global-app' } },
  });
  await createObject(kc, CORE_KINDS.EndpointSlice, NS, {
    metadata: { name: 'global-app-b1', labels: { 'kubernetes.io/service-name': 'global-app' } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 9080, protocol: 'TCP' }],
    endpoints: [{ addresses: ['10.33.0.10'], conditions: { ready: true }, targetRef: { kind: 'Pod', namespace: NS, name: 'global-app-1' } }],
  });
  await createObject(kc, POD, NS, {
    metadata: { name: 'global-app-1', labels: { app: 'global-app' } },
    spec: { containers: [{ name: 'app', image: 'echo', env: [{ name: 'SECRET_SETTING', value: 'not for gantry' }] }] },
  });
}, 240_000);

afterAll(async () => {
  await proxy?.close();
  await Promise.all([a?.stop(), b?.stop()]);
}, 60_000);

/** State and the numbers of Services, EndpointSlices and Pods in NS (B also has `default/kubernetes`). */
function counts(s: RemoteClusterSnapshot | undefined): string {
  const n = (list: readonly { metadata: { namespace?: string } }[]): number => list.filter((o) => o.metadata.namespace === NS).length;
  return s ? `${s.state} ${n(s.services)}/${n(s.endpointSlices)}/${n(s.pods)}` : 'none';
}

describe('a remote cluster, read with list/watch-only credentials', () => {
  let remotes: RemoteClusters;
  let changes = 0;
  const states: { state: string; at: number }[] = [];

  afterAll(async () => {
    await remotes?.stop();
  });

  it('syncs its Services, EndpointSlices and Pods (metadata only), and keeps unchanged lists identical', async () => {
    remotes = new RemoteClusters({
      clusters: [{ name: 'b', kubeConfig: readerKc }],
      logger: silentLogger,
      staleAfterMs: 3_000,
      probeIntervalMs: 200,
      probeTimeoutMs: 500,
      backoff: { initialMs: 100, maxMs: 500 },
      onChange: () => { changes++; },
      onState: (_c, state) => states.push({ state, at: Date.now() }),
    });
    remotes.start();
    await waitFor('b synced', () => counts(remotes.snapshot()[0]) === 'Synced 1/1/1', 30_000);
    const first = remotes.snapshot();
    const pod = first[0]?.pods[0] as unknown as JsonObject;
    expect(pod['metadata']).toMatchObject({ name: 'global-app-1', labels: { app: 'global-app' } });
    expect(pod['spec']).toBeUndefined(); // metadata only: the env of its containers never reaches Gantry
    expect(remotes.snapshot()).toBe(first);

    // A label change in B: the controller is told, only the Pods list changes.
    const before = changes;
    await mergePatchObject(b.kubeConfig, POD, NS, 'global-app-1', { metadata: { labels: { app: 'global-app', version: 'v2' } } });
    await waitFor('the label change', () => remotes.snapshot()[0]?.pods[0]?.metadata.labels?.['version'] === 'v2', 10_000);
    expect(changes).toBeGreaterThan(before);
    const second = remotes.snapshot();
    expect(second).not.toBe(first);
    expect(second[0]?.services).toBe(first[0]?.services);
    expect(second[0]?.endpointSlices).toBe(first[0]?.endpointSlices);
    expect(second[0]?.pods).not.toBe(first[0]?.pods);
  }, 60_000);

  it('goes Stale when the path is cut (objects kept), Unreachable after stale-after (objects dropped), Synced when it is back', async () => {
    const cut = Date.now();
    proxy.setMode('refuse');
    await waitFor('Stale', () => remotes.state('b') === 'Stale', 10_000, 10);
    const stale = Date.now();
    expect(counts(remotes.snapshot()[0])).toBe('Stale 1/1/1');
    await waitFor('Unreachable', () => remotes.state('b') === 'Unreachable', 10_000, 10);
    const unreachable = Date.now();
    expect(counts(remotes.snapshot()[0])).toBe('Unreachable 0/0/0');
    proxy.setMode('forward');
    const restored = Date.now();
    await waitFor('Synced again', () => counts(remotes.snapshot()[0]) === 'Synced 1/1/1', 20_000, 10);
    const synced = Date.now();
    console.log(`remote cluster b: Stale ${stale - cut} ms after the cut; Unreachable ${unreachable - stale} ms after Stale (stale-after 3000 ms, probe every 200 ms); Synced ${synced - restored} ms after the path was back`);
    expect(stale - cut).toBeLessThan(2_000);
    expect(unreachable - stale).toBeGreaterThanOrEqual(2_900);
    expect(unreachable - stale).toBeLessThan(4_500);
    expect(states.map((s) => s.state)).toEqual(['Synced', 'Stale', 'Unreachable', 'Synced']);
  }, 60_000);

  it('comes back from a short outage without passing Unreachable', async () => {
    states.length = 0;
    proxy.setMode('refuse');
    await waitFor('Stale', () => remotes.state('b') === 'Stale', 10_000, 10);
    await new Promise((r) => setTimeout(r, 1_000));
    proxy.setMode('forward');
    await waitFor('Synced again', () => remotes.state('b') === 'Synced', 10_000, 10);
    expect(states.map((s) => s.state)).toEqual(['Stale', 'Synced']);
    expect(counts(remotes.snapshot()[0])).toBe('Synced 1/1/1');
  }, 30_000);

  it('notices a silent partition (packets dropped, streams open) and relists once it is over', async () => {
    states.length = 0;
    proxy.setMode('stall');
    const cut = Date.now();
    await waitFor('Stale', () => remotes.state('b') === 'Stale', 10_000, 10);
    const stale = Date.now();
    // A change made during the partition: the old stream never delivers it, the relist does.
    await mergePatchObject(b.kubeConfig, POD, NS, 'global-app-1', { metadata: { labels: { app: 'global-app', version: 'v3' } } });
    proxy.setMode('forward');
    await waitFor('Synced again', () => remotes.state('b') === 'Synced', 20_000, 10);
    await waitFor('the change made during the partition', () => remotes.snapshot()[0]?.pods.find((p) => p.metadata.namespace === NS)?.metadata.labels?.['version'] === 'v3', 10_000);
    console.log(`remote cluster b, silent partition: Stale ${stale - cut} ms after it began (probe timeout 500 ms)`);
    expect(states.map((s) => s.state)).toEqual(['Stale', 'Synced']);
  }, 40_000);
});

describe('the controller with a remote cluster', () => {
  it('hands remote clusters to translation, re-translates on a remote change, and reports them in metrics', async () => {
    const controller = await a.controller({ remoteClusters: { clusters: [{ name: 'b', kubeConfig: readerKc }], probeIntervalMs: 200 } });
    const metric = async (name: string): Promise<string[]> => {
      const text = await (await fetch(`http://127.0.0.1:${controller.adminPort}/metrics`)).text();
      return text.split('\n').filter((l) => l.startsWith(name));
    };
    await waitFor('b synced in the controller', () => controller.remoteClusters?.state('b') === 'Synced', 30_000);
    await waitFor('the state metric', async () => (await metric('gantry_remote_cluster_state{')).includes('gantry_remote_cluster_state{cluster="b"} 0'), 10_000);
    expect(await metric('gantry_remote_cluster_objects{')).toEqual(expect.arrayContaining([
      'gantry_remote_cluster_objects{cluster="b",kind="Service"} 2', // and default/kubernetes
      'gantry_remote_cluster_objects{cluster="b",kind="EndpointSlice"} 1',
      'gantry_remote_cluster_objects{cluster="b",kind="Pod"} 1',
    ]));
    await controller.settled();
    const translations = async (): Promise<number> => Number((await metric('gantry_translations_total{result="ok"} '))[0]?.split(' ')[1] ?? 0);
    const before = await translations();
    await mergePatchObject(b.kubeConfig, CORE_KINDS.Service, NS, 'global-app', { metadata: { labels: { app: 'global-app', touched: 'yes' } } });
    await waitFor('a translation after the remote change', async () => (await translations()) > before, 10_000);
    // Nothing of B is ever written: the reader could not, and the controller has no reason to try.
    expect(readerKc.getCurrentUser()?.name).toBe('reader');
  }, 60_000);
});
