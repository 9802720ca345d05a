// Traffic through a real Envoy: GRPCRoute. Real gRPC (grpc-js) clients and servers: method
// matches (exact, service only, method only, regular expression), header matches, weights,
// request and response header modifiers, a Service port without appProtocol (Gantry speaks
// HTTP/2 to GRPCRoute backends anyway), an unmatched method, a GRPCRoute beside an HTTPRoute
// on another hostname of the listener, and a later HTTPRoute on the GRPCRoute's hostname (the
// spec accepts only the older of the two).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import type { PipelineRun } from '@gantry/gatewayclass-controller/pipeline';
import { echo, send } from './client.js';
import { GATEWAY_CLASS, LOOPBACK, TrafficHarness, docs, freePort, gatewayYaml, serviceYaml, statusOf } from './harness.js';

const HOST = 'grpc.test';
const SERVICE = 'gantry.test.Echo';
const METHODS = ['Echo', 'EchoTwo', 'Other'] as const;

interface Answer {
  readonly backend: string;
  readonly path: string;
  readonly metadata: Record<string, string>;
}

const identity = (b: Buffer): Buffer => b;

/** A gRPC server on 127.0.0.1 answering every method of the given services with what it saw. */
async function startGrpcBackend(name: string, services: readonly string[]): Promise<{ port: number; server: grpc.Server }> {
  const server = new grpc.Server();
  for (const service of services) {
    const definition: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
    const handlers: grpc.UntypedServiceImplementation = {};
    for (const m of METHODS) {
      const path = `/${service}/${m}`;
      definition[m] = { path, requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity };
      handlers[m] = (call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) => {
        const metadata: Record<string, string> = {};
        for (const [k, v] of Object.entries(call.metadata.getMap())) metadata[k] = String(v);
        const answer: Answer = { backend: name, path, metadata };
        done(null, Buffer.from(JSON.stringify(answer)));
      };
    }
    server.addService(definition, handlers);
  }
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${LOOPBACK}:0`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { port, server };
}

interface Call {
  readonly answer?: Answer;
  readonly code: grpc.status;
  readonly headers: grpc.Metadata | undefined;
}

let client: grpc.Client;

function call(path: string, metadata: Record<string, string> = {}): Promise<Call> {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(metadata)) md.set(k, v);
  return new Promise((resolve) => {
    let headers: grpc.Metadata | undefined;
    const c = client.makeUnaryRequest(path, identity, identity, Buffer.from('hello'), md, { deadline: Date.now() + 5000 }, (err, value) => {
      if (err) resolve({ code: err.code, headers });
      else resolve({ answer: JSON.parse((value as Buffer).toString('utf8')) as Answer, code: grpc.status.OK, headers });
    });
    c.on('metadata', (m: grpc.Metadata) => (headers = m));
  });
}

let h: TrafficHarness;
let port: number;
let run: PipelineRun;
const servers: grpc.Server[] = [];

beforeAll(async () => {
  h = await TrafficHarness.start();
  port = await freePort();
  const backends: string[] = [];
  for (const name of ['g-exact', 'g-two', 'g-header', 'g-service', 'g-regex', 'g-w1', 'g-w3']) {
    const b = await startGrpcBackend(name, [SERVICE, 'gantry.weights.Echo', 'gantry.other.Thing']);
    servers.push(b.server);
    backends.push(serviceYaml(name, b.port, { appProtocol: 'kubernetes.io/h2c' }));
  }
  const plain = await startGrpcBackend('g-plain', ['gantry.plain.Echo']);
  servers.push(plain.server);
  backends.push(serviceYaml('g-plain', plain.port)); // no appProtocol
  const web = await h.backend('web');
  backends.push(serviceYaml('web', web.port));
  run = (
    await h.apply(
      docs(
        GATEWAY_CLASS,
        gatewayYaml(`{name: http, protocol: HTTP, port: ${port}}`),
        ...backends,
        `
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: grpc, namespace: default, creationTimestamp: "2026-01-01T00:00:00Z"}
spec:
  parentRefs: [{name: gw}]
  hostnames: [${HOST}]
  rules:
  - name: exact
    matches: [{method: {service: ${SERVICE}, method: Echo}}]
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier: {set: [{name: x-rule, value: exact}]}
    - type: ResponseHeaderModifier
      responseHeaderModifier: {add: [{name: x-answered-by, value: gantry}]}
    backendRefs: [{name: g-exact, port: 80}]
  - matches: [{method: {method: EchoTwo}}]
    backendRefs: [{name: g-two, port: 80}]
  - matches: [{method: {service: ${SERVICE}, method: Echo}, headers: [{name: version, value: two}]}]
    backendRefs: [{name: g-header, port: 80}]
  - matches: [{method: {service: gantry.other.Thing}}]
    backendRefs: [{name: g-service, port: 80}]
  - matches: [{method: {type: RegularExpression, service: 'gantry\\.plain\\..*', method: 'Ec.*'}}]
    backendRefs: [{name: g-plain, port: 80}]
  - matches: [{method: {type: RegularExpression, method: 'Oth.r'}}]
    backendRefs: [{name: g-regex, port: 80}]
  - matches: [{method: {service: gantry.weights.Echo}}]
    backendRefs: [{name: g-w1, port: 80, weight: 1}, {name: g-w3, port: 80, weight: 3}]
`,
        `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: default, creationTimestamp: "2026-02-01T00:00:00Z"}
spec:
  parentRefs: [{name: gw}]
  hostnames: [web.${HOST}]
  rules:
  - matches: [{path: {value: /web}}]
    backendRefs: [{name: web, port: 80}]
`,
        `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web-same-host, namespace: default, creationTimestamp: "2026-02-01T00:00:00Z"}
spec:
  parentRefs: [{name: gw}]
  hostnames: ["*.test"]
  rules:
  - matches: [{path: {value: /web}}]
    backendRefs: [{name: web, port: 80}]
`,
      ),
    )
  ).run;
  client = new grpc.Client(`${LOOPBACK}:${port}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': HOST });
}, 60_000);

afterAll(async () => {
  client?.close();
  for (const s of servers) s.forceShutdown();
  await h?.stop();
});

describe('GRPCRoute through Envoy', () => {
  it('is accepted, and the listener lists GRPCRoute among its kinds', () => {
    const report = statusOf(run, 'GRPCRoute', 'default', 'grpc');
    const conditions = (report?.status as { parents: { conditions: { type: string; status: string }[] }[] }).parents[0]?.conditions ?? [];
    expect(conditions.map((c) => `${c.type}=${c.status}`)).toEqual(['Accepted=True', 'ResolvedRefs=True']);
    const gw = statusOf(run, 'Gateway', 'default', 'gw')?.status as { listeners: { supportedKinds: { kind: string }[]; attachedRoutes: number }[] };
    expect(gw.listeners[0]?.supportedKinds.map((k) => k.kind)).toEqual(['HTTPRoute', 'GRPCRoute']);
    expect(gw.listeners[0]?.attachedRoutes).toBe(2);
  });

  it('routes an exact service/method match, with request and response header modifiers', async () => {
    const r = await call(`/${SERVICE}/Echo`);
    expect(r.code).toBe(grpc.status.OK);
    expect(r.answer?.backend).toBe('g-exact');
    expect(r.answer?.metadata['x-rule']).toBe('exact');
    expect(r.headers?.get('x-answered-by')).toEqual(['gantry']);
  });

  it('a header match wins over the same method match without it', async () => {
    expect((await call(`/${SERVICE}/Echo`, { version: 'two' })).answer?.backend).toBe('g-header');
    expect((await call(`/${SERVICE}/Echo`, { version: 'one' })).answer?.backend).toBe('g-exact');
  });

  it('matches a method of any service, a whole service, and regular expressions', async () => {
    expect((await call(`/${SERVICE}/EchoTwo`)).answer?.backend).toBe('g-two');
    expect((await call('/gantry.other.Thing/Echo')).answer?.backend).toBe('g-service');
    expect((await call(`/${SERVICE}/Other`)).answer?.backend).toBe('g-regex');
  });

  it('speaks HTTP/2 to a Service port without appProtocol', async () => {
    const r = await call('/gantry.plain.Echo/Echo');
    expect(r.code).toBe(grpc.status.OK);
    expect(r.answer?.backend).toBe('g-plain');
  });

  it('splits by weight', async () => {
    const seen: Record<string, number> = {};
    for (let i = 0; i < 200; i++) {
      const b = (await call('/gantry.weights.Echo/Echo')).answer?.backend ?? 'error';
      seen[b] = (seen[b] ?? 0) + 1;
    }
    expect(Object.keys(seen).sort()).toEqual(['g-w1', 'g-w3']);
    expect(seen['g-w3'] ?? 0).toBeGreaterThan(110);
    expect(seen['g-w1'] ?? 0).toBeGreaterThan(20);
  });

  it('an unmatched method fails with UNIMPLEMENTED (HTTP 404)', async () => {
    expect((await call('/gantry.unknown.Service/Echo')).code).toBe(grpc.status.UNIMPLEMENTED);
  });

  it('an HTTPRoute on another hostname of the listener works beside it', async () => {
    const e = await echo({ port, host: `web.${HOST}`, path: '/web/x' });
    expect(e.backend).toBe('web');
  });

  it('a later HTTPRoute whose hostnames intersect the GRPCRoute\'s is not accepted, and serves nothing', async () => {
    const report = statusOf(run, 'HTTPRoute', 'default', 'web-same-host');
    const conditions = (report?.status as { parents: { conditions: { type: string; status: string; reason: string; message: string }[] }[] }).parents[0]?.conditions ?? [];
    expect(conditions.map((c) => `${c.type}=${c.status}/${c.reason}`)).toEqual(['Accepted=False/HostnameConflict', 'ResolvedRefs=True/ResolvedRefs']);
    expect(conditions[0]?.message).toContain('GRPCRoute default/grpc');
    // *.test would have matched another.test: it is not served at all (no route for that host).
    expect((await send({ port, host: 'another.test', path: '/web/x' })).status).toBe(404);
    expect((await send({ port, host: HOST, path: '/web/x' })).status).toBe(404);
  });
});
