#!/usr/bin/env node
// What the controller image ships, assembled and checked by one script, so the Dockerfile and the
// test that runs without Docker (packages/gatewayclass-controller/src/image/shipped.test.ts) agree.
//
//   node hack/check-shipped.mjs assemble OUT [--without-node-modules]
//       copies, from the repository this script sits in (after `tsc -b` and, in the image, after
//       `npm prune --omit=dev`): the root package.json and node_modules, and for each packages/*
//       its package.json, node_modules, generated/ (build-time code the runtime loads) and dist, leaving out tests (`*.test.*`), test-only
//       modules (`testing/` directories), build info, and outputs whose source no longer exists
//       (stale files of a developer's dist; the image builds from a clean tree anyway).
//   node hack/check-shipped.mjs check OUT
//       fails (exit 1, one line per problem) if OUT holds a test, a `testing/` module, test data or
//       a bench harness, or if a shipped module imports (statically or with `import('…')`) a
//       missing or test-only module, or a package that is not a production dependency of its
//       package (jest, a devDependency) or, when OUT has node_modules, is not installed there.
// Dependency-free on purpose: it runs in the image's build stage before anything else is trusted.
import { builtinModules } from 'node:module';
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** What must not be shipped: the layout's test-only paths, plus bench harnesses and test data. */
function testOnlyReason(path) {
  const segments = path.split(/[\\/]/);
  const name = segments[segments.length - 1] ?? '';
  if (/\.test\./.test(name)) return 'a test';
  if (segments.includes('testing')) return 'a testing/ module';
  if (segments.includes('testdata')) return 'test data';
  if (segments.some((s) => /bench/i.test(s))) return 'a bench harness';
  return undefined;
}

/** The layout's rule (DESIGN.md): `*.test.*` files and `testing/` directories are test-only. */
function isTestByLayout(path) {
  const reason = testOnlyReason(path);
  return reason === 'a test' || reason === 'a testing/ module';
}

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function workspaceDirs(root) {
  const base = join(root, 'packages');
  return readdirSync(base)
    .map((d) => join(base, d))
    .filter((d) => existsSync(join(d, 'package.json')))
    .sort();
}

// ---- assemble

/** dist/a/b.js, .d.ts and their maps come from src/a/b.ts (.cjs, .d.cts from .cts); stale outputs are not shipped. */
function hasSource(pkgDir, distPath) {
  const rel = relative(join(pkgDir, 'dist'), distPath);
  if (rel === '') return true;
  const src = join(pkgDir, 'src', rel);
  if (existsSync(src) && statSync(src).isDirectory()) return true;
  const base = src.replace(/(\.d\.ts|\.js)(\.map)?$/, '');
  if (base !== src) return existsSync(`${base}.ts`) || existsSync(`${base}.mts`);
  const cjsBase = src.replace(/(\.d\.cts|\.cjs)(\.map)?$/, '');
  return cjsBase !== src && existsSync(`${cjsBase}.cts`);
}

/** A directory that held only tests (src/charts/) is not shipped either. */
function removeEmptyDirs(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) removeEmptyDirs(join(dir, entry.name));
  }
  if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
}

function assemble(out, withNodeModules) {
  mkdirSync(join(out, 'packages'), { recursive: true });
  cpSync(join(REPO, 'package.json'), join(out, 'package.json'));
  if (withNodeModules) {
    // verbatimSymlinks: workspace links stay relative (../../packages/x), as with `cp -a`.
    cpSync(join(REPO, 'node_modules'), join(out, 'node_modules'), { recursive: true, verbatimSymlinks: true });
  }
  for (const pkgDir of workspaceDirs(REPO)) {
    const dest = join(out, relative(REPO, pkgDir));
    mkdirSync(dest, { recursive: true });
    cpSync(join(pkgDir, 'package.json'), join(dest, 'package.json'));
    if (!existsSync(join(pkgDir, 'dist'))) throw new Error(`${relative(REPO, pkgDir)}/dist is missing: run tsc -b first`);
    cpSync(join(pkgDir, 'dist'), join(dest, 'dist'), {
      recursive: true,
      // Only what the layout marks test-only is dropped; a bench or anything else left is the check's to catch.
      filter: (src) => !src.endsWith('.tsbuildinfo') && !isTestByLayout(relative(pkgDir, src)) && hasSource(pkgDir, src),
    });
    removeEmptyDirs(join(dest, 'dist'));
    // Code generated at build time that the runtime loads (the CRDs' validators and CEL rules:
    // the image has no charts/ to read them from).
    if (existsSync(join(pkgDir, 'generated'))) cpSync(join(pkgDir, 'generated'), join(dest, 'generated'), { recursive: true });
    if (existsSync(join(pkgDir, 'node_modules'))) {
      cpSync(join(pkgDir, 'node_modules'), join(dest, 'node_modules'), { recursive: true, verbatimSymlinks: true });
    }
  }
  // Links to workspaces that are not shipped (e2e/*) would dangle in the image.
  const scope = join(out, 'node_modules', '@gantry');
  for (const name of existsSync(scope) ? readdirSync(scope) : []) {
    const link = join(scope, name);
    if (lstatSync(link).isSymbolicLink() && !existsSync(link)) rmSync(link);
  }
}

// ---- check

function filesUnder(dir, skip = () => false) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (skip(path)) continue;
    if (entry.isDirectory()) out.push(...filesUnder(path, skip));
    else out.push(path);
  }
  return out;
}

/** Import specifiers of compiled ES modules: `import … from`, `export … from`, `import '…'`, `import(…)`. */
function importsOf(source) {
  const found = [];
  const patterns = [
    /^[ \t]*(?:import|export)\s+(?:type\s+)?[\w$*\s{},]+?\s+from\s*(['"])([^'"\n]+)\1/gm,
    /^[ \t]*import\s*(['"])([^'"\n]+)\1/gm,
    /\bimport\(\s*(['"`])([^'"`\n]+)\1\s*\)/g,
  ];
  for (const re of patterns) for (const m of source.matchAll(re)) found.push(m[2]);
  // import(expression): nothing to check statically, so nothing may hide behind it.
  for (const m of source.matchAll(/\bimport\(\s*(?!['"`]\S+['"`]\s*\))([^)\n]{0,40})/g)) found.push({ dynamic: m[1] });
  return found;
}

function packageNameOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Resolves `pkg/sub` through a workspace's `exports` ("." and "./*" string targets, or main). */
function exportTarget(manifest, subpath) {
  const exp = manifest.exports;
  const pick = (t) => (typeof t === 'string' ? t : t && (t.import ?? t.default));
  if (exp === undefined) return subpath === '.' ? (manifest.main ?? './index.js') : subpath;
  if (typeof exp === 'string') return subpath === '.' ? exp : undefined;
  if (exp[subpath] !== undefined) return pick(exp[subpath]);
  for (const [key, target] of Object.entries(exp)) {
    const star = key.indexOf('*');
    if (star < 0) continue;
    const [pre, post] = [key.slice(0, star), key.slice(star + 1)];
    if (subpath.startsWith(pre) && subpath.endsWith(post) && subpath.length >= pre.length + post.length) {
      return pick(target)?.replace('*', subpath.slice(pre.length, subpath.length - post.length));
    }
  }
  return undefined;
}

function check(out) {
  const problems = [];
  const rel = (p) => relative(out, p).split(sep).join('/');
  const hasNodeModules = existsSync(join(out, 'node_modules'));

  for (const entry of readdirSync(out)) {
    if (!['package.json', 'node_modules', 'packages'].includes(entry)) problems.push(`${entry}: not part of the runtime`);
  }
  const packages = new Map(); // name → { dir, manifest }
  for (const dir of workspaceDirs(out)) {
    const manifest = readJson(join(dir, 'package.json'));
    packages.set(manifest.name, { dir, manifest });
  }
  if (packages.size === 0) problems.push('packages/: no package to check');

  const isNodeModules = (p) => p.split(sep).includes('node_modules');
  let modules = 0;
  let imports = 0;
  for (const { dir, manifest } of packages.values()) {
    const deps = new Set(Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies, ...manifest.peerDependencies }));
    for (const file of filesUnder(dir, (p) => isNodeModules(relative(dir, p)))) {
      const reason = testOnlyReason(relative(dir, file));
      if (reason) problems.push(`${rel(file)}: ${reason} is shipped`);
      if (!file.endsWith('.js')) continue;
      modules++;
      for (const spec of importsOf(readFileSync(file, 'utf8'))) {
        imports++;
        const where = `${rel(file)}: import(${typeof spec === 'string' ? `'${spec}'` : spec.dynamic})`;
        if (typeof spec !== 'string') {
          problems.push(`${where}: a computed import cannot be checked`);
          continue;
        }
        let target;
        if (spec.startsWith('.') || spec.startsWith('/')) {
          target = resolve(dirname(file), spec);
        } else if (spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0])) {
          continue;
        } else {
          const name = packageNameOf(spec);
          if (!deps.has(name)) {
            problems.push(`${where}: ${name} is not a production dependency of ${manifest.name}`);
            continue;
          }
          const workspace = packages.get(name);
          if (workspace) {
            const sub = exportTarget(workspace.manifest, spec === name ? '.' : `./${spec.slice(name.length + 1)}`);
            if (sub === undefined) {
              problems.push(`${where}: not exported by ${name}`);
              continue;
            }
            target = resolve(workspace.dir, sub);
            const link = join(out, 'node_modules', name);
            if (hasNodeModules && !(existsSync(link) && realpathSync(link) === realpathSync(workspace.dir))) {
              problems.push(`${where}: node_modules/${name} does not lead to ${rel(workspace.dir)}`);
            }
          } else {
            if (name.startsWith('@gantry/')) problems.push(`${where}: ${name} is not shipped`);
            // Node looks in the package's own node_modules, then the root's.
            else if (hasNodeModules && ![dir, out].some((d) => existsSync(join(d, 'node_modules', name, 'package.json')))) {
              problems.push(`${where}: ${name} is not installed`);
            }
            continue;
          }
        }
        const targetReason = testOnlyReason(relative(out, target));
        if (targetReason) problems.push(`${where}: resolves to ${targetReason}`);
        else if (!existsSync(target) || !statSync(target).isFile()) problems.push(`${where}: no such module ${rel(target)}`);
      }
    }
  }

  if (hasNodeModules) {
    const scope = join(out, 'node_modules', '@gantry');
    for (const name of existsSync(scope) ? readdirSync(scope) : []) {
      const link = join(scope, name);
      if (!existsSync(link)) problems.push(`${rel(link)}: dangling link to an unshipped workspace`);
      else if (!realpathSync(link).startsWith(realpathSync(join(out, 'packages')) + sep)) problems.push(`${rel(link)}: links outside packages/`);
    }
  }
  return { problems, modules, imports, packages: packages.size, nodeModules: hasNodeModules };
}

// ---- cli

const [command, out, ...flags] = process.argv.slice(2);
if ((command !== 'assemble' && command !== 'check') || !out) {
  console.error('usage: check-shipped.mjs assemble OUT [--without-node-modules] | check OUT');
  process.exit(2);
}
if (command === 'assemble') {
  assemble(resolve(out), !flags.includes('--without-node-modules'));
} else {
  const r = check(resolve(out));
  for (const p of r.problems) console.error(`check-shipped: ${p}`);
  const scope = `${r.packages} packages, ${r.modules} modules, ${r.imports} imports${r.nodeModules ? '' : ' (no node_modules: installed packages not checked)'}`;
  if (r.problems.length > 0) {
    console.error(`check-shipped: ${r.problems.length} problem(s) in ${scope}`);
    process.exit(1);
  }
  console.log(`check-shipped: ok: ${scope}`);
}
