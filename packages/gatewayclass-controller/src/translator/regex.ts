// Regular expressions go to Envoy, which evaluates them with RE2. An expression RE2 rejects would
// make Envoy refuse the whole route table, so reject what RE2 cannot compile here, per route.
// The check is conservative: JavaScript's parser after removing RE2-only syntax, plus a ban on
// the JavaScript-only features RE2 lacks (lookaround, backreferences).

const LOOKAROUND = /\(\?<?[=!]/;
const BACKREFERENCE = /\\[1-9]|\\k</;

/** Why RE2 would reject the expression, or undefined when it is acceptable. */
export function re2Error(expr: string): string | undefined {
  if (LOOKAROUND.test(expr)) return 'lookahead and lookbehind are not supported (RE2 syntax)';
  if (BACKREFERENCE.test(expr)) return 'backreferences are not supported (RE2 syntax)';
  const js = expr
    .replace(/\(\?P</g, '(?<') // RE2 named groups
    .replace(/\(\?[imsU]+\)/g, '') // RE2 inline flags
    .replace(/\(\?[imsU]*(-[imsU]+)?:/g, '(?:'); // RE2 flag groups
  try {
    new RegExp(js);
    return undefined;
  } catch (e) {
    const detail = (e instanceof Error ? e.message : String(e)).replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '');
    return `not a valid regular expression (${detail})`;
  }
}
