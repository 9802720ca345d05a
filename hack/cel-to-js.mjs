// Compiles one CRD CEL rule (x-kubernetes-validations) to the source of a plain JavaScript
// function, at generate time (hack/generate-crd-validators.mjs), for the subset of CEL the
// Gateway API and Gantry CRDs use: field access, has(), size(), the all/exists/exists_one/filter/
// map macros, the string functions (matches, startsWith, endsWith, contains, lowerAscii, trim,
// split, substring), isIP(), duration(), `type(x) == int`, comparisons, `in`, ternary, list
// literals, `self`. Anything else throws CelUnsupported: that rule stays with the evaluator
// (@marcbachmann/cel-js) at runtime.
//
// The function is meant to give exactly the evaluator's verdict on the value the evaluator would
// see (packages/gatewayclass-controller/src/manifests/crd-cel.ts): it reads the raw value and
// applies the schema's defaults as it reads (the evaluator sees them applied first), throws a
// CelError like the evaluator's where the evaluator raises one (no such key, index out of
// bounds: `&&`, `||`, all() and exists() absorb errors as the evaluator does), and throws the
// runtime's FALLBACK for anything it does not model exactly (an unexpected runtime type, an int
// beyond 2^53, a duration form other than digits-and-unit groups): the rule is then evaluated by
// the evaluator for that value. The function receives its helpers (`h`, crd-cel.ts's
// `celHelpers`) once, when the generated module is loaded.
//
// The rule compiled is the evaluator's form of it (`celRuleForEvaluator` in crd-cel.ts: the same
// two rewrites, kept identical here; a test compares the recorded sources).

// The API server's escaping of property names (built before this runs: `npm run generate` and
// verify:generated compile packages/api first).
import { unescapeCelProperty } from '../packages/api/dist/cel-names.js';

export class CelUnsupported extends Error {}

const HAS_OF_INDEXED = /has\(([A-Za-z_][\w.]*\[[^()\]]*\])\.([A-Za-z_]\w*)\)/g;
const CASELESS_RAW = /\.matches\(r"""\^\(\?i\)((?:(?!""")[^A-Z'])*)"""\)/g;
/** crd-cel.ts's celRuleForEvaluator, kept identical (a test checks the sources agree). */
export function celRuleForEvaluator(rule) {
  return rule.replace(HAS_OF_INDEXED, "('$2' in $1)").replace(CASELESS_RAW, ".lowerAscii().matches(r'^$1')");
}

// ---------------------------------------------------------------------------------------------
// Lexer and parser (CEL's grammar, the parts these rules use).

const PUNCT = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '?', ':', '.', ',', '(', ')', '[', ']', '{', '}', '+', '-', '*', '/', '%'];

function lex(src) {
  const out = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    // String literals: optional r/R prefix, ' or ", single or triple quoted.
    const raw = (c === 'r' || c === 'R') && (src[i + 1] === '"' || src[i + 1] === "'");
    if (raw || c === '"' || c === "'") {
      let j = raw ? i + 1 : i;
      const q = src[j];
      const triple = src.slice(j, j + 3) === q.repeat(3);
      const close = triple ? q.repeat(3) : q;
      j += close.length;
      let value = '';
      for (;;) {
        if (j >= src.length) throw new CelUnsupported('unterminated string');
        if (src.startsWith(close, j)) {
          j += close.length;
          break;
        }
        const ch = src[j];
        if (!triple && ch === '\n') throw new CelUnsupported('newline in string');
        if (ch === '\\' && !raw) {
          const e = src[j + 1];
          const simple = { n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", '"': '"', '`': '`', '?': '?', a: '\x07', b: '\b', f: '\f', v: '\v' };
          if (e !== undefined && e in simple) {
            value += simple[e];
            j += 2;
            continue;
          }
          if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(src.slice(j + 2, j + 4))) {
            value += String.fromCharCode(parseInt(src.slice(j + 2, j + 4), 16));
            j += 4;
            continue;
          }
          throw new CelUnsupported(`escape \\${e}`);
        }
        value += ch;
        j++;
      }
      out.push({ k: 'str', v: value });
      i = j;
      continue;
    }
    if (/[0-9]/.test(c)) {
      const m = /^(?:0x[0-9a-fA-F]+|[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?)[uU]?/.exec(src.slice(i));
      const text = m[0];
      if (/[.eE]/.test(text) && !text.startsWith('0x')) throw new CelUnsupported('double literal');
      if (/[uU]$/.test(text)) throw new CelUnsupported('uint literal');
      const v = Number(text);
      if (!Number.isSafeInteger(v)) throw new CelUnsupported('int literal beyond 2^53');
      out.push({ k: 'int', v });
      i += text.length;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
      out.push({ k: 'id', v: m[0] });
      i += m[0].length;
      continue;
    }
    const p = PUNCT.find((t) => src.startsWith(t, i));
    if (p === undefined) throw new CelUnsupported(`character ${c}`);
    out.push({ k: 'p', v: p });
    i += p.length;
  }
  out.push({ k: 'end' });
  return out;
}

const BINARY = [['||'], ['&&'], ['==', '!=', '<', '<=', '>', '>=', 'in'], ['+', '-'], ['*', '/', '%']];

export function parse(src) {
  const toks = lex(src);
  let pos = 0;
  const peek = () => toks[pos];
  const isP = (v) => toks[pos].k === 'p' && toks[pos].v === v;
  const expectP = (v) => {
    if (!isP(v)) throw new CelUnsupported(`expected ${v}`);
    pos++;
  };
  function expr() {
    const c = binary(0);
    if (isP('?')) {
      pos++;
      const a = binary(0);
      expectP(':');
      const b = expr();
      return { t: 'cond', c, a, b };
    }
    return c;
  }
  function binary(level) {
    if (level === BINARY.length) return unary();
    let l = binary(level + 1);
    for (;;) {
      const t = peek();
      const op = t.k === 'p' || (t.k === 'id' && t.v === 'in') ? t.v : undefined;
      if (op === undefined || !BINARY[level].includes(op)) return l;
      pos++;
      const r = binary(level + 1);
      l = { t: 'bin', op, l, r };
    }
  }
  function unary() {
    if (isP('!')) {
      pos++;
      return { t: 'not', x: unary() };
    }
    if (isP('-')) throw new CelUnsupported('unary minus');
    return postfix(primary());
  }
  function args() {
    const out = [];
    if (isP(')')) {
      pos++;
      return out;
    }
    for (;;) {
      out.push(expr());
      if (isP(',')) {
        pos++;
        continue;
      }
      expectP(')');
      return out;
    }
  }
  function postfix(x) {
    for (;;) {
      if (isP('.')) {
        pos++;
        const t = toks[pos++];
        if (t.k !== 'id') throw new CelUnsupported('field name');
        if (isP('(')) {
          pos++;
          x = { t: 'call', fn: t.v, target: x, args: args() };
        } else x = { t: 'sel', x, f: unescapeCelProperty(t.v) };
      } else if (isP('[')) {
        pos++;
        const i = expr();
        expectP(']');
        x = { t: 'idx', x, i };
      } else return x;
    }
  }
  function primary() {
    const t = toks[pos++];
    if (t.k === 'str') return { t: 'lit', ty: 'string', v: t.v };
    if (t.k === 'int') return { t: 'lit', ty: 'int', v: t.v };
    if (t.k === 'id') {
      if (t.v === 'true' || t.v === 'false') return { t: 'lit', ty: 'bool', v: t.v === 'true' };
      if (t.v === 'null') throw new CelUnsupported('null');
      if (isP('(')) {
        pos++;
        return { t: 'call', fn: t.v, args: args() };
      }
      return { t: 'id', name: t.v };
    }
    if (t.k === 'p' && t.v === '(') {
      const e = expr();
      expectP(')');
      return e;
    }
    if (t.k === 'p' && t.v === '[') {
      const items = [];
      if (isP(']')) pos++;
      else
        for (;;) {
          items.push(expr());
          if (isP(',')) {
            pos++;
            continue;
          }
          expectP(']');
          break;
        }
      return { t: 'list', items };
    }
    throw new CelUnsupported(`unexpected ${t.k} ${t.v ?? ''}`);
  }
  const e = expr();
  if (peek().k !== 'end') throw new CelUnsupported('trailing input');
  return e;
}

// ---------------------------------------------------------------------------------------------
// Static types: from the generated schema node (CelNode: t type, d default, p properties, i items,
// a additionalProperties, n int-or-string) or from the operation.

/** A value's static type: k is bool | int | string | dur | list | obj | dyn; node for schema values; el for lists. (A node's `q`: its required properties.) */
function typeOfNode(node) {
  if (node === undefined) return { k: 'dyn' };
  if (node.n === 1) return { k: 'dyn', node };
  switch (node.t) {
    case 'string':
      return { k: 'string', node };
    case 'integer':
      return { k: 'int', node };
    case 'boolean':
      return { k: 'bool', node };
    case 'array':
      return { k: 'list', node, el: typeOfNode(node.i) };
    case 'object':
      return { k: 'obj', node };
    case 'number':
      throw new CelUnsupported('number (double) field');
    default:
      return { k: 'dyn', node };
  }
}

/** The value as the evaluator sees a default: the nested defaults applied too (no bigints: ints stay numbers). */
export function defaultedValue(node, value) {
  if (node === undefined) return value;
  if (Array.isArray(value)) return value.map((v) => defaultedValue(node.i, v));
  if (typeof value === 'object' && value !== null) {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = defaultedValue(node.p?.[k] ?? node.a, v);
    for (const [k, child] of Object.entries(node.p ?? {})) {
      if (out[k] === undefined && child.d !== undefined) out[k] = defaultedValue(child, child.d);
    }
    return out;
  }
  return value;
}

const RESERVED_FIELD = (f) => f in Object.prototype || f === '__proto__';

/**
 * Compiles `rule` (the evaluator's form) for the node holding it. Returns the source of a
 * JavaScript expression of `self` (its verdict) and of the declarations it needs before it
 * (`decls`), using the helpers `h.*` and the constants it pushes on `consts` (`K[i]`, the
 * module's constant table), or throws CelUnsupported.
 */
export function compileRule(rule, node, consts, shared) {
  const ast = parse(rule);
  const constIndex = (src) => {
    let i = consts.indexOf(src);
    if (i < 0) i = consts.push(src) - 1;
    return `K[${i}]`;
  };
  let fresh = 0;
  // Facts that hold where code is being generated: `${object code}\0${field}` present (right of
  // `has(x.f) &&`, of `!has(x.f) ||`, in a ternary's branch): reading that field cannot raise an error.
  const present = [];
  // Inside a macro's body (its variable in scope): nothing there is hoisted.
  let macroDepth = 0;
  // Hoisted reads (`const mN = ...` before the expression; with `shared`, one table for all the
  // rules of a node, `sN`): a read that cannot raise a CEL error wherever it is made (outside a
  // macro's body, no fact needed), made once, first. It can only FALLBACK, which gives the same
  // verdict made earlier.
  const decls = shared?.decls ?? [];
  const hoisted = shared?.map ?? new Map();
  const prefix = shared === undefined ? 'm' : 's';
  const hoist = (code) => {
    if (macroDepth > 0 || present.length > 0) return code;
    let name = hoisted.get(code);
    if (name === undefined) {
      name = `${prefix}${hoisted.size}`;
      hoisted.set(code, name);
      decls.push(`${name} = ${code}`);
    }
    return name;
  };

  /** Reads a value of static type ty: checked to be of that type at runtime (else FALLBACK). */
  const checked = (code, ty) => {
    switch (ty.k) {
      case 'string':
        return `h.S(${code})`;
      case 'int':
        return `h.I(${code})`;
      case 'bool':
        return `h.B(${code})`;
      default:
        return code;
    }
  };

  const selfType = typeOfNode(node);
  const scope = new Map([['self', { code: checked('self', selfType), ty: selfType }]]);

  /** A field read checked to be of its static type: one helper call (`h.getS`, `h.reqI`, ...). */
  const read = (how, args, ty) => {
    const suffix = { string: 'S', int: 'I', bool: 'B' }[ty.k];
    return suffix === undefined ? `h.${how}(${args})` : `h.${how}${suffix}(${args})`;
  };

  function asBool(e) {
    if (e.ty.k !== 'bool') throw new CelUnsupported('non-bool operand');
    return e.code;
  }

  /** { code, ty, thr }: JS source, static type, whether it can throw a CEL error. */
  function gen(n) {
    switch (n.t) {
      case 'lit':
        return { code: JSON.stringify(n.v), ty: n.ty === 'int' ? { k: 'int', bound: Math.abs(n.v) } : { k: n.ty }, thr: false, lit: n.v };
      case 'id': {
        const v = scope.get(n.name);
        if (v === undefined) throw new CelUnsupported(`identifier ${n.name}`);
        return { code: v.code, ty: v.ty, thr: false };
      }
      case 'sel':
        return field(gen(n.x), n.f);
      case 'idx': {
        const x = gen(n.x);
        const i = gen(n.i);
        if (x.ty.k === 'list' && i.ty.k === 'int') return { code: checked(`h.index(${x.code}, ${i.code})`, x.ty.el), ty: x.ty.el, thr: true };
        throw new CelUnsupported('index');
      }
      case 'not': {
        const x = gen(n.x);
        return { code: `!${asBool(x)}`, ty: { k: 'bool' }, thr: x.thr };
      }
      case 'cond': {
        const c = gen(n.c);
        const a = genWith(n.a, facts(n.c, true));
        const b = genWith(n.b, facts(n.c, false));
        if (a.ty.k !== b.ty.k || !['bool', 'int', 'string'].includes(a.ty.k)) throw new CelUnsupported('ternary branch types');
        const bound = a.ty.k === 'int' ? Math.max(a.ty.bound ?? Infinity, b.ty.bound ?? Infinity) : undefined;
        return { code: `(${asBool(c)} ? ${a.code} : ${b.code})`, ty: { k: a.ty.k, bound }, thr: c.thr || a.thr || b.thr };
      }
      case 'list': {
        const items = n.items.map(gen);
        const k = items[0]?.ty.k ?? 'dyn';
        const el = items.every((x) => x.ty.k === k) && ['bool', 'int', 'string'].includes(k) ? { k } : { k: 'dyn' };
        if (el.k === 'dyn') throw new CelUnsupported('list literal of mixed or aggregate values');
        return { code: `[${items.map((x) => x.code).join(', ')}]`, ty: { k: 'list', el }, thr: items.some((x) => x.thr), items };
      }
      case 'bin':
        return binary(n);
      case 'call':
        return call(n);
      default:
        throw new CelUnsupported(n.t);
    }
  }

  function field(x, f) {
    if (RESERVED_FIELD(f)) throw new CelUnsupported(`field ${f}`);
    if (x.ty.k === 'obj' || x.ty.k === 'dyn') {
      const child = x.ty.node?.p?.[f] ?? x.ty.node?.a;
      const ty = x.ty.k === 'obj' ? typeOfNode(child) : { k: 'dyn' };
      if (child?.d !== undefined && x.ty.node?.p?.[f] !== undefined) {
        const d = constIndex(JSON.stringify(defaultedValue(child, child.d)));
        const code = read('getd', `${x.code}, ${JSON.stringify(f)}, ${d}`, ty);
        return { code: x.thr ? code : hoist(code), ty, thr: x.thr };
      }
      const known = !x.thr && present.includes(`${x.code}\0${f}`);
      // A required property is there in any object the schema admits (file modes check the schema
      // first): read without an error path, its absence is left to the evaluator (FALLBACK).
      if (!known && x.ty.k === 'obj' && x.ty.node?.q?.includes(f) && x.ty.node?.p?.[f] !== undefined) {
        return { code: read('req', `${x.code}, ${JSON.stringify(f)}`, ty), ty, thr: x.thr };
      }
      return { code: read('get', `${x.code}, ${JSON.stringify(f)}`, ty), ty, thr: !known };
    }
    throw new CelUnsupported(`field of ${x.ty.k}`);
  }

  /** The fields an expression being true (or false) proves present: has(x.f), through && (||) and !. */
  function facts(n, when) {
    if (when && n.t === 'call' && n.fn === 'has' && n.target === undefined && n.args.length === 1 && n.args[0].t === 'sel') {
      const x = gen(n.args[0].x);
      return x.thr ? [] : [`${x.code}\0${n.args[0].f}`];
    }
    if (n.t === 'not') return facts(n.x, !when);
    if (n.t === 'bin' && n.op === (when ? '&&' : '||')) return [...facts(n.l, when), ...facts(n.r, when)];
    return [];
  }

  /** Generates `n` with `known` facts holding. */
  function genWith(n, known) {
    present.push(...known);
    try {
      return gen(n);
    } finally {
      present.length -= known.length;
    }
  }

  function has(arg) {
    if (arg.t !== 'sel') throw new CelUnsupported('has() argument');
    if (RESERVED_FIELD(arg.f)) throw new CelUnsupported(`field ${arg.f}`);
    const x = gen(arg.x);
    if (x.ty.k !== 'obj' && x.ty.k !== 'dyn') throw new CelUnsupported('has() of a non-map');
    const child = x.ty.node?.p?.[arg.f];
    if (x.ty.k === 'obj' && child?.d !== undefined) return { code: `h.obj(${x.code})`, ty: { k: 'bool' }, thr: x.thr };
    const code = `h.has(${x.code}, ${JSON.stringify(arg.f)})`;
    return { code: x.thr ? code : hoist(code), ty: { k: 'bool' }, thr: x.thr };
  }

  function binary(n) {
    const { op } = n;
    if (op === '&&' || op === '||') {
      const l = gen(n.l);
      // The right side runs only when the left decides nothing (true for &&, false for ||) when the
      // left cannot raise an error: what the left proves then holds there.
      const r = l.thr ? gen(n.r) : genWith(n.r, facts(n.l, op === '&&'));
      const lc = asBool(l);
      const rc = asBool(r);
      // When the left side cannot raise a CEL error, JavaScript's operator is the evaluator's: the
      // right side runs only when it decides, and its error is the result's.
      if (!l.thr) return { code: `(${lc} ${op} ${rc})`, ty: { k: 'bool' }, thr: r.thr };
      return { code: `h.${op === '&&' ? 'and' : 'or'}(() => ${lc}, () => ${rc})`, ty: { k: 'bool' }, thr: true };
    }
    if (op === '==' || op === '!=') {
      const typeTest = typeIsInt(n.l, n.r) ?? typeIsInt(n.r, n.l);
      if (typeTest !== undefined) return { code: op === '==' ? typeTest.code : `!${typeTest.code}`, ty: { k: 'bool' }, thr: typeTest.thr };
      const l = gen(n.l);
      const r = gen(n.r);
      const js = op === '==' ? '===' : '!==';
      if (l.ty.k === r.ty.k && ['bool', 'int', 'string', 'dur'].includes(l.ty.k)) return { code: `(${l.code} ${js} ${r.code})`, ty: { k: 'bool' }, thr: l.thr || r.thr };
      // A field outside the schema (dyn) against a scalar: compared when both are the same kind of scalar, else FALLBACK.
      const scalar = ['bool', 'int', 'string', 'dyn'];
      if ((l.ty.k === 'dyn' || r.ty.k === 'dyn') && scalar.includes(l.ty.k) && scalar.includes(r.ty.k)) {
        return { code: `${op === '==' ? '' : '!'}h.eq(${l.code}, ${r.code})`, ty: { k: 'bool' }, thr: l.thr || r.thr };
      }
      throw new CelUnsupported(`${op} of ${l.ty.k} and ${r.ty.k}`);
    }
    if (op === '<' || op === '<=' || op === '>' || op === '>=') {
      const l = gen(n.l);
      const r = gen(n.r);
      const lc = l.ty.k === 'dyn' && r.ty.k === 'int' ? `h.I(${l.code})` : l.code;
      const lk = l.ty.k === 'dyn' && r.ty.k === 'int' ? 'int' : l.ty.k;
      if (lk === r.ty.k && (lk === 'int' || lk === 'dur')) return { code: `(${lc} ${op} ${r.code})`, ty: { k: 'bool' }, thr: l.thr || r.thr };
      throw new CelUnsupported(`${op} of ${l.ty.k} and ${r.ty.k}`);
    }
    if (op === '+') {
      const l = gen(n.l);
      const r = gen(n.r);
      if (l.ty.k === 'int' && r.ty.k === 'int') {
        // Ints whose bound is known (sizes, literals, their sums) add without leaving 2^53.
        const bound = (l.ty.bound ?? Infinity) + (r.ty.bound ?? Infinity);
        if (bound < Number.MAX_SAFE_INTEGER) return { code: `(${l.code} + ${r.code})`, ty: { k: 'int', bound }, thr: l.thr || r.thr };
        return { code: `h.add(${l.code}, ${r.code})`, ty: { k: 'int' }, thr: l.thr || r.thr };
      }
      throw new CelUnsupported(`+ of ${l.ty.k} and ${r.ty.k}`);
    }
    if (op === 'in') {
      const l = gen(n.l);
      const r = gen(n.r);
      if (r.ty.k === 'list' && l.ty.k === 'string' && (r.ty.el.k === 'string' || r.ty.el.k === 'dyn')) {
        if (r.items !== undefined && r.items.every((x) => x.lit !== undefined)) {
          const set = constIndex(`new Set(${JSON.stringify(r.items.map((x) => x.lit))})`);
          return { code: `${set}.has(${l.code})`, ty: { k: 'bool' }, thr: l.thr };
        }
        return { code: `h.inList(${l.code}, ${r.code})`, ty: { k: 'bool' }, thr: l.thr || r.thr };
      }
      if (r.ty.k === 'obj' && l.ty.k === 'string' && l.lit !== undefined && !RESERVED_FIELD(l.lit)) {
        // The evaluator's `in` of a map: the key is present with a value (a defaulted one counts).
        const child = r.ty.node?.p?.[l.lit];
        if (child?.d !== undefined) return { code: `h.obj(${r.code})`, ty: { k: 'bool' }, thr: r.thr };
        return { code: `h.has(${r.code}, ${l.code})`, ty: { k: 'bool' }, thr: r.thr };
      }
      throw new CelUnsupported(`in of ${l.ty.k} and ${r.ty.k}`);
    }
    throw new CelUnsupported(`operator ${op}`);
  }

  /** `type(x) == int`: whether x is an int (FALLBACK for a number beyond 2^53: the evaluator has it as a double). */
  function typeIsInt(a, b) {
    if (a.t !== 'call' || a.fn !== 'type' || a.target !== undefined || a.args.length !== 1) return undefined;
    if (b.t !== 'id' || b.name !== 'int' || scope.has('int')) throw new CelUnsupported('type() comparison');
    const x = gen(a.args[0]);
    return { code: `h.isInt(${x.code})`, thr: x.thr };
  }

  function macro(n) {
    const [v, body] = n.args;
    if (n.args.length !== 2 || v.t !== 'id') throw new CelUnsupported(`${n.fn}() arguments`);
    const range = gen(n.target);
    let el;
    if (range.ty.k === 'list') el = range.ty.el;
    else if (range.ty.k === 'obj') el = { k: 'string' };
    else throw new CelUnsupported(`${n.fn}() over ${range.ty.k}`);
    const name = `v${fresh++}_${v.name}`;
    const outer = scope.get(v.name);
    scope.set(v.name, { code: checked(name, el), ty: el });
    macroDepth++;
    const p = gen(body);
    macroDepth--;
    if (outer === undefined) scope.delete(v.name);
    else scope.set(v.name, outer);
    const items = range.ty.k === 'list' ? `h.list(${range.code})` : `h.keys(${range.code})`;
    if (n.fn === 'map') {
      if (!['bool', 'int', 'string'].includes(p.ty.k)) throw new CelUnsupported('map() to aggregates');
      return { code: `${items}.map((${name}) => ${p.code})`, ty: { k: 'list', el: { k: p.ty.k } }, thr: range.thr || p.thr };
    }
    const pc = asBool(p);
    switch (n.fn) {
      case 'all':
        return { code: p.thr ? `h.all(${items}, (${name}) => ${pc})` : `${items}.every((${name}) => ${pc})`, ty: { k: 'bool' }, thr: range.thr || p.thr };
      case 'exists':
        return { code: p.thr ? `h.exists(${items}, (${name}) => ${pc})` : `${items}.some((${name}) => ${pc})`, ty: { k: 'bool' }, thr: range.thr || p.thr };
      case 'exists_one':
        return { code: `h.one(${items}, (${name}) => ${pc})`, ty: { k: 'bool' }, thr: range.thr || p.thr };
      case 'filter':
        return { code: `${items}.filter((${name}) => ${pc})`, ty: { k: 'list', el }, thr: range.thr || p.thr };
      default:
        throw new CelUnsupported(n.fn);
    }
  }

  function call(n) {
    if (['all', 'exists', 'exists_one', 'filter', 'map'].includes(n.fn) && n.target !== undefined) return macro(n);
    if (n.fn === 'has' && n.target === undefined && n.args.length === 1) return has(n.args[0]);
    const target = n.target === undefined ? undefined : gen(n.target);
    const args = n.args.map(gen);
    const thr = (target?.thr ?? false) || args.some((a) => a.thr);
    const str = (e) => {
      if (e.ty.k === 'string') return e.code;
      if (e.ty.k === 'dyn') return `h.S(${e.code})`;
      throw new CelUnsupported(`string function of ${e.ty.k}`);
    };
    const sig = `${target === undefined ? '' : 'x.'}${n.fn}/${args.length}`;
    switch (sig) {
      case 'size/1':
      case 'x.size/0': {
        const x = target ?? args[0];
        if (!['string', 'list', 'obj', 'dyn'].includes(x.ty.k)) throw new CelUnsupported(`size of ${x.ty.k}`);
        const code = `h.size(${x.code})`;
        const ty = { k: 'int', bound: 2 ** 32 };
        if (thr) return { code, ty, thr };
        return { code: hoist(code), ty, thr: false };
      }
      case 'x.startsWith/1':
      case 'x.endsWith/1':
        return { code: `${str(target)}.${n.fn}(${str(args[0])})`, ty: { k: 'bool' }, thr };
      case 'x.contains/1':
        return { code: `${str(target)}.includes(${str(args[0])})`, ty: { k: 'bool' }, thr };
      case 'x.lowerAscii/0':
        // As the evaluator does it (String.prototype.toLowerCase).
        return { code: `${str(target)}.toLowerCase()`, ty: { k: 'string' }, thr };
      case 'x.trim/0':
        return { code: `${str(target)}.trim()`, ty: { k: 'string' }, thr };
      case 'x.split/1':
        return { code: `${str(target)}.split(${str(args[0])})`, ty: { k: 'list', el: { k: 'string' } }, thr };
      case 'x.substring/1':
        return { code: `h.substring(${str(target)}, ${args[0].ty.k === 'int' ? args[0].code : unsupported('substring index')})`, ty: { k: 'string' }, thr: true };
      case 'x.matches/1': {
        if (args[0].lit === undefined || typeof args[0].lit !== 'string') throw new CelUnsupported('matches() of a computed pattern');
        try {
          new RegExp(args[0].lit);
        } catch {
          throw new CelUnsupported('pattern JavaScript cannot compile');
        }
        // As the evaluator does it: `new RegExp(pattern)` (no flags), compiled once here.
        const re = constIndex(`new RegExp(${JSON.stringify(args[0].lit)})`);
        return { code: `${re}.test(${str(target)})`, ty: { k: 'bool' }, thr };
      }
      case 'isIP/1':
        return { code: `h.isIP(${str(args[0])})`, ty: { k: 'bool' }, thr };
      case 'duration/1':
        return { code: args[0].lit !== undefined ? constIndex(`h.duration(${JSON.stringify(args[0].lit)})`) : `h.duration(${str(args[0])})`, ty: { k: 'dur' }, thr };
      default:
        throw new CelUnsupported(`function ${sig}`);
    }
  }

  const expr = asBool(gen(ast));
  return { decls: shared === undefined && decls.length > 0 ? `const ${decls.join(', ')};` : '', expr };
}

function unsupported(what) {
  throw new CelUnsupported(what);
}

/** Whether a node has a rule, or a node with one below it. */
function leadsToRule(node) {
  if (node === undefined) return false;
  return (node.r?.length ?? 0) > 0 || Object.values(node.p ?? {}).some(leadsToRule) || leadsToRule(node.i) || leadsToRule(node.a);
}

/**
 * The walker of one kind: evaluates every rule of the tree on an object, in the order of
 * crd-cel.ts's `evaluate` (a node's rules, then its properties in schema order, its items, the
 * values of its other keys), a missing property with a default walked as that default. One
 * function per node that leads to a rule (`(value, path, c)`: V8 compiles only those a document
 * reaches). It reports to `c` (crd-cel.ts): `no` a rule that is false, `err` what a rule threw,
 * `ev` a rule the evaluator runs; each with the field path, the node and the rule's index.
 * `exprOf(node, i)` is the compiled expression of a rule, or undefined. Returns the functions'
 * sources (`fns`, pushed in order) and the name of the root's.
 */
function walkerSource(root, rootRef, exprOf, consts, fns) {
  const constIndex = (src) => {
    let i = consts.indexOf(src);
    if (i < 0) i = consts.push(src) - 1;
    return `K[${i}]`;
  };
  const visit = (node, nodeRef) => {
    const name = `n${fns.length}`;
    const slot = fns.push('') - 1;
    const body = [];
    const nodeConst = `${name}_node`;
    let usesNode = false;
    // The node's rules share their hoisted reads (made once, before them): should one FALLBACK,
    // every rule of the node is left to the evaluator.
    const shared = { decls: [], map: new Map() };
    const rules = [];
    const slow = [];
    for (let i = 0; i < (node.r?.length ?? 0); i++) {
      const [rule] = node.r[i];
      if (rule.includes('oldSelf')) continue;
      usesNode = true;
      const expr = exprOf(node, i, shared);
      if (expr === undefined) {
        rules.push(`c.ev(p, ${nodeConst}, ${i}, w);`);
        slow.push(`c.ev(p, ${nodeConst}, ${i}, w);`);
        continue;
      }
      rules.push(`try { if (!(${expr.expr})) c.no(p, ${nodeConst}, ${i}); } catch (e) { c.err(e, p, ${nodeConst}, ${i}, w); }`);
      slow.push(`c.err(undefined, p, ${nodeConst}, ${i}, w);`);
    }
    if (shared.decls.length === 0) body.push(...rules.map((r) => r.replace('try { ', 'try { const self = w; ')));
    else {
      const names = [...shared.map.values()];
      body.push(`const self = w; let ${names.join(', ')}, read = true;`);
      body.push(`try { ${shared.decls.join('; ')}; } catch { read = false; }`);
      body.push(`if (read) {`, ...rules.map((r) => `  ${r}`), `} else {`, ...slow.map((r) => `  ${r}`), `}`);
    }
    const props = Object.entries(node.p ?? {}).filter(([, child]) => leadsToRule(child));
    const others = leadsToRule(node.a);
    if (props.length > 0 || others) {
      body.push(`if (h.isObject(w)) {`);
      props.forEach(([k, child], j) => {
        const key = JSON.stringify(k);
        const fn = visit(child, `${nodeRef}.p[${key}]`);
        const childPath = `p === '' ? ${key} : p + ${JSON.stringify(`.${k}`)}`;
        if (child.d !== undefined) body.push(`  let w${j} = w[${key}]; if (w${j} === undefined) w${j} = ${constIndex(JSON.stringify(defaultedValue(child, child.d)))};`);
        else body.push(`  const w${j} = w[${key}];`);
        body.push(`  if (w${j} !== undefined && w${j} !== null) ${fn}(w${j}, ${childPath}, c);`);
      });
      if (others) {
        const fn = visit(node.a, `${nodeRef}.a`);
        const known = Object.keys(node.p ?? {});
        const skip = known.length === 0 ? '' : `if (${constIndex(`new Set(${JSON.stringify(known)})`)}.has(k)) continue; `;
        body.push(`  for (const k of Object.keys(w)) { ${skip}const v = w[k]; if (v !== undefined && v !== null) ${fn}(v, h.pathKey(p, k), c); }`);
      }
      body.push(`}`);
    }
    if (leadsToRule(node.i)) {
      const fn = visit(node.i, `${nodeRef}.i`);
      body.push(`if (Array.isArray(w)) for (let i = 0; i < w.length; i++) { const v = w[i]; if (v !== undefined && v !== null) ${fn}(v, p + "[" + i + "]", c); }`);
    }
    fns[slot] =
      (usesNode ? `  const ${nodeConst} = ${nodeRef};\n` : '') +
      `  function ${name}(w, p, c) {\n${body.map((l) => `    ${l}\n`).join('')}  }\n`;
    return name;
  };
  return visit(root, rootRef);
}

/**
 * The module texts of one CRD file's rules. `module` (what file modes load): `kinds` (the CelNode
 * tree per `<group>/<version> Kind`, each node's `c` the index of each rule's compiled function,
 * -1 where the evaluator runs it) and `compile(h)` returning one walker per kind (`walkers`, the
 * rules' expressions inlined). `rules` (`<name>.rules.cjs`, for the differential test): `sources`
 * (the evaluator's form each function was compiled from) and `compile(h)` returning the functions. `unsupported` collects [rule, reason] for the rules left to the evaluator.
 */
export function celModule(header, celByKey, unsupported) {
  const consts = [];
  const fns = [];
  const sources = [];
  const byCode = new Map();
  const walk = (node) => {
    if (node.r !== undefined) {
      node.c = node.r.map(([rule]) => {
        if (rule.includes('oldSelf')) return -1;
        const source = celRuleForEvaluator(rule);
        let code;
        try {
          code = compileRule(source, node, consts);
        } catch (err) {
          if (!(err instanceof CelUnsupported)) throw err;
          unsupported.push([rule, err.message]);
          return -1;
        }
        const fn = `function (self) { ${code.decls}${code.decls === '' ? '' : ' '}return ${code.expr}; }`;
        const key = `${source}\n${fn}`;
        let i = byCode.get(key);
        if (i === undefined) {
          i = fns.push(fn) - 1;
          sources.push(source);
          byCode.set(key, i);
        }
        return i;
      });
    }
    for (const c of Object.values(node.p ?? {})) walk(c);
    if (node.i !== undefined) walk(node.i);
    if (node.a !== undefined) walk(node.a);
  };
  // The nodes are typed from the tree before `c` is added (c is not read by the compiler).
  for (const node of Object.values(celByKey)) walk(node);
  const walkerFns = [];
  const walkers = Object.entries(celByKey).map(([key, node]) => {
    const exprOf = (n, i, shared) => (n.c[i] >= 0 ? compileRule(celRuleForEvaluator(n.r[i][0]), n, consts, shared) : undefined);
    const root = walkerSource(node, `exports.kinds[${JSON.stringify(key)}]`, exprOf, consts, walkerFns);
    return `    ${JSON.stringify(key)}: (w, c) => ${root}(w, '', c),\n`;
  });
  const constants = `  const K = [\n${consts.map((c) => `    ${c},\n`).join('')}  ];\n`;
  return {
    module:
      `${header}'use strict';\n` +
      // (JSON.parse of a string: faster to load than the same object literal.)
      `exports.kinds = JSON.parse(${JSON.stringify(JSON.stringify(celByKey))});\n` +
      `exports.compile = function (h) {\n` +
      constants +
      walkerFns.join('') +
      `  const walkers = {\n${walkers.join('')}  };\n` +
      `  return { walkers };\n` +
      `};\n`,
    rules:
      `${header}'use strict';\n` +
      `exports.sources = ${JSON.stringify(sources)};\n` +
      `exports.compile = function (h) {\n` +
      constants +
      `  return [\n${fns.map((f, i) => `    // ${sources[i].replace(/\n/g, ' ')}\n    ${f},\n`).join('')}  ];\n` +
      `};\n`,
  };
}
