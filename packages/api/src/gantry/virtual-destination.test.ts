// The VirtualDestination CRD source, checked without an API server (virtual-destination-crd.test.ts
// in the controller package checks it against a real one): every field is described (kubectl
// explain), documented in docs/api-reference.md with every rule's message, the printer columns
// point at fields, and every list and string a rule reads is bounded.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import type { OpenApiSchema } from '../crd.js';
import { VIRTUAL_DESTINATION_CRD } from './virtual-destination.js';

interface Field { readonly path: string; readonly schema: OpenApiSchema }

function fields(s: OpenApiSchema, path = ''): Field[] {
  const props = s.type === 'array' ? s.items?.properties : s.properties;
  const prefix = s.type === 'array' ? `${path}[].` : path ? `${path}.` : '';
  return Object.entries(props ?? {}).flatMap(([name, sub]) => [{ path: `${prefix}${name}`, schema: sub }, ...fields(sub, `${prefix}${name}`)]);
}

function messages(s: OpenApiSchema): string[] {
  const own = (s['x-kubernetes-validations'] ?? []).map((v) => v.message);
  const subs = [...Object.values(s.properties ?? {}), ...(s.items ? [s.items] : [])];
  return [...own, ...subs.flatMap(messages)];
}

function section(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'docs', 'api-reference.md'))) {
    if (dirname(dir) === dir) throw new Error('no docs/api-reference.md above this file');
    dir = dirname(dir);
  }
  const doc = readFileSync(join(dir, 'docs', 'api-reference.md'), 'utf8');
  const start = doc.indexOf('\n## VirtualDestination');
  expect(start).toBeGreaterThan(0);
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end < 0 ? undefined : end);
}

const SPEC_FIELDS = fields(VIRTUAL_DESTINATION_CRD.spec);

describe('VIRTUAL_DESTINATION_CRD', () => {
  it('describes every spec field (what kubectl explain shows)', () => {
    expect(SPEC_FIELDS.filter((f) => !f.schema.description).map((f) => f.path)).toEqual([]);
  });

  it('documents every spec field in docs/api-reference.md', () => {
    const doc = section();
    const missing = SPEC_FIELDS.map((f) => f.path).filter((p) => !doc.includes(`\`${p}\``) && !doc.includes(`\`${p}.`) && !doc.includes(`\`${p}[].`));
    expect(missing).toEqual([]);
  });

  it('documents every CEL rule with the message kubectl prints', () => {
    const doc = section();
    const all = [...new Set(messages(VIRTUAL_DESTINATION_CRD.spec))];
    expect(all.length).toBeGreaterThanOrEqual(8);
    expect(all.filter((m) => !doc.includes(m))).toEqual([]);
  });

  it('has printer columns that point at schema fields', () => {
    const statusPaths = new Set(fields(VIRTUAL_DESTINATION_CRD.status ?? {}).map((f) => `.status.${f.path}`));
    for (const c of VIRTUAL_DESTINATION_CRD.printerColumns ?? []) {
      const path = c.jsonPath.replace(/\[\?\(.*\)\]\..*$/, '');
      expect({ column: c.name, known: statusPaths.has(path) || path === '.metadata.creationTimestamp' }).toEqual({ column: c.name, known: true });
    }
    expect((VIRTUAL_DESTINATION_CRD.printerColumns ?? []).map((c) => c.name)).toEqual(['Hosts', 'Backing Services', 'Accepted', 'Age']);
  });

  it('bounds every list and string a CEL rule reads', () => {
    const unbounded = SPEC_FIELDS.filter((f) => (f.schema.type === 'array' && f.schema.maxItems === undefined) || (f.schema.type === 'string' && f.schema.maxLength === undefined && f.schema.enum === undefined));
    expect(unbounded.map((f) => f.path)).toEqual([]);
  });
});
