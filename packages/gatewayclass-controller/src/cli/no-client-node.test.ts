// The controller's runtime loads no module of @kubernetes/client-node: that package's config
// module imports its whole generated API client (~28 MiB of heap, ~70 MiB RSS in every
// controller). A child node records every module it loads (an ESM load hook, and the CommonJS
// cache) while importing the controller's entry modules.
import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The modules `gantry controller` and `gantry discovery-cleanup` start from. */
const ENTRIES = [
  new URL('./controller-command.js', import.meta.url).href,
  new URL('./discovery-cleanup-command.js', import.meta.url).href,
  new URL('../controller/controller.js', import.meta.url).href,
  new URL('../controller/remote-clusters.js', import.meta.url).href,
  new URL('../deployer/apply.js', import.meta.url).href,
  new URL('../xds-auth/authority.js', import.meta.url).href,
  '@gantry/kube',
  '@gantry/discovery',
];

const HOOKS = `
import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(process.env.LOADED_LOG, url + '\\n');
  return next(url, context);
}
`;

/** Every module file (URL or path) a child node loaded while importing `specifiers`. */
async function modulesLoadedBy(specifiers: readonly string[]): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'gantry-modules-'));
  try {
    const hooks = join(dir, 'hooks.mjs');
    const log = join(dir, 'loaded.txt');
    await writeFile(hooks, HOOKS);
    await writeFile(log, '');
    const register = `import { register } from 'node:module'; register(${JSON.stringify(pathToFileURL(hooks).href)});`;
    const main = `
import { createRequire } from 'node:module';
import { appendFileSync } from 'node:fs';
for (const s of ${JSON.stringify(specifiers)}) await import(s);
appendFileSync(process.env.LOADED_LOG, Object.keys(createRequire(import.meta.url).cache).join('\\n') + '\\n');
`;
    await run(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(register)}`, '--input-type=module', '-e', main], {
      // Resolved from this package, as the command resolves them.
      cwd: new URL('.', import.meta.url).pathname,
      env: { ...process.env, LOADED_LOG: log, NODE_OPTIONS: '' },
      timeout: 60_000,
    });
    return (await readFile(log, 'utf8')).split('\n').filter((l) => l !== '');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const isClientNode = (m: string): boolean => m.includes('/node_modules/@kubernetes/client-node/');

describe('the controller runtime', () => {
  it('loads no module of @kubernetes/client-node', async () => {
    const loaded = await modulesLoadedBy(ENTRIES);
    // The probe sees what it should: our own modules are in the list.
    expect(loaded.some((m) => m.endsWith('/kube/dist/kubeconfig.js'))).toBe(true);
    expect(loaded.filter(isClientNode)).toEqual([]);
  }, 60_000);

  it('(the probe does see client-node when it is imported)', async () => {
    const loaded = await modulesLoadedBy(['@kubernetes/client-node']);
    expect(loaded.filter(isClientNode).length).toBeGreaterThan(10);
  }, 60_000);
});
