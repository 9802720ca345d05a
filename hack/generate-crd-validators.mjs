#!/usr/bin/env node
// Compiles the JSON-schema validators of the CRDs the chart vendors (charts/gantry-crds/templates,
// Gantry's and the Gateway API's) once, at build time, with ajv's standalone code generation:
// `gantry translate`/`standalone` then load the compiled validator of a kind instead of compiling
// its schema (the HTTPRoute one is large) in every process. One CommonJS module per CRD file, in
// packages/gatewayclass-controller/generated/crd-validators/<group>_<plural>.cjs, exporting one
// validator per `<group>/<version> <Kind>`. The ajv options must stay those of
// packages/gatewayclass-controller/src/manifests/crd-schemas.ts (its runtime fallback).
// Beside them, in generated/crd-cel/<group>_<plural>.cjs, the CRDs' CEL rules (x-kubernetes-
// validations) per `<group>/<version> <Kind>`: the schema pruned to the nodes that hold a rule or
// lead to one, with what evaluating them needs (types, defaults), read by
// packages/gatewayclass-controller/src/manifests/crd-cel.ts. Neither is read from charts/ at runtime
// (the image ships no charts/).
// Usage: node hack/generate-crd-validators.mjs [--out DIR] [--cel-out DIR]
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { celModule } from './cel-to-js.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(ROOT, 'packages', 'gatewayclass-controller', 'package.json'));
const Ajv = require('ajv').default;
const standaloneCode = require('ajv/dist/standalone').default;
const jsyaml = require('js-yaml');

const outIdx = process.argv.indexOf('--out');
const OUT = outIdx > 0 ? process.argv[outIdx + 1] : join(ROOT, 'packages', 'gatewayclass-controller', 'generated', 'crd-validators');
const TEMPLATES = join(ROOT, 'charts', 'gantry-crds', 'templates');
const celIdx = process.argv.indexOf('--cel-out');
const CEL_OUT = celIdx > 0 ? process.argv[celIdx + 1] : join(ROOT, 'packages', 'gatewayclass-controller', 'generated', 'crd-cel');

/**
 * The CEL view of a schema node: `t` type, `d` default, `r` rules ([rule, message]), `p`
 * properties, `i` items, `a` additionalProperties, `n` int-or-string, `q` required properties. Nodes without a rule below
 * them are dropped, except inside a node with rules (its rules read the whole subtree).
 */
function celNode(schema, keepAll) {
  if (schema === null || typeof schema !== 'object') return undefined;
  const rules = (schema['x-kubernetes-validations'] ?? []).map((v) => (v.message !== undefined ? [v.rule, v.message] : [v.rule]));
  const keep = keepAll || rules.length > 0;
  const node = {};
  if (schema.type !== undefined) node.t = schema.type;
  if (schema['x-kubernetes-int-or-string']) node.n = 1;
  if (schema.default !== undefined) node.d = schema.default;
  // The required properties: the compiled rules read them without an error path (hack/cel-to-js.mjs).
  if (keep && Array.isArray(schema.required) && schema.required.length > 0) node.q = schema.required;
  if (rules.length > 0) node.r = rules;
  let below = false;
  if (schema.properties) {
    const p = {};
    for (const [k, v] of Object.entries(schema.properties)) {
      const c = celNode(v, keep);
      if (c !== undefined) p[k] = c;
    }
    if (Object.keys(p).length > 0) {
      node.p = p;
      below = true;
    }
  }
  if (schema.items && typeof schema.items === 'object') {
    const c = celNode(schema.items, keep);
    if (c !== undefined) {
      node.i = c;
      below = true;
    }
  }
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
    const c = celNode(schema.additionalProperties, keep);
    if (c !== undefined) {
      node.a = c;
      below = true;
    }
  }
  return keep || below ? node : undefined;
}

const files = [
  ...readdirSync(TEMPLATES).filter((f) => f.endsWith('.yaml')).map((f) => join(TEMPLATES, f)),
  ...readdirSync(join(TEMPLATES, 'gateway-api')).filter((f) => f.endsWith('.yaml')).map((f) => join(TEMPLATES, 'gateway-api', f)),
].sort((a, b) => (a.split('/').pop() < b.split('/').pop() ? -1 : 1));

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
rmSync(CEL_OUT, { recursive: true, force: true });
mkdirSync(CEL_OUT, { recursive: true });
let written = 0;
let celWritten = 0;
/** [rule, why] of the CEL rules left to the evaluator at runtime (hack/cel-to-js.mjs cannot compile them). */
const celUnsupported = [];
for (const file of files) {
  // Helm directives sit on lines of their own in these files (as crd-schemas.ts reads them).
  const text = readFileSync(file, 'utf8').split('\n').filter((l) => !l.trimStart().startsWith('{{')).join('\n');
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, useDefaults: false, code: { source: true } });
  const exportsByKey = {};
  const celByKey = {};
  for (const crd of jsyaml.loadAll(text)) {
    if (crd?.kind !== 'CustomResourceDefinition') continue;
    const group = crd.spec?.group;
    const kind = crd.spec?.names?.kind;
    for (const v of crd.spec?.versions ?? []) {
      const schema = v.schema?.openAPIV3Schema;
      if (group && kind && schema) {
        const id = `schema${Object.keys(exportsByKey).length}`;
        ajv.addSchema(schema, id);
        exportsByKey[`${group}/${v.name} ${kind}`] = id;
        const cel = celNode(schema, false);
        if (cel !== undefined) celByKey[`${group}/${v.name} ${kind}`] = cel;
      }
    }
  }
  if (Object.keys(exportsByKey).length === 0) continue;
  const name = file.split('/').pop().replace(/\.yaml$/, '.cjs');
  if (Object.keys(celByKey).length > 0) {
    const celHeader = `// Generated by hack/generate-crd-validators.mjs (hack/cel-to-js.mjs) from charts/gantry-crds/templates (CEL rules); do not edit.\n`;
    const cel = celModule(celHeader, celByKey, celUnsupported);
    writeFileSync(join(CEL_OUT, name), cel.module);
    writeFileSync(join(CEL_OUT, name.replace(/\.cjs$/, '.rules.cjs')), cel.rules);
    celWritten++;
  }
  const header = `// Generated by hack/generate-crd-validators.mjs from charts/gantry-crds/templates; do not edit.\n`;
  writeFileSync(join(OUT, name), header + standaloneCode(ajv, exportsByKey) + '\n');
  written++;
}
// The table of each directory: one plain `require` of a constant path per module, run on first
// use, which Node and a bundler (hack/bundle-cli.mjs) both follow, where a computed path would hide
// the modules from the bundler. Its declaration, for the TypeScript that imports it.
function writeTable(dir, what, entries, type) {
  const header = `// Generated by hack/generate-crd-validators.mjs; do not edit.\n// ${what}, by CRD file (\`<group>_<plural>\`), each loaded on its first call.\n`;
  const lines = entries.map(([key, body]) => `  ${JSON.stringify(key)}: ${body},`);
  writeFileSync(join(dir, 'index.cjs'), `${header}'use strict';\nmodule.exports = {\n${lines.join('\n')}\n};\n`);
  writeFileSync(join(dir, 'index.d.cts'), `${header}declare const table: Readonly<Record<string, ${type}>>;\nexport = table;\n`);
}
const requireOf = (name) => `() => require(${JSON.stringify(`./${name}`)})`;
const tableNames = (dir) => readdirSync(dir).filter((f) => f.endsWith('.cjs') && !f.endsWith('.rules.cjs') && f !== 'index.cjs').sort();
writeTable(OUT, 'The compiled validators (one per `<group>/<version> <Kind>`)', tableNames(OUT).map((f) => [f.slice(0, -4), requireOf(f)]), '() => Readonly<Record<string, unknown>>');
writeTable(
  CEL_OUT,
  'The CEL rules compiled to JavaScript (`module`), and the same rules one by one (`rules`, for the differential test)',
  tableNames(CEL_OUT).map((f) => [f.slice(0, -4), `{ module: ${requireOf(f)}, rules: ${requireOf(f.replace(/\.cjs$/, '.rules.cjs'))} }`]),
  '{ readonly module: () => unknown; readonly rules: () => unknown }',
);
console.log(`wrote ${written} validator modules to ${OUT}`);
console.log(`wrote ${celWritten} CEL rule modules to ${CEL_OUT}`);
for (const [rule, why] of new Map(celUnsupported)) console.log(`CEL rule left to the evaluator (${why}): ${rule}`);
