// Re-parses only the documents of a file that changed. A file of a hundred routes with one route
// edited costs one document's parse, and every other document's objects keep their identity (no
// diff needed downstream). Documents are split at `---` lines, which is where YAML splits them
// whenever the file has no directives, no `...` end markers and no content on a `---` line;
// a file that has any of those, or a document with a problem, is parsed whole, so errors keep
// their file:line and document number.
import type { KubeObject } from '@gantry/api';
import { parseManifests, type ParsedManifests } from '../manifests/load.js';

const SEPARATOR = /^---[ \t]*(?:\r?\n|$)/m;
const SEPARATOR_G = /^---[ \t]*(?:\r?\n|$)/gm;
/** Constructs the plain split cannot follow: directives, document end markers, `--- content`. */
const UNSPLITTABLE = /^(?:%|\.\.\.(?:[ \t]|\r?$)|---[ \t]+[^\s#])/m;

export class DocumentCache {
  /** Per file: each document's text → the objects it held at the last good parse. */
  private readonly files = new Map<string, Map<string, readonly KubeObject[]>>();

  /** Parses `text` of `file`, reusing the objects of documents seen unchanged in its last good version. */
  parse(file: string, text: string): ParsedManifests {
    const previous = this.files.get(file);
    if (!SEPARATOR.test(text) || UNSPLITTABLE.test(text)) return this.whole(file, text);
    const docs = text.split(SEPARATOR_G);
    const next = new Map<string, readonly KubeObject[]>();
    const objects: KubeObject[] = [];
    for (const doc of docs) {
      let held = next.get(doc) ?? previous?.get(doc);
      if (held === undefined) {
        const parsed = parseManifests(doc, file);
        if (parsed.errors.length > 0) return this.whole(file, text);
        held = parsed.objects;
      }
      next.set(doc, held);
      objects.push(...held);
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
    if (parsed.errors.length === 0) this.files.set(file, new Map([[text, parsed.objects]]));
    return parsed;
  }
}
