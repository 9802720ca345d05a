import { describe, expect, it } from '@jest/globals';
import { silentLogger } from '@gantry/kube';
import type { Gateway, GatewayClass } from '@gantry/api';
import type { Deployer } from '../deployer/index.js';
import { Deployments, type WantedDeployment } from './deployments.js';

const gatewayClass = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'gantry' }, spec: { controllerName: 'gantry.dev/gatewayclass-controller' } } as GatewayClass;
const gateway = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'gw', namespace: 'ns', uid: 'u' }, spec: { gatewayClassName: 'gantry', listeners: [] } } as unknown as Gateway;

function wanted(fingerprint: string): Map<string, WantedDeployment> {
  return new Map([['ns/gw', { gateway, gatewayClass, fingerprint }]]);
}

/** A deployer whose API refuses every write, as the API server does in a namespace being deleted. */
function refusingDeployer(): { deployer: Deployer; attempts: () => number } {
  let attempts = 0;
  const deployer = {
    reconcile: () => {
      attempts++;
      return Promise.reject(new Error('namespace ns is being terminated'));
    },
    remove: () => Promise.resolve([]),
  } as unknown as Deployer;
  return { deployer, attempts: () => attempts };
}

describe('Deployments', () => {
  it('other events do not cut a failed Gateway’s backoff short; a change to what it deploys does', async () => {
    const { deployer, attempts } = refusingDeployer();
    const deployments = new Deployments({ deployer, logger: silentLogger, onResult: () => undefined });
    for (let i = 0; i < 20; i++) {
      deployments.sync(wanted('a'), []);
      await new Promise((r) => setImmediate(r));
    }
    expect(attempts()).toBe(1);
    deployments.sync(wanted('b'), []);
    await new Promise((r) => setImmediate(r));
    expect(attempts()).toBe(2);
    await deployments.stop();
  });
});
