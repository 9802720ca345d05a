import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GANTRY_VERSION } from './version.js';

describe('GANTRY_VERSION', () => {
  it("is package.json's version", () => {
    const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8')) as { version: string };
    expect(GANTRY_VERSION).toBe(pkg.version);
  });
});
