// Renders the repository's Helm charts for tests: the real `helm` ($GANTRY_HELM, which
// hack/test.sh sets, else whatever hack/install-helm.sh builds from the Go module proxy; cached),
// `helm lint`, and `helm template` parsed into objects. Values go in as a JSON file (JSON is YAML),
// so no --set escaping rules apply.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** One rendered object; fields beyond these are read through the kind-specific views below. */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ObjectMeta;
  readonly [field: string]: unknown;
}

export interface HelmResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export const REPO_ROOT = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
export const CHARTS = { gantry: join(REPO_ROOT, 'charts', 'gantry'), crds: join(REPO_ROOT, 'charts', 'gantry-crds') } as const;

let helmPath: Promise<string> | undefined;

export function helmBinary(): Promise<string> {
  helmPath ??= (async () => {
    const fromEnv = process.env['GANTRY_HELM'];
    if (fromEnv && existsSync(fromEnv)) return fromEnv;
    const out = await run('bash', [join(REPO_ROOT, 'hack', 'install-helm.sh')]);
    const path = out.stdout.trim().split('\n').pop() ?? '';
    if (out.code !== 0 || !existsSync(path)) {
      throw new Error(`helm is not installed and could not be built: run \`bash hack/install-helm.sh\`\n${out.stderr.split('\n').slice(-20).join('\n')}`);
    }
    return path;
  })();
  return helmPath;
}

/** Runs helm; never throws on a non-zero exit (tests assert on failures too). */
export async function helm(args: readonly string[]): Promise<HelmResult> {
  return run(await helmBinary(), args);
}

export interface TemplateOptions {
  readonly release?: string;
  readonly namespace?: string;
  readonly values?: Readonly<Record<string, unknown>>;
}

/** `helm template` of a chart; a failure comes back with helm's message. */
export async function template(chart: string, opts: TemplateOptions = {}): Promise<{ ok: true; objects: Manifest[] } | { ok: false; error: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-chart-'));
  try {
    const valuesFile = join(dir, 'values.json');
    writeFileSync(valuesFile, JSON.stringify(opts.values ?? {}));
    const r = await helm(['template', opts.release ?? 'gantry', chart, '--namespace', opts.namespace ?? 'gantry-system', '--values', valuesFile]);
    if (r.code !== 0) return { ok: false, error: r.stderr };
    return { ok: true, objects: parseManifests(r.stdout) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const HOOK_ANNOTATION = 'helm.sh/hook';

function isHook(o: Manifest): boolean {
  return (o.metadata as { annotations?: Record<string, string> }).annotations?.[HOOK_ANNOTATION] !== undefined;
}

/** Renders and expects success: the release's objects (hooks apart, see renderHooks). */
export async function render(chart: string, opts: TemplateOptions = {}): Promise<Manifest[]> {
  const r = await template(chart, opts);
  if (!r.ok) throw new Error(`helm template ${chart} failed:\n${r.error}`);
  return r.objects.filter((o) => !isHook(o));
}

/** The chart's hook objects (run by Helm around installs and upgrades, not part of the release). */
export async function renderHooks(chart: string, opts: TemplateOptions = {}): Promise<Manifest[]> {
  const r = await template(chart, opts);
  if (!r.ok) throw new Error(`helm template ${chart} failed:\n${r.error}`);
  return r.objects.filter(isHook);
}

export function parseManifests(text: string): Manifest[] {
  const objects: Manifest[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0]?.message ?? ''}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (!isManifest(value)) throw new Error(`rendered document is not a Kubernetes object: ${JSON.stringify(value).slice(0, 200)}`);
    objects.push(value);
  }
  return objects;
}

/** The one object of `kind` (and `name`), failing clearly when there is none or several. */
export function only(objects: readonly Manifest[], kind: string, name?: string): Manifest {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0] as Manifest;
}

export function ofKind(objects: readonly Manifest[], kind: string): Manifest[] {
  return objects.filter((o) => o.kind === kind);
}

function isManifest(value: unknown): value is Manifest {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  const meta = v['metadata'];
  return typeof v['apiVersion'] === 'string' && typeof v['kind'] === 'string' &&
    typeof meta === 'object' && meta !== null && typeof (meta as Record<string, unknown>)['name'] === 'string';
}

function run(file: string, args: readonly string[]): Promise<HelmResult> {
  return new Promise((resolve) => {
    execFile(file, [...args], { cwd: REPO_ROOT, maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

// Works from src/ and dist/ alike.
function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'charts', 'gantry')) && existsSync(join(dir, 'hack'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no charts/gantry above ${start}`);
  }
}
