// Reads Gateway API and Gantry manifests from YAML files: the input of `gantry translate` and
// `gantry standalone`. Every problem names the file, the document and the field.
import { readFile, stat } from 'node:fs/promises';
import type { Document, LineCounter } from 'yaml';
import { yamlModule } from './yaml-lazy.js';
import { documentStartLines, loadAllFastOrError, loadAllJsYaml, oneDocument } from './fast-yaml.js';
import { readBlockDocuments } from './block-yaml.js';
import { ownValues } from './yaml-core.js';
import { crdSchemaProblems } from './crd-schemas.js';
import { crdCelProblems } from './crd-cel.js';
import { GANTRY_API_GROUP, GATEWAY_API_GROUP, OBJECT_META, checkSchema, isRecord, quoteValue, kindSpec, manifestSchemaOfKind as manifestSchema, snapshotOf, type KubeObject, type Snapshot } from '@gantry/api';

export interface ManifestError {
  readonly file: string;
  /** 1-based index of the YAML document in the file. */
  readonly document: number;
  readonly line?: number;
  readonly message: string;
  /** The object is a Secret: its values are never echoed. */
  readonly secret?: boolean;
  /** The refused object's `kind/namespace/name`, when it names itself (standalone keeps its last good version). */
  readonly object?: string;
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
 * without problems takes the fast path (block-yaml.ts, else js-yaml by fast-yaml.ts); one with any
 * problem is parsed again with the document model, which reports each problem with its line.
 */
export function parseManifests(text: string, file: string): ParsedManifests {
  // The block reader first (block-yaml.ts): a text it reads is already known to be within the
  // indentation bound, and within the flow bound when it has few brackets at all; the bounds pass
  // runs for the others, before js-yaml or the document model sees them.
  // A document outside the reader's subset is read by js-yaml alone, once the bounds pass has run.
  let bounded: ManifestError | undefined | null = null;
  const bounds = (): ManifestError | undefined => (bounded === null ? (bounded = checkBounds(text, file)) : bounded);
  const read = text.length <= MAX_MANIFEST_BYTES ? readBlockDocuments(text, (doc) => (bounds() === undefined ? oneDocument(doc) : undefined)) : undefined;
  const block = read?.values;
  if (read === undefined || read.others > 0 || !fewFlowBrackets(text)) {
    const refused = bounds();
    if (refused !== undefined) return { objects: [], errors: [refused] };
  }
  let parsed: ParsedManifests;
  try {
    parsed = text.length > MAX_EXACT_BYTES ? parseLarge(text, file, block) : (parseFast(block ?? loadAllJsYaml(text)) ?? parseExact(text, file));
  } catch (err) {
    // Nothing a file holds may crash the loader: whatever slipped past the bounds is an error of the file.
    parsed = { objects: [], errors: [{ file, document: 0, message: `cannot be parsed: ${err instanceof RangeError ? 'nesting too deep' : safeMessage(err)}` }] };
  }
  // What js-yaml or the document model read holds views of the text (see ownValues); the block
  // reader's values are already their own.
  if (read === undefined || read.others > 0) for (const o of parsed.objects) ownValues(o);
  return { objects: parsed.objects, errors: parsed.errors.map(hideSecretValues) };
}

/**
 * Above this size a file with a problem is not handed to the document model (slow on big
 * mappings: seconds for 20,000 keys); its problems are placed at js-yaml's line, or at their
 * document's first line.
 */
const MAX_EXACT_BYTES = 64 * 1024;

function parseLarge(text: string, file: string, block: unknown[] | undefined): ParsedManifests {
  const outcome = block !== undefined ? { values: block } : loadAllFastOrError(text, MAX_ALIASES);
  if (!('values' in outcome)) {
    return { objects: [], errors: [{ file, document: 0, ...(outcome.line !== undefined ? { line: outcome.line } : {}), message: `malformed YAML: ${safeMessage(outcome.message)}` }] };
  }
  // Only a file with a problem needs its documents' lines.
  let starts: number[] | undefined;
  const objects: KubeObject[] = [];
  const errors: ManifestError[] = [];
  outcome.values.forEach((value, i) => {
    if (value === null || value === undefined) return;
    for (const { value: item, prefix } of documentObjects(value)) {
      const problems = checkObject(item);
      if (problems.length === 0) {
        objects.push(withDefaultNamespace(item as KubeObject));
        continue;
      }
      const about = refusedObject(item);
      const line = (starts ??= documentStartLines(text))[i];
      for (const p of problems.slice(0, MAX_ERRORS_PER_FILE)) {
        errors.push({ file, document: i + 1, ...(line !== undefined ? { line } : {}), message: `${prefix}${p.message}`, ...about });
      }
    }
  });
  return { objects, errors: errors.slice(0, MAX_ERRORS_PER_FILE) };
}

/** Largest manifest file read (a bigger one is refused before parsing). */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;
/** Deepest nesting of flow collections (`[`/`{`) accepted, and widest indentation (block nesting). */
export const MAX_FLOW_DEPTH = 128;
export const MAX_INDENT = 512;
/** At most this many aliases per document (a "billion laughs" file expands exponentially). */
export const MAX_ALIASES = 100;
/** At most this many problems are listed per file. */
const MAX_ERRORS_PER_FILE = 20;

/**
 * Refuses, in one linear pass and before any parser sees it, a file whose size or nesting would
 * make a parser slow or overflow its stack: the error names the line.
 */
function checkBounds(text: string, file: string): ManifestError | undefined {
  if (text.length > MAX_MANIFEST_BYTES) {
    return { file, document: 0, message: `file too large: ${text.length} bytes (at most ${MAX_MANIFEST_BYTES})` };
  }
  let line = 1;
  let document = 1;
  let depth = 0;
  let lineStart = true;
  let indent = 0;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      lineStart = true;
      indent = 0;
      if (text.startsWith('---', i + 1)) document++;
      continue;
    }
    if (lineStart) {
      if (c === 32) {
        if (++indent > MAX_INDENT) return { file, document, line, message: `nesting too deep: indented more than ${MAX_INDENT} columns` };
        continue;
      }
      lineStart = false;
    }
    if (quote !== '') {
      if (c === 92 && quote === '"') i++; // an escape inside double quotes
      else if (text[i] === quote) quote = '';
      continue;
    }
    // Quotes only count inside flow collections (a plain scalar may hold an apostrophe).
    if (depth > 0 && (c === 34 || c === 39)) quote = text[i]!;
    else if (c === 35 && depth === 0 && (i === 0 || text.charCodeAt(i - 1) === 32 || text.charCodeAt(i - 1) === 10)) {
      const end = text.indexOf('\n', i);
      i = (end === -1 ? text.length : end) - 1; // a comment
    } else if (c === 91 || c === 123) {
      if (++depth > MAX_FLOW_DEPTH) return { file, document, line, message: `nesting too deep: more than ${MAX_FLOW_DEPTH} nested [ or {` };
    } else if ((c === 93 || c === 125) && depth > 0) depth--;
  }
  return undefined;
}

/** Whether the text has at most MAX_FLOW_DEPTH `[` and `{` in all: then no nesting of them can exceed it. */
function fewFlowBrackets(text: string): boolean {
  let n = 0;
  for (let i = text.indexOf('['); i !== -1 && n <= MAX_FLOW_DEPTH; i = text.indexOf('[', i + 1)) n++;
  for (let i = text.indexOf('{'); i !== -1 && n <= MAX_FLOW_DEPTH; i = text.indexOf('{', i + 1)) n++;
  return n <= MAX_FLOW_DEPTH;
}

function safeMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const first = firstLine(text);
  return first.includes('PRIVATE KEY') ? '<redacted>' : first.slice(0, 200);
}

/** A Secret's values never appear in an error, even short ones in a wrong field. */
function hideSecretValues(e: ManifestError): ManifestError {
  return e.message.includes('"') && e.secret === true ? { ...e, message: e.message.replace(/"(?:[^"\\]|\\.)*"?/g, '(value hidden)') } : e;
}

function parseFast(values: unknown[] | undefined): ParsedManifests | undefined {
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
  // uniqueKeys off: the library compares every key with every other one (a mapping of 100,000 keys
  // takes minutes); duplicates are found below with a set, in linear time.
  const docs = yaml.parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const objects: KubeObject[] = [];
  const errors: ManifestError[] = [];
  let omitted = 0;
  const add = (e: ManifestError): void => {
    if (errors.length < MAX_ERRORS_PER_FILE) errors.push(e);
    else omitted++;
  };
  docs.forEach((doc, i) => {
    const document = i + 1;
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        add({ file, document, line: lineCounter.linePos(e.pos[0]).line, message: `malformed YAML: ${firstLine(e.message)}` });
      }
      return;
    }
    const duplicate = firstDuplicateKey(doc.contents);
    if (duplicate !== undefined) {
      add({ file, document, line: lineCounter.linePos(duplicate.offset).line, message: `malformed YAML: map keys must be unique (${duplicate.key} repeats)` });
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIASES });
    } catch (err) {
      // An alias to no anchor, or too many aliases (a "billion laughs" file).
      const alias = /[*]([^\s,[\]{}]+)/.exec(text.slice(doc.range[0], doc.range[2]));
      const line = alias ? lineCounter.linePos(doc.range[0] + alias.index).line : lineCounter.linePos(doc.range[0]).line;
      add({ file, document, line, message: `malformed YAML: ${err instanceof RangeError ? 'nesting too deep' : safeMessage(err)}` });
      return;
    }
    if (value === null || value === undefined) return; // an empty document, e.g. a trailing `---`
    for (const { value: item, prefix } of documentObjects(value)) {
      const problems = checkObject(item);
      if (problems.length > 0) {
        const about = refusedObject(item);
        for (const p of problems) {
          add({ file, document, line: lineOf(doc, `${prefix}${p.field}`, lineCounter), message: prefix === '' ? p.message : `${prefix}${p.message}`, ...about });
        }
        continue;
      }
      objects.push(withDefaultNamespace(item as KubeObject));
    }
  });
  if (omitted > 0) errors.push({ file, document: 0, message: `and ${omitted} more problem(s)` });
  return { objects, errors };
}

export async function loadManifestFiles(files: readonly string[]): Promise<ParsedManifests> {
  const objects: KubeObject[] = [];
  const errors: ManifestError[] = [];
  const warnings: ManifestError[] = [];
  const fileOf = new Map<KubeObject, string>();
  for (const file of files) {
    let text: string;
    try {
      if (file === STDIN) {
        text = await readStdin();
      } else {
        const size = (await stat(file)).size;
        if (size > MAX_MANIFEST_BYTES) {
          errors.push({ file, document: 0, message: `file too large: ${size} bytes (at most ${MAX_MANIFEST_BYTES})` });
          continue;
        }
        text = await readFile(file, 'utf8');
      }
    } catch (err) {
      errors.push({ file, document: 0, message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` });
      continue;
    }
    const name = file === STDIN ? STDIN_NAME : file;
    const parsed = parseManifests(text, name);
    for (const o of parsed.objects) fileOf.set(o, name);
    objects.push(...parsed.objects);
    errors.push(...parsed.errors);
    for (const o of parsed.objects) {
      const w = unhandledKindWarning(o);
      if (w !== undefined) warnings.push({ file: file === STDIN ? STDIN_NAME : file, document: 0, message: w });
    }
  }
  errors.push(...duplicateErrors(objects, fileOf));
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

/** `kind/namespace/name`: the key a snapshot is unique by. */
export function objectKey(o: KubeObject): string {
  // join, not a template: a template of 13 characters or more is a tree of concatenations (four
  // string objects) that V8 flattens into a fifth on first use; standalone keeps 30,000 of these
  // keys at 10,000 routes, and a joined string is one object.
  return [o.kind, o.metadata.namespace ?? '', o.metadata.name].join('/');
}

/** Each repeated object, reported in the file of the repeat, naming the file of the first. */
function duplicateErrors(objects: readonly KubeObject[], fileOf: ReadonlyMap<KubeObject, string>): ManifestError[] {
  const first = new Map<string, string>();
  const errors: ManifestError[] = [];
  for (const o of objects) {
    const key = objectKey(o);
    const file = fileOf.get(o) ?? '(unknown file)';
    const earlier = first.get(key);
    if (earlier !== undefined) {
      const name = `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
      errors.push({ file, document: 0, message: `${name} is defined more than once (first in ${earlier})` });
    } else first.set(key, file);
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
  // What the API server would refuse, by the kind's CRD schema: only once the loader's own checks
  // pass (they say it more plainly), and only for kinds with a CRD.
  // Then the CRD's CEL rules, on an object the schema admits (as their guards expect).
  if (problems.length === 0) {
    const schema = crdSchemaProblems(value);
    return schema.length > 0 ? schema : crdCelProblems(value);
  }
  return problems.map((message) => ({ field: message.slice(0, message.indexOf(':')), message }));
}

/** What an error says of the object it refuses: whether it is a Secret, and its key when it names itself. */
function refusedObject(item: unknown): { secret?: true; object?: string } {
  if (!isRecord(item)) return {};
  const secret = item.kind === 'Secret' ? { secret: true as const } : {};
  if (typeof item.kind !== 'string' || !isRecord(item.metadata) || typeof item.metadata.name !== 'string') return secret;
  return { ...secret, object: objectKey(withDefaultNamespace(item as unknown as KubeObject)) };
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

/** The first key that repeats in a mapping, anywhere in the document (one set per mapping: linear). */
function firstDuplicateKey(root: unknown): { key: string; offset: number } | undefined {
  const yaml = yamlModule();
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (yaml.isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        const k: unknown = pair.key;
        const id = yaml.isScalar(k) ? k.value : k;
        if (seen.has(id)) {
          const offset = (k as { range?: [number, number, number] } | null)?.range?.[0] ?? 0;
          return { key: typeof id === 'string' ? quoteValue(id) : String(id), offset };
        }
        seen.add(id);
        stack.push(pair.value);
      }
    } else if (yaml.isSeq(node)) {
      for (const item of node.items) stack.push(item);
    }
  }
  return undefined;
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}
