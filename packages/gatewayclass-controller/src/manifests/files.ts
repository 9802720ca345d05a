import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { yamlModule } from './yaml-lazy.js';

const MANIFEST = /\.(ya?ml|json)$/i;
const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** A path that cannot be read as manifests: the CLI exits 2 (a usage problem), naming it. */
export class ManifestPathError extends Error {}

export interface ExpandedPaths {
  readonly files: string[];
  /** What was read but not applied (a kustomization's patches, generators, ...). */
  readonly warnings: string[];
}

/**
 * Expands directories into the manifest files directly inside them, sorted for a stable order; a
 * directory holding a kustomization contributes its `resources` (files and directories, each
 * expanded the same way) instead. `-` (standard input) is kept as is. A missing path throws
 * ManifestPathError.
 */
export async function expandManifestPaths(paths: readonly string[]): Promise<string[]> {
  return (await expandManifestPathsWithWarnings(paths)).files;
}

export async function expandManifestPathsWithWarnings(paths: readonly string[]): Promise<ExpandedPaths> {
  const files: string[] = [];
  const warnings: string[] = [];
  const seen = new Set<string>();
  for (const p of paths) await expand(p, files, warnings, seen, undefined);
  return { files, warnings };
}

async function expand(p: string, out: string[], warnings: string[], seen: Set<string>, from: string | undefined): Promise<void> {
  if (p === '-') {
    out.push(p);
    return;
  }
  const s = await stat(p).catch(() => undefined);
  if (s === undefined) throw new ManifestPathError(from !== undefined ? `${from}: resources: ${p} does not exist` : `${p}: no such file or directory`);
  if (!s.isDirectory()) {
    if (KUSTOMIZATION_FILES.includes(basename(p))) {
      await expandKustomization(dirname(p), p, out, warnings, seen);
      return;
    }
    out.push(p);
    return;
  }
  const names = await readdir(p);
  const kustomization = KUSTOMIZATION_FILES.find((k) => names.includes(k));
  if (kustomization !== undefined) {
    await expandKustomization(p, join(p, kustomization), out, warnings, seen);
    return;
  }
  out.push(...names.filter((n) => MANIFEST.test(n) && !n.startsWith('.')).sort().map((n) => join(p, n)));
}

/** Kustomize fields that change or add objects: not applied here, so said. */
const NOT_APPLIED = ['patches', 'patchesStrategicMerge', 'patchesJson6902', 'configMapGenerator', 'secretGenerator',
  'images', 'namePrefix', 'nameSuffix', 'namespace', 'commonLabels', 'labels', 'commonAnnotations', 'replacements',
  'replicas', 'components', 'generators', 'transformers', 'helmCharts'];

async function expandKustomization(dir: string, file: string, out: string[], warnings: string[], seen: Set<string>): Promise<void> {
  const key = resolve(file);
  if (seen.has(key)) return; // one base used by two overlays, or a cycle
  seen.add(key);
  let doc: unknown;
  try {
    doc = yamlModule().parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new ManifestPathError(`${file}: not a readable kustomization: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new ManifestPathError(`${file}: not a kustomization (expected a mapping)`);
  const k = doc as Record<string, unknown>;
  const resources = k.resources ?? [];
  if (!Array.isArray(resources) || resources.some((r) => typeof r !== 'string')) {
    throw new ManifestPathError(`${file}: resources: expected a list of paths`);
  }
  const applied = NOT_APPLIED.filter((f) => k[f] !== undefined);
  if (applied.length > 0) {
    warnings.push(`${file}: ${applied.join(', ')} not applied (only resources are read); for the built result: kubectl kustomize ${dir} | gantry translate -f -`);
  }
  for (const r of resources as string[]) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(r) || r.startsWith('github.com/')) {
      throw new ManifestPathError(`${file}: resources: ${r}: remote resources are not read; build it with kubectl kustomize and pipe it to gantry translate -f -`);
    }
    await expand(join(dir, r), out, warnings, seen, file);
  }
}
