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
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Environment } from '@marcbachmann/cel-js';
import { kindSpec } from '@gantry/api';

/** A schema node as generated: type, default, rules, properties, items, additionalProperties, int-or-string. */
interface CelNode {
  readonly t?: string;
  readonly d?: unknown;
  readonly r?: readonly (readonly [string, string?])[];
  readonly p?: Readonly<Record<string, CelNode>>;
  readonly i?: CelNode;
  readonly a?: CelNode;
  readonly n?: 1;
}

type Program = (context: Record<string, unknown>) => unknown;

/** At most this many CEL problems are reported per object. */
const MAX_PROBLEMS = 10;

let env: Environment | undefined;
function environment(): Environment {
  if (env === undefined) {
    env = new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false });
    // Kubernetes' IP library: isIP(string) is true for an IPv4 or IPv6 address (no zone, no CIDR).
    env.registerFunction('isIP(string): bool', (s: string) => isIP(s) !== 0);
  }
  return env;
}

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

const modules = new Map<string, Record<string, CelNode> | undefined>();
let requireHere: NodeJS.Require | undefined;

function rulesOf(apiVersion: string, kind: string): CelNode | undefined {
  const spec = kindSpec(kind);
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  if (spec === undefined || group === '') return undefined;
  const file = `${group}_${spec.plural}`;
  if (!modules.has(file)) {
    const path = fileURLToPath(new URL(`../../generated/crd-cel/${file}.cjs`, import.meta.url));
    requireHere ??= createRequire(import.meta.url);
    modules.set(file, existsSync(path) ? (requireHere(path) as Record<string, CelNode>) : undefined);
  }
  return modules.get(file)?.[`${apiVersion} ${kind}`];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The value as CEL sees it: the node's defaults applied, integers as ints (bigint). Values outside
 * the generated nodes are left as they are: no rule reads them (a rule's whole subtree is kept).
 */
function celValue(node: CelNode | undefined, value: unknown): unknown {
  if (node === undefined) return value;
  if (typeof value === 'number' && (node.t === 'integer' || node.n === 1) && Number.isSafeInteger(value)) return BigInt(value);
  if (Array.isArray(value)) return value.map((v) => celValue(node.i, v));
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = celValue(node.p?.[k] ?? node.a, v);
    for (const [k, child] of Object.entries(node.p ?? {})) {
      // celValue copies the default (fresh arrays and objects of this realm: not structuredClone's).
      if (out[k] === undefined && child.d !== undefined) out[k] = celValue(child, child.d);
    }
    return out;
  }
  return value;
}

function fieldPath(parts: readonly (string | number)[]): string {
  let out = '';
  for (const p of parts) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}

function evaluate(node: CelNode, value: unknown, path: (string | number)[], out: { field: string; message: string }[]): void {
  if (value === undefined || value === null || out.length >= MAX_PROBLEMS) return;
  for (const [rule, message] of node.r ?? []) {
    if (rule.includes('oldSelf')) continue;
    const p = program(rule);
    if (p === null) continue;
    let ok: unknown;
    try {
      ok = p({ self: value });
    } catch (err) {
      // (Not `instanceof Error`: the evaluator may run in another realm, as under jest.)
      const why = String((err as { message?: unknown } | null)?.message ?? err).split('\n')[0] ?? '';
      // A missing field the rule reads: the API server refuses the object too ("no such key").
      if (/no such key/i.test(why)) {
        const field = fieldPath(path);
        out.push({ field, message: `${field === '' ? '<object>' : field}: ${why.replace(/[^\w :.-]/g, '').slice(0, 80)} evaluating rule: ${message ?? rule} (CEL rule)` });
        if (out.length >= MAX_PROBLEMS) return;
        continue;
      }
      // Anything else (a function or overload the evaluator lacks): not held against the object.
      notEvaluated.add(rule);
      continue;
    }
    if (ok === false) {
      const field = fieldPath(path);
      out.push({ field, message: `${field === '' ? '<object>' : field}: ${message ?? `failed rule: ${rule}`} (CEL rule)` });
      if (out.length >= MAX_PROBLEMS) return;
    }
  }
  if (node.p !== undefined && isObject(value)) {
    for (const [k, child] of Object.entries(node.p)) evaluate(child, value[k], [...path, k], out);
  }
  if (node.i !== undefined && Array.isArray(value)) value.forEach((v, i) => evaluate(node.i!, v, [...path, i], out));
  if (node.a !== undefined && isObject(value)) {
    for (const [k, v] of Object.entries(value)) if (node.p?.[k] === undefined) evaluate(node.a, v, [...path, k], out);
  }
}

/**
 * What the CRD's CEL rules refuse in an object of a kind with a CRD (none for other kinds): each
 * problem names the field path of the rule's node and says the rule's message.
 */
export function crdCelProblems(object: Record<string, unknown>): { field: string; message: string }[] {
  const { apiVersion, kind } = object;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return [];
  const node = rulesOf(apiVersion, kind);
  if (node === undefined) return [];
  const out: { field: string; message: string }[] = [];
  evaluate(node, celValue(node, object), [], out);
  return out;
}
