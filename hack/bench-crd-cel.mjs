#!/usr/bin/env node
// The CRD CEL step of file modes alone, in process: parses a manifest file once (js-yaml), then
// times `crdCelProblems` over every object, PASSES times (the first pass is what one
// `gantry translate` pays: module load and cold code; the others are warm). Needs a build.
// Usage: node hack/bench-crd-cel.mjs FILE [ROOT]   (ROOT: a checkout to measure, default this one)
// Env: PASSES (default 8).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const file = process.argv[2];
if (file === undefined) {
  console.error('usage: node hack/bench-crd-cel.mjs FILE [ROOT]');
  process.exit(2);
}
const root = resolve(process.argv[3] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
const pkg = join(root, 'packages', 'gatewayclass-controller');
const yaml = createRequire(join(pkg, 'package.json'))('js-yaml');
const { crdCelProblems } = await import(pathToFileURL(join(pkg, 'dist', 'manifests', 'crd-cel.js')).href);
const docs = yaml.loadAll(readFileSync(file, 'utf8')).filter((d) => d !== null && typeof d === 'object');
const passes = Number(process.env.PASSES ?? 8);
const wall = [];
const user = [];
let problems = 0;
for (let pass = 0; pass < passes; pass++) {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  for (const d of docs) problems += crdCelProblems(d).length;
  wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
  user.push(process.cpuUsage(c0).user / 1e3);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => Math.round(x * 10) / 10;
console.log(JSON.stringify({ objects: docs.length, problems: problems / passes, firstPassMs: ms(wall[0]), firstPassUserMs: ms(user[0]), warmMedianMs: ms(median(wall.slice(1))), warmMedianUserMs: ms(median(user.slice(1))) }));
