import { describe, expect, it } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { loadAllFast } from './fast-yaml.js';
import { MAX_INDENT as READER_MAX_INDENT } from './block-yaml.js';
import { MAX_INDENT, buildSnapshot, formatManifestError, parseExact, parseManifests } from './load.js';

const gateway = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gw
spec:
  gatewayClassName: gantry
  listeners:
  - name: http
    port: 80
    protocol: HTTP
`;

describe('parseManifests', () => {
  it('reads several documents and puts namespaced objects without a namespace in default', () => {
    const text = `${gateway}---\napiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: gantry}\nspec: {controllerName: gantry.dev/gatewayclass-controller}\n---\n`;
    const { objects, errors } = parseManifests(text, 'a.yaml');
    expect(errors).toEqual([]);
    expect(objects.map((o) => [o.kind, o.metadata.namespace])).toEqual([['Gateway', 'default'], ['GatewayClass', undefined]]);
    const snap = buildSnapshot(objects);
    expect(snap.gateways).toHaveLength(1);
    expect(snap.gatewayClasses).toHaveLength(1);
  });

  it('names the file, document, line and field of a wrongly typed value', () => {
    const bad = gateway.replace('port: 80', 'port: eighty');
    const { objects, errors } = parseManifests(`${gateway}---\n${bad}`, 'gw.yaml');
    expect(objects).toHaveLength(1);
    expect(errors).toHaveLength(1);
    expect(formatManifestError(errors[0]!)).toBe('gw.yaml:20 (document 2): spec.listeners[0].port: expected an integer, got string "eighty"');
  });

  it('reports missing required fields, unknown fields and unsupported enum values', () => {
    const text = gateway.replace('    protocol: HTTP\n', '    protocoll: HTTP\n') +
      '---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec:\n  rules:\n  - matches:\n    - path: {type: Glob, value: /x}\n';
    const messages = parseManifests(text, 'x.yaml').errors.map((e) => e.message);
    expect(messages).toEqual([
      'spec.listeners[0].protocol: required field is missing',
      'spec.listeners[0].protocoll: unknown field',
      'spec.rules[0].matches[0].path.type: unsupported value "Glob", expected one of Exact, PathPrefix, RegularExpression',
    ]);
  });

  it('reports a field named like an Object method as unknown', () => {
    const { errors } = parseManifests(gateway.replace('  gatewayClassName: gantry\n', '  gatewayClassName: gantry\n  constructor: x\n'), 'c.yaml');
    expect(errors.map(formatManifestError)).toEqual(['c.yaml:7 (document 1): spec.constructor: unknown field']);
  });

  it('reports malformed YAML with its line and keeps the other documents', () => {
    const { objects, errors } = parseManifests(`${gateway}---\nkind: [unclosed\n`, 'm.yaml');
    expect(objects).toHaveLength(1);
    expect(errors[0]).toMatchObject({ file: 'm.yaml', document: 2 });
    expect(errors[0]!.message).toMatch(/^malformed YAML/);
  });

  it('rejects an object without kind or with a wrong apiVersion', () => {
    const { errors } = parseManifests('apiVersion: v1\nmetadata: {name: x}\n---\napiVersion: v2\nkind: Service\nmetadata: {name: s}\n', 'k.yaml');
    expect(errors.map((e) => e.message)).toEqual([
      'kind: required field is missing or not a string',
      'apiVersion: Service is not served as "v2" (expected v1)',
    ]);
  });
});

describe('parseManifests: Upstream (schema derived from its CRD)', () => {
  const upstream = `apiVersion: gateway.gantry.dev/v1alpha1
kind: Upstream
metadata:
  name: json-upstream
  namespace: gantry-system
spec:
  static:
    hosts:
    - addr: jsonplaceholder.typicode.com
      port: 80
  loadBalancer:
    ringHash:
      hashPolicies:
      - header: {name: x-user}
  healthCheck:
    interval: 5s
    timeout: 1s
    unhealthyThreshold: 2
    healthyThreshold: 1
    http: {path: /healthz, expectedStatuses: [{start: 200, end: 399}]}
`;

  it('reads a valid Upstream', () => {
    const { objects, errors } = parseManifests(upstream, 'us.yaml');
    expect(errors).toEqual([]);
    expect(objects.map((o) => [o.kind, o.metadata.namespace, o.metadata.name])).toEqual([['Upstream', 'gantry-system', 'json-upstream']]);
  });

  it('names the file, line and field of a wrongly typed value', () => {
    const { objects, errors } = parseManifests(upstream.replace('port: 80', 'port: "eighty"'), 'us.yaml');
    expect(objects).toEqual([]);
    expect(errors.map(formatManifestError)).toEqual(['us.yaml:10 (document 1): spec.static.hosts[0].port: expected an integer, got string "eighty"']);
  });

  it('names unknown fields, missing required ones and out-of-range values', () => {
    const text = upstream
      .replace('      - header: {name: x-user}', '      - header: {nam: x-user}')
      .replace('    unhealthyThreshold: 2\n', '    unhealthyThreshold: 0\n')
      .replace('  loadBalancer:\n', '  timeout: 5s\n  loadBalancer:\n');
    expect(parseManifests(text, 'us.yaml').errors.map(formatManifestError)).toEqual([
      'us.yaml:11 (document 1): spec.timeout: unknown field',
      'us.yaml:15 (document 1): spec.loadBalancer.ringHash.hashPolicies[0].header.name: required field is missing',
      'us.yaml:15 (document 1): spec.loadBalancer.ringHash.hashPolicies[0].header.nam: unknown field',
      'us.yaml:19 (document 1): spec.healthCheck.unhealthyThreshold: 0 is below the minimum 1',
    ]);
  });

  it('has hash policies only inside ringHash and maglev', () => {
    const text = upstream.replace('    ringHash:\n', '    roundRobin:\n');
    expect(parseManifests(text, 'us.yaml').errors.map((e) => e.message)).toEqual(['spec.loadBalancer.roundRobin.hashPolicies: unknown field']);
  });
});

describe('the fast path', () => {
  const repo = fileURLToPath(new URL('../../../../', import.meta.url));
  const manifests = [
    ...yamlFilesUnder(join(repo, 'packages/translator/src/testdata')),
    ...yamlFilesUnder(join(repo, 'packages/gatewayclass-controller/examples')),
  ];

  it('reads every manifest in the repository as the document model does', () => {
    expect(manifests.length).toBeGreaterThan(20);
    let fast = 0;
    for (const file of manifests) {
      const text = readFileSync(file, 'utf8');
      const docs = parseAllDocuments(text);
      const values = loadAllFast(text);
      if (values === undefined) continue;
      fast++;
      // The fast path vouches only for files the document model reads without errors.
      expect({ file, errors: docs.flatMap((d) => d.errors.map((e) => e.message)) }).toEqual({ file, errors: [] });
      expect({ file, values }).toEqual({ file, values: docs.map((d) => d.toJS() as unknown) });
    }
    expect(fast).toBeGreaterThan(manifests.length * 0.9);
  });

  it('resolves plain scalars by the YAML 1.2 core schema, as the document model does', () => {
    const scalars = ['~', 'null', 'Null', 'NULL', '', 'true', 'True', 'TRUE', 'false', 'FALSE', 'yes', 'no', 'on', 'off', 'y', 'n',
      '0', '-1', '+12', '007', '0o17', '0O17', '0x1F', '0X1F', '0b101', '1_000', '1.5', '-.5', '.5', '1.', '1e3', '-1.5E-3', '1e', '.inf', '-.Inf',
      '+.INF', '.nan', '.NaN', 'nan', '2026-01-01', '2026-01-01T00:00:00Z', '12:30:00', '1:20', '<<', '=', '0.0.0.0', '10s'];
    const text = scalars.map((s, i) => `k${i}: ${s}`).join('\n');
    const exact = parseAllDocuments(text)[0]!.toJS() as Record<string, unknown>;
    expect(loadAllFast(text)).toEqual([exact]);
  });

  it('leaves files with anchors, duplicate keys or syntax errors to the document model', () => {
    expect(loadAllFast('a: &x {b: 1}\nc: *x\n')).toBeUndefined();
    expect(loadAllFast('a: 1\na: 2\n')).toBeUndefined();
    expect(loadAllFast('kind: [unclosed\n')).toBeUndefined();
    expect(parseManifests('a: 1\na: 2\n', 'd.yaml').errors[0]!.message).toMatch(/^malformed YAML/);
  });

  it('reads a file with one document outside the block reader\'s subset as the document model does', () => {
    const svc = (name: string): string => `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n  namespace: x\nspec:\n  ports:\n  - port: 80\n`;
    // A plain scalar on two lines and a flow sequence on two: js-yaml reads that document alone.
    const outside = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: m\n  namespace: x\n  annotations:\n    a: a long\n      plain scalar\nspec:\n  ports: [{port: 81,\n    name: x}]\n';
    const good = `${svc('a')}---\n${outside}---\n${svc('c')}`;
    expect(parseManifests(good, 'm.yaml')).toEqual(parseExact(good, 'm.yaml'));
    expect(parseManifests(good, 'm.yaml').objects.map((o) => o.metadata.name)).toEqual(['a', 'm', 'c']);
    const bad = good.replace('port: 81', 'port: eighty-one');
    expect(parseManifests(bad, 'b.yaml')).toEqual(parseExact(bad, 'b.yaml'));
    const broken = good.replace('name: x}]', 'name: x}');
    expect(parseManifests(broken, 'e.yaml')).toEqual(parseExact(broken, 'e.yaml'));
  });

  it('has the block reader stop at the indentation bound the bounds pass enforces', () => {
    expect(READER_MAX_INDENT).toBe(MAX_INDENT);
  });

  it('refuses deep indentation and deep flow nesting before parsing, wherever they sit', () => {
    // The block reader gives up on such texts, so the bounds pass runs as before.
    const svc = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  ports:\n  - port: 80\n';
    const refused = (text: string): string[] => parseManifests(text, 'f.yaml').errors.map(formatManifestError);
    expect(refused(`${svc}${' '.repeat(600)}# a comment\n`)).toEqual(['f.yaml:8 (document 1): nesting too deep: indented more than 512 columns']);
    expect(refused(`${svc}x: |\n  a\n${' '.repeat(600)}b\n`)).toEqual(['f.yaml:10 (document 1): nesting too deep: indented more than 512 columns']);
    expect(refused(`${svc}${' '.repeat(513)}\n`)).toEqual(['f.yaml:8 (document 1): nesting too deep: indented more than 512 columns']);
    expect(refused(svc.replace('name: s', `name: s${'['.repeat(130)}`))).toEqual(['f.yaml:4 (document 1): nesting too deep: more than 128 nested [ or {']);
    expect(refused(svc.replace('name: s', `name: "${'{'.repeat(200)}"`))).toEqual(['f.yaml:4 (document 1): nesting too deep: more than 128 nested [ or {']);
  });

  it('gives the same objects and errors as the document model for a file with problems and one without', () => {
    const good = `${gateway}---\napiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: x}\nspec: {ports: [{port: 80}]}\n`;
    expect(parseManifests(good, 'g.yaml')).toEqual(parseExact(good, 'g.yaml'));
    const bad = `${good}---\n${gateway.replace('port: 80', 'port: eighty')}`;
    expect(parseManifests(bad, 'b.yaml')).toEqual(parseExact(bad, 'b.yaml'));
  });
});

function yamlFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...yamlFilesUnder(path));
    else if (/\.ya?ml$/.test(entry.name)) out.push(path);
  }
  return out.sort();
}
