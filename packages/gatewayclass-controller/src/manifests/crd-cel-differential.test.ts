// The CRDs' CEL rules compiled to JavaScript (hack/cel-to-js.mjs, generated/crd-cel) against the
// evaluator (@marcbachmann/cel-js), which file modes used before and still use as the fallback:
// - every current rule compiles (a new rule the compiler does not support fails here, by name);
// - each compiled rule gives the evaluator's outcome (true, false, the same "no such key" error,
//   another error) on randomized values of its node, including ones that violate it;
// - the generated walkers, the compiled functions in a generic walk and the evaluator alone
//   refuse the same objects with the same messages (file, field path, rule message), over the
//   testdata manifests and mutations of them.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import jsyaml from 'js-yaml';
import {
  celCompiledOutcome,
  celCounts,
  celEvaluatorOutcome,
  celModuleFor,
  celRuleForEvaluator,
  crdCelProblems,
  type CelNode,
  type CelOutcome,
} from './crd-cel.js';
import { seededRandom } from '@gantry/translator/testing/seeded-random';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));
const generatedDir = join(repo, 'packages/gatewayclass-controller/generated/crd-cel');

/** The rules the compiler leaves to the evaluator (which cannot run this one either: it is skipped, as before). */
const EVALUATOR_ONLY = ['size(self) == 0 || format.dns1123Label().validate(self) == null'];

type Module = NonNullable<ReturnType<typeof celModuleFor>>;
const modules: [string, Module][] = readdirSync(generatedDir)
  .filter((f) => f.endsWith('.cjs') && !f.endsWith('.rules.cjs') && f !== 'index.cjs')
  .sort()
  .map((f) => {
    const name = f.slice(0, -'.cjs'.length);
    const cut = name.indexOf('_');
    const m = celModuleFor(name.slice(0, cut), name.slice(cut + 1));
    if (m === undefined) throw new Error(`no module ${f}`);
    return [name, m];
  });

interface RuleAt {
  readonly where: string;
  readonly node: CelNode;
  readonly i: number;
  readonly rule: string;
  readonly fn: number;
  readonly module: Module;
}

function rulesIn(): RuleAt[] {
  const out: RuleAt[] = [];
  for (const [, module] of modules) {
    for (const [kind, root] of Object.entries(module.kinds)) {
      const walk = (node: CelNode, where: string): void => {
        (node.r ?? []).forEach(([rule], i) => out.push({ where: `${kind} ${where || '<object>'}`, node, i, rule, fn: node.c?.[i] ?? -1, module }));
        for (const [k, c] of Object.entries(node.p ?? {})) walk(c, where === '' ? k : `${where}.${k}`);
        if (node.i !== undefined) walk(node.i, `${where}[]`);
        if (node.a !== undefined) walk(node.a, `${where}{}`);
      };
      walk(root, '');
    }
  }
  return out;
}
const RULES = rulesIn();

const GENERIC_STRINGS = [
  '', 'a', 'b', 'Foo', 'x-a', 'host', 'Host', '/', '/a', '/a/b', '//', '/a//b', '/a/./b', '/a/../b', '/..', '/.', '%2f', '%2F', '#x', 'a b',
  'a.example.com', '*.example.com', '*', 'foo..bar', '-a.com', 'Not_A_Host', '1.2.3.4', 'fd00::1', '10.0.0.1/8',
  '0s', '1s', '2s', '10s', '500ms', '1m', '2h', '1h30m', '0ms', '99999h', '1.5s', '-1s', '1d', '5',
  '50%', '0%', 'x%', '10', 'app', 'example.com/app', 'a/b/c', `${'x'.repeat(260)}/y`, 'foo.bar', 'foo.bar-baz', 'Foo.Bar_Baz', '.a',
  '5xx', '5xx,reset', ' 5xx , reset', 'bogus', 'a\nb', 'a\u0000b', 'svc.cluster.local', 'UPPER', 'İ',
];

function literalsOf(rule: string): string[] {
  const out: string[] = [];
  for (const m of rule.matchAll(/'([^']*)'|"([^"]*)"/g)) out.push(m[1] ?? m[2] ?? '');
  return out;
}
const ALL_LITERALS = [...new Set(RULES.flatMap((r) => literalsOf(r.rule)))];

/** A copy made of this realm's objects (structuredClone's are Node's under jest, which the compiled rules leave to the evaluator). */
function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

function pick<T>(rnd: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rnd() * xs.length)]!;
}

/** A random value of a node's schema (sometimes of a wrong type), strings from the rule's words first. */
function randomValue(node: CelNode | undefined, rnd: () => number, words: readonly string[], depth: number): unknown {
  const str = (): string => (rnd() < 0.35 ? pick(rnd, ['a', 'b', '']) : words.length > 0 && rnd() < 0.5 ? pick(rnd, words) : rnd() < 0.5 ? pick(rnd, ALL_LITERALS) : pick(rnd, GENERIC_STRINGS));
  const int = (): number => pick(rnd, [0, 0, 1, 1, 2, 3, 10, 80, 443, 65535, -1, 100, 128, 2 ** 53 + 2]);
  if (rnd() < 0.03) return pick(rnd, [null, 1.5, 'x', true, [], {}, 7]);
  if (node === undefined) return rnd() < 0.5 ? str() : int();
  if (node.n === 1) return rnd() < 0.5 ? int() : str();
  switch (node.t) {
    case 'string':
      return str();
    case 'integer':
      return int();
    case 'boolean':
      return rnd() < 0.5;
    case 'number':
      return pick(rnd, [0, 0.5, 1]);
    case 'array': {
      if (depth > 6) return [];
      const n = pick(rnd, [0, 1, 1, 2, 2, 3]);
      const first = randomValue(node.i, rnd, words, depth + 1);
      // Repeats (a copy of the first item) exercise the uniqueness rules.
      return Array.from({ length: n }, (_, i) => (i > 0 && rnd() < 0.3 ? clone(first) : i === 0 ? first : randomValue(node.i, rnd, words, depth + 1)));
    }
    case 'object': {
      const out: Record<string, unknown> = {};
      if (depth > 6) return out;
      // Required properties are nearly always there (the schema check comes first in file modes).
      for (const [k, child] of Object.entries(node.p ?? {})) if (rnd() < (node.q?.includes(k) ? 0.95 : 0.55)) out[k] = randomValue(child, rnd, words, depth + 1);
      if (node.a !== undefined) for (let i = pick(rnd, [0, 1, 2]); i > 0; i--) out[str()] = randomValue(node.a, rnd, words, depth + 1);
      return out;
    }
    default:
      return rnd() < 0.5 ? str() : int();
  }
}

function show(o: CelOutcome): string {
  return typeof o === 'object' ? `noSuchKey(${o.noSuchKey})` : String(o);
}

describe('the CRD CEL rules compiled to JavaScript', () => {
  it('compiles every current rule (a new rule the compiler does not support is named here)', () => {
    const notCompiled = [...new Set(RULES.filter((r) => r.fn < 0 && !r.rule.includes('oldSelf')).map((r) => r.rule))].sort();
    expect(notCompiled).toEqual(EVALUATOR_ONLY);
    expect(RULES.length).toBeGreaterThan(300);
    // Each function was compiled from the evaluator's form of its rule (crd-cel.ts's rewrites).
    for (const r of RULES) if (r.fn >= 0) expect(r.module.sources[r.fn]).toBe(celRuleForEvaluator(r.rule));
  });

  it('gives the evaluator outcome of every rule on randomized values of its node, violating ones included', () => {
    const mismatches: string[] = [];
    let compared = 0;
    let fallbacks = 0;
    const seen = new Map<string, { t: number; f: number; e: number }>();
    RULES.forEach((r, n) => {
      if (r.fn < 0 || r.rule.includes('oldSelf')) return;
      const fn = r.module.fns[r.fn]!;
      const rnd = seededRandom(1000 + n);
      // The rule's own words, durations where it compares them.
      const words = [...literalsOf(r.rule), ...(r.rule.includes('duration(') ? ['1s', '2s', '10s', '500ms', '1m', '1h', '2h'] : [])];
      const count = seen.get(r.rule) ?? { t: 0, f: 0, e: 0 };
      seen.set(r.rule, count);
      // The total-matches rules refuse more than 128 matches: one value that has them.
      // and the parentRefs rules, two references to one parent, one with a sectionName.
      const crafted = r.rule.includes('<= 128')
        ? [Array.from({ length: 16 }, () => ({ matches: Array.from({ length: 9 }, () => ({})) }))]
        : r.rule.includes('p1.sectionName')
          ? [[{ group: 'g', kind: 'K', name: 'a' }, { group: 'g', kind: 'K', name: 'a', sectionName: 'x' }]]
          : [];
      for (let k = 0; k < 250 + crafted.length; k++) {
        const value = k < crafted.length ? crafted[k] : randomValue(r.node, rnd, words, 0);
        if (value === null || value === undefined) continue;
        const compiled = celCompiledOutcome(fn, value);
        const evaluator = celEvaluatorOutcome(r.node, r.i, value);
        if (compiled === 'fallback') {
          fallbacks++;
          continue;
        }
        compared++;
        if (evaluator === true) count.t++;
        else if (evaluator === false) count.f++;
        else count.e++;
        if (JSON.stringify(compiled) !== JSON.stringify(evaluator) && mismatches.length < 20) {
          mismatches.push(`${r.where}: ${r.rule}\n  value ${JSON.stringify(value)}\n  compiled ${show(compiled)}, evaluator ${show(evaluator)}`);
        }
      }
    });
    expect(mismatches).toEqual([]);
    // The values reach both verdicts of (nearly) every rule: those never violated are listed.
    const neverFalse = [...seen].filter(([, c]) => c.f === 0).map(([rule]) => rule);
    const neverTrue = [...seen].filter(([, c]) => c.t === 0).map(([rule]) => rule);
    expect(neverTrue).toEqual([]);
    expect(neverFalse).toEqual([]);
    expect(compared).toBeGreaterThan(20_000);
    expect(fallbacks).toBeLessThan(compared / 5);
  });
});

function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(dir, f))
    .sort();
}

function objectsIn(files: readonly string[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const f of files) {
    for (const d of jsyaml.loadAll(readFileSync(f, 'utf8'))) {
      if (typeof d === 'object' && d !== null && !Array.isArray(d)) out.push(d as Record<string, unknown>);
    }
  }
  return out;
}

/** The places of an object its kind's CEL tree reaches: [container, key, node] (present or not). */
function places(node: CelNode, value: unknown, out: [Record<string, unknown> | unknown[], string | number, CelNode | undefined][]): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      out.push([value, i, node.i]);
      if (node.i !== undefined) places(node.i, v, out);
    });
  } else if (typeof value === 'object' && value !== null) {
    const o = value as Record<string, unknown>;
    for (const [k, child] of Object.entries(node.p ?? {})) {
      out.push([o, k, child]);
      if (o[k] !== undefined) places(child, o[k], out);
    }
    if (node.a !== undefined) for (const k of Object.keys(o)) if (node.p?.[k] === undefined) places(node.a, o[k], out);
  }
}

function mutate(object: Record<string, unknown>, root: CelNode, rnd: () => number): Record<string, unknown> {
  const copy = clone(object);
  for (let n = 1 + Math.floor(rnd() * 3); n > 0; n--) {
    const at: [Record<string, unknown> | unknown[], string | number, CelNode | undefined][] = [];
    places(root, copy, at);
    if (at.length === 0) break;
    const [container, key, node] = pick(rnd, at);
    const op = rnd();
    if (Array.isArray(container)) {
      const i = key as number;
      if (op < 0.3) container.splice(i, 1);
      else if (op < 0.6) container.push(clone(container[i]));
      else container[i] = randomValue(node, rnd, ALL_LITERALS, 3);
    } else if (op < 0.3) delete container[key as string];
    else container[key as string] = randomValue(node, rnd, ALL_LITERALS, 3);
  }
  return copy;
}

describe("the generated walkers refuse what the evaluator refuses, with the same messages", () => {
  const files = [
    ...yamlFilesUnder(join(repo, 'packages/translator/src/testdata')),
    ...yamlFilesUnder(join(repo, 'packages/gatewayclass-controller/examples')),
  ].filter((f) => !f.endsWith('.out.yaml'));
  const objects = objectsIn(files);

  it('on the testdata manifests and mutations of them', () => {
    const mismatches: string[] = [];
    let originalFallbacks = 0;
    let withCrd = 0;
    let refused = 0;
    let tried = 0;
    const rnd = seededRandom(7);
    for (const object of objects) {
      const kinds = modules.map(([, m]) => m.kinds[`${String(object.apiVersion)} ${String(object.kind)}`]).find((n) => n !== undefined);
      if (kinds === undefined) continue;
      withCrd++;
      const variants = [object, ...Array.from({ length: 25 }, () => mutate(object, kinds, rnd))];
      for (const v of variants) {
        tried++;
        const evaluator = crdCelProblems(v, 'evaluator');
        const fallbacks = celCounts.fallback;
        const walker = crdCelProblems(v, 'walker');
        if (v === object) originalFallbacks += celCounts.fallback - fallbacks;
        const functions = crdCelProblems(v, 'functions');
        if (evaluator.length > 0) refused++;
        if ((JSON.stringify(walker) !== JSON.stringify(evaluator) || JSON.stringify(functions) !== JSON.stringify(evaluator)) && mismatches.length < 10) {
          mismatches.push(`${JSON.stringify(v)}\n  evaluator ${JSON.stringify(evaluator)}\n  walker ${JSON.stringify(walker)}\n  functions ${JSON.stringify(functions)}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(withCrd).toBeGreaterThan(100);
    // The mutations reach the rules: a good share of the variants is refused.
    expect(refused).toBeGreaterThan(tried / 10);
    // The testdata objects themselves are judged by the compiled rules alone.
    expect(originalFallbacks).toBe(0);
  });
});
