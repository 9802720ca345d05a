// Golden files: testdata/<case>.in.yaml (a GatewayClass, a Gateway, GatewayParameters) →
// testdata/<case>.out.yaml (the rendered objects, or the problems). UPDATE_GOLDEN=1 rewrites.
// The ConfigMap's bootstrap is shown parsed, so its diffs read like the rest.
import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import type { Gateway, GatewayClass, GatewayParameters, KubeObject } from '@gantry/api';
import { resolveParameters } from './parameters.js';
import { BOOTSTRAP_KEY, renderGatewayResources } from './render.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const testdata = join(here.replace(`${'/'}dist${'/'}`, `${'/'}src${'/'}`), 'testdata');
const update = process.env.UPDATE_GOLDEN === '1';
const cases = readdirSync(testdata).filter((f) => f.endsWith('.in.yaml')).map((f) => f.slice(0, -'.in.yaml'.length)).sort();

export const GOLDEN_XDS = { host: 'gantry-xds.gantry-system.svc.cluster.local', port: 18000 };

function objectsFromYaml(text: string): KubeObject[] {
  return parseAllDocuments(text).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`YAML: ${doc.errors[0]?.message}`);
    const o = doc.toJS() as KubeObject;
    if (o.kind !== 'GatewayClass' && !o.metadata.namespace) o.metadata.namespace = 'default';
    return o;
  });
}

function renderCase(text: string): unknown {
  const objects = objectsFromYaml(text);
  const gateway = objects.find((o) => o.kind === 'Gateway') as Gateway;
  const gatewayClass = objects.find((o) => o.kind === 'GatewayClass' && o.metadata.name === gateway.spec?.gatewayClassName) as GatewayClass;
  const params = objects.filter((o) => o.kind === 'GatewayParameters') as GatewayParameters[];
  const resolved = resolveParameters(gatewayClass, gateway, (k) => params.find((p) => p.metadata.namespace === k.namespace && p.metadata.name === k.name));
  if (resolved.problems.length > 0) return { problems: resolved.problems };
  const result = renderGatewayResources({
    gateway,
    gatewayClass,
    ...(resolved.classParams ? { classParams: resolved.classParams } : {}),
    ...(resolved.gatewayParams ? { gatewayParams: resolved.gatewayParams } : {}),
    xds: GOLDEN_XDS,
  });
  if (!result.ok) return { problems: result.problems };
  return {
    objects: result.objects.map((o) => {
      if (o.kind !== 'ConfigMap' || !('data' in o) || !o.data) return o;
      return { ...o, data: { [BOOTSTRAP_KEY]: JSON.parse(o.data[BOOTSTRAP_KEY] ?? 'null') as unknown } };
    }),
  };
}

describe('renderGatewayResources (golden)', () => {
  it('has cases', () => expect(cases.length).toBeGreaterThan(0));
  for (const name of cases) {
    it(name, () => {
      const out = stringify(renderCase(readFileSync(join(testdata, `${name}.in.yaml`), 'utf8')), { lineWidth: 0 });
      const file = join(testdata, `${name}.out.yaml`);
      if (update || !existsSync(file)) writeFileSync(file, out);
      else expect(out).toEqual(readFileSync(file, 'utf8'));
    });
  }
});
