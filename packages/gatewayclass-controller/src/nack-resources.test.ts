// Every resource type Envoy may refuse is withheld on its own, through a real Envoy over delta
// ADS: a Listener, a Cluster, a ClusterLoadAssignment, a Secret, a ScopedRouteConfiguration. The
// translator refuses every value known to make Envoy NACK, so the refused resource is made here by
// a test-only hook between the pipeline and the guard (standing for the encoder): once "poisoned",
// each resource of the type under test that belongs to listener `b` gets a value its proto
// constraints refuse (port 70000, a negative connect timeout, an endpoint weight of 0, a
// certificate that is not PEM, a scope key with no fragments), which only Envoy checks. Then: the
// NACK's resource is found, only it is withheld (Envoy keeps its last ACKed version), its owner's
// status says so, and a valid change to a route of listener `a` made at the same time, and the
// next one, are served within a second.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Cluster, ClusterLoadAssignment, DataSource, Listener, Secret } from '@gantry/envoy-xds-proto';
import { ScopedRouteConfiguration } from '@gantry/envoy-xds-proto/generated/envoy/config/route/v3/scoped_route';
import { AdsServer, SnapshotCache, TypeUrl, adsBootstrap, encodedResource, type EncodedResource, type XdsSnapshot } from '@gantry/xds';
import { envoyBinary } from '@gantry/xds/testing/envoy-binary';
import { selfSignedCertificate } from '@gantry/xds/testing/certificates';
import { freePort, pollUntil } from '@gantry/xds/testing/net';
import { EnvoyProcess } from './envoy/process.js';
import { logger } from './log.js';
import { buildSnapshot, parseManifests } from './manifests/load.js';
import { NackGuard, handleNack } from './nack-withhold.js';
import { Pipeline, type PipelineRun } from './pipeline.js';

const GW = 'default/gw';

interface Case {
  readonly type: TypeUrl;
  /** The resources of listener `b` (ports pa, pb) that get poisoned. */
  readonly target: (name: string, pb: number) => boolean;
  readonly poison: (r: EncodedResource) => Uint8Array;
  /** Where the owner's status says so. */
  readonly owner: 'route' | 'listener';
}

const CASES: Record<string, Case> = {
  Listener: {
    type: TypeUrl.Listener,
    target: (name, pb) => name === `http-${pb}`,
    poison: (r) => {
      const l = Listener.decode(r.bytes);
      const a = l.address?.address;
      if (a?.$case === 'socketAddress') a.socketAddress.portSpecifier = { $case: 'portValue', portValue: 70000 };
      return Listener.encode(l).finish();
    },
    owner: 'listener',
  },
  Cluster: {
    type: TypeUrl.Cluster,
    target: (name) => name.includes('/bad/'),
    poison: (r) => Cluster.encode(Cluster.fromPartial({ ...Cluster.decode(r.bytes), connectTimeout: { seconds: -1, nanos: 0 } })).finish(),
    owner: 'route',
  },
  ClusterLoadAssignment: {
    type: TypeUrl.ClusterLoadAssignment,
    target: (name) => name.includes('/bad/'),
    poison: (r) => {
      const cla = ClusterLoadAssignment.decode(r.bytes);
      for (const e of cla.endpoints) for (const lb of e.lbEndpoints) lb.loadBalancingWeight = 0;
      return ClusterLoadAssignment.encode(cla).finish();
    },
    owner: 'route',
  },
  Secret: {
    type: TypeUrl.Secret,
    target: (name) => name.includes('bad-cert'),
    poison: (r) => {
      const s = Secret.decode(r.bytes);
      if (s.type?.$case === 'tlsCertificate') s.type.tlsCertificate.certificateChain = DataSource.fromPartial({ specifier: { $case: 'inlineString', inlineString: 'not a certificate' } });
      return Secret.encode(s).finish();
    },
    owner: 'listener',
  },
  ScopedRouteConfiguration: {
    type: TypeUrl.ScopedRouteConfiguration,
    target: (name, pb) => name.includes(`-${pb}`),
    poison: (r) => ScopedRouteConfiguration.encode(ScopedRouteConfiguration.fromPartial({ ...ScopedRouteConfiguration.decode(r.bytes), key: { fragments: [] } })).finish(),
    owner: 'listener',
  },
};

const cert = selfSignedCertificate(['bad.example.com']);
const b64 = (s: string): string => Buffer.from(s).toString('base64');

function manifest(type: string, goodHost: string, pa: number, pb: number, badHost: string): string {
  const https = type === 'Secret';
  return `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gantry}
spec: {controllerName: gantry.dev/gatewayclass-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: gantry
  listeners:
  - {name: a, port: ${pa}, protocol: HTTP}
  - ${https ? `{name: b, port: ${pb}, protocol: HTTPS, hostname: bad.example.com, tls: {certificateRefs: [{name: bad-cert}]}}` : `{name: b, port: ${pb}, protocol: HTTP}`}
---
apiVersion: v1
kind: Secret
metadata: {name: bad-cert}
type: kubernetes.io/tls
data: {tls.crt: ${b64(cert.cert)}, tls.key: ${b64(cert.key)}}
---
apiVersion: v1
kind: Service
metadata: {name: bad}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: bad-1, labels: {kubernetes.io/service-name: bad}}
addressType: IPv4
ports: [{name: http, port: 1}]
endpoints: [{addresses: [127.0.0.1]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: bad}
spec:
  parentRefs: [{name: gw, sectionName: b}]
  rules:
  - {matches: [{path: {value: /backend}}], backendRefs: [{name: bad, port: 80}]}
  - {matches: [{path: {value: /bad}}], filters: [{type: RequestRedirect, requestRedirect: {hostname: ${badHost}, statusCode: 302}}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: good}
spec:
  parentRefs: [{name: gw, sectionName: a}]
  rules: [{matches: [{path: {value: /good}}], filters: [{type: RequestRedirect, requestRedirect: {hostname: ${goodHost}, statusCode: 302}}]}]
`;
}

describe.each(Object.keys(CASES))('a %s Envoy rejects', (type) => {
  const c = CASES[type]!;
  let cache: SnapshotCache;
  let server: AdsServer;
  let guard: NackGuard;
  let pipeline: Pipeline;
  let envoy: EnvoyProcess | undefined;
  let pa = 0;
  let pb = 0;
  let poisoned = false;
  let current = '';
  const nacks: string[] = [];

  function poison(snapshot: XdsSnapshot): XdsSnapshot {
    if (!poisoned) return snapshot;
    const set = new Map(snapshot[c.type]);
    for (const [name, r] of set) if (c.target(name, pb)) set.set(name, encodedResource(name, c.poison(r)));
    return { ...snapshot, [c.type]: set };
  }

  function apply(text: string): PipelineRun {
    current = text;
    const parsed = parseManifests(text, 'test.yaml');
    expect(parsed.errors).toEqual([]);
    return pipeline.run(buildSnapshot(parsed.objects));
  }

  beforeAll(async () => {
    cache = new SnapshotCache();
    server = new AdsServer({ cache, logger: logger('ads'), plaintextReason: 'test on loopback' });
    guard = new NackGuard(cache, () => { apply(current); });
    pipeline = new Pipeline({
      listenAddress: '127.0.0.1',
      // No change hint: the pipeline's does not know of the poisoned resources (the cache diffs).
      sink: { set: (k: string, s: XdsSnapshot) => guard.set(k, poison(s)), delete: (k: string) => guard.delete(k) },
      withheldResources: () => guard.failures(),
    });
    server.on('ack', (gateway, typeUrl, _v, _n, snapshotVersion) => guard.ack(gateway, typeUrl, snapshotVersion));
    server.on('nack', (gateway, typeUrl, _v, _n, message) => {
      nacks.push(typeUrl);
      if (handleNack(pipeline, guard, cache, gateway, typeUrl, message).route !== undefined) apply(current);
    });
    const xdsPort = await server.start('127.0.0.1', 0);
    pa = await freePort();
    pb = await freePort();
    apply(manifest(type, 'good-1.example.com', pa, pb, 'bad-1.example.com'));
    envoy = new EnvoyProcess({
      envoyPath: envoyBinary(),
      bootstrap: adsBootstrap({ gatewayKey: GW, nodeId: `envoy-nack-${type}`, xdsHost: '127.0.0.1', xdsPort, adminPort: await freePort() }),
      name: GW,
      restart: false,
    });
    await envoy.start();
  }, 60_000);

  afterAll(async () => {
    await envoy?.stop();
    await server?.stop();
  });

  async function location(port: number, path: string, https = false): Promise<string | undefined> {
    if (https) return undefined;
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { redirect: 'manual' }).catch(() => undefined);
    return res?.status === 302 ? (res.headers.get('location') ?? undefined) : res === undefined ? undefined : String(res.status);
  }

  it('is withheld alone (Envoy keeps its last accepted version), reported on its owner, and valid changes to other routes serve within a second', async () => {
    await pollUntil('the first configuration is served', () => location(pa, '/good'), (l) => l === `http://good-1.example.com:${pa}/good`, 20_000);
    if (type !== 'Secret') await pollUntil('listener b is served', () => location(pb, '/bad'), (l) => l === `http://bad-1.example.com:${pb}/bad`, 20_000);
    await new Promise((r) => setTimeout(r, 300)); // every type ACKed

    poisoned = true;
    const changed = Date.now();
    // The poisoned resource and a valid change to route `good` (listener a) arrive together.
    apply(manifest(type, 'good-2.example.com', pa, pb, 'bad-1.example.com'));
    await pollUntil('the valid change serves', () => location(pa, '/good'), (l) => l === `http://good-2.example.com:${pa}/good`, 5_000);
    const ms = Date.now() - changed;
    console.log(`${type}: a valid change served ${ms} ms after it was made, beside a ${type} Envoy rejected (withheld)`);
    expect(ms).toBeLessThan(1000);
    expect(nacks).toContain(c.type);

    const withheld = guard.withheld();
    expect(withheld.length).toBeGreaterThan(0);
    for (const w of withheld) {
      expect(w.typeUrl).toBe(c.type);
      expect(c.target(w.name, pb)).toBe(true);
      expect(w.lastGood).toBe(true);
    }
    // Envoy keeps the last accepted version of what it refused.
    if (type !== 'Secret') expect(await location(pb, '/bad')).toBe(`http://bad-1.example.com:${pb}/bad`);

    const run = apply(current);
    expect(run.failures.some((f) => f.name === withheld[0]!.name && f.message.includes('Envoy rejected it'))).toBe(true);
    if (c.owner === 'route') {
      const status = JSON.stringify(run.statuses.find((r) => r.kind === 'HTTPRoute' && r.name === 'bad')?.status);
      expect(status).toContain('"type":"PartiallyInvalid","status":"True"');
      expect(status).toContain('Envoy rejected it');
    } else {
      const gw = run.statuses.find((r) => r.kind === 'Gateway' && r.name === 'gw');
      const listeners = gw?.kind === 'Gateway' ? gw.status.listeners ?? [] : [];
      const programmed = (name: string): string | undefined => listeners.find((l) => l.name === name)?.conditions.find((x) => x.type === 'Programmed')?.status;
      expect(programmed('b')).toBe('False');
      expect(programmed('a')).not.toBe('False');
    }

    // The next valid change to anything else applies too.
    const next = Date.now();
    apply(manifest(type, 'good-3.example.com', pa, pb, 'bad-1.example.com'));
    await pollUntil('the next change serves', () => location(pa, '/good'), (l) => l === `http://good-3.example.com:${pa}/good`, 5_000);
    expect(Date.now() - next).toBeLessThan(1000);

    // Fixed (no longer poisoned): tried again, accepted, no longer withheld.
    poisoned = false;
    apply(manifest(type, 'good-4.example.com', pa, pb, 'bad-3.example.com'));
    await pollUntil('the fixed resource is no longer withheld', async () => guard.withheld().length, (n) => n === 0, 5_000);
    if (type !== 'Secret') await pollUntil('listener b serves its fixed configuration', () => location(pb, '/bad'), (l) => l === `http://bad-3.example.com:${pb}/bad`, 5_000);
  }, 60_000);
});
