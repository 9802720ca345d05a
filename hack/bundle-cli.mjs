#!/usr/bin/env node
// Bundles the gantry CLI for `gantry translate` and `gantry standalone` into one CommonJS file after
// `tsc -b` (`npm run build`, `prepare`, hack/lib/node-deps.sh):
// packages/gatewayclass-controller/dist/cli/cli.bundle.cjs, with cli.bundle.json beside it (when the
// build started, the bundle's hash and size, every file it was made from). bin/gantry.js runs it for
// those two while no input has changed since (src/cli/cli-bundle.ts), with V8's code cache
// (src/cli/code-cache.ts). A plain esbuild run over dist/cli/main.js: the sources load everything
// they need through static imports or plain `require`s of constant paths (the generated tables), so
// nothing is rewritten. The other commands (controller, discovery-cleanup) stay outside it:
// bin/gantry.js never runs them from the bundle. Standalone's code runs only when that command does
// (a lazy import). Nothing to do when the bundle is fresh (--force rebuilds).
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'packages/gatewayclass-controller/dist/cli');
const { CLI_BUNDLE, CLI_BUNDLE_MANIFEST, freshCliBundle } = await import(join(CLI, 'cli-bundle.js'));

if (!process.argv.includes('--force') && freshCliBundle() !== undefined) process.exit(0);

const started = Date.now();
rmSync(CLI_BUNDLE_MANIFEST, { force: true });
const tmp = `${CLI_BUNDLE}.${process.pid}.tmp`;
const result = await build({
  entryPoints: [join(CLI, 'main.js')],
  outfile: tmp,
  bundle: true,
  platform: 'node',
  format: 'cjs', // one vm.Script, for the code cache
  target: 'node20',
  external: [
    './controller-command.js',
    './discovery-cleanup-command.js',
    // Only the generated service definitions import it, loaded with every other message on a
    // registry miss: required from node_modules then, as from dist/.
    '@grpc/grpc-js',
  ],
  // The few modules that find files or packages relative to themselves (the chart, js-yaml and the
  // other lazily required packages) see the bundle's URL: it sits where they do, in
  // packages/gatewayclass-controller/dist/<dir>/.
  define: { 'import.meta.url': '__bundleUrl' },
  // The file is its own CommonJS wrapper, a function expression: code-cache.ts compiles the text
  // as read (6 MB held once, outside V8's heap) instead of a wrapped copy of it.
  banner: { js: "(function (exports, require, module, __filename, __dirname) {var __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  footer: { js: '})' },
  minifyWhitespace: true, // a third smaller to read; names are kept (no identifier minification)
  legalComments: 'none',
  charset: 'ascii', // read back as one-byte text (code-cache.ts)
  metafile: true,
  absWorkingDir: ROOT, // the metafile's paths are relative to it
  logLevel: 'warning',
});
const bytes = readFileSync(tmp);
// Anything else of import.meta would be undefined in CommonJS.
if (/\bimport\.meta\b/.test(bytes.toString('latin1'))) throw new Error(`${tmp}: import.meta left in the bundle`);
const inputs = [
  ...Object.keys(result.metafile.inputs).map((p) => relative(ROOT, resolve(ROOT, p))),
  relative(ROOT, fileURLToPath(import.meta.url)),
  // npm gives the files it installs a fixed mtime: an install shows in its lock instead.
  'node_modules/.package-lock.json',
].sort();
renameSync(tmp, CLI_BUNDLE);
const manifest = { started, sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length, inputs };
writeFileSync(`${CLI_BUNDLE_MANIFEST}.tmp`, `${JSON.stringify(manifest, null, 1)}\n`);
renameSync(`${CLI_BUNDLE_MANIFEST}.tmp`, CLI_BUNDLE_MANIFEST);
console.error(`bundled gantry translate and standalone: ${relative(ROOT, CLI_BUNDLE)} (${(bytes.length / 1e6).toFixed(1)} MB, ${inputs.length} files)`);
