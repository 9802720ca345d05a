// File modes check objects against the same OpenAPI schemas the API server enforces: the Gateway
// API v1.6.1 CRDs and Gantry's own, as the repository vendors them (charts/gantry-crds), with a
// JSON-schema validator (ajv, pinned). Patterns, lengths, enums, required fields and item counts
// then agree between `gantry translate`/`standalone` and the cluster. CEL rules (x-kubernetes-
// validations) are evaluated by crd-cel.ts. The validators are compiled at build time
// (hack/generate-crd-validators.mjs, committed under packages/gatewayclass-controller/generated/
// crd-validators, checked by `npm run verify:generated`, shipped in the image, which has no
// charts/) and loaded per CRD file, through the generated table of them (index.cjs), when an
// object of its kind is first checked; only a kind without a compiled module falls back to
// compiling its schema from charts/ (when there is one).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsYamlModule } from './fast-yaml.js';
import generatedValidatorModules from '../../generated/crd-validators/index.cjs';
import { kindSpec } from '@gantry/api';
import type { ErrorObject, ValidateFunction } from 'ajv';

interface AjvInstance {
  compile(schema: object): ValidateFunction;
}
type AjvConstructor = new (opts: Record<string, unknown>) => AjvInstance;

interface CrdVersion {
  readonly name: string;
  readonly schema?: { readonly openAPIV3Schema?: object };
}
interface Crd {
  readonly kind?: string;
  readonly spec?: { readonly group?: string; readonly names?: { readonly kind?: string }; readonly versions?: readonly CrdVersion[] };
}

/** At most this many schema problems are reported per object. */
const MAX_PROBLEMS = 10;

const schemas = new Map<string, object>();
const filesRead = new Set<string>();
const compiled = new Map<string, ValidateFunction>();
let ajv: AjvInstance | undefined;
/** validatorFor's answers (null: none), by apiVersion and kind. */
const validators = new Map<string, Map<string, ValidateFunction | null>>();

/** The validators generated for one CRD file (`<group>_<plural>`), by `apiVersion kind`. */
function generatedValidators(file: string): Readonly<Record<string, ValidateFunction>> | undefined {
  const load = Object.hasOwn(generatedValidatorModules, file) ? generatedValidatorModules[file] : undefined;
  return load?.() as Readonly<Record<string, ValidateFunction>> | undefined;
}

function chartTemplates(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'charts', 'gantry-crds', 'templates');
    if (existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/**
 * `apiVersion kind` → the version's openAPIV3Schema, from the CRD file of one kind: the chart
 * names each `<group>_<plural>.yaml` (read only when an object of that kind is first checked).
 */
function loadSchemas(group: string, plural: string): void {
  const root = chartTemplates();
  if (root === undefined) return;
  const name = `${group}_${plural}.yaml`;
  const file = [join(root, name), join(root, 'gateway-api', name)].find((f) => existsSync(f));
  if (file === undefined) return;
  // Helm directives sit on lines of their own in these files.
  const text = readFileSync(file, 'utf8').split('\n').filter((l) => !l.trimStart().startsWith('{{')).join('\n');
  let docs: unknown[];
  try {
    docs = jsYamlModule().loadAll(text);
  } catch {
    return;
  }
  for (const doc of docs) {
    const crd = doc as Crd | null;
    if (crd?.kind !== 'CustomResourceDefinition') continue;
    const kind = crd.spec?.names?.kind;
    for (const v of crd.spec?.versions ?? []) {
      const schema = v.schema?.openAPIV3Schema;
      if (crd.spec?.group && kind && schema) schemas.set(`${crd.spec.group}/${v.name} ${kind}`, schema);
    }
  }
}

function validatorFor(apiVersion: string, kind: string): ValidateFunction | undefined {
  const key = `${apiVersion} ${kind}`;
  const spec = kindSpec(kind);
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  if (spec === undefined || group === '') return undefined;
  const file = `${group}_${spec.plural}`;
  let fn = compiled.get(key);
  if (fn !== undefined) return fn;
  if (!filesRead.has(file)) {
    filesRead.add(file);
    // The generated validators first: they need no charts/ (the image has none).
    const generated = generatedValidators(file);
    if (generated !== undefined) {
      for (const [k, v] of Object.entries(generated)) if (typeof v === 'function') compiled.set(k, v);
      return compiled.get(key);
    }
    loadSchemas(group, spec.plural);
  }
  const schema = schemas.get(key);
  if (schema === undefined) return undefined;
  if (ajv === undefined) {
    const require = createRequire(import.meta.url);
    const Ajv = (require('ajv') as { default: AjvConstructor }).default;
    // strict off: the x-kubernetes-* keywords are Kubernetes' own; formats are not checked.
    ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, useDefaults: false });
  }
  fn = ajv.compile(schema);
  compiled.set(key, fn);
  return fn;
}

/** `/spec/rules/0/matches` → `spec.rules[0].matches`. */
function fieldOf(instancePath: string): string {
  let out = '';
  for (const part of instancePath.split('/').slice(1)) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(key) ? `[${key}]` : out === '' ? key : `.${key}`;
  }
  return out;
}

function describe(e: ErrorObject): { field: string; message: string } {
  let field = fieldOf(e.instancePath);
  const p = e.params as Record<string, unknown>;
  let message = e.message ?? 'is invalid';
  if (e.keyword === 'required' && typeof p.missingProperty === 'string') {
    field = field === '' ? p.missingProperty : `${field}.${p.missingProperty}`;
    message = 'required field is missing';
  } else if (e.keyword === 'enum' && Array.isArray(p.allowedValues)) {
    message = `must be one of ${p.allowedValues.map(String).join(', ')}`;
  } else if (e.keyword === 'pattern') {
    message = `does not match the pattern ${String(p.pattern)}`;
  }
  return { field, message: `${field}: ${message} (CRD schema)` };
}

/**
 * Problems of an object of a kind the chart defines a CRD for, under its CRD's schema for its
 * apiVersion (none when the kind has no CRD there, or the chart is not available). Messages name
 * the field and the rule, never the value.
 */
export function crdSchemaProblems(object: Record<string, unknown>): { field: string; message: string }[] {
  const { apiVersion, kind } = object;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return [];
  // One lookup per object (by apiVersion, then kind), without building a key.
  let byKind = validators.get(apiVersion);
  if (byKind === undefined) validators.set(apiVersion, (byKind = new Map()));
  let validate = byKind.get(kind);
  if (validate === undefined) byKind.set(kind, (validate = validatorFor(apiVersion, kind) ?? null));
  if (validate === null || validate(object)) return [];
  const seen = new Set<string>();
  const out: { field: string; message: string }[] = [];
  for (const e of validate.errors ?? []) {
    // anyOf/oneOf report each branch, then themselves: the summary is enough.
    const d = describe(e);
    if (seen.has(d.message)) continue;
    seen.add(d.message);
    out.push(d);
    if (out.length === MAX_PROBLEMS) break;
  }
  return out;
}
