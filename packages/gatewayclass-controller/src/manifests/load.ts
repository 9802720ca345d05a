// Reads Gateway API and Gantry manifests from YAML files: the input of `gantry translate` and
// `gantry standalone`. Every problem names the file, the document and the field.
import { readFile } from 'node:fs/promises';
import type { Document, LineCounter } from 'yaml';
import { yamlModule } from './yaml-lazy.js';
import { loadAllFast } from './fast-yaml.js';
import { OBJECT_META, checkSchema, isRecord, kindSpec, manifestSchemaOfKind as manifestSchema, snapshotOf, type KubeObject, type Snapshot } from '@gantry/api';

export interface ManifestError {
  readonly file: string;
  /** 1-based index of the YAML document in the file. */
  readonly document: number;
  readonly line?: number;
  readonly message: string;
}

export function formatManifestError(e: ManifestError): string {
  const where = e.line !== undefined ? `${e.file}:${e.line}` : e.file;
  return `${where} (document ${e.document}): ${e.message}`;
}

export interface ParsedManifests {
  readonly objects: KubeObject[];
  readonly errors: ManifestError[];
}

const TOP_LEVEL = new Set(['apiVersion', 'kind', 'metadata', 'spec', 'status']);

/**
 * Parses one file's text. Objects without a namespace land in `default` (namespaced kinds). A file
 * without problems takes the fast path (fast-yaml.ts); one with any problem is parsed again with
 * the document model, which reports each problem with its line.
 */
export function parseManifests(text: string, file: string): ParsedManifests {
  return parseFast(text) ?? parseExact(text, file);
}

function parseFast(text: string): ParsedManifests | undefined {
  const values = loadAllFast(text);
  if (values === undefined) return undefined;
  const objects: KubeObject[] = [];
  for (const value of values) {
    if (value === null || value === undefined) continue; // an empty document, e.g. a trailing `---`
    if (checkObject(value).length > 0) return undefined;
    objects.push(withDefaultNamespace(value as KubeObject));
  }
  return { objects, errors: [] };
}

/** The document model: slower, and every problem with its line. */
export function parseExact(text: string, file: string): ParsedManifests {
  const yaml = yamlModule();
  const lineCounter = new yaml.LineCounter();
  const docs = yaml.parseAllDocuments(text, { lineCounter, prettyErrors: false });
  const objects: KubeObject[] = [];
  const errors: ManifestError[] = [];
  docs.forEach((doc, i) => {
    const document = i + 1;
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        errors.push({ file, document, line: lineCounter.linePos(e.pos[0]).line, message: `malformed YAML: ${firstLine(e.message)}` });
      }
      return;
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return; // an empty document, e.g. a trailing `---`
    const problems = checkObject(value);
    if (problems.length > 0) {
      for (const p of problems) errors.push({ file, document, line: lineOf(doc, p.field, lineCounter), message: p.message });
      return;
    }
    objects.push(withDefaultNamespace(value as KubeObject));
  });
  return { objects, errors };
}

export async function loadManifestFiles(files: readonly string[]): Promise<ParsedManifests> {
  const objects: KubeObject[] = [];
  const errors: ManifestError[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      errors.push({ file, document: 0, message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` });
      continue;
    }
    const parsed = parseManifests(text, file);
    objects.push(...parsed.objects);
    errors.push(...parsed.errors);
  }
  errors.push(...duplicateErrors(objects));
  return { objects, errors };
}

/** Groups objects by kind (see the kind table). Later duplicates of the same kind/namespace/name are dropped. */
export function buildSnapshot(objects: readonly KubeObject[]): Snapshot {
  const seen = new Set<string>();
  const unique: KubeObject[] = [];
  for (const o of objects) {
    const key = objectKey(o);
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(o);
  }
  return snapshotOf(unique);
}

function objectKey(o: KubeObject): string {
  return `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

function duplicateErrors(objects: readonly KubeObject[]): ManifestError[] {
  const seen = new Set<string>();
  const errors: ManifestError[] = [];
  for (const o of objects) {
    const key = objectKey(o);
    if (seen.has(key)) {
      errors.push({ file: '(all files)', document: 0, message: `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name} is defined more than once` });
    }
    seen.add(key);
  }
  return errors;
}

interface Problem {
  readonly field: string;
  readonly message: string;
}

function checkObject(value: unknown): Problem[] {
  if (!isRecord(value)) return [{ field: '', message: 'expected a Kubernetes object (a mapping with apiVersion, kind, metadata)' }];
  const { apiVersion, kind } = value;
  if (typeof kind !== 'string') return [{ field: 'kind', message: 'kind: required field is missing or not a string' }];
  if (typeof apiVersion !== 'string') return [{ field: 'apiVersion', message: 'apiVersion: required field is missing or not a string' }];
  const spec = kindSpec(kind);
  if (spec === undefined) return []; // other kinds are passed through untouched
  const problems: string[] = [];
  if (!spec.apiVersions.includes(apiVersion)) {
    problems.push(`apiVersion: ${kind} is not served as "${apiVersion}" (expected ${spec.apiVersions.join(' or ')})`);
  }
  if (value.metadata === undefined) problems.push('metadata: required field is missing');
  problems.push(...checkSchema(value.metadata, OBJECT_META, 'metadata'));
  const schema = manifestSchema(spec);
  if (schema?.spec) problems.push(...checkSchema(value.spec, schema.spec, 'spec'));
  const top = schema?.top ?? {};
  for (const [k, v] of Object.entries(value)) {
    if (TOP_LEVEL.has(k)) continue;
    const sub = top[k];
    if (sub === undefined) problems.push(`${k}: unknown field`);
    else problems.push(...checkSchema(v, sub, k));
  }
  if (!spec.namespaced && isRecord(value.metadata) && value.metadata.namespace !== undefined) {
    problems.push(`metadata.namespace: ${kind} is cluster-scoped and takes no namespace`);
  }
  return problems.map((message) => ({ field: message.slice(0, message.indexOf(':')), message }));
}

function withDefaultNamespace(o: KubeObject): KubeObject {
  if (!kindSpec(o.kind)?.namespaced || o.metadata.namespace) return o;
  return { ...o, metadata: { ...o.metadata, namespace: 'default' } };
}

/** Line of the deepest node along `field` (e.g. `spec.listeners[0].port`) that exists. */
function lineOf(doc: Document, field: string, lc: LineCounter): number | undefined {
  const path: (string | number)[] = [];
  for (const m of field.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) path.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range) return lc.linePos(range[0]).line;
  }
  return undefined;
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}
