// The ConfigMap's bootstrap against the real Envoy: `--mode validate` accepts it (delta and
// SotW, with and without shifted ports), and an Envoy started with exactly the Deployment's
// arguments takes its node id from --service-node, is served its Gateway's snapshot over ADS,
// and answers the readiness probe: 200 on /ready, 503 once told to fail health checks, 404
// elsewhere on that port.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GatewayIR } from '@gantry/ir';
import { AdsServer, SnapshotCache, XdsTranslator } from '@gantry/xds';
import { envoyBinary } from '@gantry/xds/testing/envoy-binary';
import { freePort, pollUntil } from '@gantry/xds/testing/net';
import type { Gateway, GatewayClass } from '@gantry/api';
import { BOOTSTRAP_KEY, renderGatewayResources, type DeployerDefaults, type RenderedInfrastructure } from './render.js';

const gatewayClass: GatewayClass = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'GatewayClass',
  metadata: { name: 'gantry' },
  spec: { controllerName: 'gantry.dev/gatewayclass-controller' },
};

function gateway(ports: number[]): Gateway {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'web', namespace: 'apps', uid: 'uid-1' },
    spec: { gatewayClassName: 'gantry', listeners: ports.map((port) => ({ name: `l${port}`, port, protocol: 'HTTP' })) },
  };
}

function render(ports: number[], xds: { host: string; port: number; sotw?: boolean }, defaults: Partial<DeployerDefaults> = {}): RenderedInfrastructure {
  const r = renderGatewayResources({ gateway: gateway(ports), gatewayClass, xds, defaults });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.infrastructure;
}

function http(port: number, path: string, method = 'GET'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The Envoy container's arguments, with the kubelet's $(VAR) expansion and the mount path swapped. */
function containerArgs(infra: RenderedInfrastructure, podName: string, bootstrapFile: string): string[] {
  const container = infra.deployment.spec?.template.spec?.containers[0];
  return (container?.args ?? []).map((a) => a.replace('$(POD_NAME)', podName).replace(/^\/etc\/envoy\/envoy\.json$/, bootstrapFile));
}

let envoy = '';
let dir = '';

beforeAll(() => {
  envoy = envoyBinary();
  dir = mkdtempSync(join(tmpdir(), 'gantry-deployer-envoy-'));
});

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe('the ConfigMap bootstrap', () => {
  it.each([
    ['delta, port 80', [80], false],
    ['sotw, listener on the admin port', [19000, 8443], true],
  ])('is accepted by envoy --mode validate (%s)', (name, ports, sotw) => {
    const infra = render(ports, { host: 'gantry-xds.gantry-system.svc.cluster.local', port: 18000, sotw });
    const file = join(dir, `${name.replace(/\W+/g, '-')}.json`);
    writeFileSync(file, infra.configMap.data?.[BOOTSTRAP_KEY] ?? '');
    const args = containerArgs(infra, 'web-gantry-5d8f7c9b6-x2x4q', file).map((a) => (a === 'info' ? 'error' : a));
    const r = spawnSync(envoy, ['--mode', 'validate', ...args], { encoding: 'utf8', timeout: 60_000 });
    expect(`${r.stdout}\n${r.stderr}`).toContain('OK');
    expect(r.status).toBe(0);
  });
});

describe('an Envoy started like the Deployment starts it', () => {
  const cache = new SnapshotCache();
  const server = new AdsServer({ cache });
  let proc: ChildProcess | undefined;
  let output = '';
  let adminPort = 0;
  let readinessPort = 0;
  let metricsPort = 0;
  let listenerPort = 0;
  const podName = 'web-gantry-5d8f7c9b6-x2x4q';

  beforeAll(async () => {
    const xdsPort = await server.start('127.0.0.1', 0);
    [adminPort, readinessPort, metricsPort, listenerPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const ir: GatewayIR = {
      key: 'apps/web',
      namespace: 'apps',
      name: 'web',
      listeners: [
        {
          name: `http-${listenerPort}`,
          port: listenerPort,
          protocol: 'HTTP',
          filterChains: [
            {
              name: `http-${listenerPort}`,
              serverNames: [],
              routeConfig: {
                name: `http-${listenerPort}`,
                virtualHosts: [{ name: 'any', domains: ['*'], routes: [{ name: 'r', match: { path: { type: 'PathPrefix', value: '/' } }, action: { kind: 'directResponse', status: 200, body: 'from xds' } }] }],
              },
            },
          ],
        },
      ],
      clusters: [],
      endpoints: [],
      secrets: [],
    };
    cache.set('apps/web', new XdsTranslator().translate(ir, { listenAddress: '127.0.0.1' }));
    const infra = render([listenerPort], { host: '127.0.0.1', port: xdsPort }, { readinessAddress: '127.0.0.1', adminPort, readinessPort, metricsPort });
    const file = join(dir, 'running.json');
    writeFileSync(file, infra.configMap.data?.[BOOTSTRAP_KEY] ?? '');
    proc = spawn(envoy, containerArgs(infra, podName, file), { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  }, 30_000);

  afterAll(async () => {
    if (proc !== undefined && proc.exitCode === null) {
      const exited = new Promise((resolve) => proc!.once('exit', resolve));
      proc.kill('SIGTERM');
      await exited;
    }
    await server.stop(500);
  });

  it('is ready, identified by its Pod name, and serves its Gateway', async () => {
    const ready = await pollUntil('readiness', () => http(readinessPort, '/ready'), (r) => r.status === 200, 20_000).catch((e: Error) => {
      throw new Error(`${e.message}\nenvoy output:\n${output}`);
    });
    expect(ready.status).toBe(200);
    expect(server.envoys('apps/web').map((e) => e.nodeId)).toEqual([podName]);
    expect((await pollUntil('listener', () => http(listenerPort, '/x'), (r) => r.status === 200, 20_000)).body).toBe('from xds');
    expect((await http(readinessPort, '/stats')).status).toBe(404);
  }, 30_000);

  it("serves Envoy's Prometheus stats on the metrics port, and nothing else of the admin API", async () => {
    const stats = await http(metricsPort, '/stats/prometheus');
    expect(stats.status).toBe(200);
    expect(stats.body).toMatch(/^# TYPE envoy_/m);
    for (const path of ['/stats', '/config_dump', '/clusters', '/stats/prometheus/x', '/']) expect((await http(metricsPort, path)).status).toBe(404);
    expect((await http(metricsPort, '/quitquitquit', 'POST')).status).toBe(404);
    expect((await http(metricsPort, '/stats/prometheus', 'POST')).status).toBe(404);
    // Scrape annotations and the container port point at it.
    const infra = render([listenerPort], { host: '127.0.0.1', port: 1 }, { readinessAddress: '127.0.0.1', adminPort, readinessPort, metricsPort });
    expect(infra.deployment.spec?.template.metadata?.annotations).toMatchObject({
      'prometheus.io/scrape': 'true', 'prometheus.io/port': String(metricsPort), 'prometheus.io/path': '/stats/prometheus',
    });
    expect(infra.deployment.spec?.template.spec?.containers[0]?.ports).toContainEqual({ name: 'metrics', containerPort: metricsPort, protocol: 'TCP' });
  }, 30_000);

  it('reports not ready once Envoy fails health checks (e.g. draining)', async () => {
    expect((await http(adminPort, '/healthcheck/fail', 'POST')).status).toBe(200);
    expect((await http(readinessPort, '/ready')).status).toBe(503);
    expect((await http(adminPort, '/healthcheck/ok', 'POST')).status).toBe(200);
    expect((await http(readinessPort, '/ready')).status).toBe(200);
  }, 30_000);
});
