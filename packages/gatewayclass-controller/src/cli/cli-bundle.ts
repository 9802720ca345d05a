// `gantry translate` and `gantry standalone` from one file: the CLI bundled after `tsc -b` by
// hack/bundle-cli.mjs (esbuild) into dist/cli/cli.bundle.cjs. Node.js then reads and links one file
// instead of ~230 modules, and the bundle, being one script, runs with V8's code from its previous
// run (code-cache.ts). bin/gantry.js runs it for those two commands only, and only while it is
// fresh: the build records every file it bundled (cli.bundle.json) and the time it started, and a
// file changed since (a later `tsc -b`, `npm run generate`, an `npm ci` that changed node_modules)
// or gone (`tsc -b --clean`) makes the bundle stale: dist/ runs instead, never an older build.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runWithCodeCache } from './code-cache.js';

/** The repository (or installed tree) root: the manifest's paths are relative to it. */
export const BUNDLE_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const CLI_BUNDLE = fileURLToPath(new URL('./cli.bundle.cjs', import.meta.url));
export const CLI_BUNDLE_MANIFEST = fileURLToPath(new URL('./cli.bundle.json', import.meta.url));

/** What hack/bundle-cli.mjs writes beside the bundle. */
export interface BundleManifest {
  /** When the build started (ms since the epoch): every input must be older. */
  readonly started: number;
  /** The bundle's sha256 and size in bytes. */
  readonly sha256: string;
  readonly size: number;
  /** Every file the bundle was made from, relative to BUNDLE_ROOT (the build script and node_modules/.package-lock.json included). */
  readonly inputs: readonly string[];
}

function readManifest(path: string): BundleManifest | undefined {
  try {
    const m = JSON.parse(readFileSync(path, 'utf8')) as Partial<BundleManifest> | null;
    if (typeof m?.started !== 'number' || typeof m.sha256 !== 'string' || typeof m.size !== 'number' || !Array.isArray(m.inputs)) return undefined;
    return m as BundleManifest;
  } catch {
    return undefined;
  }
}

/**
 * A bundle's code-cache key when it is fresh: it is the file its build wrote (same size, written
 * after the build started) and none of its inputs (relative to `root`) has changed or gone since;
 * undefined otherwise.
 */
export function freshBundleKey(bundlePath: string, manifestPath: string, root: string): string | undefined {
  const manifest = readManifest(manifestPath);
  if (manifest === undefined) return undefined;
  const bundle = statSync(bundlePath, { throwIfNoEntry: false });
  if (bundle === undefined || bundle.size !== manifest.size || bundle.mtimeMs < manifest.started) return undefined;
  for (const input of manifest.inputs) {
    const st = statSync(join(root, input), { throwIfNoEntry: false });
    if (st === undefined || st.mtimeMs >= manifest.started) return undefined;
  }
  // The content's hash from the build, and this file's identity (a copy or a rewrite is another key).
  return `${manifest.sha256} ${bundle.size} ${bundle.mtimeMs} ${bundle.dev} ${bundle.ino}`;
}

/** The CLI bundle's code-cache key when it is fresh (freshBundleKey). */
export function freshCliBundle(): string | undefined {
  return freshBundleKey(CLI_BUNDLE, CLI_BUNDLE_MANIFEST, BUNDLE_ROOT);
}

/**
 * Runs `gantry translate` or `gantry standalone` (process.argv as given) from the bundle when it
 * is fresh, and says whether it did; GANTRY_NO_BUNDLE=1 never does (dist/ runs). Each command has
 * its own code cache: each holds what its runs compiled.
 */
export function runCliBundle(command: 'translate' | 'standalone'): boolean {
  if (process.env.GANTRY_NO_BUNDLE === '1') return false;
  const key = freshCliBundle();
  if (key === undefined) return false;
  runWithCodeCache(CLI_BUNDLE, { name: command, key });
  return true;
}
