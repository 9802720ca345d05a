#!/usr/bin/env node
// Writes Gantry's CRDs into charts/gantry-crds/templates from the one source they are defined in:
// @gantry/api's kind table (each kind of ours carries its CrdSource). Run after `tsc -b
// packages/api`; `npm run generate` does both. Usage: node hack/generate-crds.mjs [--out DIR]
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { CRD_KINDS, customResourceDefinition } from '@gantry/api';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outIndex = process.argv.indexOf('--out');
const out = outIndex > 0 ? process.argv[outIndex + 1] : join(root, 'charts/gantry-crds/templates');
mkdirSync(out, { recursive: true });

const GENERATED = '# Generated from @gantry/api (packages/api) by hack/generate-crds.mjs: edit the source, not this file.';
const written = new Set();
for (const kind of CRD_KINDS) {
  const file = `${kind.group}_${kind.plural}.yaml`;
  const comment = [...kind.crd.comment.map((l) => `# ${l}`.trimEnd()), GENERATED].join('\n');
  // YAML 1.1 quoting: Helm's parser reads a bare `off` as false.
  const body = stringify(customResourceDefinition(kind), { lineWidth: 0, aliasDuplicateObjects: false, version: '1.1' });
  writeFileSync(join(out, file), `${comment}\n${body}`);
  written.add(file);
}
// A CRD removed from the table goes from the chart too (other templates are not ours to touch).
for (const f of readdirSync(out)) {
  if (/^gateway\.gantry\.dev_.*\.yaml$/.test(f) && !written.has(f)) rmSync(join(out, f));
}
