// Golden files: testdata/<case>.in.yaml → testdata/<case>.out.yaml (UPDATE_GOLDEN=1 rewrites).
// Every output must also pass the IR's own validate(), and a translator that saw other
// snapshots first must produce the same result as a fresh one.
import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validate } from '@gantry/ir';
import { emptySnapshot } from '@gantry/api';
import { GatewayTranslator, translate } from './index.js';
import { printable, snapshotFromYaml, toYaml } from './testing/index.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const testdata = join(here.replace(`${'/'}dist${'/'}`, `${'/'}src${'/'}`), 'testdata');
const update = process.env.UPDATE_GOLDEN === '1';
const cases = readdirSync(testdata).filter((f) => f.endsWith('.in.yaml')).map((f) => f.slice(0, -'.in.yaml'.length)).sort();

describe('golden', () => {
  it('has cases', () => expect(cases.length).toBeGreaterThan(0));
  for (const name of cases) {
    it(name, () => {
      const snapshot = snapshotFromYaml(readFileSync(join(testdata, `${name}.in.yaml`), 'utf8'));
      const result = translate(snapshot);
      for (const ir of result.gateways.values()) expect({ gateway: ir.key, errors: validate(ir) }).toEqual({ gateway: ir.key, errors: [] });
      const opts = { features: name.startsWith('gatewayclass') };
      const out = toYaml(printable(result, opts));
      const file = join(testdata, `${name}.out.yaml`);
      if (update || !existsSync(file)) writeFileSync(file, out);
      else expect(out).toEqual(readFileSync(file, 'utf8'));

      // Same answer from a translator with history.
      const warm = new GatewayTranslator();
      warm.translate(emptySnapshot());
      warm.translate(snapshot);
      warm.translate(emptySnapshot());
      expect(toYaml(printable(warm.translate(snapshot), opts))).toEqual(out);
    });
  }
});
