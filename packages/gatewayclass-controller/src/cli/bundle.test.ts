// `gantry translate` from the one-file bundle (hack/bundle-cli.mjs, run by bin/gantry.js through
// cli-bundle.ts and code-cache.ts) prints exactly what dist/ prints, with V8's code cache cold,
// warm, rejected and turned off; the cache lives where the docs say and only there; a stale bundle
// never runs.
import { describe, expect, it } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import { request } from 'node:http';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freshBundleKey, freshCliBundle } from './cli-bundle.js';
import { codeCacheDir } from './code-cache.js';
import { envoyBinary } from '@gantry/xds/testing/envoy-binary';
import { freePort, pollUntil } from '@gantry/xds/testing/net';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const BIN = join(REPO, 'packages/gatewayclass-controller/bin/gantry.js');
const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../examples/quickstart', import.meta.url));

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function node(args: readonly string[], env: Record<string, string> = {}): Promise<Outcome> {
  // The environment of a user's shell: nothing of jest's.
  const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir() };
  try {
    const { stdout, stderr } = await run(process.execPath, [...args], { env: { ...base, ...env }, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const cacheFiles = (dir: string): string[] => {
  try {
    return readdirSync(join(dir, 'gantry', 'compile-cache')).filter((f) => f.endsWith('.v8'));
  } catch {
    return [];
  }
};

describe('gantry translate from the bundle', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-bundle-'));
  const mixed = join(dir, 'mixed.yaml');
  writeFileSync(
    mixed,
    [
      'apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: gantry}\nspec: {controllerName: gantry.dev/gatewayclass-controller}',
      'apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: default}\nspec:\n  gatewayClassName: gantry\n  listeners: [{name: http, protocol: HTTP, port: 80}]',
      'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: bad, namespace: default}\nspec:\n  parentRefs: [{name: gw}]\n  rules: [{filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: "bad:header", value: x}]}}]}]',
      'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: good, namespace: default}\nspec:\n  parentRefs: [{name: gw}]\n  rules: [{backendRefs: [{name: svc, port: 80}]}]',
      'apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: default}\ntype: kubernetes.io/tls\ndata: {tls.crt: 3}',
    ].join('\n---\n'),
  );
  const cases: readonly (readonly string[])[] = [
    ['translate', '-f', EXAMPLE, '--output', 'xds'],
    ['translate', '-f', EXAMPLE, '--output', 'bootstrap', '-o', 'yaml'],
    ['translate', '-f', mixed, '--output', 'status', '-o', 'json'],
    ['translate', '-f', mixed], // refused objects: exit 1, file:line:field on stderr
    ['translate', '-f', join(dir, 'missing.yaml')], // exit 2
  ];

  it('is built and fresh (hack/bundle-cli.mjs, a no-op when it already is)', async () => {
    await run(process.execPath, [join(REPO, 'hack/bundle-cli.mjs')], { cwd: REPO });
    expect(freshCliBundle()).toBeDefined();
  }, 120_000);

  it('prints what dist/ prints, refusals and exit codes included: cache cold, warm, rejected and off', async () => {
    const cache = join(dir, 'cache');
    for (const args of cases) {
      const dist = await node([MAIN, ...args]);
      expect(await node([BIN, ...args], { XDG_CACHE_HOME: cache })).toEqual(dist);
      expect(cacheFiles(cache)).toHaveLength(1); // the bundle ran (dist/ writes none) and kept its code
      const [file] = cacheFiles(cache);
      const written = statSync(join(cache, 'gantry', 'compile-cache', file!)).mtimeMs;
      expect(await node([BIN, ...args], { XDG_CACHE_HOME: cache })).toEqual(dist);
      // Accepted: not written again.
      expect(statSync(join(cache, 'gantry', 'compile-cache', file!)).mtimeMs).toBe(written);
      expect(await node([BIN, ...args], { XDG_CACHE_HOME: cache, NODE_DISABLE_COMPILE_CACHE: '1' })).toEqual(dist);
    }
    expect((await node([BIN, ...cases[3]!], { XDG_CACHE_HOME: cache })).stderr).toContain(
      `${mixed}:18 (document 3): spec.rules[0].filters[0].requestHeaderModifier.set[0].name: does not match the pattern`,
    );
    // Garbage in the cache, with and without our header: V8 refuses it (or it is not read), the
    // output is the same, and the file is made again.
    const file = join(cache, 'gantry', 'compile-cache', cacheFiles(cache)[0]!);
    const header = Buffer.alloc(16);
    header.write('gantryv8');
    for (const garbage of [Buffer.from('not V8 code'), Buffer.concat([header, Buffer.alloc(4096, 7)])]) {
      writeFileSync(file, garbage);
      expect(await node([BIN, ...cases[0]!], { XDG_CACHE_HOME: cache })).toEqual(await node([MAIN, ...cases[0]!]));
      expect(statSync(file).size).toBeGreaterThan(100_000);
    }
  }, 300_000);

  it('writes its cache again after a run that took twice the CPU of the one that wrote it (`--help` first)', async () => {
    const cache = join(dir, 'help-first');
    const routes = join(dir, 'routes.yaml');
    const route = (i: number) =>
      `apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r${i}, namespace: default}\nspec:\n  parentRefs: [{name: gw}]\n  hostnames: [h${i}.example.com]\n  rules:\n  - matches: [{path: {type: PathPrefix, value: /p${i}}}]\n    backendRefs: [{name: svc, port: 80}]`;
    writeFileSync(routes, [readFileSync(mixed, 'utf8').split('\n---\n').slice(0, 2).join('\n---\n'), ...Array.from({ length: 1500 }, (_, i) => route(i))].join('\n---\n'));
    expect((await node([BIN, 'translate', '--help'], { XDG_CACHE_HOME: cache })).code).toBe(0);
    const file = join(cache, 'gantry', 'compile-cache', cacheFiles(cache)[0]!);
    const small = statSync(file).size;
    const args = ['translate', '-f', routes, '--output', 'xds'];
    expect(await node([BIN, ...args], { XDG_CACHE_HOME: cache })).toEqual(await node([MAIN, ...args]));
    expect(statSync(file).size).toBeGreaterThan(small * 2);
    // Then kept.
    const written = statSync(file).mtimeMs;
    expect((await node([BIN, ...args], { XDG_CACHE_HOME: cache })).code).toBe(0);
    expect(statSync(file).mtimeMs).toBe(written);
  }, 120_000);

  it('keeps its cache in $XDG_CACHE_HOME/gantry/compile-cache (default ~/.cache), private; none when off, unusable or shared', async () => {
    expect(codeCacheDir({ XDG_CACHE_HOME: '/x' })).toBe('/x/gantry/compile-cache');
    expect(codeCacheDir({ XDG_CACHE_HOME: 'relative', HOME: process.env.HOME })).toMatch(/\/\.cache\/gantry\/compile-cache$/);
    expect(codeCacheDir({ NODE_DISABLE_COMPILE_CACHE: '1' })).toBeUndefined();
    const dist = await node([MAIN, ...cases[0]!]);

    const home = join(dir, 'home');
    mkdirSync(home);
    expect(await node([BIN, ...cases[0]!], { HOME: home })).toEqual(dist);
    const made = join(home, '.cache', 'gantry', 'compile-cache');
    expect(cacheFiles(join(home, '.cache'))).toHaveLength(1);
    expect(statSync(made).mode & 0o777).toBe(0o700);
    expect(statSync(join(made, cacheFiles(join(home, '.cache'))[0]!)).mode & 0o777).toBe(0o600);

    const off = join(dir, 'off');
    expect(await node([BIN, ...cases[0]!], { XDG_CACHE_HOME: off, NODE_DISABLE_COMPILE_CACHE: '1' })).toEqual(dist);
    expect(await node([BIN, ...cases[0]!], { XDG_CACHE_HOME: off, GANTRY_NO_BUNDLE: '1' })).toEqual(dist);
    expect(cacheFiles(off)).toEqual([]);
    // A file where the directory should be: no cache, the same output.
    const blocked = join(dir, 'blocked');
    writeFileSync(blocked, '');
    expect(await node([BIN, ...cases[0]!], { XDG_CACHE_HOME: blocked })).toEqual(dist);
    // A directory others may write to is not used.
    const shared = join(dir, 'shared');
    mkdirSync(join(shared, 'gantry', 'compile-cache'), { recursive: true });
    chmodSync(join(shared, 'gantry', 'compile-cache'), 0o777);
    expect(await node([BIN, ...cases[0]!], { XDG_CACHE_HOME: shared })).toEqual(dist);
    expect(cacheFiles(shared)).toEqual([]);
  }, 300_000);

  it('never runs stale: a bundled file changed after the build makes dist/ run', async () => {
    const input = fileURLToPath(new URL('./translate.js', import.meta.url));
    const before = statSync(input);
    const cache = join(dir, 'stale');
    try {
      utimesSync(input, before.atime, new Date());
      expect(freshCliBundle()).toBeUndefined();
      expect(await node([BIN, ...cases[0]!], { XDG_CACHE_HOME: cache })).toEqual(await node([MAIN, ...cases[0]!]));
      expect(cacheFiles(cache)).toEqual([]); // dist/ ran
    } finally {
      utimesSync(input, before.atime, before.mtime);
    }
    expect(freshCliBundle()).toBeDefined();
  }, 120_000);
});

describe('gantry standalone from the bundle', () => {
  it('serves a directory through a real Envoy, with a code cache of its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-bundle-standalone-'));
    const port = await freePort();
    writeFileSync(
      join(dir, 'gateway.yaml'),
      [
        'apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: gantry}\nspec: {controllerName: gantry.dev/gatewayclass-controller}',
        `apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: default}\nspec:\n  gatewayClassName: gantry\n  listeners: [{name: http, protocol: HTTP, port: ${port}}]`,
        'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: moved, namespace: default}\nspec:\n  parentRefs: [{name: gw}]\n  rules: [{filters: [{type: RequestRedirect, requestRedirect: {hostname: moved.example.org, statusCode: 302}}]}]',
      ].join('\n---\n'),
    );
    const cache = join(dir, 'cache');
    const proc = spawn(process.execPath, [BIN, 'standalone', '--dir', dir, '--envoy', envoyBinary(), '--xds-port', '0', '--admin-port', '0', '--listen-address', '127.0.0.1'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), XDG_CACHE_HOME: cache },
      stdio: 'ignore',
    });
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    try {
      const location = await pollUntil(
        'the redirect through Envoy',
        () =>
          new Promise<string | undefined>((resolve, reject) => {
            const req = request({ host: '127.0.0.1', port, path: '/a' }, (res) => {
              res.resume();
              resolve(res.statusCode === 302 ? res.headers.location : undefined);
            });
            req.once('error', reject);
            req.end();
          }),
        (v) => v !== undefined,
        30_000,
      );
      expect(location).toBe(`http://moved.example.org:${port}/a`);
    } finally {
      proc.kill('SIGTERM');
      await exited;
    }
    // The bundle ran (dist/ writes no cache), under its own name: translate's cache is another file.
    expect(cacheFiles(cache).filter((f) => f.startsWith('standalone-'))).toHaveLength(1);
  }, 60_000);
});

describe('freshBundleKey', () => {
  it('names a bundle whose inputs are all older than its build, and nothing once one changes or goes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-fresh-'));
    const past = new Date(Date.now() - 60_000);
    for (const f of ['a.js', 'b.js']) {
      writeFileSync(join(dir, f), f);
      utimesSync(join(dir, f), past, past);
    }
    const started = Date.now() - 1000;
    writeFileSync(join(dir, 'bundle.cjs'), 'bundle');
    const manifest = (m: object) => writeFileSync(join(dir, 'bundle.json'), JSON.stringify({ started, sha256: 'h', size: 6, inputs: ['a.js', 'b.js'], ...m }));
    const key = () => freshBundleKey(join(dir, 'bundle.cjs'), join(dir, 'bundle.json'), dir);

    manifest({});
    expect(key()).toMatch(/^h 6 /);
    manifest({ size: 7 }); // another file than the build wrote
    expect(key()).toBeUndefined();
    manifest({ inputs: ['a.js', 'b.js', 'gone.js'] });
    expect(key()).toBeUndefined();
    manifest({});
    utimesSync(join(dir, 'b.js'), new Date(), new Date());
    expect(key()).toBeUndefined();
    writeFileSync(join(dir, 'bundle.json'), '{');
    expect(key()).toBeUndefined();
  });
});
