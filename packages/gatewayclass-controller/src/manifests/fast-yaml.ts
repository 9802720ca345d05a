// The fast path of manifest parsing: block-yaml.ts's reader, then js-yaml for what it leaves, build
// plain values directly, about ten times faster than the `yaml` package's document model, which
// the loader keeps for files with a problem (it knows each node's line). Both must read a valid
// file the same way, so plain scalars resolve by the YAML 1.2 core schema exactly as `yaml`
// resolves them (no timestamps, no merge keys, no underscores in numbers, `yes`/`no` are
// strings); load.test.ts compares the two on every manifest in the repository.
import { createRequire } from 'node:module';
import type { Schema, Type } from 'js-yaml';
import { readBlockDocuments } from './block-yaml.js';
import { BOOL, FLOAT, INT, NULL, toBool, toFloat, toInt } from './yaml-core.js';

type JsYaml = typeof import('js-yaml');

// js-yaml, loaded on first use: the block reader (block-yaml.ts) reads most files without it.
let jsyamlLoaded: JsYaml | undefined;
export function jsYamlModule(): JsYaml {
  return (jsyamlLoaded ??= createRequire(import.meta.url)('js-yaml') as JsYaml);
}

let core: Schema | undefined;
function core12(): Schema {
  if (core !== undefined) return core;
  const jsyaml = jsYamlModule();
  const scalar = (tag: string, test: RegExp, construct: (s: string) => unknown): Type =>
    new jsyaml.Type(`tag:yaml.org,2002:${tag}`, {
      kind: 'scalar',
      resolve: (data: unknown) => typeof data === 'string' && test.test(data),
      construct: (data: string) => construct(data),
    });
  core = jsyaml.FAILSAFE_SCHEMA.extend({
    implicit: [
      scalar('null', NULL, () => null),
      scalar('bool', BOOL, toBool),
      scalar('int', INT, toInt),
      scalar('float', FLOAT, toFloat),
    ],
  });
  return core;
}

// An anchor or alias outside quotes. js-yaml shares aliased values without limit, where `yaml`
// counts them (a "billion laughs" file is an error there): such files take the exact path.
const ANCHOR_OR_ALIAS = /(?:^|[\s,[{])[&*][^\s,[\]{}]/m;

/**
 * Every document's value, or undefined when this path cannot vouch for the file (a syntax error,
 * duplicate keys, anchors, tags other than the core ones): the caller parses it exactly instead.
 */
export function loadAllFast(text: string): unknown[] | undefined {
  return readBlockDocuments(text, oneDocument)?.values ?? loadAllJsYaml(text);
}

/**
 * One document the block reader leaves to js-yaml (its own text, from its `---` line): its value,
 * or undefined (anchors, directives, an error, not exactly one document) to leave the whole text
 * to the caller's js-yaml or document-model path, which then reports errors at their lines.
 */
export function oneDocument(document: string): { value: unknown } | undefined {
  if (ANCHOR_OR_ALIAS.test(document) || document.startsWith('%') || document.includes('\n%')) return undefined;
  try {
    const values = jsYamlModule().loadAll(document, null, { schema: core12() });
    return values.length === 1 ? { value: values[0] } : undefined;
  } catch {
    return undefined;
  }
}

/** `loadAllFast` by js-yaml alone (for a text the block reader gave up on). */
export function loadAllJsYaml(text: string): unknown[] | undefined {
  if (ANCHOR_OR_ALIAS.test(text)) return undefined;
  try {
    return jsYamlModule().loadAll(text, null, { schema: core12() });
  } catch {
    return undefined;
  }
}

/** How js-yaml read a file: its values, or its first error with the line (1-based) it names. */
export type FastOutcome = { readonly values: unknown[] } | { readonly line: number | undefined; readonly message: string };

/**
 * The fast path for a file too large for the document model (which is slow on big mappings):
 * js-yaml's values, or its error. Anchors are refused above a few aliases, since js-yaml does not
 * bound how far they expand.
 */
export function loadAllFastOrError(text: string, maxAliases: number): FastOutcome {
  const aliases = text.match(/(?:^|[\s,[{])[*][^\s,[\]{}]/gm);
  if (aliases !== null && aliases.length > maxAliases) {
    const at = text.search(/(?:^|[\s,[{])[*][^\s,[\]{}]/m);
    return { line: lineAt(text, at + 1), message: `more than ${maxAliases} aliases` };
  }
  try {
    return { values: jsYamlModule().loadAll(text, null, { schema: core12() }) };
  } catch (err) {
    if (err instanceof jsYamlModule().YAMLException) {
      const mark = (err as { mark?: { line?: number } }).mark;
      return { line: mark?.line !== undefined ? mark.line + 1 : undefined, message: err.reason ?? 'malformed YAML' };
    }
    if (err instanceof RangeError) return { line: undefined, message: 'nesting too deep' };
    throw err;
  }
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** The 1-based line each document of a multi-document file starts on (a `---` line starts one). */
export function documentStartLines(text: string): number[] {
  const starts = [1];
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) {
    line++;
    if (text.startsWith('---', i + 1) && (line > 1)) starts.push(line);
  }
  // A file that opens with `---` has no document before it.
  if (text.startsWith('---')) starts.shift();
  return starts;
}
