// The YAML 1.2 core schema's implicit scalars (null, bool, int, float) as fast-yaml.ts's js-yaml
// schema and block-yaml.ts's reader both resolve them.

export const INT = /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$/;
export const FLOAT = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+|[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*))$/;

export function toInt(s: string): number {
  if (s.startsWith('0o')) return parseInt(s.slice(2), 8);
  if (s.startsWith('0x')) return parseInt(s.slice(2), 16);
  return parseInt(s, 10);
}

export function toFloat(s: string): number {
  if (/nan$/i.test(s)) return NaN;
  if (/inf$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  return parseFloat(s);
}

export const NULL = /^(?:~|[Nn]ull|NULL)?$/;
export const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
export const toBool = (s: string): boolean => s[0] === 't' || s[0] === 'T';

/**
 * A plain scalar's value under fast-yaml.ts's schema, resolved as js-yaml resolves it (null, bool,
 * int, float, in that order, else the string itself): block-yaml.ts's reader uses it.
 */
export function resolvePlainScalar(s: string): unknown {
  const c = s.charCodeAt(0);
  // Only these first characters can start a null, bool, int or float.
  if (c >= 48 && c <= 57) {
    if (INT.test(s)) return toInt(s);
    return FLOAT.test(s) ? toFloat(s) : s;
  }
  switch (c) {
    case 110: case 78: case 126: // n N ~
      return NULL.test(s) ? null : s;
    case 116: case 84: case 102: case 70: // t T f F
      return BOOL.test(s) ? toBool(s) : s;
    case 43: case 45: // + -
      if (INT.test(s)) return toInt(s);
      return FLOAT.test(s) ? toFloat(s) : s;
    case 46: // .
      return FLOAT.test(s) ? toFloat(s) : s;
    default:
      return Number.isNaN(c) ? null : s;
  }
}

/**
 * `s` as a string of its own. V8 cuts a string of 13 characters or more out of a text as a view
 * of that text (a sliced string), and a view keeps the whole text alive: the objects of a
 * directory of manifests kept every file's text (7.5 MiB at 10,000 routes). Every string the
 * reader returns is its own: a join writes its parts into one new flat string (a slice of a
 * concatenation would be a view of a copy, 32 bytes more per string).
 */
export function own(s: string): string {
  return s.length < 13 ? s : [s[0], s.slice(1)].join('');
}

/**
 * `value` (a document's value from js-yaml or the document model) with every string its own and
 * every array the size of what it holds, as the block reader returns them: their strings are views
 * of the file's text, which they would keep alive. Objects are changed in place.
 */
export function ownValues(value: unknown): unknown {
  if (typeof value === 'string') return own(value);
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = ownValues(value[i]);
    return out;
  }
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (key === '__proto__') continue; // an own property of that name: assigning would set the prototype
      const v = record[key];
      if (typeof v === 'string' || (v !== null && typeof v === 'object')) record[key] = ownValues(v);
    }
  }
  return value;
}
