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

/**
 * A file's documents at its last good parse, in order: two arrays of their size rather than a Map
 * per file (a Map's table is several times its entries: 1.4 MiB for 100 files of 300 documents).
 */
interface FileDocuments {
  readonly digests: readonly string[];
  readonly held: readonly Held[];
}

/** 32 bytes as a one-byte string ('binary' is latin1): 48 bytes on the heap, against 56 for base64. */
const digest = (text: string): string => hash('sha256', text, 'binary');

function held(objects: readonly KubeObject[]): Held {
  // The parser's array grows by push (17 slots for one object): a copy holds only what it has.
  return objects.length === 1 ? objects[0]! : objects.slice();
}

export class DocumentCache {
  private readonly files = new Map<string, FileDocuments>();

  /** Parses `text` of `file`, reusing the objects of documents seen unchanged in its last good version. */
  parse(file: string, text: string): ParsedManifests {
    const previous = this.files.get(file);
    if (!SEPARATOR.test(text) || UNSPLITTABLE.test(text)) return this.whole(file, text);
    const docs = text.split(SEPARATOR_G);
    const digests = new Array<string>(docs.length);
    const helds = new Array<Held>(docs.length);
    /** The previous version's documents by digest, built only when one is not where it was. */
    let byDigest: Map<string, Held> | undefined;
    const objects: KubeObject[] = [];
    for (let i = 0; i < docs.length; i++) {
      const key = digest(docs[i]!);
      let h: Held | undefined;
      if (previous !== undefined) {
        if (previous.digests[i] === key) h = previous.held[i];
        else {
          if (byDigest === undefined) {
            byDigest = new Map();
            for (let j = 0; j < previous.digests.length; j++) byDigest.set(previous.digests[j]!, previous.held[j]!);
          }
          h = byDigest.get(key);
        }
      }
      if (h === undefined) {
        const parsed = parseManifests(docs[i]!, file);
        if (parsed.errors.length > 0) return this.whole(file, text);
        h = held(parsed.objects);
      }
      digests[i] = key;
      helds[i] = h;
      if (Array.isArray(h)) objects.push(...(h as readonly KubeObject[]));
      else objects.push(h as KubeObject);
    }
    this.files.set(file, { digests, held: helds });
    return { objects, errors: [] };
  }

  forget(file: string): void {
    this.files.delete(file);
  }

  private whole(file: string, text: string): ParsedManifests {
    const parsed = parseManifests(text, file);
    // A file parsed whole is remembered whole: its next version is parsed whole or split afresh.
    if (parsed.errors.length === 0) this.files.set(file, { digests: [digest(text)], held: [held(parsed.objects)] });
    return parsed;
  }
}
