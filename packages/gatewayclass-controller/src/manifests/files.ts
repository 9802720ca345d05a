import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

const MANIFEST = /\.(ya?ml|json)$/i;

/** Expands directories into the manifest files directly inside them, sorted for a stable order. */
export async function expandManifestPaths(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const s = await stat(p).catch(() => undefined);
    if (s?.isDirectory()) {
      const names = (await readdir(p)).filter((n) => MANIFEST.test(n) && !n.startsWith('.')).sort();
      out.push(...names.map((n) => join(p, n)));
    } else {
      out.push(p);
    }
  }
  return out;
}
