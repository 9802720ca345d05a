// Envoy's access log from GatewayParameters (spec.accessLog), through a real Envoy: `gantry
// translate -o bootstrap` of a Gateway whose class parameters turn the log on, Envoy started from
// that bootstrap, a request through it, and the JSON line on Envoy's stdout. Also the text format
// with a Gateway's own format string, and a Gateway turning the class's log off.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import type { EchoServer } from '@gantry/gatewayclass-controller/examples/echo-backend';
import { send } from './client.js';
import { LOOPBACK, docs, envoyBinary, eventually, freePort, routeYaml, serviceYaml } from './harness.js';

const run = promisify(execFile);
const MAIN = createRequire(import.meta.url).resolve('@gantry/gatewayclass-controller/cli/main');

let backend: EchoServer;
let dir: string;
const envoys: ChildProcess[] = [];

beforeAll(async () => {
  const { startEchoServer } = await import('@gantry/gatewayclass-controller/examples/echo-backend');
  backend = await startEchoServer({ name: 'main', host: LOOPBACK });
  dir = await mkdtemp(join(tmpdir(), 'gantry-access-log-'));
});

afterAll(async () => {
  for (const e of envoys) e.kill('SIGKILL');
  await backend?.close();
});

const CLASS_WITH_PARAMETERS = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gantry}
spec:
  controllerName: gantry.dev/gatewayclass-controller
  parametersRef: {group: gateway.gantry.dev, kind: GatewayParameters, name: logs, namespace: gantry-system}
---
apiVersion: gateway.gantry.dev/v1alpha1
kind: GatewayParameters
metadata: {name: logs, namespace: gantry-system}
spec:
  accessLog: {}
`;

function gateway(port: number, parametersRef?: string): string {
  return `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  gatewayClassName: gantry
  ${parametersRef !== undefined ? `infrastructure: {parametersRef: {group: gateway.gantry.dev, kind: GatewayParameters, name: ${parametersRef}}}` : ''}
  listeners: [{name: http, protocol: HTTP, port: ${port}}]
`;
}

/** Translates the world to a static bootstrap, starts Envoy on it, returns what Envoy prints on stdout. */
async function startEnvoy(name: string, world: string): Promise<{ stdout: () => string }> {
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, world);
  const adminPort = await freePort();
  const { stdout: bootstrap } = await run(process.execPath, [MAIN, 'translate', '-f', file, '-o', 'bootstrap', '--listen-address', LOOPBACK, '--admin-port', String(adminPort)]);
  const bootstrapFile = join(dir, `${name}.json`);
  await writeFile(bootstrapFile, bootstrap);
  let out = '';
  const envoy = spawn(envoyBinary(), ['-c', bootstrapFile, '--log-level', 'error', '--disable-hot-restart', '--base-id', String(10_000 + Math.floor(Math.random() * 50_000))], { stdio: ['ignore', 'pipe', 'pipe'] });
  envoys.push(envoy);
  envoy.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  envoy.stderr!.on('data', () => undefined);
  return { stdout: () => out };
}

describe('access log from GatewayParameters, through a real Envoy', () => {
  it('JSON (the documented default fields) on Envoy\'s stdout, one line per request', async () => {
    const port = await freePort();
    const envoy = await startEnvoy('json', docs(CLASS_WITH_PARAMETERS, gateway(port), serviceYaml('main', backend.port), routeYaml('r', ['logs.test'], '  - backendRefs: [{name: main, port: 80}]')));
    await eventually('Envoy to serve', async () => ((await send({ port, host: 'logs.test', path: '/warmup' }).catch(() => undefined))?.status === 200 ? true : undefined), 20_000);
    const reply = await send({ port, host: 'logs.test', path: '/hello?x=1', headers: { 'user-agent': 'access-log-test' } });
    // An edge Envoy replaces a client's x-request-id with its own: a UUID.

    expect(reply.status).toBe(200);
    const line = await eventually('the access log line', () => envoy.stdout().split('\n').find((l) => l.includes('access-log-test')), 10_000);
    const entry = JSON.parse(line) as Record<string, unknown>;
    expect(entry['request_id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(entry).toMatchObject({
      method: 'GET',
      path: '/hello?x=1',
      protocol: 'HTTP/1.1',
      authority: 'logs.test',
      response_code: 200,
      user_agent: 'access-log-test',
      upstream_host: `${LOOPBACK}:${backend.port}`,
    });
    expect(Object.keys(entry).sort()).toEqual([
      'authority', 'bytes_received', 'bytes_sent', 'downstream_remote_address', 'duration_ms', 'method', 'path', 'protocol',
      'request_id', 'response_code', 'response_flags', 'route_name', 'start_time', 'upstream_cluster', 'upstream_host',
      'upstream_service_time', 'user_agent', 'x_forwarded_for',
    ]);
  }, 60_000);

  it('text with the Gateway\'s own format; a Gateway can turn the class\'s log off', async () => {
    const port = await freePort();
    const textParams = `
apiVersion: gateway.gantry.dev/v1alpha1
kind: GatewayParameters
metadata: {name: text, namespace: default}
spec:
  accessLog: {format: text, text: "gantry %REQ(:METHOD)% %REQ(:PATH)% %RESPONSE_CODE% %REQ(USER-AGENT)%"}
`;
    const envoy = await startEnvoy('text', docs(CLASS_WITH_PARAMETERS, textParams, gateway(port, 'text'), serviceYaml('main', backend.port), routeYaml('r', ['logs.test'], '  - backendRefs: [{name: main, port: 80}]')));
    await eventually('Envoy to serve', async () => ((await send({ port, host: 'logs.test', path: '/warmup' }).catch(() => undefined))?.status === 200 ? true : undefined), 20_000);
    await send({ port, host: 'logs.test', path: '/text', headers: { 'user-agent': 'text-agent' } });
    expect(await eventually('the text line', () => envoy.stdout().split('\n').find((l) => l.includes('/text')), 10_000)).toBe('gantry GET /text 200 text-agent');

    const offPort = await freePort();
    const offParams = `
apiVersion: gateway.gantry.dev/v1alpha1
kind: GatewayParameters
metadata: {name: quiet, namespace: default}
spec:
  accessLog: {enabled: false}
`;
    const off = await startEnvoy('off', docs(CLASS_WITH_PARAMETERS, offParams, gateway(offPort, 'quiet'), serviceYaml('main', backend.port), routeYaml('r', ['logs.test'], '  - backendRefs: [{name: main, port: 80}]')));
    await eventually('Envoy to serve', async () => ((await send({ port: offPort, host: 'logs.test', path: '/warmup' }).catch(() => undefined))?.status === 200 ? true : undefined), 20_000);
    await send({ port: offPort, host: 'logs.test', path: '/quiet' });
    await new Promise((r) => setTimeout(r, 1500));
    expect(off.stdout()).toBe('');
  }, 60_000);
});
