// Runs a CommonJS bundle with V8's compiled code from its previous run: the technique of
// v8-compile-cache. The bundle is written as its own wrapper, a function expression of (exports,
// require, module, __filename, __dirname), so that its text is compiled as read: a text wrapped
// here would be a second copy of it, in V8's heap, for as long as the process runs. The file is
// compiled as one vm.Script, with the cached data written by the last run when there is one; after
// the run (at exit) the script's cached data, which then holds every function the run compiled and
// not only the top level, is written for the next run. Node.js 20 has no compile cache of its own
// (Node.js 22's `module.enableCompileCache` covers the modules its loaders read, never a
// vm.Script).
//
// The cache is private to the user: `$XDG_CACHE_HOME/gantry/compile-cache` (default
// `~/.cache/gantry/compile-cache`), a directory of mode 0700 that must belong to the user and be
// writable by no one else, or it is not used. A file's name is the caller's name, the Node.js
// version and a hash of the caller's key (which names the script's content), the version and the
// architecture, so no other script's or other Node.js's code is ever tried; V8 itself refuses data
// made with other flags (and checks only the source's length, hence the key). The write goes to a
// temporary file renamed into place; the files of the same name and Node.js with another key (an
// earlier build) are removed. `NODE_DISABLE_COMPILE_CACHE=1` (as for
// Node.js's own cache) runs without it, and a directory that cannot be made or written only costs
// the compile.
//
// The cache holds what the run that wrote it compiled: after `gantry translate --help` that is a
// third of what a translation needs, and V8 compiles the rest in every later run, which it accepts
// the cache for. So the file also records the CPU time of the run that wrote it, and a run that
// took at least twice as long writes it again (a few rewrites at most, each after a larger run).
import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import vm from 'node:vm';

export interface CodeCacheOptions {
  /** Names the cache file (`<name>-<Node.js version>-<hash>.v8`): one file per name and Node.js. */
  readonly name: string;
  /** Identifies the script's content (e.g. its build's hash and the file's identity). */
  readonly key: string;
  /** Default: codeCacheDir(). */
  readonly dir?: string;
}

/** Where the cache lives, or undefined when it is turned off (NODE_DISABLE_COMPILE_CACHE=1). */
export function codeCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.NODE_DISABLE_COMPILE_CACHE === '1') return undefined;
  const xdg = env.XDG_CACHE_HOME;
  // The XDG spec: a relative path is invalid and ignored.
  const base = xdg !== undefined && isAbsolute(xdg) ? xdg : join(homedir(), '.cache');
  return join(base, 'gantry', 'compile-cache');
}

/** The user's own directory, writable by no one else (made if missing). */
function privateDir(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    return st.isDirectory() && (process.getuid === undefined || st.uid === process.getuid()) && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/** `<name>-<Node.js version>-…`: a build replaces the file of its own Node.js only (another Node.js keeps its own). */
function cachePrefix(name: string): string {
  return `${name}-${process.version}-`;
}

function cacheFileName(name: string, key: string): string {
  const hash = createHash('sha256').update(`${key}\0${process.version}\0${process.arch}`).digest('hex').slice(0, 32);
  return `${cachePrefix(name)}${hash}.v8`;
}

/** A cache file: MAGIC, the CPU seconds of the run that wrote it (float64), then V8's data. */
const MAGIC = Buffer.from('gantryv8');
const HEADER = MAGIC.length + 8;

function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

function readCache(file: string): { readonly data: Buffer; readonly writerCpu: number } | undefined {
  try {
    const st = lstatSync(file);
    if (!st.isFile() || (process.getuid !== undefined && st.uid !== process.getuid())) return undefined;
    const bytes = readFileSync(file);
    if (bytes.length <= HEADER || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
    return { data: bytes.subarray(HEADER), writerCpu: bytes.readDoubleLE(MAGIC.length) };
  } catch {
    return undefined;
  }
}

function writeCache(dir: string, name: string, file: string, script: vm.Script): void {
  try {
    const data = script.createCachedData();
    const header = Buffer.alloc(HEADER);
    MAGIC.copy(header);
    header.writeDoubleLE(cpuSeconds(), MAGIC.length);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, Buffer.concat([header, data]), { mode: 0o600 });
    renameSync(tmp, file);
    // One file per name and Node.js: the caches of earlier builds go, and any temporary file left
    // by a run that died while writing (one being written now only loses its rename).
    for (const f of readdirSync(dir)) {
      if (f.startsWith(cachePrefix(name)) && (f.endsWith('.v8') || f.endsWith('.tmp')) && join(dir, f) !== file) unlinkSync(join(dir, f));
    }
  } catch {
    // No cache this time; the next run compiles again.
  }
}

/**
 * Runs `file`, a CommonJS module written as its own wrapper function (see above; its `require`
 * resolves from its own place), as Node would, with the code cache when there is one. Returns once
 * its top level has run.
 */
export function runWithCodeCache(path: string, options: CodeCacheOptions): void {
  const file = resolve(path);
  const bytes = readFileSync(file);
  // One-byte text when it is ASCII (a bundle is: esbuild escapes the rest): half the time of UTF-8.
  // V8 skips a `#!` line itself.
  const source = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
  const dir = options.dir ?? codeCacheDir();
  const cacheDir = dir !== undefined && privateDir(dir) ? dir : undefined;
  const cacheFile = cacheDir !== undefined ? join(cacheDir, cacheFileName(options.name, options.key)) : undefined;
  const cached = cacheFile !== undefined ? readCache(cacheFile) : undefined;
  const script = new vm.Script(source, {
    filename: file,
    ...(cached !== undefined ? { cachedData: cached.data } : {}),
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const mod = { exports: {}, filename: file, id: file, loaded: false };
  const wrapper: unknown = script.runInThisContext();
  if (typeof wrapper !== 'function') throw new Error(`${file}: not a bundle written as a function expression (run npm run build)`);
  wrapper(mod.exports, createRequire(file), mod, file, dirname(file));
  mod.loaded = true;
  if (cacheDir !== undefined && cacheFile !== undefined) {
    // Only the writer's CPU time outlives this call, not the cache's bytes (megabytes held for as
    // long as a long-running command runs).
    const writerCpu = cached !== undefined && script.cachedDataRejected !== true ? cached.writerCpu : undefined;
    // At exit, so that the functions the run compiled are in it too.
    process.once('exit', () => {
      if (writerCpu === undefined || cpuSeconds() >= 2 * writerCpu) writeCache(cacheDir, options.name, cacheFile, script);
    });
  }
}
