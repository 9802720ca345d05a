// The translator's import rules, checked on its sources: it depends on @gantry/api and
// @gantry/ir only (pure: no I/O, no other Gantry package), and inside it route kinds, backend
// kinds and policies reach each other only through their shared interfaces.
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('.', import.meta.url)).replace(`${'/'}dist${'/'}`, `${'/'}src${'/'}`);
const PACKAGE = join(SRC, '..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'testdata' ? [] : sources(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Shipped modules: not tests, not test-only helpers under testing/. */
const shipped = sources(SRC)
  .map((p) => relative(SRC, p))
  .filter((p) => !p.endsWith('.test.ts') && !p.split('/').includes('testing'));

function importsOf(file: string): string[] {
  const text = readFileSync(join(SRC, file), 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/g), ...text.matchAll(/import\(\s*'([^']+)'\s*\)/g)].map((m) => m[1] as string);
}

/** `routes/http/rules.ts` → the module it imports, relative to src (e.g. `backends/backend.ts`). */
function target(file: string, spec: string): string {
  return relative(SRC, resolve(dirname(join(SRC, file)), spec.replace(/\.js$/, '.ts')));
}

describe('translator import rules', () => {
  it('finds the sources', () => expect(shipped.length).toBeGreaterThan(20));

  it('imports only @gantry/api and @gantry/ir from outside itself (and node:crypto, to parse certificates; RE2, to check regexes as Envoy does)', () => {
    const outside = shipped.flatMap((f) => importsOf(f).filter((s) => !s.startsWith('.')).map((s) => `${f}: ${s}`));
    const allowed = (x: string) =>
      /: @gantry\/(api|ir)$/.test(x) || x === 'gateway/certificates.ts: node:crypto' || x === 'core/envoy-limits.ts: node:module';
    expect(outside.filter((x) => !allowed(x))).toEqual([]);
  });

  it('declares only @gantry/api, @gantry/ir and re2-wasm (pinned) as dependencies', () => {
    const pkg = JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    expect(Object.keys(pkg.dependencies ?? {}).sort()).toEqual(['@gantry/api', '@gantry/ir', 're2-wasm']);
    expect(pkg.dependencies?.['re2-wasm']).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('never imports test code from shipped modules', () => {
    const bad = shipped.flatMap((f) => importsOf(f).filter((s) => s.startsWith('.') && (s.includes('/testing/') || s.endsWith('.test.js'))).map((s) => `${f}: ${s}`));
    expect(bad).toEqual([]);
  });

  it('keeps route kinds, backend kinds and policies apart (they meet only through the shared interfaces)', () => {
    // A kind's own modules: routes/<kind>/..., backends/<kind>.ts, policies/<kind>.ts.
    const SHARED = new Set(['routes/route-kind.ts', 'routes/registry.ts', 'backends/backend.ts', 'backends/registry.ts', 'policies/policy.ts', 'policies/registry.ts']);
    const unitOf = (p: string): string | undefined => {
      if (SHARED.has(p)) return undefined;
      const parts = p.split('/');
      if (parts[0] === 'routes' && parts.length > 2) return `route kind ${parts[1]}`;
      if (parts[0] === 'backends') return `backend ${parts[1]}`;
      if (parts[0] === 'policies') return `policy ${parts[1]}`;
      return undefined;
    };
    const bad: string[] = [];
    for (const f of shipped) {
      const from = unitOf(f);
      for (const spec of importsOf(f).filter((s) => s.startsWith('.'))) {
        const to = unitOf(target(f, spec));
        // Only the registries list the kinds.
        const viaRegistry = f.endsWith('registry.ts');
        if (from !== undefined && to !== undefined && to !== from && !viaRegistry) bad.push(`${f} → ${target(f, spec)}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
