// Traffic through a real Envoy over TLS: two HTTPS listeners on one port with their own hostnames
// and certificates (chosen by SNI), requests over HTTP/1.1 and HTTP/2, 421 for a Host that belongs
// to the other listener, redirects to and on HTTPS, and a certificate replaced in place.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect as http2Connect, constants as h2 } from 'node:http2';
import { X509Certificate } from 'node:crypto';
import { connect as tlsConnect } from 'node:tls';
import type { EchoReply } from '@gantry/gatewayclass-controller/examples/echo-backend';
import { selfSignedCertificate, type TestCertificate } from './certificates.js';
import { echoOf, peerCertificate, send } from './client.js';
import { GATEWAY_CLASS, LOOPBACK, TrafficHarness, docs, freePort, gatewayYaml, tlsSecretYaml } from './harness.js';

let h: TrafficHarness;
let httpsPort: number;
let httpPort: number;
let certA: TestCertificate;
let certB: TestCertificate;
let world: (a: TestCertificate) => string;

beforeAll(async () => {
  h = await TrafficHarness.start();
  httpsPort = await freePort();
  httpPort = await freePort();
  certA = selfSignedCertificate('a.example.com');
  certB = selfSignedCertificate('*.b.example.com');
  const set = await h.backendSet(['a', 'b']);
  world = (a) =>
    docs(
      GATEWAY_CLASS,
      gatewayYaml(
        `{name: https-a, protocol: HTTPS, port: ${httpsPort}, hostname: a.example.com, tls: {mode: Terminate, certificateRefs: [{name: cert-a}]}}`,
        `{name: https-b, protocol: HTTPS, port: ${httpsPort}, hostname: "*.b.example.com", tls: {certificateRefs: [{name: cert-b}]}}`,
        `{name: http, protocol: HTTP, port: ${httpPort}}`,
      ),
      tlsSecretYaml('cert-a', a),
      tlsSecretYaml('cert-b', certB),
      set.yaml,
      `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: route-a, namespace: default}
spec:
  parentRefs: [{name: gw, sectionName: https-a}]
  rules:
  - matches: [{path: {value: /old}}]
    filters: [{type: RequestRedirect, requestRedirect: {path: {type: ReplaceFullPath, replaceFullPath: /new}}}]
  - backendRefs: [{name: a, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: route-b, namespace: default}
spec:
  parentRefs: [{name: gw, sectionName: https-b}]
  rules: [{backendRefs: [{name: b, port: 80}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: to-https, namespace: default}
spec:
  parentRefs: [{name: gw, sectionName: http}]
  rules:
  - filters: [{type: RequestRedirect, requestRedirect: {scheme: https, port: ${httpsPort}, statusCode: 301}}]
`,
    );
  await h.apply(world(certA));
});

afterAll(async () => {
  await h?.stop();
});

function fingerprint(pem: string): string {
  return new X509Certificate(pem).fingerprint256;
}

function httpsGet(servername: string, ca: string, host: string, path = '/') {
  return send({ port: httpsPort, host, path, tls: { servername, ca } });
}

describe('SNI', () => {
  it('each listener serves its own certificate', async () => {
    const a = await peerCertificate(httpsPort, 'a.example.com');
    expect(a.subject.CN).toBe('a.example.com');
    expect(a.fingerprint256).toBe(fingerprint(certA.cert));
    const b = await peerCertificate(httpsPort, 'x.b.example.com');
    expect(b.subject.CN).toBe('*.b.example.com');
    expect(b.fingerprint256).toBe(fingerprint(certB.cert));
  });

  it('refuses a handshake for a name no listener has', async () => {
    await expect(peerCertificate(httpsPort, 'unknown.example.org')).rejects.toThrow();
  });
});

describe('HTTPS requests', () => {
  it('reach the backend of the listener, which sees the original host and scheme', async () => {
    const r = await httpsGet('a.example.com', certA.cert, 'a.example.com', '/hello');
    expect(r.status).toBe(200);
    const e = echoOf(r);
    expect(e.backend).toBe('a');
    expect(e.host).toBe('a.example.com');
    expect(e.path).toBe('/hello');
    expect(e.headers['x-forwarded-proto']).toBe('https');
    const rb = await httpsGet('x.b.example.com', certB.cert, 'deep.x.b.example.com');
    expect(echoOf(rb).backend).toBe('b');
  });

  it('ignore a port in the Host header', async () => {
    const r = await httpsGet('a.example.com', certA.cert, `a.example.com:${httpsPort}`);
    expect(echoOf(r).backend).toBe('a');
  });

  it('421 for a Host that belongs to the other listener of the port', async () => {
    const r = await httpsGet('a.example.com', certA.cert, 'x.b.example.com');
    expect(r.status).toBe(421);
    const r2 = await httpsGet('x.b.example.com', certB.cert, 'a.example.com');
    expect(r2.status).toBe(421);
  });

  it('HTTP/2 over TLS (ALPN h2)', async () => {
    const session = http2Connect(`https://a.example.com:${httpsPort}`, {
      createConnection: () => tlsConnect({ host: LOOPBACK, port: httpsPort, servername: 'a.example.com', ca: certA.cert, ALPNProtocols: ['h2'] }),
    });
    try {
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = session.request({ [h2.HTTP2_HEADER_PATH]: '/over-h2', [h2.HTTP2_HEADER_AUTHORITY]: 'a.example.com' });
        let status = 0;
        const chunks: Buffer[] = [];
        req.on('response', (headers) => {
          status = Number(headers[h2.HTTP2_HEADER_STATUS]);
        });
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => resolve({ status, body: Buffer.concat(chunks).toString('utf8') }));
        req.on('error', reject);
        req.end();
      });
      expect(session.alpnProtocol).toBe('h2');
      expect(status).toBe(200);
      const e = JSON.parse(body) as EchoReply;
      expect(e.backend).toBe('a');
      expect(e.path).toBe('/over-h2');
      expect(e.host).toBe('a.example.com');
    } finally {
      session.close();
    }
  });
});

describe('redirects', () => {
  it('from the HTTP listener to HTTPS on its port', async () => {
    const r = await send({ port: httpPort, host: 'a.example.com', path: '/x?y=1' });
    expect(r.status).toBe(301);
    expect(r.headers.location).toBe(`https://a.example.com:${httpsPort}/x?y=1`);
  });

  it('on an HTTPS listener the scheme stays https', async () => {
    const r = await httpsGet('a.example.com', certA.cert, 'a.example.com', '/old');
    expect(r.status).toBe(302);
    expect(r.headers.location).toBe(`https://a.example.com:${httpsPort}/new`);
  });
});

describe('certificate rotation', () => {
  it('a replaced Secret is served to new connections', async () => {
    const rotated = selfSignedCertificate('a.example.com');
    expect(fingerprint(rotated.cert)).not.toBe(fingerprint(certA.cert));
    await h.apply(world(rotated));
    const served = await peerCertificate(httpsPort, 'a.example.com');
    expect(served.fingerprint256).toBe(fingerprint(rotated.cert));
    const r = await httpsGet('a.example.com', rotated.cert, 'a.example.com');
    expect(echoOf(r).backend).toBe('a');
    // The other listener's certificate did not change.
    expect((await peerCertificate(httpsPort, 'x.b.example.com')).fingerprint256).toBe(fingerprint(certB.cert));
  });
});
