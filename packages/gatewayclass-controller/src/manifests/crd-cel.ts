// File modes evaluate the CRDs' own CEL rules (x-kubernetes-validations), as the API server does:
// the Gateway API v1.6.1 CRDs' and Gantry's, written once, in the CRDs. The rules, with the part of
// each schema evaluating them needs (types, defaults), are generated at build time
// (hack/generate-crd-validators.mjs → generated/crd-cel/<group>_<plural>.cjs, checked by
// `npm run verify:generated`), never read from charts/ at runtime. The evaluator is
// @marcbachmann/cel-js (pinned), with the Kubernetes library functions these CRDs use that it does
// not have (isIP). As the API server: defaults are applied first, a rule runs on each value its
// node describes (every item of a list, every value of a map) when the value is present, integers
// are CEL ints, and a rule that is false refuses the object with the rule's message at the field
// path of its node. Transition rules (oldSelf) do not apply to files; rules the evaluator cannot
// run (a function it does not have) are skipped (listed by `celRulesNotEvaluated`).
//
// Each rule is also compiled to plain JavaScript at generate time (hack/cel-to-js.mjs): the
// module holds one walker per kind, a function per schema node with its rules inlined, and that is
// what file modes run, on the object as parsed, the defaults applied as the code reads them (no
// copy of the object, no bigints). The compiled code gives the evaluator's verdict: it throws a
// CelError where the evaluator raises one (no such key, ...), and FALLBACK for whatever it does
// not model exactly, where the evaluator (loaded only then) evaluates that rule on that value; a
// rule the compiler does not support (none of the current ones but the `format.*` one the
// evaluator cannot run either) is evaluated by the evaluator. The rules one by one are in
// <group>_<plural>.rules.cjs, for crd-cel-differential.test.ts, which compares all three.
import { isIP } from 'node:net';
import type { Environment } from '@marcbachmann/cel-js';
import { escapeCelProperty, kindSpec } from '@gantry/api';
import generatedCelModules from '../../generated/crd-cel/index.cjs';

/** A schema node as generated: type, default, rules, properties, items, additionalProperties, int-or-string, required, compiled rules. */
export interface CelNode {
  readonly t?: string;
  readonly d?: unknown;
  readonly r?: readonly (readonly [string, string?])[];
  readonly p?: Readonly<Record<string, CelNode>>;
  readonly i?: CelNode;
  readonly a?: CelNode;
  readonly n?: 1;
  readonly q?: readonly string[];
  readonly c?: readonly number[];
}

type Program = (context: Record<string, unknown>) => unknown;

/** A rule compiled to JavaScript (generated): its verdict on `self`, or throws (CelError, FALLBACK). */
type CompiledRule = (self: unknown) => boolean;

/** A generated module (generated/crd-cel/<group>_<plural>.cjs). */
interface CelModule {
  /** The schema node per `<group>/<version> Kind`; `c` gives each rule's compiled function (-1: none). */
  readonly kinds: Readonly<Record<string, CelNode>>;
  readonly compile: (h: CelHelpers) => Compiled;
}

/** What a generated module's `compile` returns: one walker per kind. */
interface Compiled {
  readonly walkers: Readonly<Record<string, Walker>>;
}

/** The rules' functions one by one (generated/crd-cel/<group>_<plural>.rules.cjs): for the differential test and functions mode. */
interface CelRulesModule {
  /** The evaluator's form of the rule each function was compiled from. */
  readonly sources: readonly string[];
  readonly compile: (h: CelHelpers) => readonly CompiledRule[];
}

/** A kind's generated walker: every rule of its tree on the object, reported to `c`. */
type Walker = (object: unknown, c: WalkReport) => void;

/** What a walker reports (the field path is made only for these). */
interface WalkReport {
  /** The rule `i` of `node` is false. */
  no(path: string, node: CelNode, i: number): void;
  /** The rule threw: a CelError as the evaluator's, anything else (FALLBACK) for the evaluator to decide. */
  err(e: unknown, path: string, node: CelNode, i: number, value: unknown): void;
  /** A rule with no compiled form: the evaluator's. */
  ev(path: string, node: CelNode, i: number, value: unknown): void;
}

/** At most this many CEL problems are reported per object. */
const MAX_PROBLEMS = 10;

let env: Environment | undefined;
function environment(): Environment {
  if (env === undefined) {
    // Loaded on first use (~25 ms of CPU): the compiled rules rarely need it. A require of an ES
    // module (Node.js >= 20.19 / 22.12, as package.json's engines say), by Node's own loader
    // (process.getBuiltinModule: under jest, the `node:module` import is jest's, which cannot).
    const nodeModule = process.getBuiltinModule('node:module') as typeof import('node:module');
    const { Environment } = nodeModule.createRequire(import.meta.url)('@marcbachmann/cel-js') as typeof import('@marcbachmann/cel-js');
    env = new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false });
    // Kubernetes' IP library: isIP(string) is true for an IPv4 or IPv6 address (no zone, no CIDR).
    env.registerFunction('isIP(string): bool', (s: string) => isIP(s) !== 0);
    // The evaluator's realm: under jest it is Node's, not the tests' (whose objects it would not
    // take for maps), and celValue builds its values there.
    const probe = env.evaluate('{"a": []}') as { a: unknown[] };
    realm = { objectProto: Object.getPrototypeOf(probe) as object, array: probe.a.constructor as ArrayConstructor };
  }
  return env;
}

/** Where celValue makes its objects and arrays: the evaluator's realm. */
let realm: { readonly objectProto: object; readonly array: ArrayConstructor } | undefined;

const programs = new Map<string, Program | null>();
const notEvaluated = new Set<string>();

/**
 * The constructs of these CRDs the evaluator refuses, each rewritten to its equivalent (by hand,
 * once, here):
 * - `has()` of a field of an indexed value (`has(self.matches[0].path)`, HTTPRoute's
 *   ReplacePrefixMatch rules): on a map, which every object of a CRD is to CEL, the same as
 *   `'path' in self.matches[0]`;
 * - a triple-quoted raw string whose RE2 pattern starts `^(?i)` (GRPCRoute's method service): the
 *   evaluator has neither; when the pattern has no upper-case letter, matching the lower-cased
 *   value against it without `(?i)` is the same.
 */
const HAS_OF_INDEXED = /has\(([A-Za-z_][\w.]*\[[^()\]]*\])\.([A-Za-z_]\w*)\)/g;
const CASELESS_RAW = /\.matches\(r"""\^\(\?i\)((?:(?!""")[^A-Z'])*)"""\)/g;
export function celRuleForEvaluator(rule: string): string {
  return rule.replace(HAS_OF_INDEXED, "('$2' in $1)").replace(CASELESS_RAW, ".lowerAscii().matches(r'^$1')");
}

/** The compiled rule, or null when the evaluator cannot run it (kept in `celRulesNotEvaluated`). */
function program(rule: string): Program | null {
  let p = programs.get(rule);
  if (p !== undefined) return p;
  try {
    const parsed = environment().parse(celRuleForEvaluator(rule)) as unknown as Program;
    p = (ctx) => parsed(ctx);
  } catch {
    p = null;
    notEvaluated.add(rule);
  }
  programs.set(rule, p);
  return p;
}

/** Rules seen so far that the evaluator could not compile (skipped). */
export function celRulesNotEvaluated(): string[] {
  return [...notEvaluated].sort();
}

/** A CEL evaluation error raised by a compiled rule, worded as the evaluator words it. */
export class CelError extends Error {}

/** Thrown by a compiled rule for what it does not model exactly: the evaluator decides. */
export const FALLBACK: unique symbol = Symbol('cel-fallback');

function fallback(): never {
  throw FALLBACK;
}

/** A map to CEL: a plain object (or one without a prototype, as a parser may make). */
function isMap(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

const DURATION = /^(?:[0-9]{1,5}(?:ms|h|m|s)){1,4}$/;
const DURATION_PART = /([0-9]+)(ms|h|m|s)/g;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** The helpers the generated functions call (`h`): each checks what the evaluator would, or falls back. */
export const celHelpers = {
  isObject: (v: unknown): v is Record<string, unknown> => isObject(v),
  /** A field path and a map key: as fieldPath makes it. */
  pathKey: (path: string, key: string): string => (path === '' ? key : `${path}.${key}`),
  S: (v: unknown): string => (typeof v === 'string' ? v : fallback()),
  I: (v: unknown): number => (typeof v === 'number' && Number.isSafeInteger(v) ? v : fallback()),
  B: (v: unknown): boolean => (typeof v === 'boolean' ? v : fallback()),
  obj: (o: unknown): true => (isMap(o) ? true : fallback()),
  get(o: unknown, k: string): unknown {
    if (!isMap(o)) return fallback();
    const v = o[k];
    if (v === undefined) throw new CelError(`No such key: ${k}`);
    return v;
  },
  /** A required property: the schema says it is there; if not, the evaluator decides. */
  req(o: unknown, k: string): unknown {
    if (!isMap(o)) return fallback();
    const v = o[k];
    return v === undefined ? fallback() : v;
  },
  getd(o: unknown, k: string, d: unknown): unknown {
    if (!isMap(o)) return fallback();
    const v = o[k];
    return v === undefined ? d : v;
  },
  // The same reads, checked to be a string, an int or a bool (S, I, B): one call where the
  // generated code reads a scalar (each written out: no call inside, for the interpreter).
  getS(o: unknown, k: string): string {
    if (!isMap(o)) return fallback();
    const v = o[k];
    if (v === undefined) throw new CelError(`No such key: ${k}`);
    return typeof v === 'string' ? v : fallback();
  },
  reqS(o: unknown, k: string): string {
    if (!isMap(o)) return fallback();
    const v = o[k];
    return typeof v === 'string' ? v : fallback();
  },
  getdS(o: unknown, k: string, d: unknown): string {
    if (!isMap(o)) return fallback();
    const v = o[k] === undefined ? d : o[k];
    return typeof v === 'string' ? v : fallback();
  },
  getI(o: unknown, k: string): number {
    if (!isMap(o)) return fallback();
    const v = o[k];
    if (v === undefined) throw new CelError(`No such key: ${k}`);
    return typeof v === 'number' && Number.isSafeInteger(v) ? v : fallback();
  },
  reqI(o: unknown, k: string): number {
    if (!isMap(o)) return fallback();
    const v = o[k];
    return typeof v === 'number' && Number.isSafeInteger(v) ? v : fallback();
  },
  getdI(o: unknown, k: string, d: unknown): number {
    if (!isMap(o)) return fallback();
    const v = o[k] === undefined ? d : o[k];
    return typeof v === 'number' && Number.isSafeInteger(v) ? v : fallback();
  },
  getB(o: unknown, k: string): boolean {
    if (!isMap(o)) return fallback();
    const v = o[k];
    if (v === undefined) throw new CelError(`No such key: ${k}`);
    return typeof v === 'boolean' ? v : fallback();
  },
  reqB(o: unknown, k: string): boolean {
    if (!isMap(o)) return fallback();
    const v = o[k];
    return typeof v === 'boolean' ? v : fallback();
  },
  getdB(o: unknown, k: string, d: unknown): boolean {
    if (!isMap(o)) return fallback();
    const v = o[k] === undefined ? d : o[k];
    return typeof v === 'boolean' ? v : fallback();
  },
  has(o: unknown, k: string): boolean {
    if (!isMap(o)) return fallback();
    return o[k] !== undefined;
  },
  index(l: unknown, i: number): unknown {
    if (!Array.isArray(l)) return fallback();
    if (i < 0 || i >= l.length) throw new CelError(`No such key: index out of bounds, index ${i} ${i < 0 ? '< 0' : `>= size ${l.length}`}`);
    return l[i] as unknown;
  },
  list: (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : fallback()),
  keys: (v: unknown): string[] => (isMap(v) ? Object.keys(v) : fallback()),
  size(v: unknown): number {
    if (typeof v === 'string') return codePoints(v);
    if (Array.isArray(v)) return v.length;
    if (isMap(v)) return Object.keys(v).length;
    return fallback();
  },
  add(a: number, b: number): number {
    const r = a + b;
    return Number.isSafeInteger(r) ? r : fallback();
  },
  eq(a: unknown, b: unknown): boolean {
    const t = typeof a;
    if (t !== typeof b || (t !== 'string' && t !== 'boolean' && !(t === 'number' && Number.isSafeInteger(a) && Number.isSafeInteger(b)))) return fallback();
    return a === b;
  },
  inList: (x: string, l: unknown): boolean => (Array.isArray(l) ? l.includes(x) : fallback()),
  isInt(v: unknown): boolean {
    if (typeof v === 'number') return Number.isSafeInteger(v) ? true : fallback();
    return typeof v === 'string' ? false : fallback();
  },
  isIP: (s: string): boolean => isIP(s) !== 0,
  substring(s: string, n: number): string {
    if (n < 0 || n > s.length) throw new CelError('string.substring(start, end): start index out of range');
    return s.substring(n);
  },
  /** A duration in milliseconds: only digits-and-unit groups (h, m, s, ms), else FALLBACK. */
  duration(s: string): number {
    if (!DURATION.test(s)) return fallback();
    let ms = 0;
    for (const m of s.matchAll(DURATION_PART)) ms += Number(m[1]) * (UNIT_MS[m[2]!] ?? fallback());
    return ms;
  },
  /** `l && r` as the evaluator: an error on one side is absorbed when the other is false. */
  and(l: () => boolean, r: () => boolean): boolean {
    let err: unknown;
    try {
      if (!l()) return false;
    } catch (e) {
      if (!(e instanceof CelError)) throw e;
      err = e;
    }
    const right = r();
    if (err === undefined || !right) return right;
    throw err;
  },
  /** `l || r` as the evaluator: an error on one side is absorbed when the other is true. */
  or(l: () => boolean, r: () => boolean): boolean {
    let err: unknown;
    try {
      if (l()) return true;
    } catch (e) {
      if (!(e instanceof CelError)) throw e;
      err = e;
    }
    const right = r();
    if (err === undefined || right) return right;
    throw err;
  },
  /** all(): false as soon as one is false; else the first error, if any. */
  all(items: readonly unknown[], p: (v: unknown) => boolean): boolean {
    let err: unknown;
    for (const v of items) {
      try {
        if (!p(v)) return false;
      } catch (e) {
        if (!(e instanceof CelError)) throw e;
        err ??= e;
      }
    }
    if (err !== undefined) throw err;
    return true;
  },
  /** exists(): true as soon as one is true; else the first error, if any. */
  exists(items: readonly unknown[], p: (v: unknown) => boolean): boolean {
    let err: unknown;
    for (const v of items) {
      try {
        if (p(v)) return true;
      } catch (e) {
        if (!(e instanceof CelError)) throw e;
        err ??= e;
      }
    }
    if (err !== undefined) throw err;
    return false;
  },
  /** exists_one(): every item evaluated, an error is the rule's. */
  one(items: readonly unknown[], p: (v: unknown) => boolean): boolean {
    let n = 0;
    for (const v of items) if (p(v)) n++;
    return n === 1;
  },
};
export type CelHelpers = typeof celHelpers;

/** A kind's rules: its schema node, its module, its walker. */
interface KindRules {
  readonly node: CelNode;
  readonly loaded: LoadedModule;
  readonly walker: Walker | undefined;
}

interface LoadedModule {
  readonly file: string;
  readonly module: CelModule;
  compiled?: Compiled;
  rules?: { readonly sources: readonly string[]; readonly fns: readonly CompiledRule[] };
}

const modules = new Map<string, LoadedModule | undefined>();

/** A CRD file's generated modules, from their table (generated/crd-cel/index.cjs). */
function generatedModules(file: string): { readonly module: () => unknown; readonly rules: () => unknown } | undefined {
  return Object.hasOwn(generatedCelModules, file) ? generatedCelModules[file] : undefined;
}

function loadModule(file: string): LoadedModule | undefined {
  if (!modules.has(file)) {
    const generated = generatedModules(file);
    modules.set(file, generated !== undefined ? { file, module: generated.module() as CelModule } : undefined);
  }
  return modules.get(file);
}

/** A module's rule functions, loaded only when asked for (functions mode, the differential test). */
function ruleFunctions(loaded: LoadedModule): { readonly sources: readonly string[]; readonly fns: readonly CompiledRule[] } {
  if (loaded.rules === undefined) {
    const m = generatedModules(loaded.file)!.rules() as CelRulesModule;
    loaded.rules = { sources: m.sources, fns: m.compile(celHelpers) };
  }
  return loaded.rules;
}

const kindRules = new Map<string, Map<string, KindRules | null>>();
function rulesOf(apiVersion: string, kind: string): KindRules | undefined {
  let byKind = kindRules.get(apiVersion);
  if (byKind === undefined) kindRules.set(apiVersion, (byKind = new Map()));
  let rules = byKind.get(kind);
  if (rules === undefined) byKind.set(kind, (rules = loadRules(apiVersion, kind) ?? null));
  return rules ?? undefined;
}

function loadRules(apiVersion: string, kind: string): KindRules | undefined {
  const spec = kindSpec(kind);
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  if (spec === undefined || group === '') return undefined;
  const loaded = loadModule(`${group}_${spec.plural}`);
  const node = loaded?.module.kinds[`${apiVersion} ${kind}`];
  if (loaded === undefined || node === undefined) return undefined;
  loaded.compiled ??= loaded.module.compile(celHelpers);
  return { node, loaded, walker: loaded.compiled.walkers[`${apiVersion} ${kind}`] };
}

/** The generated modules' compiled rules, for crd-cel-differential.test.ts: each kind's node tree, the sources and functions. */
export function celModuleFor(group: string, plural: string): { kinds: Readonly<Record<string, CelNode>>; sources: readonly string[]; fns: readonly CompiledRule[] } | undefined {
  const loaded = loadModule(`${group}_${plural}`);
  if (loaded === undefined) return undefined;
  const rules = ruleFunctions(loaded);
  return { kinds: loaded.module.kinds, sources: rules.sources, fns: rules.fns };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The value as CEL sees it: the node's defaults applied, integers as ints (bigint). Values outside
 * the generated nodes are left as they are: no rule reads them (a rule's whole subtree is kept).
 */
function celValue(node: CelNode | undefined, value: unknown): unknown {
  environment();
  if (realm !== undefined && realm.objectProto !== Object.prototype) return inRealm(realm, celValueHere(node, value));
  return celValueHere(node, value);
}

/** A copy of a value made of the given realm's objects and arrays. */
function inRealm(r: { readonly objectProto: object; readonly array: ArrayConstructor }, value: unknown): unknown {
  if (Array.isArray(value)) return r.array.from(value, (v) => inRealm(r, v));
  if (isObject(value)) {
    const out = Object.create(r.objectProto) as Record<string, unknown>;
    for (const [k, v] of Object.entries(value)) out[k] = inRealm(r, v);
    return out;
  }
  return value;
}

function celValueHere(node: CelNode | undefined, value: unknown): unknown {
  if (node === undefined) return value;
  if (typeof value === 'number' && (node.t === 'integer' || node.n === 1) && Number.isSafeInteger(value)) return BigInt(value);
  if (Array.isArray(value)) return value.map((v) => celValueHere(node.i, v));
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      // Only declared properties are escaped: a map's keys (additionalProperties) are data.
      const property = node.p?.[k];
      out[property !== undefined ? escapeCelProperty(k) : k] = celValueHere(property ?? node.a, v);
    }
    for (const [k, child] of Object.entries(node.p ?? {})) {
      // celValue copies the default (fresh arrays and objects of this realm: not structuredClone's).
      const key = escapeCelProperty(k);
      if (out[key] === undefined && child.d !== undefined) out[key] = celValueHere(child, child.d);
    }
    return out;
  }
  return value;
}

/** A field path, built only when a problem names it. */
interface Path {
  readonly up: Path | undefined;
  readonly key: string | number;
}

function fieldPath(path: Path | undefined): string {
  const parts: (string | number)[] = [];
  for (let p = path; p !== undefined; p = p.up) parts.push(p.key);
  let out = '';
  for (let i = parts.length - 1; i >= 0; i--) {
    const p = parts[i]!;
    out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  }
  return out;
}

/**
 * How rules are evaluated: by the kind's generated walker (file modes), by each rule's compiled
 * function in a generic walk, or by the evaluator alone (the last two for the differential test).
 */
export type CelMode = 'walker' | 'functions' | 'evaluator';

/** How many times the evaluator took a rule from the compiled code (FALLBACK; crd-cel-differential.test.ts). */
export const celCounts = { fallback: 0 };

const defaults = new Map<CelNode, unknown>();
/** A child's default as the evaluator sees it (its own defaults applied): made once, never mutated. */
function defaultOf(node: CelNode): unknown {
  if (!defaults.has(node)) defaults.set(node, defaultedValue(node, node.d));
  return defaults.get(node);
}
function defaultedValue(node: CelNode | undefined, value: unknown): unknown {
  if (node === undefined) return value;
  if (Array.isArray(value)) return value.map((v) => defaultedValue(node.i, v));
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = defaultedValue(node.p?.[k] ?? node.a, v);
    for (const [k, child] of Object.entries(node.p ?? {})) if (out[k] === undefined && child.d !== undefined) out[k] = defaultOf(child);
    return out;
  }
  return value;
}

interface Walk {
  readonly fns: readonly CompiledRule[];
  readonly mode: CelMode;
  readonly out: Problem[];
}

type Problem = { field: string; message: string };
type Verdict = { ok: unknown } | { error: string } | null;

/** What the evaluator says of one rule on a value: true, false, or an error's first line; null when it cannot run it. */
function runEvaluator(rule: string, value: unknown): Verdict {
  const p = program(rule);
  if (p === null) return null;
  try {
    const context = Object.create(realm?.objectProto ?? Object.prototype) as Record<string, unknown>;
    context.self = value;
    return { ok: p(context) };
  } catch (err) {
    // (Not `instanceof Error`: the evaluator may run in another realm, as under jest.)
    return { error: String((err as { message?: unknown } | null)?.message ?? err).split('\n')[0] ?? '' };
  }
}

/** Adds what a verdict refuses to `out`; true once `out` holds MAX_PROBLEMS (nothing more is evaluated). */
function judge(verdict: Verdict, rule: string, message: string | undefined, path: () => string, out: Problem[]): boolean {
  if (verdict === null) return false;
  if ('error' in verdict) {
    const why = verdict.error;
    // A missing field the rule reads: the API server refuses the object too ("no such key").
    if (/no such key/i.test(why)) {
      const field = path();
      out.push({ field, message: `${field === '' ? '<object>' : field}: ${why.replace(/[^\w :.-]/g, '').slice(0, 80)} evaluating rule: ${message ?? rule} (CEL rule)` });
      return out.length >= MAX_PROBLEMS;
    }
    // Anything else (a function or overload the evaluator lacks): not held against the object.
    notEvaluated.add(rule);
    return false;
  }
  if (verdict.ok === false) {
    const field = path();
    out.push({ field, message: `${field === '' ? '<object>' : field}: ${message ?? `failed rule: ${rule}`} (CEL rule)` });
    return out.length >= MAX_PROBLEMS;
  }
  return false;
}

/**
 * Evaluates the rules of `node` on `value`, then those below: the evaluator on its view of the
 * value (evaluator mode: celValue, defaults applied), or each rule's compiled function on the
 * value as parsed, a missing child with a default walked as that default (functions mode).
 */
function evaluate(node: CelNode, value: unknown, path: Path | undefined, w: Walk): void {
  if (value === undefined || value === null || w.out.length >= MAX_PROBLEMS) return;
  const rules = node.r;
  if (rules !== undefined) {
    let celView: unknown;
    for (let i = 0; i < rules.length; i++) {
      const [rule, message] = rules[i]!;
      if (rule.includes('oldSelf')) continue;
      let verdict: Verdict;
      const fn = w.mode === 'functions' ? w.fns[node.c?.[i] ?? -1] : undefined;
      if (fn !== undefined) {
        try {
          verdict = { ok: fn(value) };
        } catch (err) {
          if (err instanceof CelError) verdict = { error: err.message };
          else {
            // FALLBACK (or anything unforeseen): the evaluator decides, on its view of the value.
            celCounts.fallback++;
            celView ??= celValue(node, value);
            verdict = runEvaluator(rule, celView);
          }
        }
      } else {
        celView ??= w.mode === 'functions' ? celValue(node, value) : value;
        verdict = runEvaluator(rule, celView);
      }
      if (judge(verdict, rule, message, () => fieldPath(path), w.out)) return;
    }
  }
  // Only the children with a rule somewhere below (the others are in the tree for the rules' types).
  const below = plan(node);
  if (below.p.length > 0 && isObject(value)) {
    const compiled = w.mode === 'functions';
    for (const [k, child] of below.p) {
      let v = value[k];
      if (v === undefined && compiled && child.d !== undefined) v = defaultOf(child);
      if (v !== undefined && v !== null) evaluate(child, v, { up: path, key: k }, w);
    }
  }
  if (below.i !== undefined && Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) evaluate(below.i, value[i], { up: path, key: i }, w);
  }
  if (below.a !== undefined && isObject(value)) {
    for (const k of Object.keys(value)) if (node.p?.[k] === undefined) evaluate(below.a, value[k], { up: path, key: k }, w);
  }
}

/**
 * One rule's outcome on one value, for crd-cel-differential.test.ts: by the evaluator (on its view
 * of the value) or by the rule's compiled function (on the value as parsed): true, false, a
 * "no such key" error with its words (what refuses an object), `other` (an error that is not held
 * against the object), `fallback` (the compiled function defers to the evaluator), `skipped`
 * (the evaluator cannot run the rule).
 */
export type CelOutcome = boolean | { noSuchKey: string } | 'other' | 'fallback' | 'skipped';

function outcomeOf(verdict: Verdict): CelOutcome {
  if (verdict === null) return 'skipped';
  if ('error' in verdict) return /no such key/i.test(verdict.error) ? { noSuchKey: verdict.error } : 'other';
  return typeof verdict.ok === 'boolean' ? verdict.ok : 'other';
}

export function celEvaluatorOutcome(node: CelNode, i: number, value: unknown): CelOutcome {
  return outcomeOf(runEvaluator(node.r![i]![0], celValue(node, value)));
}

export function celCompiledOutcome(fn: CompiledRule, value: unknown): CelOutcome {
  try {
    return outcomeOf({ ok: fn(value) });
  } catch (e) {
    if (e instanceof CelError) return outcomeOf({ error: e.message });
    if (e === FALLBACK) return 'fallback';
    throw e;
  }
}

/** Thrown by the walker's report once MAX_PROBLEMS are found: nothing more is evaluated. */
const STOP: unique symbol = Symbol('cel-stop');

/** The report a generated walker makes its verdicts to (file modes). */
class Report implements WalkReport {
  constructor(private readonly out: Problem[]) {}
  private report(verdict: Verdict, path: string, node: CelNode, i: number): void {
    const [rule, message] = node.r![i]!;
    if (judge(verdict, rule, message, () => path, this.out)) throw STOP;
  }
  no(path: string, node: CelNode, i: number): void {
    this.report({ ok: false }, path, node, i);
  }
  err(e: unknown, path: string, node: CelNode, i: number, value: unknown): void {
    if (e === STOP) throw e;
    if (e instanceof CelError) return this.report({ error: e.message }, path, node, i);
    // FALLBACK (or anything unforeseen): the evaluator decides, on its view of the value.
    celCounts.fallback++;
    this.report(runEvaluator(node.r![i]![0], celValue(node, value)), path, node, i);
  }
  ev(path: string, node: CelNode, i: number, value: unknown): void {
    this.report(runEvaluator(node.r![i]![0], celValue(node, value)), path, node, i);
  }
}

interface Plan {
  readonly rules: boolean;
  readonly p: readonly (readonly [string, CelNode])[];
  readonly i: CelNode | undefined;
  readonly a: CelNode | undefined;
}
const plans = new Map<CelNode, Plan>();
/** Which children of a node lead to a rule (made once per node). */
function plan(node: CelNode): Plan {
  let pl = plans.get(node);
  if (pl === undefined) {
    const withRules = (c: CelNode | undefined): CelNode | undefined => (c !== undefined && plan(c).rules ? c : undefined);
    const p = Object.entries(node.p ?? {}).filter(([, c]) => withRules(c) !== undefined);
    const i = withRules(node.i);
    const a = withRules(node.a);
    pl = { rules: (node.r?.length ?? 0) > 0 || p.length > 0 || i !== undefined || a !== undefined, p, i, a };
    plans.set(node, pl);
  }
  return pl;
}

/**
 * What the CRD's CEL rules refuse in an object of a kind with a CRD (none for other kinds): each
 * problem names the field path of the rule's node and says the rule's message. `mode` is for the
 * differential test: file modes use the compiled rules.
 */
export function crdCelProblems(object: Record<string, unknown>, mode: CelMode = 'walker'): { field: string; message: string }[] {
  const { apiVersion, kind } = object;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return [];
  const rules = rulesOf(apiVersion, kind);
  if (rules === undefined) return [];
  const out: Problem[] = [];
  if (mode === 'walker' && rules.walker !== undefined) {
    try {
      rules.walker(object, new Report(out));
    } catch (e) {
      if (e !== STOP) throw e;
    }
    return out;
  }
  const fns = mode === 'evaluator' ? [] : ruleFunctions(rules.loaded).fns;
  evaluate(rules.node, mode === 'evaluator' ? celValue(rules.node, object) : object, undefined, { fns, mode: mode === 'evaluator' ? 'evaluator' : 'functions', out });
  return out;
}
