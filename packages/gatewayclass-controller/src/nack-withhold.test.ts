// A route Envoy rejects is withheld, and a valid change to another route of the same route table
// is served within a second, with a real Envoy over ADS. The translator refuses every value known
// to make Envoy NACK, so the rejected route is made here: a sink between the pipeline and the
// cache adds a CR LF header value to the route `bad` while it still forwards (once withheld, it
// answers 500 and is left alone), standing for whatever may yet slip through.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { HeaderValueOption, RouteConfiguration, type Route } from '@gantry/envoy-xds-proto';
import { AdsServer, SnapshotCache, TypeUrl, adsBootstrap, encodedResource, type ChangeHint, type XdsSnapshot } from '@gantry/xds';
import { envoyBinary } from '@gantry/xds/testing/envoy-binary';
import { freePort, pollUntil } from '@gantry/xds/testing/net';
import { EnvoyProcess } from './envoy/process.js';
import { logger } from './log.js';
import { buildSnapshot, parseManifests } from './manifests/load.js';
import { withholdNackedRoute } from './nack-withhold.js';
import { Pipeline } from './pipeline.js';

const GW = 'default/gw';

function poison(snapshot: XdsSnapshot): XdsSnapshot {
  const tables = new Map(snapshot[TypeUrl.RouteConfiguration]);
  for (const [name, resource] of tables) {
    const rc = RouteConfiguration.decode(resource.bytes);
    let touched = false;
    for (const vh of rc.virtualHosts) {
      for (const r of vh.routes as Route[]) {
        if (!r.name.startsWith('httproute/default/bad/') || r.action?.$case === 'directResponse') continue;
        r.requestHeadersToAdd = [HeaderValueOption.fromPartial({ header: { key: 'x-a', value: 'a\r\nb' } })];
        touched = true;
      }
    }
    if (touched) tables.set(name, encodedResource(name, RouteConfiguration.encode(rc).finish()));
  }
  return { ...snapshot, [TypeUrl.RouteConfiguration]: tables };
}

const manifest = (goodHost: string, port: number) => `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gantry}
spec: {controllerName: gantry.dev/gatewayclass-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec: {gatewayClassName: gantry, listeners: [{name: http, port: ${port}, protocol: HTTP}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: bad}
spec:
  parentRefs: [{name: gw}]
  rules: [{matches: [{path: {value: /bad}}], filters: [{type: RequestRedirect, requestRedirect: {hostname: bad.example.com, statusCode: 302}}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: good}
spec:
  parentRefs: [{name: gw}]
  rules: [{matches: [{path: {value: /good}}], filters: [{type: RequestRedirect, requestRedirect: {hostname: ${goodHost}, statusCode: 302}}]}]
`;

let cache: SnapshotCache;
let server: AdsServer;
let pipeline: Pipeline;
let envoy: EnvoyProcess | undefined;
let port = 0;
let current = '';
const withheld: string[] = [];

function apply(text: string): void {
  current = text;
  const parsed = parseManifests(text, 'test.yaml');
  expect(parsed.errors).toEqual([]);
  pipeline.run(buildSnapshot(parsed.objects));
}

beforeAll(async () => {
  cache = new SnapshotCache();
  server = new AdsServer({ cache, logger: logger('ads'), plaintextReason: 'test on loopback' });
  pipeline = new Pipeline({
    listenAddress: '127.0.0.1',
    sink: { set: (k: string, s: XdsSnapshot, h?: ChangeHint) => cache.set(k, poison(s), h), delete: (k: string) => cache.delete(k) },
  });
  server.on('nack', (gateway: string, typeUrl: string, _v: string, _n: string, message: string) => {
    const route = withholdNackedRoute(pipeline, cache, gateway, typeUrl, message);
    if (route === undefined) return;
    withheld.push(route);
    apply(current);
  });
  const xdsPort = await server.start('127.0.0.1', 0);
  port = await freePort();
  apply(manifest('good-1.example.com', port));
  envoy = new EnvoyProcess({
    envoyPath: envoyBinary(),
    bootstrap: adsBootstrap({ gatewayKey: GW, nodeId: 'envoy-nack', xdsHost: '127.0.0.1', xdsPort, adminPort: await freePort() }),
    name: GW,
    restart: false,
  });
  await envoy.start();
}, 60_000);

afterAll(async () => {
  await envoy?.stop();
  await server?.stop();
});

async function location(path: string): Promise<string | undefined> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { redirect: 'manual' }).catch(() => undefined);
  return res?.status === 302 ? (res.headers.get('location') ?? undefined) : res === undefined ? undefined : String(res.status);
}

describe('a route Envoy rejects', () => {
  it('is withheld (answered 500, on its status), and a valid change to another route of its table serves within a second', async () => {
    await pollUntil('the route table is served, the rejected route withheld', () => location('/good'), (l) => l === `http://good-1.example.com:${port}/good`, 20_000);
    expect(withheld).toEqual(['httproute/default/bad/rule/0/match/0']);
    expect(await location('/bad')).toBe('500');
    const run = pipeline.run(buildSnapshot(parseManifests(current, 'test.yaml').objects));
    expect(run.failures.map((f) => `${f.kind} ${f.name}`)).toEqual(['route httproute/default/bad/rule/0/match/0']);
    const status = JSON.stringify(run.statuses.find((r) => r.name === 'bad')?.status);
    expect(status).toContain('"type":"PartiallyInvalid","status":"True"');
    expect(status).toContain('Envoy rejected it');

    const changed = Date.now();
    apply(manifest('good-2.example.com', port));
    await pollUntil('the change to the other route serves', () => location('/good'), (l) => l === `http://good-2.example.com:${port}/good`, 5_000);
    const ms = Date.now() - changed;
    console.log(`a valid change served ${ms} ms after it was made, beside a route Envoy rejected (withheld)`);
    expect(ms).toBeLessThan(1000);
    expect(await location('/bad')).toBe('500');
  }, 60_000);
});
