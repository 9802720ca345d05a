// `gantry standalone` as a user runs it: the binary, a directory of manifests, a real Envoy.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { startEchoServer, type EchoServer } from '@gantry/gatewayclass-controller/examples/echo-backend';
import { GATEWAY_CLASS, docs, envoyBinary, eventually, freePort, serviceYaml, sleep } from './harness.js';

// The binary as the controller package exports it (its `./*` subpath maps to dist).
const MAIN = createRequire(import.meta.url).resolve('@gantry/gatewayclass-controller/cli/main');

function get(port: number, path: string): Promise<{ status: number; backend?: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host: 'app.example' }, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, backend: res.headers['x-backend'] as string | undefined }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

function routeYaml(backend: string): string {
  return `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: app}
spec:
  parentRefs: [{name: gw}]
  hostnames: [app.example]
  rules:
  - backendRefs: [{name: ${backend}, port: 80}]
`;
}

describe('gantry standalone', () => {
  let dir: string;
  let gatewayPort: number;
  let proc: ChildProcess;
  let exited: Promise<number | null>;
  const backends: EchoServer[] = [];
  let stderr = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gantry-standalone-'));
    backends.push(await startEchoServer({ name: 'one' }), await startEchoServer({ name: 'two' }));
    gatewayPort = await freePort();
    await writeFile(join(dir, 'gateway.yaml'), docs(GATEWAY_CLASS, `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: gantry
  listeners: [{name: http, protocol: HTTP, port: ${gatewayPort}}]
`, serviceYaml('one', backends[0]!.port), serviceYaml('two', backends[1]!.port)));
    await writeFile(join(dir, 'route.yaml'), routeYaml('one'));
    proc = spawn(process.execPath, [MAIN, 'standalone', '--dir', dir, '--envoy', envoyBinary(),
      '--xds-port', '0', '--admin-port', '0', '--listen-address', '127.0.0.1'], { stdio: ['ignore', 'ignore', 'pipe'] });
    proc.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    exited = new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
  }, 60000);

  afterAll(async () => {
    if (proc.exitCode === null) proc.kill('SIGKILL');
    await Promise.all(backends.map((b) => b.close()));
    await rm(dir, { recursive: true, force: true });
  });

  it('routes a request through the local Envoy', async () => {
    const res = await eventually('the route serves', async () => {
      const r = await get(gatewayPort, '/').catch(() => undefined);
      return r?.status === 200 ? r : undefined;
    }, 30000);
    expect(res.backend).toBe('one');
  }, 40000);

  it('applies an edited file', async () => {
    await writeFile(join(dir, 'route.yaml'), routeYaml('two'));
    const res = await eventually('the edit reaches Envoy', async () => {
      const r = await get(gatewayPort, '/').catch(() => undefined);
      return r?.backend === 'two' ? r : undefined;
    }, 10000);
    expect(res.status).toBe(200);
  }, 20000);

  it('keeps serving the last good version of a file that no longer parses, and says why', async () => {
    await writeFile(join(dir, 'route.yaml'), routeYaml('one').replace('port: 80', 'port: eighty'));
    await eventually('the error is logged', () => (stderr.includes('spec.rules[0].backendRefs[0].port') ? true : undefined), 10000);
    expect(stderr).toContain(`${join(dir, 'route.yaml')}:9 (document 1): spec.rules[0].backendRefs[0].port: expected an integer, got string \\"eighty\\"`);
    await sleep(300);
    for (let i = 0; i < 5; i++) expect(await get(gatewayPort, '/')).toEqual({ status: 200, backend: 'two' });
  }, 20000);

  it('stops Envoy and exits cleanly on SIGTERM', async () => {
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    await expect(get(gatewayPort, '/')).rejects.toThrow(/ECONNREFUSED/);
  }, 20000);
});
