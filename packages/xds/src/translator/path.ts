// Gateway API path semantics on top of Envoy's path matchers and rewriters.
//
// PathPrefix matches whole path elements and ignores a trailing `/` ("/abc/" == "/abc"), which is
// exactly Envoy's `path_separated_prefix`, except that Envoy rejects a value ending in `/`: so the
// trailing slashes are dropped, and the root prefix becomes the plain `prefix: "/"`.
//
// ReplacePrefixMatch follows the table in the Gateway API spec (HTTPPathModifier):
//   /foo/bar  /foo  /xyz  -> /xyz/bar      /foo/  /foo  /xyz -> /xyz/
//   /foo/bar  /foo  ""    -> /bar          /foo   /foo  "/"  -> /
// Envoy's prefix_rewrite replaces the matched characters, which gives those results when both the
// prefix and the replacement lose their trailing slashes, except when the replacement is empty or
// "/" (it would produce "//bar" or "bar"): that case is a regex rewrite removing the prefix and the
// slashes after it, and a root prefix ("/") keeps the separator by rewriting "/" to "<new>/".
import type { PathMatchIR, PathModifierIR } from '@gantry/ir';

export type EnvoyPathMatch =
  | { readonly kind: 'prefix'; readonly value: string }
  | { readonly kind: 'pathSeparatedPrefix'; readonly value: string }
  | { readonly kind: 'path'; readonly value: string }
  | { readonly kind: 'regex'; readonly value: string };

/** How a path is rewritten (forwarding) or rebuilt (redirect). */
export type PathRewrite =
  | { readonly kind: 'prefix'; readonly replacement: string }
  | { readonly kind: 'regex'; readonly pattern: string; readonly substitution: string }
  | { readonly kind: 'full'; readonly path: string };

function trimTrailingSlashes(value: string): string {
  let end = value.length;
  while (end > 0 && value.charCodeAt(end - 1) === 47 /* '/' */) end--;
  return value.slice(0, end);
}

export function envoyPathMatch(path: PathMatchIR): EnvoyPathMatch {
  switch (path.type) {
    case 'Exact':
      return { kind: 'path', value: path.value };
    case 'RegularExpression':
      return { kind: 'regex', value: path.value };
    case 'PathPrefix': {
      const prefix = trimTrailingSlashes(path.value);
      return prefix === '' ? { kind: 'prefix', value: '/' } : { kind: 'pathSeparatedPrefix', value: prefix };
    }
  }
}

/** RE2 syntax with every metacharacter escaped. */
export function escapeRegex(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A regex_rewrite substitution is literal except for `\N` capture references. */
function escapeSubstitution(literal: string): string {
  return literal.replace(/\\/g, '\\\\');
}

/**
 * The Envoy rewrite for a path modifier on a route with the given match; undefined when the
 * path stays as it is. ReplacePrefixMatch is only valid with PathPrefix (the gateway translator
 * rejects other combinations); with Exact the whole path is the prefix, with a regex nothing
 * can be said about the prefix and the path is left alone.
 */
export function pathRewrite(modifier: PathModifierIR, match: PathMatchIR): PathRewrite | undefined {
  if (modifier.type === 'ReplaceFullPath') return { kind: 'full', path: modifier.value };
  if (modifier.type === 'RegexReplace') return { kind: 'regex', pattern: modifier.value, substitution: modifier.substitution };
  const replacement = trimTrailingSlashes(modifier.value);
  switch (match.type) {
    case 'RegularExpression':
      return undefined;
    case 'Exact':
      return { kind: 'full', path: replacement === '' ? '/' : replacement };
    case 'PathPrefix': {
      const prefix = trimTrailingSlashes(match.value);
      if (prefix === '') return replacement === '' ? undefined : { kind: 'prefix', replacement: `${replacement}/` };
      if (replacement === '') {
        return { kind: 'regex', pattern: `^${escapeRegex(prefix)}/*`, substitution: '/' };
      }
      return { kind: 'prefix', replacement };
    }
  }
}

/** A full-path replacement while forwarding is a regex rewrite of the whole path. */
export function fullPathRegex(path: string): { pattern: string; substitution: string } {
  return { pattern: '^/.*$', substitution: escapeSubstitution(path) };
}
