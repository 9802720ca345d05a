// Re-parses only the documents of a file that changed. A file of a hundred routes with one route
// edited costs one document's parse, and every other document's objects keep their identity (no
// diff needed downstream). Documents are split at `---` lines, which is where YAML splits them
// whenever the file has no directives, no `...` end markers and no content on a `---` line;
// a file that has any of those, or a document with a problem, is parsed whole, so errors keep
// their file:line and document number.
// Documents are remembered by a digest of their text, not the text: a document's text is a slice
// of its file's, so keeping it kept every file's whole text alive (7.5 MiB at 10,000 routes).
import { hash } from 'node:crypto';
import type { KubeObject } from '@gantry/api';
import { parseManifests, type ParsedManifests } from '../manifests/load.js';

const SEPARATOR = /^---[ \t]*(?:\r?\n|$)/m;
const SEPARATOR_G = /^---[ \t]*(?:\r?\n|$)/gm;
/** Constructs the plain split cannot follow: directives, document end markers, `--- content`. */
const UNSPLITTABLE = /^(?:%|\.\.\.(?:[ \t]|\r?$)|---[ \t]+[^\s#])/m;

/** What a document held: its one object alone (nearly always), else its objects in a compact array. */
type Held = KubeObject | readonly KubeObject[];

const digest = (text: string): string => hash('sha256', text, 'base64');

function held(objects: readonly KubeObject[]): Held {
  // The parser's array grows by push (17 slots for one object): a copy holds only what it has.
  return objects.length === 1 ? objects[0]! : objects.slice();
}

export class DocumentCache {
  /** Per file: each document's digest → what it held at the last good parse. */
  private readonly files = new Map<string, Map<string, Held>>();

  /** Parses `text` of `file`, reusing the objects of documents seen unchanged in its last good version. */
  parse(file: string, text: string): ParsedManifests {
    const previous = this.files.get(file);
    if (!SEPARATOR.test(text) || UNSPLITTABLE.test(text)) return this.whole(file, text);
    const docs = text.split(SEPARATOR_G);
    const next = new Map<string, Held>();
    const objects: KubeObject[] = [];
    for (const doc of docs) {
      const key = digest(doc);
      let h = next.get(key) ?? previous?.get(key);
      if (h === undefined) {
        const parsed = parseManifests(doc, file);
        if (parsed.errors.length > 0) return this.whole(file, text);
        h = held(parsed.objects);
      }
      next.set(key, h);
      if (Array.isArray(h)) objects.push(...(h as readonly KubeObject[]));
      else objects.push(h as KubeObject);
    }
    this.files.set(file, next);
    return { objects, errors: [] };
  }

  forget(file: string): void {
    this.files.delete(file);
  }

  private whole(file: string, text: string): ParsedManifests {
    const parsed = parseManifests(text, file);
    // A file parsed whole is remembered whole: its next version is parsed whole or split afresh.
    if (parsed.errors.length === 0) this.files.set(file, new Map([[digest(text), held(parsed.objects)]]));
    return parsed;
  }
}
