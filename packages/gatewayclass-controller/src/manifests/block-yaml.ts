// A reader for the block-style YAML that Kubernetes manifests nearly always are: block mappings
// and sequences, plain and one-line quoted scalars, literal and folded block scalars, one-line flow
// collections, comments and `---` documents. It builds the same values as js-yaml with
// fast-yaml.ts's schema (YAML 1.2 core), in one pass and without js-yaml's per-node bookkeeping.
// It never reports an error: a document with anything outside that subset (anchors, aliases,
// tags, multi-line plain, quoted or flow scalars, directives, `...`, tabs where they would matter,
// duplicate keys, bad indentation) is given up, either to a reader the caller passes (js-yaml,
// for that document alone) or, with the whole text, to the caller's js-yaml or document-model path,
// which then says what is wrong where. block-yaml.test.ts compares the reader with js-yaml on every
// YAML file in the repository, the charts as helm renders them, and generated and mutated texts.
// MAX_INDENT must stay load.ts's bound: a text read whole skips load.ts's bounds pass.
import { own, resolvePlainScalar } from './yaml-core.js';

/** Thrown (one instance) to give up: the text is read by js-yaml instead. */
const OUTSIDE = new Error('outside the block subset');

/** Deepest indentation read (load.ts's MAX_INDENT); a wider one is left to load.ts's bounds pass. */
export const MAX_INDENT = 512;
/** YAML limits implicit keys to 1024 characters. */
const MAX_KEY = 1024;

let src = '';
let end = 0;
/** Indentation of the line found by the last `nextContent`, -1 at the end of the document. */
let indent = -1;
/** Position after the last node read: the start of the line after it. */
let pos = 0;
/** Collections open; js-yaml refuses nodes nested 100 deep (its maxDepth), this reader stops before. */
let depth = 0;
const MAX_DEPTH = 90;

/**
 * Every document's value, as js-yaml's `loadAll` with fast-yaml.ts's schema gives them, or
 * undefined when the text is not all in the subset. A text that is read also has no line indented
 * more than 512 columns.
 */
export function readBlockYaml(text: string): unknown[] | undefined {
  return readBlockDocuments(text)?.values;
}

/** One document's value read by other means, or undefined to give the whole text up. */
export type OtherReader = (document: string) => { readonly value: unknown } | undefined;

/**
 * As readBlockYaml, but a document outside the subset is handed to `other` as its own text (from
 * its `---` line to the next one): `others` counts them. Bounds (indentation) are vouched for only
 * when `others` is 0.
 */
export function readBlockDocuments(text: string, other?: OtherReader): { values: unknown[]; others: number } | undefined {
  if (text.length === 0 || !plainText(text)) return undefined;
  src = text;
  depth = 0;
  colons.reset();
  comments.reset();
  tabs.reset();
  try {
    const values: unknown[] = [];
    let others = 0;
    // Each document ends where nextContent meets a `---` line (which sets `end` there) or at the end.
    let from = 0;
    let start = 0;
    let implicit = true;
    if (isMarker(0)) {
      from = afterMarker(0);
      implicit = false;
    }
    for (;;) {
      end = text.length;
      let value: unknown;
      try {
        value = readDocument(from, implicit);
      } catch (err) {
        if (err !== OUTSIDE || other === undefined) throw err;
        end = markerAfter(from);
        const read = other(text.slice(start, end));
        if (read === undefined) throw OUTSIDE;
        value = read.value;
        others++;
        depth = 0;
      }
      if (value !== NO_DOCUMENT) values.push(value);
      if (end === text.length) return { values, others };
      start = end;
      from = afterMarker(end);
      implicit = false;
    }
  } catch {
    // OUTSIDE, or anything unforeseen: js-yaml reads it.
    return undefined;
  } finally {
    src = '';
  }
}

/** The start of the next `---` line at or after the line start p, or the text's end. */
function markerAfter(p: number): number {
  for (let i = src.indexOf('\n---', p - 1); i !== -1; i = src.indexOf('\n---', i + 1)) {
    if (isMarker(i + 1)) return i + 1;
  }
  return src.length;
}

/** Comments and blank lines before the first `---`: no document of their own. */
const NO_DOCUMENT = Symbol('no document');

/** Whether a `---` document marker starts at p (a line start). */
function isMarker(p: number): boolean {
  if (src.charCodeAt(p) !== 45 || src.charCodeAt(p + 1) !== 45 || src.charCodeAt(p + 2) !== 45) return false;
  const c = src.charCodeAt(p + 3);
  if (c === 9 || c === 13) throw OUTSIDE; // js-yaml's
  return Number.isNaN(c) || c === 32 || c === 10;
}

/** The start of the line after a `---` line; anything but spaces after the marker is left to js-yaml. */
function afterMarker(p: number): number {
  let q = p + 3;
  while (src.charCodeAt(q) === 32) q++;
  if (q >= src.length) return src.length;
  if (src.charCodeAt(q) !== 10) throw OUTSIDE;
  return q + 1;
}

/**
 * No character js-yaml refuses or treats specially: controls (tab and LF excepted; CR, as in
 * CRLF files, is left to js-yaml), a byte-order mark, lone surrogates, U+FFFE/U+FFFF.
 */
const SPECIAL = /[^\t\n\x20-\x7e]/g;
function plainText(text: string): boolean {
  SPECIAL.lastIndex = 0;
  for (let m = SPECIAL.exec(text); m !== null; m = SPECIAL.exec(text)) {
    const i = m.index;
    const c = text.charCodeAt(i);
    if (c === 0x85 || (c >= 0xa0 && c <= 0xd7ff && c !== 0xfeff) || (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff)) continue;
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        SPECIAL.lastIndex = i + 2;
        continue;
      }
    }
    return false;
  }
  return true;
}

function readDocument(from: number, implicit: boolean): unknown {
  const p = nextContent(from);
  if (p >= end) {
    if (!implicit) return null;
    // Only comments before the first `---` make no document; a text of nothing but comments and
    // blank lines is js-yaml's to read ([] or [null]).
    if (end < src.length) return NO_DOCUMENT;
    throw OUTSIDE;
  }
  if (indent !== 0) throw OUTSIDE;
  const c = src.charCodeAt(p);
  let value: unknown;
  if (c === 45 && wsOrEol(p + 1)) value = blockSequence(p, 0);
  else if (keyEnd(p) !== -1) value = blockMapping(p, 0);
  else throw OUTSIDE; // a scalar document
  if (nextContent(pos) < end) throw OUTSIDE;
  return value;
}

function lineEnd(p: number): number {
  const i = src.indexOf('\n', p);
  return i === -1 || i > end ? end : i;
}

function wsOrEol(p: number): boolean {
  if (p >= end) return true;
  const c = src.charCodeAt(p);
  return c === 32 || c === 10;
}

/**
 * From a line start, skips blank and comment lines; returns the first character of the next
 * content line (setting `indent`), or `end`.
 */
function nextContent(from: number): number {
  let p = from;
  while (p < end) {
    let q = p;
    while (src.charCodeAt(q) === 32) q++;
    if (q - p > MAX_INDENT) throw OUTSIDE;
    if (q >= end) break;
    const c = src.charCodeAt(q);
    if (c === 10) {
      p = q + 1;
      continue;
    }
    if (c === 35) {
      p = lineEnd(q) + 1;
      continue;
    }
    if (c === 9) throw OUTSIDE;
    if (q === p) {
      if (c === 45 && isMarker(q)) {
        // The document ends here.
        end = q;
        break;
      }
      if (c === 46 && src.startsWith('...', q) && wsOrEol(q + 3)) throw OUTSIDE; // a document end marker
    }
    indent = q - p;
    return q;
  }
  indent = -1;
  return end;
}

/**
 * If a block mapping key starts at p: the position of its `:`; -1 if the line is not a key.
 */
function keyEnd(p: number): number {
  const c = src.charCodeAt(p);
  if (c === 34 || c === 39) {
    const q = c === 34 ? doubleQuotedEnd(p) : singleQuotedEnd(p);
    return q !== -1 && src.charCodeAt(q) === 58 && wsOrEol(q + 1) ? q : -1;
  }
  const le = lineEnd(p);
  let colon = nextColon(p);
  while (colon < le && !wsOrEol(colon + 1)) colon = nextColon(colon + 1);
  return colon < le && nextComment(p) > colon ? colon : -1;
}

// Scans by the string's own search (fast before the code is optimized, as a one-shot parse is),
// each finder remembering its last answer: the reader moves forward, so every character is
// searched about once per finder.
/** A finder of `needle`: its next position at or after p (plus `shift`), or the text's length. */
class Finder {
  private from = 0;
  private at = -1;
  constructor(
    private readonly needle: string,
    private readonly shift: number,
  ) {}

  reset(): void {
    this.from = 0;
    this.at = -1;
  }

  next(p: number): number {
    if (p < this.from || p > this.at) {
      const i = src.indexOf(this.needle, p - this.shift);
      this.from = p;
      this.at = i === -1 ? src.length : i + this.shift;
    }
    return this.at;
  }
}
const colons = new Finder(':', 0);
/** A `#` after a space: a comment (outside quotes). */
const comments = new Finder(' #', 1);
const tabs = new Finder('\t', 0);
const nextColon = (p: number): number => colons.next(p);
const nextComment = (p: number): number => comments.next(p);
const nextTab = (p: number): number => tabs.next(p);

/** Characters that may not start a plain scalar (or that this reader leaves to js-yaml). */
function plainStart(c: number): boolean {
  switch (c) {
    case 45: // - (as `-x`: allowed by YAML, left to js-yaml here when it starts a key)
    case 63: // ?
    case 58: // :
    case 44: // ,
    case 91: // [
    case 93: // ]
    case 123: // {
    case 125: // }
    case 35: // #
    case 38: // &
    case 42: // *
    case 33: // !
    case 124: // |
    case 62: // >
    case 39: // '
    case 34: // "
    case 37: // %
    case 64: // @
    case 96: // `
    case 9:
    case 32:
    case 10:
      return false;
    default:
      return true;
  }
}

function readKey(p: number, colon: number): string {
  const c = src.charCodeAt(p);
  if (c === 34) return doubleQuoted(p);
  if (c === 39) return singleQuoted(p);
  if (!plainStart(c) || colon - p > MAX_KEY) throw OUTSIDE;
  const v = plainScalar(p, colon);
  if (typeof v === 'string') {
    if (v.charCodeAt(v.length - 1) === 32 || v.includes('\t')) throw OUTSIDE;
    return v;
  }
  return String(v);
}

// The scalars read last, by a hash of their length and end characters: manifests repeat most keys
// and many values (`name`, `port: 80`, `kind: Service`), and a repeat is then compared in place
// and shared, neither cut out of the text again nor resolved again. The cache outlives a text (its
// strings are their own): the documents of a directory share their repeated values.
const CACHE_SIZE = 4096;
const cachedRaw: (string | undefined)[] = new Array<string | undefined>(CACHE_SIZE).fill(undefined);
const cachedValue: unknown[] = new Array<unknown>(CACHE_SIZE).fill(undefined);

/** The value of the plain scalar src[p, stop). */
function plainScalar(p: number, stop: number): unknown {
  const n = stop - p;
  if (n > 64) return resolvePlainScalar(own(src.slice(p, stop)));
  // Also the characters a quarter in from each end: names and hostnames numbered in the middle
  // (`app-17.example.com`) would otherwise share a slot and push each other out.
  const q = n >> 2;
  const slot = (n * 31 + src.charCodeAt(p) * 7 + src.charCodeAt(stop - 1) * 3 + src.charCodeAt(p + (n >> 1)) + src.charCodeAt(p + q) * 5 + src.charCodeAt(stop - 1 - q) * 11) & (CACHE_SIZE - 1);
  const raw = cachedRaw[slot];
  if (raw !== undefined && raw.length === n && src.startsWith(raw, p)) return cachedValue[slot];
  const text = own(src.slice(p, stop));
  const value = resolvePlainScalar(text);
  cachedRaw[slot] = text;
  cachedValue[slot] = value;
  return value;
}

function blockMapping(start: number, col: number): Record<string, unknown> {
  if (++depth > MAX_DEPTH) throw OUTSIDE;
  const out: Record<string, unknown> = {};
  let p = start;
  for (;;) {
    const colon = keyEnd(p);
    if (colon === -1) throw OUTSIDE;
    const key = readKey(p, colon);
    if (key === '__proto__' || key === '<<' || Object.prototype.hasOwnProperty.call(out, key)) throw OUTSIDE;
    let q = colon + 1;
    while (src.charCodeAt(q) === 32) q++;
    const c = q >= end ? 10 : src.charCodeAt(q);
    if (c === 10 || c === 35) {
      // The value is on the lines below (or is null).
      const n = nextContent(c === 10 ? q + 1 : lineEnd(q) + 1);
      if (n < end && indent > col) out[key] = blockNode(n, indent, col);
      else if (n < end && indent === col && src.charCodeAt(n) === 45 && wsOrEol(n + 1)) out[key] = blockSequence(n, col);
      else {
        out[key] = null;
        pos = n < end ? n - indent : end;
      }
    } else {
      out[key] = inlineValue(q, col);
    }
    const n = nextContent(pos);
    if (n >= end || indent < col) {
      pos = n < end ? n - indent : end;
      depth--;
      return out;
    }
    if (indent > col || (src.charCodeAt(n) === 45 && wsOrEol(n + 1))) throw OUTSIDE;
    p = n;
  }
}

function blockSequence(start: number, col: number): unknown[] {
  if (++depth > MAX_DEPTH) throw OUTSIDE;
  const out: unknown[] = [];
  let p = start;
  for (;;) {
    let q = p + 1;
    while (src.charCodeAt(q) === 32) q++;
    const c = q >= end ? 10 : src.charCodeAt(q);
    if (c === 10 || c === 35) {
      const n = nextContent(c === 10 ? q + 1 : lineEnd(q) + 1);
      if (n < end && indent > col) out.push(blockNode(n, indent, col));
      else if (n < end && indent < col && src.charCodeAt(n) === 45 && wsOrEol(n + 1)) {
        // After an empty entry, js-yaml takes a less indented `- ` line as this sequence's next entry.
        throw OUTSIDE;
      } else {
        out.push(null);
        pos = n < end ? n - indent : end;
      }
    } else {
      out.push(blockNode(q, col + (q - p), col));
    }
    const n = nextContent(pos);
    if (n >= end || indent < col || (indent === col && !(src.charCodeAt(n) === 45 && wsOrEol(n + 1)))) {
      pos = n < end ? n - indent : end;
      depth--;
      // A copy the size of what it holds: an array grown by push has room for 17 entries (152
      // bytes for one), and the objects of a directory keep 90,000 short sequences at 10,000 routes.
      return out.slice();
    }
    if (indent > col) throw OUTSIDE;
    p = n;
  }
}

/** A node starting at p (column col) inside a block collection indented `parent`. */
function blockNode(p: number, col: number, parent: number): unknown {
  if (col > MAX_INDENT) throw OUTSIDE;
  const c = src.charCodeAt(p);
  if (c === 45 && wsOrEol(p + 1)) return blockSequence(p, col);
  if (c !== 91 && c !== 123 && keyEnd(p) !== -1) return blockMapping(p, col);
  return inlineValue(p, parent);
}

/**
 * A scalar (or `[]`/`{}`) starting at p and ending on its line, or a block scalar; `pos` is set
 * to the line after it. `parent` is the indentation of the collection it belongs to.
 */
function inlineValue(p: number, parent: number): unknown {
  const c = src.charCodeAt(p);
  let value: unknown;
  let q: number;
  switch (c) {
    case 34:
      value = doubleQuoted(p);
      q = doubleQuotedEnd(p);
      break;
    case 39:
      value = singleQuoted(p);
      q = singleQuotedEnd(p);
      break;
    case 124:
    case 62:
      return blockScalar(p, parent, c === 62);
    case 91:
    case 123:
      value = flowCollection(p);
      q = fpos;
      break;
    default: {
      // `-x`, `:x`, `?x` are plain scalars too (`name: :path`).
      if (!plainStart(c) && !((c === 45 || c === 58 || c === 63) && !wsOrEol(p + 1))) throw OUTSIDE;
      // To the end of the line or a comment; `a: b: c` is an error, `a: b:` too; a tab may be
      // part of a scalar but is left to js-yaml.
      const le = lineEnd(p);
      const comment = nextComment(p + 1);
      let stop = comment < le ? comment : le;
      if (nextTab(p + 1) < stop) throw OUTSIDE;
      for (let colon = nextColon(p + 1); colon < stop; colon = nextColon(colon + 1)) if (wsOrEol(colon + 1)) throw OUTSIDE;
      while (src.charCodeAt(stop - 1) === 32) stop--;
      pos = le + 1;
      return plainScalar(p, stop);
    }
  }
  // After a quoted scalar or `[]`: spaces, then the end of the line or a comment.
  let r = q;
  while (src.charCodeAt(r) === 32) r++;
  if (r < end) {
    const d = src.charCodeAt(r);
    if (d === 35 ? r === q : d !== 10) throw OUTSIDE;
  }
  pos = lineEnd(r) + 1;
  return value;
}

/** Position after the last flow collection read. */
let fpos = 0;

/**
 * A flow collection that opens and closes on one line (`[a, "b"]`, `{name: http, port: 80}`,
 * nested): plain scalars without `:`, quoted scalars, and `key: value` pairs in mappings. Empty
 * entries, trailing commas, keys without values and anything spanning lines are left to js-yaml.
 */
function flowCollection(p: number): unknown {
  if (++depth > MAX_DEPTH) throw OUTSIDE;
  const seq = src.charCodeAt(p) === 91;
  const close = seq ? 93 : 125;
  const list: unknown[] = [];
  const map: Record<string, unknown> = {};
  let q = skipSpaces(p + 1);
  if (src.charCodeAt(q) === close) {
    fpos = q + 1;
    depth--;
    return seq ? list : map;
  }
  for (;;) {
    if (seq) {
      list.push(flowNode(q));
    } else {
      const c = src.charCodeAt(q);
      let key: string;
      if (c === 34 || c === 39) {
        key = c === 34 ? doubleQuoted(q) : singleQuoted(q);
        q = skipSpaces(c === 34 ? doubleQuotedEnd(q) : singleQuotedEnd(q));
        if (src.charCodeAt(q) !== 58) throw OUTSIDE;
      } else {
        if (!plainStart(c)) throw OUTSIDE;
        let r = q;
        for (; ; r++) {
          const d = src.charCodeAt(r);
          if (d === 58) break;
          if (r >= end || d === 10 || d === 9 || d === 44 || d === 91 || d === 93 || d === 123 || d === 125 || (d === 35 && src.charCodeAt(r - 1) === 32)) throw OUTSIDE;
        }
        let stop = r;
        while (src.charCodeAt(stop - 1) === 32) stop--;
        const v = plainScalar(q, stop);
        key = typeof v === 'string' ? v : String(v);
        q = r;
      }
      // `:` then a space and a value.
      if (src.charCodeAt(q + 1) !== 32) throw OUTSIDE;
      q = skipSpaces(q + 1);
      const d = src.charCodeAt(q);
      if (d === 44 || d === close || d === 10) throw OUTSIDE;
      if (key === '__proto__' || key === '<<' || Object.prototype.hasOwnProperty.call(map, key)) throw OUTSIDE;
      map[key] = flowNode(q);
    }
    q = skipSpaces(fpos);
    const d = src.charCodeAt(q);
    if (d === close) break;
    if (d !== 44) throw OUTSIDE;
    q = skipSpaces(q + 1);
    const e = src.charCodeAt(q);
    if (e === close || e === 44) throw OUTSIDE;
  }
  fpos = q + 1;
  depth--;
  return seq ? list.slice() : map; // the size of what it holds, as blockSequence's
}

/** A node inside a flow collection at p; `fpos` is set after it. */
function flowNode(p: number): unknown {
  const c = src.charCodeAt(p);
  if (c === 91 || c === 123) return flowCollection(p);
  if (c === 34) {
    fpos = doubleQuotedEnd(p);
    return doubleQuoted(p);
  }
  if (c === 39) {
    fpos = singleQuotedEnd(p);
    return singleQuoted(p);
  }
  if (!plainStart(c) && !(c === 45 && !wsOrEol(p + 1) && !flowIndicator(src.charCodeAt(p + 1)))) throw OUTSIDE;
  let r = p + 1;
  for (; r < end; r++) {
    const d = src.charCodeAt(r);
    if (d === 44 || d === 93 || d === 125 || d === 10 || (d === 35 && src.charCodeAt(r - 1) === 32)) break;
    if (d === 58 || d === 9 || d === 91 || d === 123) throw OUTSIDE;
  }
  let stop = r;
  while (src.charCodeAt(stop - 1) === 32) stop--;
  fpos = r;
  return plainScalar(p, stop);
}

function flowIndicator(c: number): boolean {
  return c === 44 || c === 91 || c === 93 || c === 123 || c === 125;
}

function skipSpaces(p: number): number {
  let q = p;
  while (src.charCodeAt(q) === 32) q++;
  return q;
}

/** Position after the closing quote of a one-line double-quoted scalar at p, or -1. */
function doubleQuotedEnd(p: number): number {
  for (let q = p + 1; q < end; q++) {
    const c = src.charCodeAt(q);
    if (c === 34) return q + 1;
    if (c === 92) q++;
    else if (c === 10) return -1;
  }
  return -1;
}

function singleQuotedEnd(p: number): number {
  for (let q = p + 1; q < end; q++) {
    const c = src.charCodeAt(q);
    if (c === 39) {
      if (src.charCodeAt(q + 1) === 39) q++;
      else return q + 1;
    } else if (c === 10) return -1;
  }
  return -1;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '0': '\x00', a: '\x07', b: '\x08', t: '\t', '\t': '\t', n: '\n', v: '\x0b', f: '\x0c', r: '\r', e: '\x1b',
  ' ': ' ', '"': '"', '/': '/', '\\': '\\', N: '\x85', _: '\xa0', L: '\u2028', P: '\u2029',
};
const HEX_LENGTH: Record<string, number> = { x: 2, u: 4, U: 8 };

function doubleQuoted(p: number): string {
  let out = '';
  let seg = p + 1;
  for (let q = p + 1; q < end; q++) {
    const c = src.charCodeAt(q);
    if (c === 34) return own(out + src.slice(seg, q));
    if (c === 10) break;
    if (c !== 92) continue;
    out += src.slice(seg, q);
    const e = src[q + 1] ?? '';
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      out += simple;
      q++;
    } else {
      const n = HEX_LENGTH[e];
      if (n === undefined) throw OUTSIDE;
      const hex = src.slice(q + 2, q + 2 + n);
      if (hex.length !== n || !/^[0-9a-fA-F]+$/.test(hex)) throw OUTSIDE;
      const code = parseInt(hex, 16);
      if (code > 0x10ffff) throw OUTSIDE;
      out += String.fromCodePoint(code);
      q += 1 + n;
    }
    seg = q + 1;
  }
  throw OUTSIDE;
}

function singleQuoted(p: number): string {
  let out = '';
  let seg = p + 1;
  for (let q = p + 1; q < end; q++) {
    const c = src.charCodeAt(q);
    if (c === 10) break;
    if (c !== 39) continue;
    out += src.slice(seg, q);
    if (src.charCodeAt(q + 1) !== 39) return own(out);
    out += "'";
    q++;
    seg = q + 1;
  }
  throw OUTSIDE;
}

/**
 * A literal (`|`) or folded (`>`) block scalar, with optional chomping (`-`, `+`); an explicit
 * indentation indicator is left to js-yaml. The content, its indentation and the chomping follow
 * js-yaml's reading (readBlockScalar) line for line.
 */
function blockScalar(p: number, parent: number, folded: boolean): string {
  if (parent < 0) throw OUTSIDE;
  let q = p + 1;
  let chomp = 0; // 0 clip, -1 strip, 1 keep
  const h = src.charCodeAt(q);
  if (h === 45 || h === 43) {
    chomp = h === 45 ? -1 : 1;
    q++;
  }
  const after = src.charCodeAt(q);
  if (q < end && after !== 10 && after !== 32) throw OUTSIDE; // an indentation indicator, or more
  while (src.charCodeAt(q) === 32) q++;
  if (q < end && src.charCodeAt(q) === 35) q = lineEnd(q);
  if (q >= end || src.charCodeAt(q) !== 10) throw OUTSIDE;
  let ls = q + 1;
  let textIndent = parent + 1;
  let detected = false;
  let didRead = false;
  let empty = 0;
  let moreIndented = false;
  let out = '';
  while (ls < end) {
    let r = ls;
    if (!detected) {
      while (src.charCodeAt(r) === 32) r++;
      if (r - ls > textIndent) textIndent = r - ls;
    } else {
      const limit = ls + textIndent;
      while (r < limit && src.charCodeAt(r) === 32) r++;
    }
    if (r - ls > MAX_INDENT) throw OUTSIDE;
    if (r >= end) throw OUTSIDE; // a last line without a line break
    const c = src.charCodeAt(r);
    if (c === 10) {
      empty++;
      ls = r + 1;
      continue;
    }
    if (r - ls < textIndent) break;
    if (c === 32) {
      // A more-indented line: its whole indentation counts against the bound.
      let w = r;
      while (src.charCodeAt(w) === 32) w++;
      if (w - ls > MAX_INDENT) throw OUTSIDE;
    }
    if (folded) {
      if (c === 32 || c === 9) {
        moreIndented = true;
        out += '\n'.repeat(didRead ? 1 + empty : empty);
      } else if (moreIndented) {
        moreIndented = false;
        out += '\n'.repeat(empty + 1);
      } else if (empty === 0) {
        if (didRead) out += ' ';
      } else {
        out += '\n'.repeat(empty);
      }
    } else {
      out += '\n'.repeat(didRead ? 1 + empty : empty);
    }
    detected = true;
    didRead = true;
    empty = 0;
    const le = src.indexOf('\n', r);
    if (le === -1 || le >= end) throw OUTSIDE;
    out += src.slice(r, le);
    ls = le + 1;
  }
  if (chomp === 1) out += '\n'.repeat(didRead ? 1 + empty : empty);
  else if (chomp === 0 && didRead) out += '\n';
  pos = ls;
  return own(out);
}
