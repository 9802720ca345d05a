import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';

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

  it('one refused object does not stop the others in the file: they are translated, the refusal said, exit 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gantry-translate-'));
    const file = join(dir, 'mixed.yaml');
    await writeFile(
      file,
      [
        'apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: gantry}\nspec: {controllerName: gantry.dev/gatewayclass-controller}',
        'apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: default}\nspec:\n  gatewayClassName: gantry\n  listeners: [{name: http, protocol: HTTP, port: 80}]',
        'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: bad, namespace: default}\nspec:\n  parentRefs: [{name: gw}]\n  rules: [{filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: "bad:header", value: x}]}}]}]',
        'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: good, namespace: default}\nspec:\n  parentRefs: [{name: gw}]\n  rules: [{backendRefs: [{name: svc, port: 80}]}]',
      ].join('\n---\n'),
    );
    const { code, stdout, stderr } = await gantry('translate', '-f', file, '-o', 'status', '-o', 'json');
    expect(code).toBe(1);
    expect(stderr).toContain(`${file}:18 (document 3): spec.rules[0].filters[0].requestHeaderModifier.set[0].name: does not match the pattern`);
    const reports = (JSON.parse(stdout) as { items: { kind: string; metadata: { name: string } }[] }).items;
    expect(reports.filter((r) => r.kind === 'HTTPRoute').map((r) => r.metadata.name)).toEqual(['good']);
    expect(reports.some((r) => r.kind === 'Gateway')).toBe(true);
  });

  it('names the file, line, document and field of malformed input and exits non-zero', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gantry-translate-'));
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec:\n  rules:\n  - backendRefs:\n    - {name: s, port: http}\n');
    const { code, stderr } = await gantry('translate', '-f', file, '--output', 'xds');
    expect(code).toBe(1);
    expect(stderr).toBe(`gantry translate: ${file}:7 (document 1): spec.rules[0].backendRefs[0].port: expected an integer, got string "http"\nno Gateway of a GatewayClass handled by Gantry was accepted; see --output status\n`);
  });

  it('rejects an unknown Gateway and a bad --output with a clear message', async () => {
    const unknown = await gantry('translate', '-f', EXAMPLE, '--gateway', 'nope', '--output', 'xds');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('--gateway nope: no accepted Gateway default/nope (have: default/quickstart)');
    const bad = await gantry('translate', '-f', EXAMPLE, '--output', 'toml');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('gantry: --output must be one of xds, status, bootstrap, ir (what to print) or json, yaml (the format); got "toml"\n`gantry translate --help` lists its flags.\n');
  });
});

describe('gantry translate inputs', () => {
  const QUICKSTART = ['gateway.yaml', 'routes.yaml', 'backends.yaml'];

  async function kinds(stdout: string): Promise<string[]> {
    return parseAllDocuments(stdout).map((d) => (d.toJS() as { kind: string }).kind);
  }

  it('a directory with a kustomization reads its resources (not kustomization.yaml itself), recursively', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gantry-kustomize-'));
    await mkdir(join(dir, 'base'));
    for (const f of QUICKSTART) await writeFile(join(dir, 'base', f), await readFile(join(EXAMPLE, f), 'utf8'));
    await writeFile(join(dir, 'base', 'kustomization.yaml'), 'resources:\n- gateway.yaml\n- routes.yaml\n- backends.yaml\n');
    await writeFile(join(dir, 'unrelated.yaml'), 'not: read\n');
    await writeFile(join(dir, 'kustomization.yaml'), 'resources:\n- base\nnamePrefix: prod-\n');
    const r = await gantry('translate', '-f', dir, '-o', 'status');
    expect(r.code).toBe(0);
    expect(await kinds(r.stdout)).toEqual(['GatewayClass', 'Gateway', 'HTTPRoute']);
    expect(r.stderr).toBe(`gantry translate: warning: ${join(dir, 'kustomization.yaml')}: namePrefix not applied (only resources are read); for the built result: kubectl kustomize ${dir} | gantry translate -f -\n`);
    // The kustomization file named directly is the same; a missing resource exits 2 naming it.
    expect((await gantry('translate', '-f', join(dir, 'base', 'kustomization.yaml'), '-o', 'status')).stdout).toBe(r.stdout);
    await writeFile(join(dir, 'base', 'kustomization.yaml'), 'resources:\n- gateway.yaml\n- missing.yaml\n');
    const missing = await gantry('translate', '-f', dir);
    expect(missing).toEqual({ code: 2, stdout: '', stderr: `gantry translate: ${join(dir, 'base', 'kustomization.yaml')}: resources: ${join(dir, 'base', 'missing.yaml')} does not exist\n` });
  });

  it('a kind: List contributes its items; an error in an item names items[i] and its line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gantry-list-'));
    const items = [];
    for (const f of QUICKSTART) for (const d of parseAllDocuments(await readFile(join(EXAMPLE, f), 'utf8'))) items.push(d.toJS());
    const file = join(dir, 'list.yaml');
    await writeFile(file, stringify({ apiVersion: 'v1', kind: 'List', items }));
    const r = await gantry('translate', '-f', file, '-o', 'status');
    expect(r).toEqual({ code: 0, stdout: (await gantry('translate', '-f', EXAMPLE, '-o', 'status')).stdout, stderr: '' });
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'apiVersion: v1\nkind: List\nitems:\n- apiVersion: gateway.networking.k8s.io/v1\n  kind: Gateway\n  metadata: {name: g}\n  spec:\n    listeners: [{name: http, port: 80, protocol: HTTP}]\n    gatewayClassName: 7\n');
    const b = await gantry('translate', '-f', bad);
    expect(b.code).toBe(1);
    expect(b.stderr).toBe(`gantry translate: ${bad}:9 (document 1): items[0].spec.gatewayClassName: expected a string, got number 7\nno Gateway of a GatewayClass handled by Gantry was accepted; see --output status\n`);
  });

  it('-f - reads standard input', async () => {
    const text = (await Promise.all(QUICKSTART.map((f) => readFile(join(EXAMPLE, f), 'utf8')))).join('\n---\n');
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, [MAIN, 'translate', '-f', '-', '-o', 'status'], (err, stdout, stderr) => resolve({ code: err ? (err as { code?: number }).code ?? 1 : 0, stdout, stderr }));
      child.stdin!.end(text);
    });
    expect(r).toEqual({ code: 0, stdout: (await gantry('translate', '-f', EXAMPLE, '-o', 'status')).stdout, stderr: '' });
  });

  it('kinds Gantry does not handle are ignored with a warning naming the file, kind and object; output unchanged', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gantry-kinds-'));
    const file = join(dir, 'other.yaml');
    await writeFile(file, [
      'apiVersion: gateway.networking.k8s.io/v1\nkind: GRPCRoutez\nmetadata: {name: g, namespace: apps}\nspec: {}',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {}',
    ].join('\n---\n'));
    const r = await gantry('translate', '-f', EXAMPLE, '-f', file, '-o', 'status');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe((await gantry('translate', '-f', EXAMPLE, '-o', 'status')).stdout);
    expect(r.stderr).toBe([
      `gantry translate: warning: ${file}: GRPCRoutez apps/g (gateway.networking.k8s.io/v1): this version of Gantry does not handle GRPCRoutez; ignored`,
      `gantry translate: warning: ${file}: Deployment web (apps/v1): not a kind Gantry reads; ignored`,
      '',
    ].join('\n'));
  });

  it('never a stack trace: an object without metadata, a missing file, an empty directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gantry-odd-'));
    const file = join(dir, 'odd.yaml');
    await writeFile(file, 'apiVersion: x/v1\nkind: Thing\n');
    const odd = await gantry('translate', '-f', file);
    expect(odd).toEqual({ code: 1, stdout: '', stderr: `gantry translate: ${file}:1 (document 1): metadata.name: required field is missing or not a string\nno Gateway of a GatewayClass handled by Gantry was accepted; see --output status\n` });
    const missing = await gantry('translate', '-f', join(dir, 'nope.yaml'));
    expect(missing).toEqual({ code: 2, stdout: '', stderr: `gantry translate: ${join(dir, 'nope.yaml')}: no such file or directory\n` });
    const empty = await mkdtemp(join(tmpdir(), 'gantry-empty-'));
    const none = await gantry('translate', '-f', empty);
    expect(none).toEqual({ code: 2, stdout: '', stderr: `gantry translate: no manifest files (.yaml, .yml, .json) in ${empty}\n` });
  });

  it('-o json|yaml: the format of any output; -o status -o json is a List', async () => {
    const json = await gantry('translate', '-f', EXAMPLE, '-o', 'status', '-o', 'json');
    const list = JSON.parse(json.stdout) as { kind: string; items: { kind: string }[] };
    expect(list.kind).toBe('List');
    expect(list.items.map((i) => i.kind)).toEqual(['GatewayClass', 'Gateway', 'HTTPRoute']);
    const xdsYaml = await gantry('translate', '-f', EXAMPLE, '-o', 'yaml');
    const xdsJson = await gantry('translate', '-f', EXAMPLE);
    expect(parseAllDocuments(xdsYaml.stdout).map((d) => d.toJS() as unknown)).toEqual(JSON.parse(xdsJson.stdout));
    const irJson = await gantry('translate', '-f', EXAMPLE, '-o', 'ir', '-o', 'json', '--gateway', 'default/quickstart');
    expect((JSON.parse(irJson.stdout) as { key: string }).key).toBe('default/quickstart');
    const two = await gantry('translate', '-f', EXAMPLE, '-o', 'json', '-o', 'yaml');
    expect(two.code).toBe(2);
    expect(two.stderr.split('\n')[0]).toBe('gantry: --output: "json" and "yaml" are both formats; give one');
  });

  it('accepts VirtualDestinations (one cluster): the seed example, my.app.com:8080 → Services labelled app=global-app on 9080', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gantry-translate-'));
    const file = join(dir, 'vd.yaml');
    await writeFile(file, [
      'apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: gantry}\nspec: {controllerName: gantry.dev/gatewayclass-controller}',
      'apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: global}\nspec: {gatewayClassName: gantry, listeners: [{name: http, port: 80, protocol: HTTP}]}',
      'apiVersion: v1\nkind: Service\nmetadata: {name: global-app, namespace: global, labels: {app: global-app}}\nspec: {ports: [{name: http, port: 9080, targetPort: 8080}]}',
      'apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: global-app-1, namespace: global, labels: {kubernetes.io/service-name: global-app}}\naddressType: IPv4\nports: [{name: http, port: 8080}]\nendpoints: [{addresses: [10.50.0.11]}]',
      'apiVersion: gateway.gantry.dev/v1alpha1\nkind: VirtualDestination\nmetadata: {name: global-app-vd, namespace: global}\nspec:\n  hosts: [my.app.com]\n  ports: [{number: 8080, protocol: HTTP, targetPort: {number: 9080}}]\n  services: [{labels: {app: global-app}}]',
      'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: my-app, namespace: global}\nspec:\n  parentRefs: [{name: gw}]\n  hostnames: [my.app.com]\n  rules: [{backendRefs: [{group: gateway.gantry.dev, kind: VirtualDestination, name: global-app-vd, port: 8080}]}]',
    ].join('\n---\n'));
    const status = await gantry('translate', '-f', file, '--output', 'status');
    expect(status.code).toBe(0);
    const objects = parseAllDocuments(status.stdout).map((d) => d.toJS() as { kind: string; status: { numSelectedBackingServices?: number; conditions?: { type: string; status: string }[] } });
    const vd = objects.find((o) => o.kind === 'VirtualDestination');
    expect(vd?.status.numSelectedBackingServices).toBe(1);
    expect(vd?.status.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual(['Accepted=True', 'ResolvedRefs=True']);
    const xds = await gantry('translate', '-f', file, '--gateway', 'global/gw', '--output', 'xds');
    expect(xds.code).toBe(0);
    const doc = JSON.parse(xds.stdout) as { resources: { '@type': string; clusterName?: string; endpoints?: { lbEndpoints: unknown[] }[] }[] };
    const cla = doc.resources.find((r) => r.clusterName === 'vd/global/global-app-vd/8080');
    expect(JSON.stringify(cla?.endpoints)).toContain('"address":"10.50.0.11","portValue":8080');
  });
});
