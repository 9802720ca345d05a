import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import jsyaml from 'js-yaml';
import type { ErrorObject } from 'ajv';
import { crdSchemaProblems } from './crd-schemas.js';

type Validate = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };
type AjvConstructor = new (opts: Record<string, unknown>) => { compile(schema: object): Validate };

const require = createRequire(import.meta.url);
const repo = (p: string) => fileURLToPath(new URL(`../../../../${p}`, import.meta.url));

/** The validator compiled now, as crd-schemas.ts does without a generated module. */
function compiledNow(crdFile: string, version: string): Validate {
  const text = readFileSync(repo(`charts/gantry-crds/templates/gateway-api/${crdFile}.yaml`), 'utf8')
    .split('\n').filter((l) => !l.trimStart().startsWith('{{')).join('\n');
  const crd = jsyaml.loadAll(text).find((d) => (d as { kind?: string } | null)?.kind === 'CustomResourceDefinition') as {
    spec: { versions: { name: string; schema: { openAPIV3Schema: object } }[] };
  };
  const schema = crd.spec.versions.find((v) => v.name === version)!.schema.openAPIV3Schema;
  const Ajv = (require('ajv') as { default: AjvConstructor }).default;
  return new Ajv({ strict: false, allErrors: true, validateFormats: false, useDefaults: false }).compile(schema);
}

const route = (spec: unknown) => ({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'r', namespace: 'default' }, spec });

describe('CRD validators compiled at build time (hack/generate-crd-validators.mjs)', () => {
  const generated = require(repo('packages/gatewayclass-controller/generated/crd-validators/gateway.networking.k8s.io_httproutes.cjs')) as Record<string, Validate>;
  const now = compiledNow('gateway.networking.k8s.io_httproutes', 'v1');
  const cases: unknown[] = [
    route({ parentRefs: [{ name: 'gw' }], rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ name: 's', port: 80 }] }] }),
    route({ hostnames: ['-bad-'], rules: [{ matches: [{ path: { type: 'Nope', value: 7 } }], backendRefs: [{ port: 99999 }] }] }),
    route({ rules: [{ filters: [{ type: 'RequestHeaderModifier' }, { type: 'X', unknownField: true }], timeouts: { request: 'soon' } }] }),
    route('not an object'),
  ];
  it('report exactly what the schema compiled at run time reports', () => {
    const v1 = generated['gateway.networking.k8s.io/v1 HTTPRoute']!;
    for (const c of cases) {
      expect(v1(c)).toBe(now(c));
      expect(v1.errors ?? null).toEqual(now.errors ?? null);
    }
  });
  it('are what the loader uses, with field and rule in the message', () => {
    const problems = crdSchemaProblems(cases[1] as Record<string, unknown>);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((p) => p.message.endsWith('(CRD schema)'))).toBe(true);
    expect(crdSchemaProblems(cases[0] as Record<string, unknown>)).toEqual([]);
  });
});

describe('the table of generated validator modules (generated/crd-validators/index.cjs)', () => {
  it('lists every module, each by its CRD file, loading that module', () => {
    const dir = repo('packages/gatewayclass-controller/generated/crd-validators');
    const table = require(`${dir}/index.cjs`) as Record<string, () => unknown>;
    const files = readdirSync(dir).filter((f) => f.endsWith('.cjs') && f !== 'index.cjs').sort();
    expect(Object.keys(table).sort()).toEqual(files.map((f) => f.slice(0, -'.cjs'.length)));
    for (const f of files) expect(table[f.slice(0, -'.cjs'.length)]!()).toBe(require(`${dir}/${f}`));
  });
});
