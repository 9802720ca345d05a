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
