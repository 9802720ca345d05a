import { describe, expect, it } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHARTS, helm } from '../charts/testing/helm.js';
import { readBlockDocuments, readBlockYaml } from './block-yaml.js';
import { loadAllFastOrError, oneDocument } from './fast-yaml.js';
import { seededRandom } from '@gantry/translator/testing/seeded-random';

// The block reader against js-yaml (with the same schema): whenever the reader gives values, js-yaml
// must read the text without error and give the same values (types, key order, -0 and NaN included).

const repo = fileURLToPath(new URL('../../../../', import.meta.url));

function jsYaml(text: string): unknown[] | string {
  const outcome = loadAllFastOrError(text, Number.MAX_SAFE_INTEGER);
  return 'values' in outcome ? outcome.values : `error: ${outcome.message}`;
}

/** The first difference between two values, or undefined. */
function difference(a: unknown, b: unknown, path = '$'): string | undefined {
  if (typeof a !== typeof b) return `${path}: ${typeof a} / ${typeof b}`;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    return Object.is(a, b) ? undefined : `${path}: ${JSON.stringify(a)} / ${JSON.stringify(b)}`;
  }
  if (Array.isArray(a) !== Array.isArray(b) || Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return `${path}: different containers`;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.join('\u0000') !== kb.join('\u0000')) return `${path}: keys ${JSON.stringify(ka)} / ${JSON.stringify(kb)}`;
  for (const k of ka) {
    const d = difference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
    if (d !== undefined) return d;
  }
  return undefined;
}

/**
 * Compares the reader with js-yaml on one text, alone and with js-yaml reading the documents it
 * leaves (one by one); true when the reader read it alone.
 */
function agrees(text: string, name: string): boolean {
  const alone = readBlockYaml(text);
  const mixed = readBlockDocuments(text, oneDocument);
  if (alone !== undefined && (mixed === undefined || mixed.others !== 0)) throw new Error(`${name}: read alone but not with the fallback`);
  if (mixed === undefined) return false;
  const theirs = jsYaml(text);
  const d = typeof theirs === 'string' ? `the reader read it, js-yaml says ${theirs}` : difference(mixed.values, theirs);
  if (d !== undefined) throw new Error(`${name}${mixed.others > 0 ? ` (${mixed.others} documents by js-yaml)` : ''}: ${d}\n--- text ---\n${text.length > 2000 ? `${text.slice(0, 2000)}…` : text}`);
  if (mixed.others > 0) mixedTexts++;
  return alone !== undefined;
}

/** Texts read with some documents left to js-yaml. */
let mixedTexts = 0;

function yamlFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...yamlFilesUnder(path));
    else if (/\.ya?ml$/.test(entry.name)) out.push(path);
  }
  return out.sort();
}

/** Every YAML file in the repository; chart templates without their Helm directive lines. */
function repositoryTexts(): { name: string; text: string }[] {
  const dirs = ['packages', 'charts', 'docs', 'e2e', 'hack', 'examples'].map((d) => join(repo, d));
  const out: { name: string; text: string }[] = [];
  for (const dir of dirs) {
    let files: string[];
    try {
      files = yamlFilesUnder(dir);
    } catch {
      continue;
    }
    for (const file of files) {
      const raw = readFileSync(file, 'utf8');
      const text = raw.includes('{{') ? raw.split('\n').filter((l) => !l.includes('{{')).join('\n') : raw;
      out.push({ name: relative(repo, file), text });
    }
  }
  return out;
}

const SCALARS = [
  'x', 'name', 'gw', 'a b', 'a  b', '~', 'null', 'Null', 'NULL', 'nul', 'true', 'True', 'TRUE', 'tRue', 'false', 'FALSE', 'yes', 'no', 'on', 'off',
  '0', '-0', '+0', '-1', '+12', '007', '0o17', '0x1F', '0xg', '1_000', '1.5', '-.5', '.5', '1.', '1e3', '-1.5E-3', '1e', '.inf', '-.Inf', '.nan',
  '2026-01-01', '2026-01-01T00:00:00Z', '12:30:00', '1:20', '<<', '=', '0.0.0.0', '10s', '/svc-0', 'a#b', 'a #b', 'http://x:80/y', ':path', '-x',
  '?x', '-', '?', ':', 'a: b', 'a:', 'x,y', 'x]', 'x}', '[x', '{x', 'é', '😀', '\\n', 'a\tb', "it's", 'say "hi"', '%x', '@x', '`x', '!x', '&x', '*x',
  '|', '>', '"', "'", '#', 'a ', ' a', '1e400', '123456789012345678901234567890', '0o8', '-0.0', '.', '+', '--', '---', '...', 'a...',
];
const QUOTED = [
  '""', "''", '"x"', "'x'", '"a\\nb"', '"\\t\\\\\\"\\/"', '"\\x41\\u00e9\\U0001F600"', '"\\N\\_\\L\\P\\e\\0\\a\\b\\v\\f\\r\\ "', '"\\q"', '"\\u12"',
  "'it''s'", "'a\\nb'", '"a # b"', "'a # b'", '"a: b"', '"multi\n  line"', "'multi\n  line'", '"unclosed', "'unclosed", '"x" # c', '"x"#c', '"x"y', '"\\U00110000"',
  '"\\t"', '"tab\there"',
];
const FLOWS = [
  '[]', '{}', '[a]', '[a, b]', '["a", \'b\']', '[1, true, null, ~, x y]', '{a: 1}', '{a: 1, b: [x, y]}', '{"a": 1}', "{'a': 1}", '[{name: http, port: 80}]',
  '[a,]', '[a,,b]', '{a}', '{a: }', '{a:1}', '{"a":1}', '[a: 1]', '[a, [b, [c]]]', '{a: {b: {c: d}}}', '[ a , b ]', '{ a : 1 }', '[a] x', '[a', '{a: 1',
  '[a, b] # c', '[-1, -x, - x]', '[:x]', '{a: 1, a: 2}', '{1: x, 1.0: y}', '[a #b]', '[a\n  , b]',
];

/** Mostly scalars valid anywhere (the first ones of each list), sometimes anything. */
function scalarOf(r: () => number): string {
  const pick = (list: readonly string[], valid: number): string => list[Math.floor(r() * (r() < 0.85 ? valid : list.length))]!;
  const x = r();
  if (x < 0.75) return pick(SCALARS, SCALARS.indexOf(':path'));
  if (x < 0.9) return pick(QUOTED, QUOTED.indexOf('"a: b"') + 1);
  return pick(FLOWS, FLOWS.indexOf('{a: {b: {c: d}}}') + 1);
}

function comment(r: () => number): string {
  const x = r();
  return x < 0.1 ? ' # a comment' : x < 0.13 ? ' #' : x < 0.15 ? '#no-space' : x < 0.17 ? '  ' : '';
}

function blockScalar(r: () => number, indent: number): string {
  const header = ['|', '>', '|-', '>-', '|+', '>+', '|2', '>1-', '| # c', '|x'][Math.floor(r() * 10)]!;
  const lines: string[] = [];
  const n = Math.floor(r() * 5);
  const base = indent + 1 + Math.floor(r() * 3);
  for (let i = 0; i < n; i++) {
    const x = r();
    if (x < 0.2) lines.push('');
    else if (x < 0.27) lines.push(' '.repeat(Math.floor(r() * (base + 3))));
    else if (x < 0.45) lines.push(`${' '.repeat(base + 1 + Math.floor(r() * 3))}more ${i}`);
    else if (x < 0.5) lines.push(`${' '.repeat(base)}\ttab`);
    else if (x < 0.53) lines.push(`${' '.repeat(Math.max(0, base - 1))}less`);
    else lines.push(`${' '.repeat(base)}line ${i} # not a comment`);
  }
  return `${header}\n${lines.map((l) => `${l}\n`).join('')}`;
}

/** A block node at `indent`, as the lines after `key:` or `-` (or the whole document). */
function node(r: () => number, indent: number, depth: number): string {
  const pad = ' '.repeat(indent);
  const x = r();
  const entries = 1 + Math.floor(r() * 4);
  let out = '';
  if (x < 0.45 && depth < 6) {
    const keys = ['a', 'b', 'name', 'port', '80', '"q k"', "'s k'", 'true', '~', '1.0', 'x y', 'a#b', 'k:v', '-k', '?k', '__proto__', '<<', 'a ', '"a"'];
    for (let i = 0; i < entries; i++) {
      const key = r() < 0.08 ? keys[Math.floor(r() * keys.length)]! : `k${i}`;
      out += `${pad}${key}:${value(r, indent, depth)}`;
      if (r() < 0.1) out += r() < 0.5 ? '\n' : `${pad}# between\n`;
    }
    return out;
  }
  if (x < 0.75 && depth < 6) {
    for (let i = 0; i < entries; i++) {
      const y = r();
      if (y < 0.25) {
        // A compact mapping: the first key on the dash line.
        out += `${pad}- k0:${value(r, indent + 2, depth + 1)}`;
        if (r() < 0.7) out += `${pad}  k1:${value(r, indent + 2, depth + 1)}`;
      } else if (y < 0.32) {
        out += `${pad}- - ${scalarOf(r)}\n${pad}  - ${scalarOf(r)}\n`;
      } else if (y < 0.4) {
        out += `${pad}-\n${node(r, indent + 2, depth + 1)}`;
      } else if (y < 0.45) {
        out += `${pad}- ${blockScalar(r, indent)}`;
      } else {
        out += `${pad}- ${scalarOf(r)}${comment(r)}\n`;
      }
    }
    return out;
  }
  return `${pad}${scalarOf(r)}\n`;
}

function value(r: () => number, indent: number, depth: number): string {
  const x = r();
  if (x < 0.45) return ` ${scalarOf(r)}${comment(r)}\n`;
  if (x < 0.52) return `${comment(r)}\n`; // null
  if (x < 0.6) return ` ${blockScalar(r, indent)}`;
  if (x < 0.7) {
    // A sequence at the key's own indentation.
    const pad = ' '.repeat(indent);
    return `\n${pad}- ${scalarOf(r)}\n${pad}- ${scalarOf(r)}\n`;
  }
  const step = r() < 0.9 ? 2 : r() < 0.5 ? 1 : 4;
  return `${comment(r)}\n${node(r, indent + step, depth + 1)}`;
}

function generated(r: () => number): string {
  const docs = 1 + Math.floor(r() * 3);
  let out = r() < 0.1 ? '# leading comment\n' : '';
  for (let i = 0; i < docs; i++) {
    if (i > 0 || r() < 0.3) out += r() < 0.9 ? '---\n' : '--- \n';
    if (r() < 0.05) continue; // an empty document
    out += node(r, 0, 0);
  }
  return r() < 0.1 ? out.replace(/\n$/, '') : out;
}

const MUTATIONS = [' ', '  ', '-', '- ', ':', ': ', '#', ' #', "'", '"', '|', '>', '[', ']', '{', '}', ',', '\n', '\t', '&a ', '*a', '!t ', '%', '.', '\r', '\\', '---\n', '...\n', '\u0000', '\ufeff', '\u0085'];

function mutated(r: () => number, text: string): string {
  let out = text;
  const edits = 1 + Math.floor(r() * 3);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(r() * (out.length + 1));
    const x = r();
    if (x < 0.4) out = out.slice(0, at) + MUTATIONS[Math.floor(r() * MUTATIONS.length)]! + out.slice(at);
    else if (x < 0.7) out = out.slice(0, at) + out.slice(at + 1 + Math.floor(r() * 3));
    else {
      // Re-indent or repeat a line.
      const start = out.lastIndexOf('\n', at - 1) + 1;
      const endOfLine = out.indexOf('\n', at);
      const line = out.slice(start, endOfLine === -1 ? out.length : endOfLine);
      out = r() < 0.5 ? `${out.slice(0, start)}${r() < 0.5 ? ' ' : ''}${line.replace(/^ /, r() < 0.5 ? '' : ' ')}${out.slice(endOfLine === -1 ? out.length : endOfLine)}` : `${out.slice(0, start)}${line}\n${out.slice(start)}`;
    }
  }
  return out;
}

describe('the block YAML reader', () => {
  const texts = repositoryTexts();

  it('reads the repository YAML files as js-yaml does, and most of them', () => {
    expect(texts.length).toBeGreaterThan(100);
    let read = 0;
    for (const { name, text } of texts) if (agrees(text, name)) read++;
    // What it leaves to js-yaml: anchors and aliases, multi-line plain and quoted scalars (CRDs), Helm leftovers.
    expect(read).toBeGreaterThan(texts.length * 0.8);
  });

  it('reads the charts as helm renders them, as js-yaml does', async () => {
    // The Gateway API CRDs fold long descriptions over lines, and their CEL rules' `&&` look like
    // anchors: js-yaml reads them.
    const renders: [string[], boolean][] = [
      [['template', 'g', CHARTS.gantry], true],
      [['template', 'g', CHARTS.gantry, '--set', 'replicas=2', '--set', 'podDisruptionBudget.enabled=true', '--set', 'metrics.serviceMonitor.enabled=true'], true],
      [['template', 'c', CHARTS.crds, '--set', 'gatewayAPI.install=true'], false],
    ];
    for (const [args, alone] of renders) {
      const out = await helm(args);
      expect({ args, code: out.code, stderr: out.stderr }).toEqual({ args, code: 0, stderr: '' });
      expect({ args, alone: agrees(out.stdout, `helm ${args.join(' ')}`) }).toEqual({ args, alone });
    }
  }, 120_000);

  it('reads generated block YAML as js-yaml does', () => {
    // BLOCK_YAML_SEED and BLOCK_YAML_CASES run other and more cases.
    const r = seededRandom(Number(process.env.BLOCK_YAML_SEED ?? 18));
    let read = 0;
    const cases = Number(process.env.BLOCK_YAML_CASES ?? 20000);
    for (let i = 0; i < cases; i++) if (agrees(generated(r), `generated #${i}`)) read++;
    // The generator also makes much that is outside the subset or invalid; a good share is read.
    expect(read).toBeGreaterThan(cases * 0.2);
  });

  it('reads mutated repository files only when js-yaml reads them the same', () => {
    const r = seededRandom(Number(process.env.BLOCK_YAML_SEED ?? 7));
    const manifests = texts.filter((t) => t.text.length < 20000);
    let read = 0;
    mixedTexts = 0;
    const cases = Math.round(Number(process.env.BLOCK_YAML_CASES ?? 20000) * 0.3);
    for (let i = 0; i < cases; i++) {
      const base = manifests[Math.floor(r() * manifests.length)]!;
      if (agrees(mutated(r, base.text), `mutant #${i} of ${base.name}`)) read++;
    }
    expect(read).toBeGreaterThan(cases * 0.2);
    // Some mutants have one document outside the subset among others in it (188 of 6,000).
    expect(mixedTexts).toBeGreaterThan(cases * 0.02);
  });

  it('reads documents, comments and scalars at their edges as js-yaml does', () => {
    const edges = [
      'a: 1\n', 'a: 1', '---\n', '---', '# c\n---\na: 1\n', 'a: 1\n---\n', 'a: 1\n---', '---\n---\na: 1\n', 'a: 1\n---\n# c\n', '--- \na: 1\n',
      'a:\n- 1\n- 2\nb: 3\n', '- a: 1\n  b: 2\n- - x\n  - y\n-\n- c\n', 'a:\n  # c\n  b: 1\n', 'a: 1\n  # c\nb: 2\n', 'a: |\n  x\n\n\n',
      'a: |+\n  x\n\n\n', 'a: |+\n  x\n\n\nb: 1\n', 'a: |\n  x\n    \n', 'a: |\n  \n  x\n', 'a: |-\n\n', 'a: |\nb: 1\n', 'a: >\n  x\n  y\n\n  z\n   w\n  v\n',
      'a: >-\n   x\n  y\n', '- |\n  x\n- >\n  y\n', 'a:\n  - |\n    x\n  - y\n', 'k: "\\u00e9"\n', "k: 'a''b'\n", '"a b": 1\n\'c\'\'d\': 2\n',
      '80: x\n1.0: y\n~: z\ntrue: t\n0x10: h\n', 'a: x:y\n', 'a: :x\n', 'a: -1\n', 'a: [b, {c: d}]\n', 'a: {b: [1, 2], c: "x"}\n', 'a:    \nb: 1\n',
      '- \n- x\n', 'a: b #c\n', 'a: b#c\n', 'a: "x" # c\n', 'a: [] # c\n', 'a: {}\n', '\n\na: 1\n\n', 'a: 1\n\n---\n\nb: 2\n\n',
    ];
    let read = 0;
    for (const text of edges) if (agrees(text, JSON.stringify(text))) read++;
    expect(read).toBeGreaterThan(edges.length * 0.8);
  });

  it('leaves to js-yaml what is outside the subset', () => {
    for (const text of [
      'a: &x 1\nb: *x\n', 'a: !!str 1\n', '%YAML 1.2\n---\na: 1\n', 'a: 1\n...\n', 'a: b\n  c\n', 'a: "b\n  c"\n', 'a: 1\na: 2\n', 'a: [b,\n  c]\n',
      'a:\tb\n', 'a: 1\r\nb: 2\r\n', '\ufeffa: 1\n', 'a: |2\n   x\n', 'x\n', '? a\n: b\n', '__proto__: 1\n', '<<: {a: 1}\n', '',
      `${Array.from({ length: 95 }, (_, i) => `${' '.repeat(i)}k:`).join('\n')} 1\n`, // nested deeper than js-yaml's maxDepth allows
    ]) {
      expect({ text, read: readBlockYaml(text) }).toEqual({ text, read: undefined });
    }
  });

  it('reads a long file in one pass (no quadratic scans)', () => {
    const doc = (i: number): string => `apiVersion: v1\nkind: Service\nmetadata:\n  name: s-${i}\n  labels: {app: a${i}}\nspec:\n  ports:\n  - port: 80\n    name: http\n`;
    const text = Array.from({ length: 20000 }, (_, i) => doc(i)).join('---\n');
    const t = performance.now();
    const values = readBlockYaml(text);
    expect(values).toHaveLength(20000);
    expect(performance.now() - t).toBeLessThan(5000);
    const lines = Array.from({ length: 50000 }, (_, i) => `- item ${i}`).join('\n');
    expect(readBlockYaml(`a:\n${lines}\n`)).toBeDefined();
  });
});
