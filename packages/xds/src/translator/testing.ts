// Test support (used by tests only): golden cases and the real Envoy binary.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { GatewayIR } from '@gantry/ir';

/** The source directory of a compiled module (dist/... -> src/...), where testdata lives. */
export function sourceDir(moduleUrl: string): string {
  return dirname(fileURLToPath(moduleUrl)).replace(/([/\\])dist([/\\])/, '$1src$2');
}

export const TESTDATA_DIR = join(sourceDir(import.meta.url), 'testdata');

export interface GoldenCase {
  readonly name: string;
  readonly inputPath: string;
  readonly outputPath: string;
  readonly ir: GatewayIR;
}

export function goldenCases(): GoldenCase[] {
  return readdirSync(TESTDATA_DIR)
    .filter((f) => f.endsWith('.in.yaml'))
    .sort()
    .map((f) => {
      const inputPath = join(TESTDATA_DIR, f);
      const ir = parse(readFileSync(inputPath, 'utf8')) as GatewayIR;
      return { name: f.slice(0, -'.in.yaml'.length), inputPath, outputPath: inputPath.replace(/\.in\.yaml$/, '.out.yaml'), ir };
    });
}

function repoRoot(): string {
  let dir = sourceDir(import.meta.url);
  while (!existsSync(join(dir, 'hack', 'install-envoy.sh'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the repository root (hack/install-envoy.sh)');
    dir = up;
  }
  return dir;
}

/**
 * The path of the real Envoy (installed into the cache by hack/install-envoy.sh, which prints
 * it last). Throws with the fix when it cannot be had: these tests never skip.
 */
export function envoyBinary(): string {
  let path = '';
  try {
    const out = execFileSync('bash', ['hack/install-envoy.sh'], { cwd: repoRoot(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    path = out.trim().split('\n').pop() ?? '';
  } catch (err) {
    throw new Error(`Envoy is not installed and could not be installed: run \`bash hack/install-envoy.sh\` (${String(err)})`);
  }
  if (path === '' || !existsSync(path)) {
    throw new Error(`Envoy not found (hack/install-envoy.sh printed "${path}"): run \`bash hack/install-envoy.sh\``);
  }
  return path;
}
