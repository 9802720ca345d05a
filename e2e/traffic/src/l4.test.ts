// Traffic through a real Envoy: TLSRoute (Passthrough by SNI, and Terminate), TCPRoute (with
// weights) and UDPRoute; HTTPS, TLS Passthrough and TLS Terminate listeners on one port
// (TLSRouteModeMixed). Backends are plain node servers that answer with their name: TLS
// servers with their own certificates (passthrough: the client sees the backend's certificate),
// TCP servers, a UDP server.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer as createHttpServer } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer, connect, type Server } from 'node:net';
import { connect as tlsConnect, createServer as createTlsServer } from 'node:tls';
import type { PipelineRun } from '@gantry/gatewayclass-controller/pipeline';
import { selfSignedCertificate } from './certificates.js';
import { GATEWAY_CLASS, LOOPBACK, TrafficHarness, docs, eventually, freePort, gatewayYaml, serviceYaml, statusOf, tlsSecretYaml } from './harness.js';

const closers: (() => void)[] = [];

/** A TCP server that writes `name` and closes, on 127.0.0.1. */
async function tcpBackend(name: string): Promise<number> {
  const server: Server = createServer((s) => s.end(name));
  await new Promise<void>((r) => server.listen(0, LOOPBACK, r));
  closers.push(() => server.close());
  return (server.address() as { port: number }).port;
}

/** A TLS server (its own certificate for `host`) that writes `name` and closes. */
async function tlsBackend(name: string, host: string): Promise<number> {
  const cert = selfSignedCertificate(host);
  const server = createTlsServer({ cert: cert.cert, key: cert.key }, (s) => s.end(name));
  await new Promise<void>((r) => server.listen(0, LOOPBACK, r));
  closers.push(() => server.close());
  return (server.address() as { port: number }).port;
}

/** An HTTP server that answers `name` to every request. */
async function httpBackend(name: string): Promise<number> {
  const server = createHttpServer((_req, res) => res.end(name));
  await new Promise<void>((r) => server.listen(0, LOOPBACK, r));
  closers.push(() => server.close());
  return (server.address() as { port: number }).port;
}

/** An HTTPS GET with this SNI and Host: the status, body and the certificate's CN. */
function httpsGet(port: number, servername: string): Promise<{ status?: number; body: string; cn?: string; error?: string }> {
  return new Promise((resolve) => {
    const req = httpsRequest({ host: LOOPBACK, port, servername, path: '/', headers: { host: servername }, rejectUnauthorized: false, agent: false, timeout: 3000 }, (res) => {
      const cn = (res.socket as unknown as { getPeerCertificate(): { subject?: { CN?: string } } }).getPeerCertificate().subject?.CN;
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode, body, ...(cn !== undefined ? { cn } : {}) }));
    });
    req.on('error', (e) => resolve({ body: '', error: e.message }));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** A UDP server answering each datagram with `name:<datagram>`. */
async function udpBackend(name: string): Promise<number> {
  const s: UdpSocket = createSocket('udp4');
  s.on('message', (msg, from) => s.send(`${name}:${msg.toString()}`, from.port, from.address));
  await new Promise<void>((r) => s.bind(0, LOOPBACK, r));
  closers.push(() => s.close());
  return s.address().port;
}

/** What a TCP connection to the port receives ('' when it is closed without data or refused). */
function readTcp(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: LOOPBACK, port });
    let data = '';
    s.on('data', (d) => (data += d.toString()));
    s.on('close', () => resolve(data));
    s.on('error', () => resolve(data));
    s.setTimeout(3000, () => s.destroy());
  });
}

/** What a TLS connection with this SNI receives, and the CN of the certificate it was shown. */
function readTls(port: number, servername: string): Promise<{ data: string; cn: string | undefined; error?: string }> {
  return new Promise((resolve) => {
    const s = tlsConnect({ host: LOOPBACK, port, servername, rejectUnauthorized: false });
    let data = '';
    let cn: string | undefined;
    s.on('secureConnect', () => (cn = s.getPeerCertificate().subject?.CN as string | undefined));
    s.on('data', (d) => (data += d.toString()));
    s.on('close', () => resolve({ data, cn }));
    s.on('error', (e) => resolve({ data, cn, error: e.message }));
    s.setTimeout(3000, () => s.destroy());
  });
}

function udpRoundTrip(port: number, text: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      resolve(undefined);
    }, 500);
    s.on('message', (msg) => {
      clearTimeout(timer);
      s.close();
      resolve(msg.toString());
    });
    s.send(text, port, LOOPBACK);
  });
}

let h: TrafficHarness;
let run: PipelineRun;
const ports = { tls: 0, terminate: 0, tcp: 0, udp: 0, mixed: 0 };
const frontCert = selfSignedCertificate('secure.example.com');
const wwwCert = selfSignedCertificate('www.mixed.example.com');
const termCert = selfSignedCertificate('term.mixed.example.com');

beforeAll(async () => {
  h = await TrafficHarness.start();
  for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
  const services = [
    serviceYaml('tls-abc', await tlsBackend('tls-abc', 'abc.example.com'), { servicePort: 443 }),
    serviceYaml('tls-wild', await tlsBackend('tls-wild', 'x.wild.example.com'), { servicePort: 443 }),
    serviceYaml('tcp-1', await tcpBackend('tcp-1'), { servicePort: 9000 }),
    serviceYaml('tcp-3', await tcpBackend('tcp-3'), { servicePort: 9000 }),
    serviceYaml('plain', await tcpBackend('plain'), { servicePort: 9000 }),
    serviceYaml('tls-mixed', await tlsBackend('tls-mixed', 'a.mixed.example.com'), { servicePort: 443 }),
    serviceYaml('plain-mixed', await tcpBackend('plain-mixed'), { servicePort: 9000 }),
    serviceYaml('web', await httpBackend('web'), { servicePort: 80 }),
  ];
  const udpPort = await udpBackend('udp');
  const udpPort2 = await udpBackend('udp-2');
  const world = docs(
    GATEWAY_CLASS,
    gatewayYaml(
      `{name: passthrough, protocol: TLS, port: ${ports.tls}, tls: {mode: Passthrough}}`,
      `{name: terminate, protocol: TLS, port: ${ports.terminate}, hostname: secure.example.com, tls: {mode: Terminate, certificateRefs: [{name: front}]}}`,
      `{name: tcp, protocol: TCP, port: ${ports.tcp}}`,
      `{name: udp, protocol: UDP, port: ${ports.udp}}`,
      // One port, three listeners: HTTPS, TLS Passthrough and TLS Terminate (TLSRouteModeMixed).
      `{name: mixed-https, protocol: HTTPS, port: ${ports.mixed}, hostname: www.mixed.example.com, tls: {certificateRefs: [{name: www}]}}`,
      `{name: mixed-pass, protocol: TLS, port: ${ports.mixed}, hostname: "*.mixed.example.com", tls: {mode: Passthrough}}`,
      `{name: mixed-term, protocol: TLS, port: ${ports.mixed}, hostname: term.mixed.example.com, tls: {mode: Terminate, certificateRefs: [{name: term}]}}`,
    ),
    tlsSecretYaml('front', frontCert),
    tlsSecretYaml('www', wwwCert),
    tlsSecretYaml('term', termCert),
    ...services,
    `
apiVersion: v1
kind: Service
metadata: {name: udp, namespace: default}
spec:
  ports: [{name: dns, port: 53, targetPort: ${udpPort}, protocol: UDP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: udp-local, namespace: default, labels: {kubernetes.io/service-name: udp}}
addressType: IPv4
endpoints: [{addresses: [${LOOPBACK}], conditions: {ready: true}}]
ports: [{name: dns, port: ${udpPort}, protocol: UDP}]
---
apiVersion: v1
kind: Service
metadata: {name: udp-2, namespace: default}
spec:
  ports: [{name: dns, port: 53, targetPort: ${udpPort2}, protocol: UDP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: udp-2-local, namespace: default, labels: {kubernetes.io/service-name: udp-2}}
addressType: IPv4
endpoints: [{addresses: [${LOOPBACK}], conditions: {ready: true}}]
ports: [{name: dns, port: ${udpPort2}, protocol: UDP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: abc, namespace: default}
spec:
  parentRefs: [{name: gw, sectionName: passthrough}]
  hostnames: [abc.example.com]
  rules: [{backendRefs: [{name: tls-abc, port: 443}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: wild, namespace: default}
spec:
  parentRefs: [{name: gw, sectionName: passthrough}]
  hostnames: ["*.wild.example.com"]
  rules: [{backendRefs: [{name: tls-wild, port: 443}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: secure, namespace: default}
spec:
  parentRefs: [{name: gw, sectionName: terminate}]
  hostnames: [secure.example.com]
  rules: [{backendRefs: [{name: plain, port: 9000}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TCPRoute
metadata: {name: tcp, namespace: default}
spec:
  parentRefs: [{name: gw, sectionName: tcp}]
  rules: [{backendRefs: [{name: tcp-1, port: 9000, weight: 1}, {name: tcp-3, port: 9000, weight: 3}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: UDPRoute
metadata: {name: udp, namespace: default}
spec:
  parentRefs: [{name: gw, sectionName: udp}]
  rules: [{backendRefs: [{name: udp, port: 53, weight: 3}, {name: udp-2, port: 53, weight: 1}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: mixed-web, namespace: default}
spec:
  parentRefs: [{name: gw, sectionName: mixed-https}]
  rules: [{backendRefs: [{name: web, port: 80}]}]
---
# Names the HTTPS and the Terminate listener's hostnames too: those more specific listeners win them.
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: mixed-pass, namespace: default}
spec:
  parentRefs: [{name: gw, sectionName: mixed-pass}]
  hostnames: [a.mixed.example.com, www.mixed.example.com, term.mixed.example.com]
  rules: [{backendRefs: [{name: tls-mixed, port: 443}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: mixed-term, namespace: default}
spec:
  parentRefs: [{name: gw, sectionName: mixed-term}]
  hostnames: [term.mixed.example.com]
  rules: [{backendRefs: [{name: plain-mixed, port: 9000}]}]
`,
  );
  run = (await h.apply(world)).run;
  await eventually('the TCP listener', async () => ((await readTcp(ports.tcp)) !== '' ? true : undefined), 10_000);
}, 60_000);

afterAll(async () => {
  for (const c of closers) c();
  await h?.stop();
});

describe('TLSRoute, TCPRoute and UDPRoute through Envoy', () => {
  it('accepts the routes', () => {
    for (const [kind, name] of [['TLSRoute', 'abc'], ['TLSRoute', 'wild'], ['TLSRoute', 'secure'], ['TCPRoute', 'tcp'], ['UDPRoute', 'udp']] as const) {
      const report = statusOf(run, kind, 'default', name);
      const conditions = (report?.status as { parents: { conditions: { type: string; status: string }[] }[] }).parents[0]?.conditions ?? [];
      expect({ kind, name, conditions: conditions.map((c) => `${c.type}=${c.status}`) }).toEqual({ kind, name, conditions: ['Accepted=True', 'ResolvedRefs=True'] });
    }
  });

  it('TLS passthrough: routes by SNI, the client talks TLS to the backend itself', async () => {
    expect(await readTls(ports.tls, 'abc.example.com')).toMatchObject({ data: 'tls-abc', cn: 'abc.example.com' });
    expect(await readTls(ports.tls, 'x.wild.example.com')).toMatchObject({ data: 'tls-wild', cn: 'x.wild.example.com' });
    // An SNI no route names: no filter chain, the connection is closed.
    expect((await readTls(ports.tls, 'other.example.com')).data).toBe('');
  });

  it('TLS terminate: Envoy shows the listener certificate and forwards the plaintext stream', async () => {
    expect(await readTls(ports.terminate, 'secure.example.com')).toMatchObject({ data: 'plain', cn: 'secure.example.com' });
  });

  it('HTTPS, TLS Passthrough and TLS Terminate on one port: each SNI reaches its own backend', async () => {
    for (const [kind, name] of [['TLSRoute', 'mixed-pass'], ['TLSRoute', 'mixed-term'], ['HTTPRoute', 'mixed-web']] as const) {
      const report = statusOf(run, kind, 'default', name);
      const conditions = (report?.status as { parents: { conditions: { type: string; status: string }[] }[] }).parents[0]?.conditions ?? [];
      expect({ kind, name, conditions: conditions.map((c) => `${c.type}=${c.status}`) }).toEqual({ kind, name, conditions: ['Accepted=True', 'ResolvedRefs=True'] });
    }
    // Passthrough: the client talks TLS to the backend itself (its certificate).
    expect(await readTls(ports.mixed, 'a.mixed.example.com')).toMatchObject({ data: 'tls-mixed', cn: 'a.mixed.example.com' });
    // Terminate: Envoy's certificate for the listener, the plaintext stream to the TCP backend
    // (the Passthrough route also names this host: the exact listener wins).
    expect(await readTls(ports.mixed, 'term.mixed.example.com')).toMatchObject({ data: 'plain-mixed', cn: 'term.mixed.example.com' });
    // HTTPS: Envoy's certificate, HTTP routing (the Passthrough route's www name loses to it).
    expect(await httpsGet(ports.mixed, 'www.mixed.example.com')).toMatchObject({ status: 200, body: 'web', cn: 'www.mixed.example.com' });
    // A name no listener of the port offers: no chain, the connection is closed.
    expect((await readTls(ports.mixed, 'other.example.com')).data).toBe('');
  });

  it('TCP: weighted backends', async () => {
    const seen: Record<string, number> = {};
    for (let i = 0; i < 80; i++) {
      const d = await readTcp(ports.tcp);
      seen[d] = (seen[d] ?? 0) + 1;
    }
    expect(Object.keys(seen).sort()).toEqual(['tcp-1', 'tcp-3']);
    expect(seen['tcp-3'] ?? 0).toBeGreaterThan(seen['tcp-1'] ?? 0);
  });

  it('UDP: datagrams reach the backends and their answers come back; sessions split by weight', async () => {
    await eventually('a UDP answer', () => udpRoundTrip(ports.udp, 'ping'), 10_000);
    const seen: Record<string, number> = {};
    for (let i = 0; i < 200; i++) {
      const a = (await udpRoundTrip(ports.udp, 'ping')) ?? 'none';
      seen[a] = (seen[a] ?? 0) + 1;
    }
    expect(Object.keys(seen).sort()).toEqual(['udp-2:ping', 'udp:ping']);
    // 3:1 over 200 sessions (each from a new source port): about 150 and 50.
    expect(seen['udp:ping'] ?? 0).toBeGreaterThan(110);
    expect(seen['udp-2:ping'] ?? 0).toBeGreaterThan(20);
  });
});
