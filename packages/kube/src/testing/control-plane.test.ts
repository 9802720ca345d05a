import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AppsV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from './control-plane.js';

const gateways = { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'gateways' } as const;
const gatewayParameters = { group: 'gateway.gantry.dev', version: 'v1alpha1', plural: 'gatewayparameters' } as const;
const namespace = 'fixture';

describe('startControlPlane', () => {
  let controlPlane: ControlPlane;
  let pids: number[];

  beforeAll(async () => {
    const started = Date.now();
    controlPlane = await startControlPlane({ crds: true, controllerManager: true });
    console.info(`control plane with CRDs and controller manager up in ${Date.now() - started} ms`);
    pids = ['etcd', 'kube-apiserver', 'kube-controller-manager'].map((name) =>
      Number(readFileSync(join(controlPlane.stateDir, `${name}.pid`), 'utf8')),
    );
  }, 180_000);

  afterAll(async () => {
    await controlPlane?.stop();
  }, 60_000);

  it('keeps a Gateway across an API server restart', async () => {
    const core = controlPlane.kubeConfig.makeApiClient(CoreV1Api);
    const custom = controlPlane.kubeConfig.makeApiClient(CustomObjectsApi);
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await custom.createNamespacedCustomObject({
      ...gateways,
      namespace,
      body: {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'Gateway',
        metadata: { name: 'web' },
        spec: { gatewayClassName: 'gantry', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
      },
    });

    await controlPlane.stopApiServer();
    await expect(core.readNamespace({ name: namespace })).rejects.toThrow();
    const restarted = Date.now();
    await controlPlane.startApiServer();
    console.info(`API server restarted in ${Date.now() - restarted} ms`);

    const gateway = (await custom.getNamespacedCustomObject({ ...gateways, namespace, name: 'web' })) as {
      spec?: { gatewayClassName?: string };
    };
    expect(gateway.spec?.gatewayClassName).toBe('gantry');
  }, 120_000);

  it('validates GatewayParameters against its schema', async () => {
    const custom = controlPlane.kubeConfig.makeApiClient(CustomObjectsApi);
    const create = (name: string, spec: Record<string, unknown>): Promise<unknown> =>
      custom.createNamespacedCustomObject({
        ...gatewayParameters,
        namespace,
        body: { apiVersion: 'gateway.gantry.dev/v1alpha1', kind: 'GatewayParameters', metadata: { name }, spec },
      });

    await create('valid', {
      replicas: 2,
      image: 'envoyproxy/envoy:distroless-v1.36.2',
      logLevel: 'debug',
      service: { type: 'NodePort', annotations: { a: 'b' }, labels: { c: 'd' } },
      resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: 1 } },
      labels: { team: 'edge' },
      annotations: { note: 'x' },
    });
    await expect(create('negative', { replicas: -1 })).rejects.toMatchObject({ code: 422 });
    await expect(create('service-type', { service: { type: 'ExternalName' } })).rejects.toMatchObject({ code: 422 });
    await expect(create('quantity', { resources: { limits: { cpu: 'lots' } } })).rejects.toMatchObject({ code: 422 });
    await expect(create('log-level', { logLevel: 'verbose' })).rejects.toMatchObject({ code: 422 });
  });

  it('runs the controller manager: a Deployment gets a ReplicaSet, which dies with it', async () => {
    const apps = controlPlane.kubeConfig.makeApiClient(AppsV1Api);
    const labels = { app: 'web' };
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'example.invalid/web:1' }] } },
        },
      },
    });
    await eventually(async () => {
      const sets = await apps.listNamespacedReplicaSet({ namespace, labelSelector: 'app=web' });
      expect(sets.items).toHaveLength(1);
    });

    // The garbage collector follows ownerReferences (the deployer relies on it).
    await apps.deleteNamespacedDeployment({ namespace, name: 'web', body: { propagationPolicy: 'Background' } });
    await eventually(async () => {
      const sets = await apps.listNamespacedReplicaSet({ namespace, labelSelector: 'app=web' });
      expect(sets.items).toHaveLength(0);
    });
  }, 60_000);

  it('stop() ends every process it started and removes the state dir', async () => {
    await controlPlane.stop();
    for (const pid of pids) expect(isRunning(pid)).toBe(false);
    expect(() => readFileSync(join(controlPlane.stateDir, 'ports.env'))).toThrow();
    await controlPlane.stop(); // a second call is harmless
  }, 60_000);
});

async function eventually(check: () => Promise<void>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

// A zombie (exited, not yet reaped by its adoptive parent) counts as gone.
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
