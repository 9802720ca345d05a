// The controller when the world misbehaves, against a real kube-apiserver: the API server stops
// and comes back while the controller runs (changes made around the outage all land), and the
// leader of two replicas dies without releasing its lease (the other takes over status writing,
// and both serve xDS all along). Both recovery times are measured and printed.
import { KIND_TABLE } from '@gantry/api';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:net';
import { adsBootstrap } from '@gantry/xds';
import { envoyBinary } from '@gantry/xds/testing/envoy-binary';
import { EnvoyProcess } from '../envoy/process.js';
import type { Controller } from './controller.js';
import { REPORT_ANNOTATION, reportLeaseName } from './data-plane.js';
import {
  CORE_KINDS, cond, createObject, deleteObject, eventually, eventuallyCondition, freePort, gateway, gatewayClass, getObject, hasCondition, httpRoute,
  mergePatchObject, ourParent, service, startCluster, waitFor, type ObjectWithStatus, type TestCluster,
} from './testing/harness.js';

const NS = 'apps';
const SYSTEM = 'gantry-system';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ namespaces: [NS, SYSTEM] });
  const kc = cluster.kc;
  await createObject(kc, KIND_TABLE.GatewayClass, undefined, gatewayClass());
  await createObject(kc, CORE_KINDS.Service, NS, service('echo'));
  await createObject(kc, KIND_TABLE.Gateway, NS, gateway('web', [{ name: 'http', port: 18080 }]));
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
}, 60_000);

const attached = async (count: number): Promise<void> => {
  await eventually(cluster.kc, KIND_TABLE.Gateway, NS, 'web', (o) => o.status?.listeners?.[0]?.attachedRoutes === count, 60_000);
};

describe('an API server restart while the controller runs', () => {
  let controller: Controller;

  afterAll(async () => {
    await controller?.stop();
  });

  it('converges with nothing lost: changes made just before the outage and just after it all land', async () => {
    const kc = cluster.kc;
    controller = await cluster.controller();
    await createObject(kc, KIND_TABLE.HTTPRoute, NS, httpRoute('steady', [{ name: 'web' }], [{ name: 'echo' }]));
    await createObject(kc, KIND_TABLE.HTTPRoute, NS, httpRoute('doomed', [{ name: 'web' }], [{ name: 'echo' }]));
    await attached(2);

    // Just before the outage: a new route, and a route edited to point at a Service that does not exist.
    await createObject(kc, KIND_TABLE.HTTPRoute, NS, httpRoute('before', [{ name: 'web' }], [{ name: 'echo' }]));
    await mergePatchObject(kc, KIND_TABLE.HTTPRoute, NS, 'steady', { spec: { rules: [{ backendRefs: [{ name: 'nowhere', port: 8080 }] }] } });
    await cluster.cp.stopApiServer();
    const down = Date.now();
    // The controller keeps serving xDS from what it had.
    expect(controller.cache.get('apps/web')).toBeDefined();
    await new Promise((r) => setTimeout(r, 2000));
    await cluster.cp.startApiServer();
    const up = Date.now();

    // Just after: another route, a deletion, and the Service that `steady` now needs.
    await createObject(kc, KIND_TABLE.HTTPRoute, NS, httpRoute('after', [{ name: 'web' }], [{ name: 'echo' }]));
    await deleteObject(kc, KIND_TABLE.HTTPRoute, NS, 'doomed');
    await createObject(kc, CORE_KINDS.Service, NS, service('nowhere'));

    await attached(3); // steady, before, after
    for (const name of ['before', 'after', 'steady']) {
      await eventually(kc, KIND_TABLE.HTTPRoute, NS, name, (o) =>
        hasCondition(ourParent(o, 'web')?.conditions, 'Accepted', 'True') && hasCondition(ourParent(o, 'web')?.conditions, 'ResolvedRefs', 'True')
        && cond(ourParent(o, 'web')?.conditions, 'ResolvedRefs')?.observedGeneration === o.metadata.generation, 60_000);
    }
    const converged = Date.now();
    console.log(`API server restart: down for ${up - down} ms; converged ${converged - up} ms after it was back (${converged - down} ms after it went down)`);
    expect(controller.readiness().ready).toBe(true);
    const metrics = await (await fetch(`http://127.0.0.1:${controller.adminPort}/metrics`)).text();
    const restarts = metrics.split('\n').filter((l) => l.startsWith('gantry_watch_restarts_total{')).reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    expect(restarts).toBeGreaterThan(0);
    // The IR has exactly the surviving routes.
    const routes = await (await fetch(`http://127.0.0.1:${controller.debugPort}/debug/gateways/apps/web/ir`)).text();
    expect(routes).not.toContain('doomed');
    for (const name of ['before', 'after', 'steady']) expect(routes).toContain(name);
  }, 120_000);
});

describe('two replicas with leader election', () => {
  const TIMING = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500, dataPlaneReportMs: 1000 };
  let a: Controller;
  let b: Controller;
  let envoy: EnvoyProcess | undefined;
  let blocker: Server | undefined;

  afterAll(async () => {
    await envoy?.stop();
    await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
  });

  const replica = (identity: string): Promise<Controller> =>
    cluster.controller({ leaderElection: { namespace: SYSTEM, name: 'gantry-controller', identity, ...TIMING } });
  const programmed = (o: ObjectWithStatus) => cond(o.status?.conditions, 'Programmed');
  const current = (o: ObjectWithStatus) => programmed(o)?.observedGeneration === o.metadata.generation;

  it('one leader writes status, both serve xDS; Programmed follows an Envoy connected to the follower', async () => {
    const kc = cluster.kc;
    const port = await freePort();
    await createObject(kc, KIND_TABLE.Gateway, NS, gateway('replicated', [{ name: 'http', port }]));
    a = await replica('replica-a');
    await waitFor('replica-a leads', () => a.isLeader, 10_000);
    b = await replica('replica-b');
    await waitFor('both ready', () => a.readiness().ready && b.readiness().ready, 20_000);
    expect(b.isLeader).toBe(false);

    // A real Envoy of the Gateway connects to the follower only: it is served and ACKs.
    envoy = new EnvoyProcess({
      envoyPath: envoyBinary(),
      bootstrap: adsBootstrap({ gatewayKey: 'apps/replicated', nodeId: 'envoy-on-b', xdsHost: '127.0.0.1', xdsPort: b.xdsPort, adminPort: await freePort() }),
      name: 'apps/replicated',
      restart: false,
    });
    await envoy.start();
    await waitFor('the follower served its Envoy', () => (b.server.envoys('apps/replicated')[0]?.syncedVersion ?? 0) > 0, 20_000);
    expect(a.server.envoys('apps/replicated')).toEqual([]);
    // The leader has the same configuration ready for any Envoy that reaches it.
    expect(a.cache.get('apps/replicated')?.snapshot).toEqual(b.cache.get('apps/replicated')?.snapshot);

    // The leader learns from the follower's data-plane report that its Envoy ACKed: Programmed.
    await eventuallyCondition(kc, KIND_TABLE.Gateway, NS, 'replicated', 'Programmed', 'True', 'Programmed');
    const writesOf = async (c: Controller): Promise<string> => (await (await fetch(`http://127.0.0.1:${c.adminPort}/metrics`)).text())
      .split('\n').filter((l) => l.startsWith('gantry_status_writes_total') && l.includes('outcome="written"')).join('\n');
    expect(await writesOf(a)).not.toBe('');
    expect(await writesOf(b)).toBe('');

    // The follower's Envoy rejects a listener it cannot bind: the leader says so, with the NACK.
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as { port: number }).port;
    await mergePatchObject(kc, KIND_TABLE.Gateway, NS, 'replicated', { spec: { listeners: [{ name: 'http', port: taken, protocol: 'HTTP' }] } });
    const rejected = await eventually(kc, KIND_TABLE.Gateway, NS, 'replicated', (o) => programmed(o)?.status === 'False' && current(o));
    // The follower withholds the listener (serving the rest) and reports the refusal to the leader.
    expect(programmed(rejected)?.message).toMatch(/^Envoy rejected part of this Gateway's configuration \(the rest is served\): Listener .*cannot bind/);
    await mergePatchObject(kc, KIND_TABLE.Gateway, NS, 'replicated', { spec: { listeners: [{ name: 'http', port, protocol: 'HTTP' }] } });
    await eventually(kc, KIND_TABLE.Gateway, NS, 'replicated', (o) => programmed(o)?.status === 'True' && current(o));
  }, 60_000);

  it('after the leader dies without releasing its lease, the other takes over within the lease time', async () => {
    const kc = cluster.kc;
    const killed = Date.now();
    await a.stop({ releaseLease: false });
    // A change made right after the leader is gone.
    await createObject(kc, KIND_TABLE.HTTPRoute, NS, httpRoute('orphan', [{ name: 'replicated' }], [{ name: 'echo' }]));
    await waitFor('replica-b leads', () => b.isLeader, 15_000);
    const leading = Date.now();
    await eventually(kc, KIND_TABLE.HTTPRoute, NS, 'orphan', (o) => hasCondition(ourParent(o, 'replicated')?.conditions, 'Accepted', 'True'), 15_000);
    const written = Date.now();
    console.log(`leader loss: replica-b leads ${leading - killed} ms after replica-a died (lease ${TIMING.leaseDurationMs} ms); the pending change's status written after ${written - killed} ms`);
    expect(leading - killed).toBeLessThan(TIMING.leaseDurationMs + 2 * TIMING.retryPeriodMs + 1000);
    const lease = (await getObject(kc, CORE_KINDS.Lease, SYSTEM, 'gantry-controller')) as { spec?: { holderIdentity?: string } };
    expect(lease.spec?.holderIdentity).toBe('replica-b');
    // The new leader's own Envoy keeps the Gateway Programmed, for the new route's config too.
    const gw = await eventually(kc, KIND_TABLE.Gateway, NS, 'replicated', (o) => o.status?.listeners?.[0]?.attachedRoutes === 1 && programmed(o)?.status === 'True');
    expect(current(gw)).toBe(true);
  }, 60_000);

  it('a replica that stops cleanly deletes its data-plane report, also after its Envoys have gone', async () => {
    const kc = cluster.kc;
    const name = reportLeaseName('gantry-controller', 'replica-b');
    const report = async (): Promise<string | undefined> =>
      ((await getObject(kc, CORE_KINDS.Lease, SYSTEM, name))['metadata'] as { annotations?: Record<string, string> }).annotations?.[REPORT_ANNOTATION];
    expect(await report()).toContain('apps/replicated');
    await envoy?.stop();
    envoy = undefined;
    await waitFor('the report says nothing any more', async () => (await report()) === '{}', 10_000);
    await b.stop();
    await expect(getObject(kc, CORE_KINDS.Lease, SYSTEM, name)).rejects.toThrow(/not found/);
  }, 30_000);
});
