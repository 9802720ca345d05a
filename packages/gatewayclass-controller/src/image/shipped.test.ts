// The controller image carries no test code, proved without Docker: the Dockerfile's build stage
// assembles /out and checks it with hack/check-shipped.mjs; here the same script assembles the
// same tree from this checkout's dist (minus node_modules, which here include dev dependencies)
// and checks it, and planted test code shows that the check catches each kind of leak.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'hack', 'check-shipped.mjs'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no hack/check-shipped.mjs above ${start}`);
  }
}

const REPO = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
const SCRIPT = join(REPO, 'hack', 'check-shipped.mjs');
const CONTROLLER = 'packages/gatewayclass-controller/dist';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function script(...args: string[]): Run {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)));
}

describe('the shipped tree (Dockerfile build stage)', () => {
  let tmp: string;
  let out: string;
  let cases = 0;

  /** A copy of the assembled tree with one leak planted in it. */
  function leak(plant: (tree: string) => void): Run {
    const tree = join(tmp, `case-${++cases}`);
    cpSync(out, tree, { recursive: true, verbatimSymlinks: true });
    plant(tree);
    return script('check', tree);
  }

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'gantry-shipped-'));
    out = join(tmp, 'out');
    const r = script('assemble', out, '--without-node-modules');
    expect(r).toMatchObject({ code: 0, stderr: '' });
  });

  afterAll(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  it('is assembled and checked by the same script in the Dockerfile', () => {
    const dockerfile = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('RUN node hack/check-shipped.mjs assemble /out && node hack/check-shipped.mjs check /out');
    expect(readFileSync(join(REPO, '.dockerignore'), 'utf8').split('\n')).toContain('!hack/check-shipped.mjs');
  });

  it('passes the check', () => {
    const r = script('check', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^check-shipped: ok: 8 packages, \d+ modules/);
  });

  it('holds the runtime and no test, testing/ module or bench', () => {
    const files = filesUnder(out);
    expect(files).toContain(`${CONTROLLER}/cli/main.js`);
    expect(files).toContain(`${CONTROLLER}/examples/echo-backend.js`);
    expect(files.filter((f) => /\.test\.|(^|\/)(testing|testdata)\/|bench/.test(f))).toEqual([]);
    // Directories that held only tests are gone too (src/charts/ has chart tests and their helpers).
    expect(existsSync(join(out, CONTROLLER, 'charts'))).toBe(false);
    expect(readdirSync(join(out, 'packages')).sort()).toEqual(readdirSync(join(REPO, 'packages')).sort());
  });

  it("holds the CRDs' generated validators and CEL rules, which refuse what the API server refuses without any charts/", () => {
    const files = filesUnder(out);
    expect(files).toContain('packages/gatewayclass-controller/generated/crd-validators/gateway.networking.k8s.io_httproutes.cjs');
    expect(files).toContain('packages/gatewayclass-controller/generated/crd-cel/gateway.networking.k8s.io_httproutes.cjs');
    // The shipped loader, run from the assembled tree (no charts/ anywhere above it), with the
    // repository's node_modules standing in for the image's.
    const tree = join(tmp, 'no-charts');
    cpSync(out, tree, { recursive: true, verbatimSymlinks: true });
    symlinkSync(join(REPO, 'node_modules'), join(tree, 'node_modules'));
    const text = [
      'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: cel}\nspec: {parentRefs: [{name: gw}], rules: [{name: x}, {name: x}]}',
      'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: schema}\nspec: {parentRefs: [{name: gw}], hostnames: [Bad_Host]}',
    ].join('\n---\n');
    const loader = join(tree, CONTROLLER, 'manifests', 'load.js');
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `const { parseManifests } = await import(${JSON.stringify(loader)}); for (const e of parseManifests(process.argv[1], 'f.yaml').errors) console.log(e.line, e.message);`, text], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('spec.rules: Rule name must be unique within the route (CEL rule)');
    expect(r.stdout).toMatch(/spec\.hostnames\[0\]: does not match the pattern .* \(CRD schema\)/);
  });

  it('fails on a test, a testing/ module, test data or a bench harness left in dist', () => {
    const r = leak((tree) => {
      const dist = join(tree, CONTROLLER);
      mkdirSync(join(dist, 'controller', 'testing'), { recursive: true });
      writeFileSync(join(dist, 'controller', 'testing', 'harness.js'), 'export {};\n');
      writeFileSync(join(dist, 'pipeline.test.js'), 'export {};\n');
      mkdirSync(join(dist, 'bench'));
      writeFileSync(join(dist, 'bench', 'translate-bench.js'), 'export {};\n');
      mkdirSync(join(dist, 'testdata'));
      writeFileSync(join(dist, 'testdata', 'a.in.yaml'), '{}\n');
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${CONTROLLER}/controller/testing/harness.js: a testing/ module is shipped`);
    expect(r.stderr).toContain(`${CONTROLLER}/pipeline.test.js: a test is shipped`);
    expect(r.stderr).toContain(`${CONTROLLER}/bench/translate-bench.js: a bench harness is shipped`);
    expect(r.stderr).toContain(`${CONTROLLER}/testdata/a.in.yaml: test data is shipped`);
  });

  it('fails on a shipped import of a test-only module, a missing module or a dev dependency', () => {
    const r = leak((tree) => {
      appendFileSync(
        join(tree, CONTROLLER, 'pipeline.js'),
        [
          '', // after the sourceMappingURL comment, which ends without a newline
          "import { expect } from '@jest/globals';",
          "export { freePort } from '@gantry/xds/testing/net';",
          "const late = () => import('./controller/testing/harness.js');",
          "import './gone.js';",
          'const computed = (m) => import(m);',
          '',
        ].join('\n'),
      );
    });
    expect(r.code).toBe(1);
    const where = `${CONTROLLER}/pipeline.js`;
    expect(r.stderr).toContain(`${where}: import('@jest/globals'): @jest/globals is not a production dependency of @gantry/gatewayclass-controller`);
    expect(r.stderr).toContain(`${where}: import('@gantry/xds/testing/net'): resolves to a testing/ module`);
    expect(r.stderr).toContain(`${where}: import('./controller/testing/harness.js'): resolves to a testing/ module`);
    expect(r.stderr).toContain(`${where}: import('./gone.js'): no such module ${CONTROLLER}/gone.js`);
    expect(r.stderr).toContain(`${where}: import(m): a computed import cannot be checked`);
  });

  it('with node_modules, fails on a dependency that is not installed or a workspace link that leads elsewhere', () => {
    const r = leak((tree) => {
      // Workspace links as npm makes them, one of them to an unshipped e2e workspace; no registry package.
      const scope = join(tree, 'node_modules', '@gantry');
      mkdirSync(scope, { recursive: true });
      for (const name of readdirSync(join(tree, 'packages'))) {
        if (name !== 'xds') symlinkSync(join('..', '..', 'packages', name), join(scope, name));
      }
      symlinkSync(join('..', '..', 'packages', 'ir'), join(scope, 'xds'));
      symlinkSync(join('..', '..', 'e2e', 'bench'), join(scope, 'e2e-bench'));
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${CONTROLLER}/admin/server.js: import('fastify'): fastify is not installed`);
    expect(r.stderr).toMatch(/: import\('@gantry\/xds'\): node_modules\/@gantry\/xds does not lead to packages\/xds/);
    expect(r.stderr).toContain('node_modules/@gantry/e2e-bench: dangling link to an unshipped workspace');
    expect(r.stderr).not.toContain("import('@gantry/ir'):");
  });
});
