// The controller test, against a real kube-apiserver and a real Envoy: a route Envoy
// rejects, then a valid change to another route, which must serve within a second. The translator
// refuses every value known to make Envoy NACK (and the v1.6.1 CRDs refuse a CR LF header value),
// so the refused route is made by the controller's test-only snapshot hook: it adds a CR LF header
// value to the route `poisoned` in what the xds translator emitted, until that route is withheld
// (answered 500). The route's status on the API server and the metrics say so.
import { KIND_TABLE } from '@gantry/api';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { HeaderValueOption, RouteConfiguration, type Route } from '@gantry/envoy-xds-proto';
import { TypeUrl, adsBootstrap, encodedResource, type XdsSnapshot } from '@gantry/xds';
import { envoyBinary } from '@gantry/xds/testing/envoy-binary';
import { EnvoyProcess } from '../envoy/process.js';
import type { Controller } from './controller.js';
import type { JsonObject } from '@gantry/kube';
import { createObject, eventually, freePort, gateway, gatewayClass, hasCondition, ourParent, mergePatchObject, startCluster, waitFor, type TestCluster } from './testing/harness.js';

const BAD = 'tenant-bad';
const GOOD = 'tenant-good';

function poison(_gateway: string, snapshot: XdsSnapshot): XdsSnapshot {
  const tables = new Map(snapshot[TypeUrl.RouteConfiguration]);
  for (const [name, resource] of tables) {
    const rc = RouteConfiguration.decode(resource.bytes);
    let touched = false;
    for (const vh of rc.virtualHosts) {
      for (const r of vh.routes as Route[]) {
        if (!r.name.startsWith(`httproute/${BAD}/poisoned/`) || r.action?.$case === 'directResponse') continue;
        r.requestHeadersToAdd = [HeaderValueOption.fromPartial({ header: { key: 'x-a', value: 'a\r\nb' } })];
        touched = true;
      }
    }
    if (touched) tables.set(name, encodedResource(name, RouteConfiguration.encode(rc).finish()));
  }
  return { ...snapshot, [TypeUrl.RouteConfiguration]: tables };
}

let cluster: TestCluster;
let controller: Controller;
let envoy: EnvoyProcess | undefined;
let port = 0;

beforeAll(async () => {
  cluster = await startCluster({ namespaces: [BAD, GOOD] });
  port = await freePort();
  await createObject(cluster.kc, KIND_TABLE.GatewayClass, undefined, gatewayClass());
  await createObject(cluster.kc, KIND_TABLE.Gateway, BAD, gateway('shared', [{ name: 'http', port, allowedRoutes: { namespaces: { from: 'All' } } }]));
  controller = await cluster.controller({ snapshotHook: poison });
  envoy = new EnvoyProcess({
    envoyPath: envoyBinary(),
    bootstrap: adsBootstrap({ gatewayKey: `${BAD}/shared`, nodeId: 'envoy-shared', xdsHost: '127.0.0.1', xdsPort: controller.xdsPort, adminPort: await freePort() }),
    name: `${BAD}/shared`,
    restart: false,
  });
  await envoy.start();
}, 180_000);

afterAll(async () => {
  await envoy?.stop();
  await cluster?.stop();
}, 60_000);

function redirectRoute(name: string, path: string, host: string): JsonObject {
  return {
    metadata: { name },
    spec: {
      parentRefs: [{ name: 'shared', namespace: BAD }],
      rules: [{ matches: [{ path: { type: 'PathPrefix', value: path } }], filters: [{ type: 'RequestRedirect', requestRedirect: { hostname: host, statusCode: 302 } }] }],
    },
  };
}

async function answer(path: string): Promise<string | undefined> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { redirect: 'manual' }).catch(() => undefined);
  return res === undefined ? undefined : res.status === 302 ? (res.headers.get('location') ?? undefined) : String(res.status);
}

describe('a route Envoy rejects, under the controller', () => {
  it('is withheld and reported on its status, and a valid change to another route serves within a second', async () => {
    const kc = cluster.kc;
    await createObject(kc, KIND_TABLE.HTTPRoute, GOOD, redirectRoute('valid', '/valid', 'v1.example.com'));
    await waitFor('Envoy serves the Gateway', async () => (await answer('/valid')) === `http://v1.example.com:${port}/valid`, 30_000);

    await createObject(kc, KIND_TABLE.HTTPRoute, BAD, redirectRoute('poisoned', '/poisoned', 'poisoned.example.com'));
    const o = await eventually(kc, KIND_TABLE.HTTPRoute, BAD, 'poisoned', (r) => JSON.stringify(ourParent(r, 'shared')?.conditions ?? []).includes('Envoy rejected it'));
    expect(hasCondition(ourParent(o, 'shared')?.conditions, 'PartiallyInvalid', 'True', 'UnsupportedValue')).toBe(true);
    await waitFor('the rejected route answers 500', async () => (await answer('/poisoned')) === '500', 10_000);

    const changed = Date.now();
    await mergePatchObject(kc, KIND_TABLE.HTTPRoute, GOOD, 'valid', { spec: redirectRoute('valid', '/valid', 'v2.example.com').spec ?? null });
    await waitFor('the valid change serves', async () => (await answer('/valid')) === `http://v2.example.com:${port}/valid`, 10_000);
    const ms = Date.now() - changed;
    console.log(`a valid change to another route served ${ms} ms after it was made, beside a route Envoy rejected`);
    expect(ms).toBeLessThan(1000);
    const metrics = await (await fetch(`http://127.0.0.1:${controller.adminPort}/metrics`)).text();
    expect(metrics).toMatch(/gantry_xds_nacks_total\{[^}]*type="RouteConfiguration"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/gantry_xds_encode_failures\{[^}]*kind="route"[^}]*\} 1/);
  }, 120_000);
});
