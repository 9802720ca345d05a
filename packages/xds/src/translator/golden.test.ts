import { describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { validate, type GatewayIR } from '@gantry/ir';
import { TypeUrl } from '../resources.js';
import { snapshotToEnvoyJson } from './json.js';
import { goldenCases } from './testing/index.js';
import { XdsTranslator, translateXds } from './translator.js';

const update = process.env['UPDATE_GOLDEN'] === '1';

describe('golden: GatewayIR -> Envoy resources', () => {
  for (const c of goldenCases()) {
    it(c.name, () => {
      expect(validate(c.ir)).toEqual([]);
      // The single layout: one RouteConfiguration per table, readable; the scoped layout serves
      // the same virtual hosts in shards (route-scopes.test.ts, and the tests below).
      const out = stringify(snapshotToEnvoyJson(translateXds(c.ir, { routeLayout: 'single' })), { lineWidth: 0 });
      if (update) writeFileSync(c.outputPath, out);
      expect(out).toEqual(readFileSync(c.outputPath, 'utf8'));
    });

    it.each(['single', 'scoped'] as const)(`${c.name}: a memoised translator and a fresh one agree, byte for byte (%s)`, (routeLayout) => {
      const warm = new XdsTranslator();
      warm.translate(c.ir, { routeLayout });
      // A structurally equal IR made of new objects: nothing can be reused by identity.
      const copy = JSON.parse(JSON.stringify(c.ir)) as GatewayIR;
      const a = warm.translate(copy, { routeLayout });
      const b = translateXds(c.ir, { routeLayout });
      for (const type of Object.values(TypeUrl)) {
        expect([...a[type].keys()]).toEqual([...b[type].keys()]);
        for (const [name, r] of a[type]) {
          expect(r.version).toEqual(b[type].get(name)!.version);
          expect(Buffer.from(r.bytes).equals(Buffer.from(b[type].get(name)!.bytes))).toBe(true);
        }
      }
    });
  }
});
