import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../examples/quickstart', import.meta.url));

async function gantry(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [MAIN, ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('gantry translate', () => {
  it('prints the status of every object', async () => {
    const { code, stdout } = await gantry('translate', '-f', EXAMPLE, '--output', 'status');
    expect(code).toBe(0);
    const objects = parseAllDocuments(stdout).map((d) => d.toJS() as { kind: string; status: { conditions?: { type: string; status: string }[] } });
    expect(objects.map((o) => o.kind)).toEqual(['GatewayClass', 'Gateway', 'HTTPRoute']);
    expect(objects[0]!.status.conditions).toContainEqual(expect.objectContaining({ type: 'Accepted', status: 'True' }));
  });

  it('prints xDS resources as Envoy JSON with @type for one Gateway', async () => {
    const { code, stdout } = await gantry('translate', '-f', EXAMPLE, '--gateway', 'default/quickstart', '--output', 'xds');
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as { gateway: string; resources: { '@type': string; name?: string; clusterName?: string }[] };
    expect(doc.gateway).toBe('default/quickstart');
    const types = new Set(doc.resources.map((r) => r['@type'].split('.').pop()));
    expect(types).toEqual(new Set(['Listener', 'RouteConfiguration', 'Cluster', 'ClusterLoadAssignment']));
  });

  it('names the file, line, document and field of malformed input and exits non-zero', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gantry-translate-'));
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec:\n  rules:\n  - backendRefs:\n    - {name: s, port: http}\n');
    const { code, stderr } = await gantry('translate', '-f', file, '--output', 'xds');
    expect(code).toBe(1);
    expect(stderr).toBe(`gantry translate: ${file}:7 (document 1): spec.rules[0].backendRefs[0].port: expected an integer, got string "http"\n`);
  });

  it('rejects an unknown Gateway and a bad --output with a clear message', async () => {
    const unknown = await gantry('translate', '-f', EXAMPLE, '--gateway', 'nope', '--output', 'xds');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('--gateway nope: no accepted Gateway default/nope (have: default/quickstart)');
    const bad = await gantry('translate', '-f', EXAMPLE, '--output', 'yaml');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--output must be one of xds, status, bootstrap, ir');
  });
});
