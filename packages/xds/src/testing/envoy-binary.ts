// Locates the real Envoy for tests: $GANTRY_ENVOY (hack/test.sh sets it), else whatever
// hack/install-envoy.sh installs (it prints the path last). Tests that need Envoy never skip:
// when it cannot be had they fail, saying how to fix it.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'hack', 'install-envoy.sh'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the repository root (hack/install-envoy.sh)');
    dir = up;
  }
  return dir;
}

let cached: string | undefined;

export function envoyBinary(): string {
  if (cached) return cached;
  const fromEnv = process.env.GANTRY_ENVOY;
  if (fromEnv && existsSync(fromEnv)) return (cached = fromEnv);
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
  return (cached = path);
}
