// Standalone mode's directory source, edited the ways editors and Kubernetes edit files, against a
// real directory and a real Envoy: each pattern hands the pipeline only the objects that changed
// (none when nothing did), and traffic follows.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEchoServer, type EchoServer } from '@gantry/gatewayclass-controller/examples/echo-backend';
import { getLogLevel, logger, setLogLevel } from '@gantry/gatewayclass-controller/log';
import { DirectorySource, type ObjectChange } from '@gantry/gatewayclass-controller/standalone/directory-source';
import { StandaloneRuntime } from '@gantry/gatewayclass-controller/standalone/runtime';
import { GATEWAY_CLASS, LOOPBACK, docs, envoyBinary, eventually, freePort, gatewayYaml, routeYaml, serviceYaml, sleep } from './harness.js';

function get(port: number, host: string, path = '/'): Promise<{ status: number; backend?: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: LOOPBACK, port, path, headers: { host }, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, backend: res.headers['x-backend'] as string | undefined }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

const route = (name: string, host: string, backend: string): string => routeYaml(name, [host], `  - backendRefs: [{name: ${backend}, port: 80}]\n`);

/** "kind/namespace/name before→after" of each change: + added, ~ replaced, - removed. */
const describeChange = (c: ObjectChange): string => `${c.before === undefined ? '+' : c.after === undefined ? '-' : '~'}${c.key}`;

describe('gantry standalone reloads what changed', () => {
  let dir: string;
  let gatewayPort: number;
  let runtime: StandaloneRuntime;
  let source: DirectorySource;
  const backends: EchoServer[] = [];
  /** Every batch of changes the source handed the pipeline, in order. */
  const batches: ObjectChange[][] = [];
  const errors: string[] = [];
  const logLevel = getLogLevel();

  /** The batches handed on since the previous call, once the source is idle and quiet. */
  async function changesSince(quietMs = 150): Promise<string[][]> {
    await sleep(quietMs);
    await source.idle();
    return batches.splice(0).map((b) => b.map(describeChange));
  }

  const backendOf = async (host: string, path = '/'): Promise<string | undefined> => {
    const r = await get(gatewayPort, host, path).catch(() => undefined);
    return r?.status === 200 ? r.backend : r === undefined ? 'error' : `HTTP ${r.status}`;
  };

  const serves = (host: string, backend: string): Promise<true> =>
    eventually(`${host} served by ${backend}`, async () => ((await backendOf(host)) === backend ? true : undefined), 10000);

  beforeAll(async () => {
    if (process.env.GANTRY_LOG_LEVEL === undefined) setLogLevel('warn');
    dir = await mkdtemp(join(tmpdir(), 'gantry-reload-'));
    backends.push(await startEchoServer({ name: 'one' }), await startEchoServer({ name: 'two' }));
    gatewayPort = await freePort();
    await writeFile(join(dir, 'gateway.yaml'), docs(GATEWAY_CLASS, gatewayYaml(`{name: http, protocol: HTTP, port: ${gatewayPort}}`),
      serviceYaml('one', backends[0]!.port), serviceYaml('two', backends[1]!.port)));
    await writeFile(join(dir, 'a.yaml'), route('a', 'a.example', 'one'));
    runtime = new StandaloneRuntime({ envoyPath: envoyBinary(), listenAddress: LOOPBACK, xdsHost: LOOPBACK, xdsPort: 0, adminPortBase: 0, envoyLogLevel: 'error' });
    await runtime.start();
    const log = logger('standalone');
    source = new DirectorySource({
      dir,
      rescanMs: 0, // the watcher alone: a missed event would show as a failure here
      log: { info: (m, meta) => log.debug(m, meta), warn: (m, meta) => log.warn(m, meta), error: (m) => errors.push(m) },
      onChanges: (changes) => {
        batches.push(changes);
        void runtime.update(changes);
      },
    });
    await source.start();
    await serves('a.example', 'one');
    expect((await changesSince())[0]).toHaveLength(7); // class, gateway, 2 × (Service, EndpointSlice), route
  }, 60000);

  afterAll(async () => {
    source?.stop();
    await runtime?.stop();
    await Promise.all(backends.map((b) => b.close()));
    await rm(dir, { recursive: true, force: true });
    setLogLevel(logLevel);
  });

  it('a write in place hands on the one object that changed', async () => {
    await writeFile(join(dir, 'a.yaml'), route('a', 'a.example', 'two'));
    await serves('a.example', 'two');
    expect(await changesSince()).toEqual([['~HTTPRoute/default/a']]);
  }, 20000);

  it('a temporary file renamed over the old one hands on the one object that changed', async () => {
    await writeFile(join(dir, '.a.yaml.tmp'), route('a', 'a.example', 'one'));
    await rename(join(dir, '.a.yaml.tmp'), join(dir, 'a.yaml'));
    await serves('a.example', 'one');
    expect(await changesSince()).toEqual([['~HTTPRoute/default/a']]);
  }, 20000);

  it('a touch, or the same content written again, hands on nothing', async () => {
    const later = new Date(Date.now() + 5000);
    await utimes(join(dir, 'a.yaml'), later, later);
    await writeFile(join(dir, 'a.yaml'), route('a', 'a.example', 'one'));
    expect(await changesSince(300)).toEqual([]);
    expect(await backendOf('a.example')).toBe('one');
  }, 20000);

  it('a new file hands on its objects; a rename hands on nothing; a delete removes its objects', async () => {
    await writeFile(join(dir, 'b.yaml'), route('b', 'b.example', 'two'));
    await serves('b.example', 'two');
    expect(await changesSince()).toEqual([['+HTTPRoute/default/b']]);

    await rename(join(dir, 'b.yaml'), join(dir, 'b-renamed.yaml'));
    expect(await changesSince(300)).toEqual([]);
    expect(await backendOf('b.example')).toBe('two');

    await unlink(join(dir, 'b-renamed.yaml'));
    await eventually('b.example gone', async () => ((await backendOf('b.example')) === 'HTTP 404' ? true : undefined), 10000);
    expect(await changesSince()).toEqual([['-HTTPRoute/default/b']]);
  }, 30000);

  it('a broken file keeps its last good objects and says why; fixed, it hands on the change', async () => {
    await writeFile(join(dir, 'a.yaml'), route('a', 'a.example', 'two').replace('port: 80', 'port: eighty'));
    await eventually('the error is logged', () => (errors.some((e) => e.includes('port: expected an integer')) ? true : undefined), 10000);
    expect(errors.join('\n')).toContain(`${join(dir, 'a.yaml')}:`);
    expect(await changesSince(300)).toEqual([]);
    expect(await backendOf('a.example')).toBe('one');

    await writeFile(join(dir, 'a.yaml'), route('a', 'a.example', 'two'));
    await serves('a.example', 'two');
    expect(await changesSince()).toEqual([['~HTTPRoute/default/a']]);
  }, 30000);

  it('watches subdirectories, and a directory moved out removes its objects', async () => {
    await mkdir(join(dir, 'team-c'));
    await sleep(50); // the new directory is walked and watched on its own event
    await writeFile(join(dir, 'team-c', 'c.yaml'), route('c', 'c.example', 'one'));
    await serves('c.example', 'one');
    expect((await changesSince()).flat()).toEqual(['+HTTPRoute/default/c']);

    await writeFile(join(dir, 'team-c', 'c.yaml'), route('c', 'c.example', 'two'));
    await serves('c.example', 'two');
    expect(await changesSince()).toEqual([['~HTTPRoute/default/c']]);

    const outside = await mkdtemp(join(tmpdir(), 'gantry-reload-out-'));
    await rename(join(dir, 'team-c'), join(outside, 'team-c'));
    await eventually('c.example gone', async () => ((await backendOf('c.example')) === 'HTTP 404' ? true : undefined), 10000);
    expect(await changesSince()).toEqual([['-HTTPRoute/default/c']]);
    await rm(outside, { recursive: true, force: true });
  }, 30000);

  it('reloads a ConfigMap volume once per `..data` swap, with only what changed', async () => {
    // The layout the kubelet writes: timestamped directories, `..data` pointing at the current
    // one, and each key a symlink through `..data`. A swap renames a new `..data` over the old.
    const cm = join(dir, 'configmap');
    const publish = async (version: string, files: Record<string, string>): Promise<void> => {
      await mkdir(join(cm, version));
      for (const [name, text] of Object.entries(files)) await writeFile(join(cm, version, name), text);
      await symlink(version, join(cm, '..data_tmp'));
      await rename(join(cm, '..data_tmp'), join(cm, '..data'));
    };
    await mkdir(cm);
    await publish('..2026_12_04_01', { 'd.yaml': route('d', 'd.example', 'one'), 'e.yaml': route('e', 'e.example', 'one') });
    await symlink('..data/d.yaml', join(cm, 'd.yaml'));
    await symlink('..data/e.yaml', join(cm, 'e.yaml'));
    await serves('d.example', 'one');
    await serves('e.example', 'one');
    expect((await changesSince()).flat().sort()).toEqual(['+HTTPRoute/default/d', '+HTTPRoute/default/e']);

    await publish('..2026_12_04_02', { 'd.yaml': route('d', 'd.example', 'two'), 'e.yaml': route('e', 'e.example', 'one') });
    await rm(join(cm, '..2026_12_04_01'), { recursive: true });
    await serves('d.example', 'two');
    expect(await changesSince(300)).toEqual([['~HTTPRoute/default/d']]);
    expect(await backendOf('e.example')).toBe('one');
  }, 30000);

  it('an editor burst of saves costs at most one extra reload', async () => {
    await source.idle();
    const before = source.reloadCount;
    // Ten saves at once, as a save-all or a formatter does: their events arrive together.
    for (let i = 0; i < 10; i++) writeFileSync(join(dir, 'a.yaml'), route('a', 'a.example', i % 2 === 0 ? 'two' : 'one'));
    await serves('a.example', 'one');
    expect(await changesSince()).toEqual([['~HTTPRoute/default/a']]);
    expect(source.reloadCount - before).toBeLessThanOrEqual(2);
  }, 20000);
});
