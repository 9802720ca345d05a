// Regular expressions go to Envoy, which evaluates them with RE2. An expression RE2 rejects would
// make Envoy refuse the whole route table, so reject what RE2 cannot compile here, per route.
// The check is conservative: JavaScript's parser after removing RE2-only syntax, plus a ban on
// the JavaScript-only features RE2 lacks (lookaround, backreferences) and RE2's repetition limit.

const LOOKAROUND = /\(\?<?[=!]/;
const BACKREFERENCE = /\\[1-9]|\\k</;

/** Why RE2 would reject the expression, or undefined when it is acceptable. */
export function re2Error(expr: string): string | undefined {
  if (LOOKAROUND.test(expr)) return 'lookahead and lookbehind are not supported (RE2 syntax)';
  if (BACKREFERENCE.test(expr)) return 'backreferences are not supported (RE2 syntax)';
  const repetition = repetitionError(expr);
  if (repetition) return repetition;
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

/** RE2's limit on counted repetitions `{n}`, `{n,}`, `{n,m}`, nested ones multiplied together. */
const MAX_REPEAT = 1000;
const COUNTED = /^\{(\d+)(,(\d*))?\}/;

function repetitionError(expr: string): string | undefined {
  // Per open group, the largest product of counts inside it; `last` is that of the atom just read.
  const groups: number[] = [1];
  let last = 1;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (c === '\\') {
      i++;
      last = 1;
    } else if (c === '[') {
      i++;
      if (expr[i] === '^') i++;
      if (expr[i] === ']') i++;
      while (i < expr.length && expr[i] !== ']') i += expr[i] === '\\' ? 2 : 1;
      last = 1;
    } else if (c === '(') {
      groups.push(1);
    } else if (c === ')') {
      last = groups.length > 1 ? (groups.pop() as number) : 1;
      groups[groups.length - 1] = Math.max(groups[groups.length - 1] as number, last);
    } else if (c === '{' && COUNTED.test(expr.slice(i))) {
      const m = COUNTED.exec(expr.slice(i)) as RegExpExecArray;
      const min = Number(m[1]);
      const max = m[3] ? Number(m[3]) : min; // `{n,}` counts as n, as in RE2
      if (min > MAX_REPEAT || max > MAX_REPEAT) return `repetition count ${m[0]} is over RE2's limit of ${MAX_REPEAT}`;
      last *= max;
      if (last > MAX_REPEAT) return `nested repetition counts multiply to ${last}, over RE2's limit of ${MAX_REPEAT}`;
      groups[groups.length - 1] = Math.max(groups[groups.length - 1] as number, last);
      i += m[0].length - 1;
    } else {
      last = 1;
    }
  }
  return undefined;
}
