// Test support (used by tests only): golden cases and the real Envoy binary.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { GatewayIR } from '@gantry/ir';

/** The source directory of a compiled module (dist/... -> src/...), where testdata lives. */
export function sourceDir(moduleUrl: string): string {
  return dirname(fileURLToPath(moduleUrl)).replace(/([/\\])dist([/\\])/, '$1src$2');
}

// This module sits in translator/testing/; the golden files in translator/testdata/.
export const TESTDATA_DIR = join(sourceDir(import.meta.url), '..', 'testdata');

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

export { envoyBinary } from '../../testing/envoy-binary.js';
