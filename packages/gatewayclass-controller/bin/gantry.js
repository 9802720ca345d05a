#!/usr/bin/env node
// The `gantry` command. It lives outside dist/ because npm links a package's bin at install time,
// before `prepare` has compiled dist/, and links nothing whose file does not exist yet.
import module from 'node:module';

// Node.js ≥ 22.1 keeps V8's compiled code on disk (os.tmpdir()/node-compile-cache, keyed by the
// source's hash): a second start skips compiling ~3 MB of generated Envoy protos. Node.js 20 has
// no such cache; NODE_DISABLE_COMPILE_CACHE=1 turns it off; an unwritable directory only skips it.
module.enableCompileCache?.();

// `gantry translate` and `gantry standalone` run from one bundled file while it is fresh, with
// V8's code cache of their own (dist/cli/cli-bundle.js); everything else, and a stale
// bundle, runs dist/.
const command = process.argv[2];
const bundled = (command === 'translate' || command === 'standalone') && (await import('../dist/cli/cli-bundle.js')).runCliBundle(command);
if (!bundled) await import('../dist/cli/main.js');
