// Reads Gateway API and Gantry manifests from YAML files: the input of `gantry translate` and
// `gantry standalone`. Every problem names the file, the document and the field.
import { readFile } from 'node:fs/promises';
import type { Document, LineCounter } from 'yaml';
import { yamlModule } from './yaml-lazy.js';
import { loadAllFast } from './fast-yaml.js';
import { GANTRY_API_GROUP, GATEWAY_API_GROUP, OBJECT_META, checkSchema, isRecord, kindSpec, manifestSchemaOfKind as manifestSchema, snapshotOf, type KubeObject, type Snapshot } from '@gantry/api';

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
  /** Objects read but not used (kinds Gantry does not handle): `loadManifestFiles` only. */
  readonly warnings?: ManifestError[];
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
    for (const { value: item } of documentObjects(value)) {
      if (checkObject(item).length > 0) return undefined;
      objects.push(withDefaultNamespace(item as KubeObject));
    }
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
    for (const { value: item, prefix } of documentObjects(value)) {
      const problems = checkObject(item);
      if (problems.length > 0) {
        for (const p of problems) {
          const field = `${prefix}${p.field}`;
          errors.push({ file, document, line: lineOf(doc, field, lineCounter), message: prefix === '' ? p.message : `${prefix}${p.message}` });
        }
        continue;
      }
      objects.push(withDefaultNamespace(item as KubeObject));
    }
  });
  return { objects, errors };
}

export async function loadManifestFiles(files: readonly string[]): Promise<ParsedManifests> {
  const objects: KubeObject[] = [];
  const errors: ManifestError[] = [];
  const warnings: ManifestError[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = file === STDIN ? await readStdin() : await readFile(file, 'utf8');
    } catch (err) {
      errors.push({ file, document: 0, message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` });
      continue;
    }
    const parsed = parseManifests(text, file === STDIN ? STDIN_NAME : file);
    objects.push(...parsed.objects);
    errors.push(...parsed.errors);
    for (const o of parsed.objects) {
      const w = unhandledKindWarning(o);
      if (w !== undefined) warnings.push({ file: file === STDIN ? STDIN_NAME : file, document: 0, message: w });
    }
  }
  errors.push(...duplicateErrors(objects));
  return { objects, errors, warnings };
}

/** `-f -`: the manifests come from standard input. */
export const STDIN = '-';
const STDIN_NAME = '(stdin)';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A kind that is not in the kind table is passed through and never read. Said once per object,
 * so that a route kind Gantry does not handle yet (or a typo in `kind`) is not silently dropped.
 */
export function unhandledKindWarning(o: KubeObject): string | undefined {
  if (kindSpec(o.kind) !== undefined) return undefined;
  const name = `${o.metadata.namespace !== undefined ? `${o.metadata.namespace}/` : ''}${o.metadata.name ?? ''}`;
  const group = o.apiVersion.includes('/') ? o.apiVersion.slice(0, o.apiVersion.indexOf('/')) : '';
  const ours = group === GATEWAY_API_GROUP || group === GANTRY_API_GROUP;
  return ours
    ? `${o.kind} ${name} (${o.apiVersion}): this version of Gantry does not handle ${o.kind}; ignored`
    : `${o.kind} ${name} (${o.apiVersion}): not a kind Gantry reads; ignored`;
}

/**
 * The objects of one YAML document: itself, or the items of a `kind: List` (what
 * `kubectl get -o yaml` prints), each with the field path of where it sits.
 */
function documentObjects(value: unknown): { value: unknown; prefix: string }[] {
  if (isRecord(value) && value.kind === 'List' && value.apiVersion === 'v1' && Array.isArray(value.items)) {
    return value.items.map((item: unknown, i: number) => ({ value: item, prefix: `items[${i}].` }));
  }
  return [{ value, prefix: '' }];
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
  // Other kinds are passed through untouched, but each must name itself.
  if (spec === undefined) return isRecord(value.metadata) && typeof value.metadata.name === 'string' ? [] : [{ field: 'metadata.name', message: 'metadata.name: required field is missing or not a string' }];
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
