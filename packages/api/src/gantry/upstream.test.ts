// The Upstream CRD source, checked without an API server (upstream-crd.test.ts in the controller
// package checks it against a real one): every field is described (kubectl explain), documented
// in docs/api-reference.md with every rule's message, and the printer columns point at fields.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import type { OpenApiSchema } from '../crd.js';
import { UPSTREAM_CRD } from './upstream.js';

interface Field { readonly path: string; readonly schema: OpenApiSchema }

/** Every field under `s`, as `a.b[].c` paths. */
function fields(s: OpenApiSchema, path = ''): Field[] {
  const props = s.type === 'array' ? s.items?.properties : s.properties;
  const prefix = s.type === 'array' ? `${path}[].` : path ? `${path}.` : '';
  return Object.entries(props ?? {}).flatMap(([name, sub]) => [{ path: `${prefix}${name}`, schema: sub }, ...fields(sub, `${prefix}${name}`)]);
}

/** Every CEL rule message under `s`. */
function messages(s: OpenApiSchema): string[] {
  const own = (s['x-kubernetes-validations'] ?? []).map((v) => v.message);
  const subs = [...Object.values(s.properties ?? {}), ...(s.items ? [s.items] : [])];
  return [...own, ...subs.flatMap(messages)];
}

function repoRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'docs', 'api-reference.md'))) return dir;
    if (dirname(dir) === dir) throw new Error('no docs/api-reference.md above this file');
  }
}

/** The Upstream section of the API reference. */
function upstreamDoc(): string {
  const doc = readFileSync(join(repoRoot(), 'docs', 'api-reference.md'), 'utf8');
  const start = doc.indexOf('\n## Upstream');
  expect(start).toBeGreaterThan(0);
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end < 0 ? undefined : end);
}

const SPEC_FIELDS = fields(UPSTREAM_CRD.spec);

describe('UPSTREAM_CRD', () => {
  it('describes every spec field (what kubectl explain shows)', () => {
    expect(SPEC_FIELDS.length).toBeGreaterThan(40);
    expect(SPEC_FIELDS.filter((f) => !f.schema.description).map((f) => f.path)).toEqual([]);
  });

  it('documents every spec field in docs/api-reference.md (hash policies once, as hashPolicies[])', () => {
    const doc = upstreamDoc();
    // Hash policies are one shape under ringHash and maglev: the doc lists them once.
    const paths = new Set(SPEC_FIELDS.map((f) => f.path.replace(/^loadBalancer\.(ringHash|maglev)\.(hashPolicies\[\])/, '$2')));
    // A leaf appears as `path`; an object may appear only through its fields (`path.x`, `path[].x`).
    const missing = [...paths].filter((p) => !doc.includes(`\`${p}\``) && !doc.includes(`\`${p}.`) && !doc.includes(`\`${p}[].`));
    expect(missing).toEqual([]);
    for (const leaf of SPEC_FIELDS.filter((f) => !f.schema.properties && !f.schema.items?.properties)) {
      const p = leaf.path.replace(/^loadBalancer\.(ringHash|maglev)\.(hashPolicies\[\])/, '$2');
      expect({ field: p, documented: doc.includes(`\`${p}\``) }).toEqual({ field: p, documented: true });
    }
  });

  it('documents every CEL rule with the message kubectl prints', () => {
    const doc = upstreamDoc();
    const all = [...new Set(messages(UPSTREAM_CRD.spec))];
    expect(all.length).toBeGreaterThanOrEqual(9);
    expect(all.filter((m) => !doc.includes(m))).toEqual([]);
  });

  it('has printer columns that point at schema fields', () => {
    const specPaths = new Set(SPEC_FIELDS.map((f) => `.spec.${f.path.replace(/\[\]/g, '[0]')}`));
    const statusPaths = new Set(fields(UPSTREAM_CRD.status ?? {}).map((f) => `.status.${f.path}`));
    for (const c of UPSTREAM_CRD.printerColumns ?? []) {
      const path = c.jsonPath.replace(/\[\?\(.*\)\]\..*$/, '');
      expect({ column: c.name, known: specPaths.has(path) || statusPaths.has(path) || path === '.metadata.creationTimestamp' }).toEqual({ column: c.name, known: true });
    }
    expect((UPSTREAM_CRD.printerColumns ?? []).map((c) => c.name)).toEqual(['Type', 'Accepted', 'Endpoints', 'Age', 'Service', 'Host']);
  });

  it('bounds every list and string a CEL rule reads (the API server refuses rules it cannot cost)', () => {
    // A schema with a rule: its lists need maxItems, its strings maxLength, or the estimated cost is unbounded.
    const unbounded = SPEC_FIELDS.filter((f) => (f.schema.type === 'array' && f.schema.maxItems === undefined) || (f.schema.type === 'string' && f.schema.maxLength === undefined));
    expect(unbounded.map((f) => f.path)).toEqual([]);
  });
});
