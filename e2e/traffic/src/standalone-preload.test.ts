// Standalone mode's first load of a large directory, against a real Envoy: the objects read so far
// are handed on early (preload), and their Envoy creates their clusters while the rest is read,
// but serves nothing (no listener) until the whole directory is in; then everything is served.
import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEchoServer, type EchoServer } from '@gantry/gatewayclass-controller/examples/echo-backend';
import { getLogLevel, setLogLevel } from '@gantry/gatewayclass-controller/log';
import { parseManifests } from '@gantry/gatewayclass-controller/manifests/load';
import { DirectorySource, type ObjectChange } from '@gantry/gatewayclass-controller/standalone/directory-source';
import { ManifestSet } from '@gantry/gatewayclass-controller/standalone/manifest-set';
import { StandaloneRuntime } from '@gantry/gatewayclass-controller/standalone/runtime';
import { GATEWAY_CLASS, LOOPBACK, docs, envoyBinary, eventually, freePort, gatewayYaml, routeYaml, serviceYaml, sleep } from './harness.js';

function get(port: number, host: string, path = '/'): Promise<{ status: number; body: string; backend?: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: LOOPBACK, port, path, headers: { host }, timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, backend: res.headers['x-backend'] as string | undefined }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

const route = (name: string, host: string, backend: string): string => routeYaml(name, [host], `  - backendRefs: [{name: ${backend}, port: 80}]\n`);

describe('gantry standalone preloads a large directory', () => {
  let dir: string | undefined;
  let runtime: StandaloneRuntime | undefined;
  let source: DirectorySource | undefined;
  const backends: EchoServer[] = [];
  const logLevel = getLogLevel();

  async function setUp(): Promise<{ gatewayPort: number; files: Record<string, string> }> {
    if (process.env.GANTRY_LOG_LEVEL === undefined) setLogLevel('warn');
    dir = await mkdtemp(join(tmpdir(), 'gantry-preload-'));
    backends.push(await startEchoServer({ name: 'one' }), await startEchoServer({ name: 'two' }));
    const gatewayPort = await freePort();
    const files = {
      'a.yaml': docs(GATEWAY_CLASS, gatewayYaml(`{name: http, protocol: HTTP, port: ${gatewayPort}}`), serviceYaml('one', backends[0]!.port), route('a', 'a.example', 'one')),
      'b.yaml': docs(serviceYaml('two', backends[1]!.port), route('b', 'b.example', 'two')),
    };
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    runtime = new StandaloneRuntime({ envoyPath: envoyBinary(), listenAddress: LOOPBACK, xdsHost: LOOPBACK, xdsPort: 0, adminPortBase: await freePort(), envoyLogLevel: 'error' });
    await runtime.start();
    return { gatewayPort, files };
  }

  afterEach(async () => {
    source?.stop();
    source = undefined;
    await runtime?.stop();
    runtime = undefined;
    await Promise.all(backends.splice(0).map((b) => b.close()));
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    setLogLevel(logLevel);
  });

  const backendOf = async (port: number, host: string): Promise<string | undefined> => {
    const r = await get(port, host).catch(() => undefined);
    return r?.status === 200 ? r.backend : r === undefined ? 'error' : `HTTP ${r.status}`;
  };

  const admin = async (path: string): Promise<string> => {
    const port = runtime!.adminPort('default/gw');
    if (port === undefined || port === 0) return '';
    return (await get(port, 'localhost', path).catch(() => undefined))?.body ?? '';
  };

  it('creates the clusters of the objects read so far, serves nothing until the load is complete, then serves everything', async () => {
    const { gatewayPort, files } = await setUp();
    const set = new ManifestSet();
    const changesOf = (name: string): ObjectChange[] => {
      set.setFile(name, parseManifests(files[name]!, name).objects);
      return set.flush();
    };
    expect(await runtime!.preload(changesOf('a.yaml'))).toBeDefined();
    // Its Envoy has not applied that yet: the next objects wait, and are translated once it has.
    expect(await runtime!.preload(changesOf('b.yaml'))).toBeUndefined();
    // The Envoy gets the clusters of both files (created before any listener)...
    await eventually('the clusters of both files are in Envoy', async () => {
      const clusters = await admin('/clusters');
      return clusters.includes('/one/') && clusters.includes('/two/') ? true : undefined;
    }, 20000);
    // ...but no listener yet: the partial input is not served (not even the routes already read).
    await sleep(300);
    expect(await admin('/listeners')).not.toContain('http');
    expect(await backendOf(gatewayPort, 'a.example')).toBe('error');

    await runtime!.update([]);
    await eventually('route a served', async () => ((await backendOf(gatewayPort, 'a.example')) === 'one' ? true : undefined), 20000);
    expect(await backendOf(gatewayPort, 'b.example')).toBe('two');
    // The local Envoy's clusters have their stats, but not the ones no Gantry cluster can move.
    const stats = (await admin('/stats')).split('\n').filter((l) => l.startsWith('cluster.') && l.includes('/one/'));
    expect(stats.some((l) => l.includes('.membership_total: 1'))).toBe(true);
    expect(stats.some((l) => l.includes('.circuit_breakers.default.rq_open'))).toBe(true);
    expect(stats.filter((l) => l.includes('.lb_zone_') || l.includes('.lb_subsets_') || l.includes('.circuit_breakers.high.'))).toEqual([]);
    // Nor each cluster's EDS bookkeeping; the CDS and LDS subscriptions keep theirs.
    expect(stats.filter((l) => /\.(update_\w+|version|version_text|init_fetch_timeout|warming_state|assignment_\w+):/.test(l))).toEqual([]);
    const all = await admin('/stats');
    expect(all).toMatch(/^cluster_manager\.cds\.update_success: [1-9]/m);
    expect(all).toMatch(/^listener_manager\.lds\.version_text: /m);
  }, 60000);

  it('hands a directory on in parts, and serves all of it once the load is complete (even when the last part is empty)', async () => {
    const { gatewayPort } = await setUp();
    const partial: number[] = [];
    const final: number[] = [];
    source = new DirectorySource({
      dir: dir!,
      rescanMs: 0,
      // Every file read is handed on at once: a.yaml, then b.yaml; the last call gets nothing new.
      partialBytes: 1,
      log: { info: () => undefined, warn: () => undefined, error: () => undefined },
      onPartial: (changes) => {
        partial.push(changes.length);
        void runtime!.preload(changes);
      },
      onChanges: (changes) => {
        final.push(changes.length);
        void runtime!.update(changes);
      },
    });
    await source.start();
    expect(partial).toEqual([5, 3]); // class, gateway, Service, EndpointSlice, route; Service, EndpointSlice, route
    expect(final).toEqual([0]);
    await eventually('route a served', async () => ((await backendOf(gatewayPort, 'a.example')) === 'one' ? true : undefined), 20000);
    expect(await backendOf(gatewayPort, 'b.example')).toBe('two');
  }, 60000);
});
