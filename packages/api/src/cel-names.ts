// How the API server names object properties inside CRD validation rules (CEL): a property named
// like a CEL keyword is written `__kw__` (`parentRefs[].namespace` is `p.__namespace__` in the
// Gateway API's rules), and `__`, `.`, `-`, `/` inside a name are spelled out. Only declared
// properties are escaped; a map's keys are data.

const CEL_RESERVED: ReadonlySet<string> = new Set(['true', 'false', 'null', 'in', 'as', 'break', 'const', 'continue', 'else', 'for',
  'function', 'if', 'import', 'let', 'loop', 'package', 'namespace', 'return', 'var', 'void', 'while']);
const ESCAPES: Readonly<Record<string, string>> = { '__': '__underscores__', '.': '__dot__', '-': '__dash__', '/': '__slash__' };
const UNESCAPES: Readonly<Record<string, string>> = { underscores: '__', dot: '.', dash: '-', slash: '/' };

/** A property's name as a CEL rule spells it. */
export function escapeCelProperty(name: string): string {
  if (CEL_RESERVED.has(name)) return `__${name}__`;
  return /__|[./-]/.test(name) ? name.replace(/__|[./-]/g, (c) => ESCAPES[c] ?? c) : name;
}

/** The property a CEL rule's field name refers to. */
export function unescapeCelProperty(name: string): string {
  const keyword = /^__([a-z]+)__$/.exec(name)?.[1];
  if (keyword !== undefined && CEL_RESERVED.has(keyword)) return keyword;
  return name.replace(/__(underscores|dot|dash|slash)__/g, (_, e: string) => UNESCAPES[e] ?? e);
}
