// The controller with its deployer against a real kube-apiserver, and a real Envoy started from
// what the deployer created: the four objects per Gateway (owned by it, parameters merged, drift
// reverted, bad references reported), the Gateway's addresses from its Service, and Programmed
// following what the Envoy ACKed or NACKed. xDS is authenticated (mTLS, as `gantry controller`
// runs by default): the Envoy connects with the client certificate the deployer issued for its
// Gateway, and a client that names another Gateway gets nothing.
import { KIND_TABLE } from '@gantry/api';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:net';
import { patchStatus } from '@gantry/kube';
import { credentials, status as grpcStatus } from '@grpc/grpc-js';
import { CONTROLLER_IDENTITY, TypeUrl, checkCertificate, gatewayIdentity } from '@gantry/xds';
import { DeltaTestClient } from '@gantry/xds/server/testing/clients';
import type { Controller } from './controller.js';
import {
  GATEWAY_PARAMETERS, CORE_KINDS, cond, createObject, deleteObject, eventually, eventuallyCondition, freePort, gateway, gatewayClass, getObject, hasCondition,
  mergePatchObject, read, startCluster, startEnvoyFromDeployment, waitFor, type LocalEnvoy, type ObjectWithStatus, type TestCluster,
} from './testing/harness.js';

const NS = 'apps';
const INFRA = 'infra';
const PARAMS_REF = { group: 'gateway.gantry.dev', kind: 'GatewayParameters' };

let cluster: TestCluster;
let controller: Controller;
let edgePort = 0;
const envoys: LocalEnvoy[] = [];

interface Owned {
  metadata: { name: string; labels?: Record<string, string>; ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[] };
  spec?: { replicas?: number; type?: string; clusterIP?: string; ports?: { port: number }[] };
}

const OWNED_KINDS = [CORE_KINDS.ConfigMap, CORE_KINDS.Deployment, CORE_KINDS.Service, { ...CORE_KINDS.ConfigMap, kind: 'ServiceAccount', plural: 'serviceaccounts' }];

async function owned(kind: (typeof OWNED_KINDS)[number], name: string): Promise<Owned | undefined> {
  return (await getObject(cluster.kc, kind, NS, name).catch(() => undefined)) as Owned | undefined;
}

function listenerCondition(gw: ObjectWithStatus, listener: string, type: string) {
  return cond(gw.status?.listeners?.find((l) => l.name === listener)?.conditions, type);
}

beforeAll(async () => {
  cluster = await startCluster({ namespaces: [NS, INFRA] });
  const kc = cluster.kc;
  const xdsPort = await freePort();
  // The class's defaults: a ClusterIP Service (no load balancer here), two replicas, a label.
  await createObject(kc, GATEWAY_PARAMETERS, INFRA, { metadata: { name: 'local' }, spec: { replicas: 2, service: { type: 'ClusterIP' }, labels: { team: 'edge' } } });
  await createObject(kc, KIND_TABLE.GatewayClass, undefined, gatewayClass('gantry', { parametersRef: { ...PARAMS_REF, name: 'local', namespace: INFRA } }));
  controller = await cluster.controller({
    deploy: true,
    installNamespace: INFRA,
    // Every Gateway reconciled again every 2 s: a missing or due client certificate comes back.
    xdsTls: { certificateCheckMs: 2000 },
    xdsBind: { host: '127.0.0.1', port: xdsPort },
    xdsAdvertise: { host: '127.0.0.1', port: xdsPort },
  });
  edgePort = await freePort();
  await createObject(kc, KIND_TABLE.Gateway, NS, gateway('edge', [{ name: 'http', port: edgePort }]));
}, 180_000);

afterAll(async () => {
  await Promise.all(envoys.map((e) => e.stop()));
  await cluster?.stop();
}, 60_000);

describe('the deployer, driven by the controller', () => {
  it('creates ServiceAccount, ConfigMap, Deployment and Service, owned by the Gateway, with the class GatewayParameters applied', async () => {
    const gw = await read(cluster.kc, KIND_TABLE.Gateway, NS, 'edge');
    await waitFor('the four objects', async () => (await Promise.all(OWNED_KINDS.map((k) => owned(k, 'edge-gantry')))).every((o) => o !== undefined));
    for (const kind of OWNED_KINDS) {
      const o = await owned(kind, 'edge-gantry');
      expect(o?.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Gateway', name: 'edge', uid: gw.metadata.uid, controller: true })]);
      expect(o?.metadata.labels?.['team']).toBe('edge');
    }
    expect((await owned(CORE_KINDS.Deployment, 'edge-gantry'))?.spec?.replicas).toBe(2);
    const svc = await owned(CORE_KINDS.Service, 'edge-gantry');
    expect(svc?.spec?.type).toBe('ClusterIP');
    expect(svc?.spec?.ports?.map((p) => p.port)).toEqual([edgePort]);
    // A ClusterIP Service: its cluster IP is the Gateway's address.
    const withAddress = await eventually(cluster.kc, KIND_TABLE.Gateway, NS, 'edge', (o) => (o.status?.addresses?.length ?? 0) > 0);
    expect(withAddress.status?.addresses).toEqual([{ type: 'IPAddress', value: svc?.spec?.clusterIP }]);
  });

  it('reverts drift: a Deployment scaled by hand goes back to the parameters', async () => {
    await mergePatchObject(cluster.kc, CORE_KINDS.Deployment, NS, 'edge-gantry', { spec: { replicas: 7 } });
    await waitFor('replicas back to 2', async () => (await owned(CORE_KINDS.Deployment, 'edge-gantry'))?.spec?.replicas === 2);
  });

  it("merges a Gateway's GatewayParameters over the class's", async () => {
    const kc = cluster.kc;
    await createObject(kc, GATEWAY_PARAMETERS, NS, { metadata: { name: 'bigger' }, spec: { replicas: 3, labels: { tier: 'front' } } });
    await createObject(kc, KIND_TABLE.Gateway, NS, gateway('merged', [{ name: 'http', port: await freePort() }], { infrastructure: { parametersRef: { ...PARAMS_REF, name: 'bigger' } } }));
    await waitFor('the merged Deployment', async () => (await owned(CORE_KINDS.Deployment, 'merged-gantry'))?.spec?.replicas === 3);
    // The Service is applied after the Deployment (apply order): wait for it too.
    await waitFor('the merged Service', async () => (await owned(CORE_KINDS.Service, 'merged-gantry')) !== undefined);
    const deployment = await owned(CORE_KINDS.Deployment, 'merged-gantry');
    expect(deployment?.metadata.labels).toMatchObject({ team: 'edge', tier: 'front' });
    // Applied after the Deployment.
    await waitFor('the merged Service', async () => (await owned(CORE_KINDS.Service, 'merged-gantry')) !== undefined);
    expect((await owned(CORE_KINDS.Service, 'merged-gantry'))?.spec?.type).toBe('ClusterIP');
    // Editing the parameters is followed.
    await mergePatchObject(kc, GATEWAY_PARAMETERS, NS, 'bigger', { spec: { replicas: 4 } });
    await waitFor('replicas 4', async () => (await owned(CORE_KINDS.Deployment, 'merged-gantry'))?.spec?.replicas === 4);
  });

  it('a parametersRef to nothing: Accepted=False/InvalidParameters (Gateway and GatewayClass), nothing deployed', async () => {
    const kc = cluster.kc;
    await createObject(kc, KIND_TABLE.Gateway, NS, gateway('badparams', [{ name: 'http', port: 18080 }], { infrastructure: { parametersRef: { ...PARAMS_REF, name: 'missing' } } }));
    const gw = await eventuallyCondition(kc, KIND_TABLE.Gateway, NS, 'badparams', 'Accepted', 'False', 'InvalidParameters');
    expect(cond(gw.status?.conditions, 'Accepted')?.message).toContain('missing');
    expect(hasCondition(gw.status?.conditions, 'Programmed', 'False')).toBe(true);
    expect(await owned(CORE_KINDS.Deployment, 'badparams-gantry')).toBeUndefined();

    await createObject(kc, KIND_TABLE.GatewayClass, undefined, gatewayClass('gantry-bad', { parametersRef: { ...PARAMS_REF, name: 'missing', namespace: INFRA } }));
    await eventuallyCondition(kc, KIND_TABLE.GatewayClass, undefined, 'gantry-bad', 'Accepted', 'False', 'InvalidParameters');
  });

  it('a LoadBalancer Service: Programmed=False/AddressNotAssigned until the load balancer reports an address, which becomes the Gateway address', async () => {
    const kc = cluster.kc;
    await createObject(kc, KIND_TABLE.GatewayClass, undefined, gatewayClass('gantry-lb'));
    await createObject(kc, KIND_TABLE.Gateway, NS, { ...gateway('lb', [{ name: 'http', port: 18080 }]), spec: { gatewayClassName: 'gantry-lb', listeners: [{ name: 'http', port: 18080, protocol: 'HTTP' }] } });
    await eventuallyCondition(kc, KIND_TABLE.Gateway, NS, 'lb', 'Programmed', 'False', 'AddressNotAssigned');
    await waitFor('the LoadBalancer Service', async () => (await owned(CORE_KINDS.Service, 'lb-gantry-lb'))?.spec?.type === 'LoadBalancer');
    // What a load balancer controller does: write the ingress point to the Service's status.
    expect(await patchStatus(kc, CORE_KINDS.Service, NS, 'lb-gantry-lb', { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } })).toBe('patched');
    const gw = await eventually(kc, KIND_TABLE.Gateway, NS, 'lb', (o) => o.status?.addresses?.[0]?.value === '203.0.113.7');
    expect(gw.status?.addresses).toEqual([{ type: 'IPAddress', value: '203.0.113.7' }]);
    expect(cond(gw.status?.conditions, 'Programmed')?.reason).not.toBe('AddressNotAssigned');
  });
});

describe('authenticated xDS', () => {
  interface SecretView { metadata?: { ownerReferences?: { name: string }[] }; type?: string; data?: Record<string, string> }
  const text = (s: SecretView, key: string): string => Buffer.from(s.data?.[key] ?? '', 'base64').toString('utf8');

  it("keeps the CA in a Secret of the controller's namespace and gives each Gateway a client certificate naming it", async () => {
    const kc = cluster.kc;
    const ca = (await getObject(kc, CORE_KINDS.Secret, INFRA, 'gantry-xds-ca')) as SecretView;
    expect(ca.type).toBe('Opaque');
    await waitFor('the client certificate Secret', async () => (await getObject(kc, CORE_KINDS.Secret, NS, 'edge-gantry-xds').catch(() => undefined)) !== undefined);
    const client = (await getObject(kc, CORE_KINDS.Secret, NS, 'edge-gantry-xds')) as SecretView;
    expect(Object.keys(client.data ?? {}).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
    expect(client.metadata?.ownerReferences?.map((o) => o.name)).toEqual(['edge']);
    // ca.crt is the CA certificate, never its key.
    expect(text(client, 'ca.crt')).toBe(text(ca, 'tls.crt'));
    expect(text(client, 'ca.crt')).not.toContain('PRIVATE KEY');
    expect(checkCertificate(text(client, 'tls.crt'), text(ca, 'tls.crt'))).toMatchObject({ ok: true, uris: [gatewayIdentity('apps/edge')] });
    // The Pod mounts it; the bootstrap uses it for the xDS cluster.
    const deployment = (await getObject(kc, CORE_KINDS.Deployment, NS, 'edge-gantry')) as {
      spec: { template: { metadata: { annotations: Record<string, string> }; spec: { volumes: { name: string; secret?: { secretName: string } }[] } } };
    };
    expect(deployment.spec.template.spec.volumes).toContainEqual({ name: 'xds-tls', secret: expect.objectContaining({ secretName: 'edge-gantry-xds' }) });
    expect(deployment.spec.template.metadata.annotations['gateway.gantry.dev/xds-certificate']).toMatch(/^[0-9a-f]{16}$/);
    const configMap = (await getObject(kc, CORE_KINDS.ConfigMap, NS, 'edge-gantry')) as { data: Record<string, string> };
    expect(configMap.data['envoy.json']).toContain('/etc/gantry/xds/tls.crt');
    expect(configMap.data['envoy.json']).toContain(CONTROLLER_IDENTITY);
  });

  it('issues a client certificate again when its Secret is gone, even with nothing else changing', async () => {
    const kc = cluster.kc;
    const revision = async () => ((await getObject(kc, CORE_KINDS.Deployment, NS, 'edge-gantry')) as {
      spec: { template: { metadata: { annotations: Record<string, string> } } };
    }).spec.template.metadata.annotations['gateway.gantry.dev/xds-certificate'];
    const before = await revision();
    await deleteObject(kc, CORE_KINDS.Secret, NS, 'edge-gantry-xds');
    await waitFor('the Secret back', async () => (await getObject(kc, CORE_KINDS.Secret, NS, 'edge-gantry-xds').catch(() => undefined)) !== undefined, 15_000);
    // A new certificate: the Pods roll onto it.
    await waitFor('a new revision on the Pod template', async () => (await revision()) !== before, 15_000);
  });

  it("refuses a client holding another Gateway's certificate, and one without a certificate; counts both", async () => {
    const kc = cluster.kc;
    await createObject(kc, KIND_TABLE.Gateway, NS, gateway('other', [{ name: 'http', port: await freePort() }]));
    await waitFor('the other Gateway\'s certificate', async () => (await getObject(kc, CORE_KINDS.Secret, NS, 'other-gantry-xds').catch(() => undefined)) !== undefined);
    const stolen = (await getObject(kc, CORE_KINDS.Secret, NS, 'other-gantry-xds')) as SecretView;
    const creds = (withCert: boolean) => credentials.createSsl(
      Buffer.from(text(stolen, 'ca.crt')),
      withCert ? Buffer.from(text(stolen, 'tls.key')) : null,
      withCert ? Buffer.from(text(stolen, 'tls.crt')) : null,
      { checkServerIdentity: () => undefined },
    );
    for (const [withCert, code] of [[true, grpcStatus.PERMISSION_DENIED], [false, grpcStatus.UNAUTHENTICATED]] as const) {
      const rogue = new DeltaTestClient({ port: controller.xdsPort, gateway: 'apps/edge', nodeId: 'rogue', credentials: creds(withCert) });
      rogue.subscribe(TypeUrl.Listener);
      rogue.subscribe(TypeUrl.Secret);
      const err = (await rogue.endedPromise) as Error & { code?: number };
      expect(err.code).toBe(code);
      expect(rogue.pendingResponses()).toEqual([]);
      rogue.close();
    }
    expect(controller.server.envoys('apps/edge').map((e) => e.nodeId)).not.toContain('rogue');
    const metrics = await (await fetch(`http://127.0.0.1:${controller.adminPort}/metrics`)).text();
    expect(metrics).toMatch(/gantry_xds_streams_refused_total\{reason="wrong-gateway"\} 1/);
    expect(metrics).toMatch(/gantry_xds_streams_refused_total\{reason="no-certificate"\} 1/);
  });
});

describe('Programmed after the Envoy ACKed', () => {
  let blocker: Server | undefined;

  afterAll(async () => {
    await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
  });

  it('flips to True once a real Envoy, started from the ConfigMap bootstrap, ACKed its config', async () => {
    const kc = cluster.kc;
    const before = await read(kc, KIND_TABLE.Gateway, NS, 'edge');
    expect(cond(before.status?.conditions, 'Programmed')).toMatchObject({ status: 'Unknown', reason: 'Pending' });
    const envoy = await startEnvoyFromDeployment(kc, NS, 'edge-gantry', 'edge-gantry-6f7d9c-abcde');
    envoys.push(envoy);
    const started = Date.now();
    const gw = await eventuallyCondition(kc, KIND_TABLE.Gateway, NS, 'edge', 'Programmed', 'True', 'Programmed', 30_000).catch((err: Error) => {
      throw new Error(`${err.message}\nenvoy output:\n${envoy.output()}`);
    });
    console.log(`Programmed=True ${Date.now() - started} ms after the Envoy started`);
    expect(cond(gw.status?.conditions, 'Programmed')?.observedGeneration).toBe(gw.metadata.generation);
    expect(listenerCondition(gw, 'http', 'Programmed')).toMatchObject({ status: 'True', reason: 'Programmed' });
    // The Envoy is known by its Pod name and serves the Gateway's listener.
    expect(controller.server.envoys('apps/edge').map((e) => e.nodeId)).toEqual(['edge-gantry-6f7d9c-abcde']);
    const res = await fetch(`http://127.0.0.1:${edgePort}/`);
    expect(res.headers.get('server')).toBe('envoy');
    // The time from the change to Programmed was measured.
    const metrics = await (await fetch(`http://127.0.0.1:${controller.adminPort}/metrics`)).text();
    expect(Number(/^gantry_config_propagation_seconds_count (\d+)$/m.exec(metrics)?.[1] ?? 0)).toBeGreaterThan(0);
  });

  it('flips to False with the NACK message when Envoy rejects the config, and back to True when fixed', async () => {
    const kc = cluster.kc;
    // Envoy cannot bind a listener to a port the test holds: it rejects the LDS update.
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as { port: number }).port;
    await mergePatchObject(kc, KIND_TABLE.Gateway, NS, 'edge', { spec: { listeners: [{ name: 'http', port: taken, protocol: 'HTTP' }] } });
    const rejected = await eventually(kc, KIND_TABLE.Gateway, NS, 'edge', (o) =>
      hasCondition(o.status?.conditions, 'Programmed', 'False', 'Invalid') && cond(o.status?.conditions, 'Programmed')?.observedGeneration === o.metadata.generation, 30_000);
    const message = cond(rejected.status?.conditions, 'Programmed')?.message ?? '';
    console.log(`Programmed=False message: ${message}`);
    // Envoy refused the listener: it is withheld (the rest of the Gateway is served) and named.
    expect(message).toMatch(/Envoy rejected part of this Gateway's configuration/);
    expect(message).toContain('listener http:');
    expect(message).toMatch(/bind/);
    expect(listenerCondition(rejected, 'http', 'Programmed')?.status).toBe('False');
    const metrics = await (await fetch(`http://127.0.0.1:${controller.adminPort}/metrics`)).text();
    expect(metrics).toMatch(/gantry_xds_nacks_total\{namespace="apps",name="edge",[^}]*\} [1-9]/);

    await mergePatchObject(kc, KIND_TABLE.Gateway, NS, 'edge', { spec: { listeners: [{ name: 'http', port: edgePort, protocol: 'HTTP' }] } });
    const fixed = await eventually(kc, KIND_TABLE.Gateway, NS, 'edge', (o) =>
      hasCondition(o.status?.conditions, 'Programmed', 'True', 'Programmed') && cond(o.status?.conditions, 'Programmed')?.observedGeneration === o.metadata.generation, 30_000);
    expect(listenerCondition(fixed, 'http', 'Programmed')?.status).toBe('True');
  });
});
