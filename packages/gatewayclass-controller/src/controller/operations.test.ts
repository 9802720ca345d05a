// What operators see of the controller, against a real kube-apiserver: readiness that waits for
// the watches, Prometheus metrics, debug views without private keys, and status writes batched
// (a burst of routes attaching to one Gateway costs a handful of Gateway writes, and nothing is
// written when nothing changed).
import { KIND_TABLE } from '@gantry/api';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ResilientWatch, type KubeObjectLike } from '@gantry/kube';
import { kubeConfigVia } from '@gantry/kube/testing/api-helpers';
import { startTcpProxy, type TcpProxy } from '@gantry/kube/testing/tcp-proxy';
import { adsBootstrap } from '@gantry/xds';
import { envoyBinary } from '@gantry/xds/testing/envoy-binary';
import { EnvoyProcess } from '../envoy/process.js';
import type { Controller } from './controller.js';
import {
  CORE_KINDS, createObject, eventually, eventuallyCondition, freePort, gateway, gatewayClass, getObject, hasCondition, httpRoute, mergePatchObject, ourParent,
  selfSignedCertificate, service, startCluster, tlsSecret, waitFor, type TestCluster,
} from './testing/harness.js';

const NS = 'apps';

let cluster: TestCluster;
let proxy: TcpProxy;
let controller: Controller;
let envoy: EnvoyProcess | undefined;

const admin = (path: string): Promise<Response> => fetch(`http://127.0.0.1:${path.startsWith('/debug') ? controller.debugPort : controller.adminPort}${path}`);

/** The value of one sample of the Prometheus text, 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

beforeAll(async () => {
  cluster = await startCluster({ namespaces: [NS] });
  const kc = cluster.kc;
  await createObject(kc, KIND_TABLE.GatewayClass, undefined, gatewayClass());
  await createObject(kc, CORE_KINDS.Service, NS, service('echo'));
  await createObject(kc, KIND_TABLE.Gateway, NS, gateway('web', [{ name: 'http', port: 18080 }]));
  proxy = await startTcpProxy(Number(new URL(cluster.cp.server).port));
}, 180_000);

afterAll(async () => {
  await envoy?.stop();
  await cluster?.stop();
  await proxy?.close();
}, 60_000);

describe('the admin server', () => {
  it('/readyz is 503 until every watch has synced and the first snapshot exists, then 200', async () => {
    // The controller reaches the API server through a cable the test holds cut at first.
    proxy.setMode('refuse');
    controller = await cluster.controller({ kubeConfig: kubeConfigVia(cluster.kc, `https://127.0.0.1:${proxy.port}`) });
    expect((await admin('/healthz')).status).toBe(200);
    const notReady = await admin('/readyz');
    expect(notReady.status).toBe(503);
    const body = (await notReady.json()) as { ready: boolean; reasons: string[] };
    expect(body.reasons).toEqual(expect.arrayContaining(['watch Gateway has not synced', 'watch HTTPRoute has not synced', 'no snapshot has been translated yet']));
    await new Promise((r) => setTimeout(r, 500));
    expect((await admin('/readyz')).status).toBe(503);

    // A replica that never reached the API server still stops promptly.
    const unreachable = await cluster.controller({ kubeConfig: kubeConfigVia(cluster.kc, `https://127.0.0.1:${proxy.port}`) });
    const stopping = Date.now();
    await unreachable.stop();
    expect(Date.now() - stopping).toBeLessThan(5000);

    proxy.setMode('forward');
    const waited = await waitFor('/readyz 200', async () => (await admin('/readyz')).status === 200, 20_000);
    console.log(`ready ${waited} ms after the API server became reachable`);
    await eventuallyCondition(cluster.kc, KIND_TABLE.Gateway, NS, 'web', 'Accepted', 'True');
  });

  it('/metrics has translation durations, xDS pushes per Gateway, connected Envoys, status writes and watch restarts', async () => {
    envoy = new EnvoyProcess({
      envoyPath: envoyBinary(),
      bootstrap: adsBootstrap({ gatewayKey: 'apps/web', nodeId: 'envoy-1', xdsHost: '127.0.0.1', xdsPort: controller.xdsPort, adminPort: await freePort() }),
      name: 'apps/web',
      restart: false,
    });
    await envoy.start();
    await eventuallyCondition(cluster.kc, KIND_TABLE.Gateway, NS, 'web', 'Programmed', 'True');
    const text = await (await admin('/metrics')).text();
    expect(sample(text, 'gantry_translation_duration_seconds_count', { stage: 'gateway' })).toBeGreaterThan(0);
    expect(sample(text, 'gantry_translation_duration_seconds_count', { stage: 'xds' })).toBeGreaterThan(0);
    expect(sample(text, 'gantry_translations_total', { result: 'ok' })).toBeGreaterThan(0);
    expect(sample(text, 'gantry_xds_pushes_total', { namespace: 'apps', name: 'web', type: 'Listener' })).toBeGreaterThan(0);
    expect(sample(text, 'gantry_xds_acks_total', { namespace: 'apps', name: 'web' })).toBeGreaterThan(0);
    expect(sample(text, 'gantry_xds_connected_envoys', { namespace: 'apps', name: 'web' })).toBe(1);
    expect(sample(text, 'gantry_status_writes_total', { kind: 'Gateway', outcome: 'written' })).toBeGreaterThan(0);
    expect(sample(text, 'gantry_status_writes_total', { kind: 'GatewayClass', outcome: 'written' })).toBeGreaterThan(0);
    // The watches that failed while the cable was cut count as restarts... or not, if their
    // first attempt came after: the series exists either way once any watch restarted.
    expect(text).toContain('# TYPE gantry_watch_restarts_total counter');
    expect(sample(text, 'gantry_leader', {})).toBe(1);
  });

  it('/debug shows the IR and the xDS snapshot of a Gateway, with the private key redacted', async () => {
    const kc = cluster.kc;
    const cert = selfSignedCertificate('secure.example.com');
    await createObject(kc, CORE_KINDS.Secret, NS, tlsSecret('secure-cert', cert));
    await createObject(kc, KIND_TABLE.Gateway, NS, gateway('secure', [
      { name: 'https', port: 18443, protocol: 'HTTPS', hostname: 'secure.example.com', tls: { mode: 'Terminate', certificateRefs: [{ name: 'secure-cert' }] } },
    ]));
    await eventually(kc, KIND_TABLE.Gateway, NS, 'secure', (o) => hasCondition(o.status?.listeners?.[0]?.conditions, 'ResolvedRefs', 'True'));
    const gateways = (await (await admin('/debug/gateways')).json()) as { gateways: string[] };
    expect(gateways.gateways).toEqual(['apps/secure', 'apps/web']);
    const ir = await (await admin('/debug/gateways/apps/secure/ir')).text();
    const xds = await (await admin('/debug/gateways/apps/secure/xds')).text();
    const keyBody = cert.key.split('\n')[1] ?? '';
    for (const text of [ir, xds]) {
      expect(text).toContain('secure.example.com');
      expect(text).not.toContain('PRIVATE KEY');
      expect(text).not.toContain(keyBody);
    }
    // The certificate itself is not secret.
    expect(ir).toContain('BEGIN CERTIFICATE');
    expect((await admin('/debug/gateways/apps/nothing/ir')).status).toBe(404);
  });
});

describe('status batching', () => {
  it('200 routes attaching to one Gateway at once cost a handful of Gateway status writes', async () => {
    const kc = cluster.kc;
    await createObject(kc, KIND_TABLE.Gateway, NS, gateway('busy', [{ name: 'http', port: 18081 }]));
    await eventuallyCondition(kc, KIND_TABLE.Gateway, NS, 'busy', 'Accepted', 'True');
    await controller.settled();

    // Count the Gateway's changes as the API server sees them, independently of our metrics.
    let modifications = 0;
    const watch = new ResilientWatch<KubeObjectLike>(kc, KIND_TABLE.Gateway, { namespace: NS, fieldSelector: 'metadata.name=busy' });
    watch.onEvent((e) => {
      if (e.type === 'MODIFIED') modifications++;
    });
    watch.start();
    await watch.synced;
    const writesBefore = sample(await (await admin('/metrics')).text(), 'gantry_status_writes_total', { kind: 'Gateway', outcome: 'written' });

    const ROUTES = 200;
    const started = Date.now();
    const names = Array.from({ length: ROUTES }, (_, i) => `burst-${String(i).padStart(3, '0')}`);
    for (let i = 0; i < names.length; i += 25) {
      await Promise.all(names.slice(i, i + 25).map((n) => createObject(kc, KIND_TABLE.HTTPRoute, NS, httpRoute(n, [{ name: 'busy' }], [{ name: 'echo' }]))));
    }
    const created = Date.now();
    await eventually(kc, KIND_TABLE.Gateway, NS, 'busy', (o) => o.status?.listeners?.[0]?.attachedRoutes === ROUTES, 60_000);
    const last = await eventually(kc, KIND_TABLE.HTTPRoute, NS, names[ROUTES - 1]!, (o) => hasCondition(ourParent(o, 'busy')?.conditions, 'Accepted', 'True'), 60_000);
    expect(last).toBeDefined();
    await controller.settled();
    await new Promise((r) => setTimeout(r, 300));
    const afterText = await (await admin('/metrics')).text();
    const writes = sample(afterText, 'gantry_status_writes_total', { kind: 'Gateway', outcome: 'written' }) - writesBefore;
    if (process.env['GANTRY_TEST_DEBUG']) console.log(afterText.split('\n').filter((l) => /translation|status_writes/.test(l)).join('\n'));
    console.log(`${ROUTES} routes created in ${created - started} ms; all attached ${Date.now() - started} ms after the first; Gateway status writes: ${writes} (metric), ${modifications} (watch MODIFIED events)`);
    expect(writes).toBeGreaterThan(0);
    expect(writes).toBeLessThanOrEqual(20);
    expect(modifications).toBeLessThanOrEqual(writes);

    // Nothing changed → nothing written: a label on a route is no status change.
    const beforeNoop = writes + writesBefore;
    await mergePatchObject(kc, KIND_TABLE.HTTPRoute, NS, names[0]!, { metadata: { labels: { touched: 'yes' } } });
    await new Promise((r) => setTimeout(r, 500));
    await controller.settled();
    const text = await (await admin('/metrics')).text();
    expect(sample(text, 'gantry_status_writes_total', { kind: 'Gateway', outcome: 'written' })).toBe(beforeNoop);
    await watch.stop();
  }, 120_000);
});

describe('the gantry controller command', () => {
  it('runs from the CLI with a kubeconfig, becomes ready, and exits 0 on SIGTERM', async () => {
    const [xds, adminPort, debugPort] = [await freePort(), await freePort(), await freePort()];
    const main = fileURLToPath(new URL('../cli/main.js', import.meta.url));
    const child = spawn(process.execPath, [main, 'controller', '--kubeconfig', cluster.cp.kubeconfigPath,
      '--xds-address', `127.0.0.1:${xds}`, '--admin-address', `127.0.0.1:${adminPort}`, '--debug-address', `127.0.0.1:${debugPort}`, '--no-deploy',
      // Authenticated xDS is the default: the CA Secret goes to the controller's namespace.
      '--namespace', 'default',
      '--leader-elect', '--leader-election-namespace', 'default', '--identity', 'cli', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor('the CLI controller is ready', async () => (await fetch(`http://127.0.0.1:${adminPort}/readyz`).catch(() => undefined))?.status === 200, 20_000);
      const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
      expect(metrics).toContain('gantry_translations_total');
      // prom-client's Node.js and process metrics.
      expect(metrics).toContain('# TYPE process_resident_memory_bytes gauge');
      expect(metrics).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
      expect((await fetch(`http://127.0.0.1:${adminPort}/debug/gateways`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${debugPort}/debug/gateways`)).status).toBe(200);
      expect((await getObject(cluster.kc, CORE_KINDS.Secret, 'default', 'gantry-xds-ca'))['type']).toBe('Opaque');
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${output}`);
    } finally {
      child.kill('SIGTERM');
    }
    const stoppedAt = Date.now();
    expect(await exited).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
    expect(output).not.toMatch(/"level":"error"/);
  }, 40_000);
});
