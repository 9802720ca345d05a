// Traffic through a real Envoy: client certificate validation on an HTTPS listener (Gateway
// spec.tls.frontend). A client with a certificate the CA signed gets in; one without, or with
// another certificate, does not; with AllowInsecureFallback (per port) everyone gets in.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request } from 'node:https';
import { selfSignedCertificate, type TestCertificate } from './certificates.js';
import { GATEWAY_CLASS, LOOPBACK, TrafficHarness, docs, freePort, statusOf, tlsSecretYaml, type Applied } from './harness.js';

let h: TrafficHarness;
let strictPort: number;
let fallbackPort: number;
let server: TestCertificate;
let client: TestCertificate;
let stranger: TestCertificate;
let applied: Applied;

beforeAll(async () => {
  h = await TrafficHarness.start();
  strictPort = await freePort();
  fallbackPort = await freePort();
  server = selfSignedCertificate('secure.example.com');
  // Self-signed: the client's certificate is its own CA.
  client = selfSignedCertificate('client.example.com');
  stranger = selfSignedCertificate('stranger.example.com');
  const set = await h.backendSet(['web']);
  const indent = (pem: string) => pem.trim().split('\n').map((l) => `    ${l}`).join('\n');
  applied = await h.apply(
    docs(
      GATEWAY_CLASS,
      `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  gatewayClassName: gantry
  tls:
    frontend:
      default: {validation: {caCertificateRefs: [{group: "", kind: ConfigMap, name: client-ca}]}}
      perPort:
      - {port: ${fallbackPort}, tls: {validation: {mode: AllowInsecureFallback, caCertificateRefs: [{group: "", kind: ConfigMap, name: client-ca}]}}}
  listeners:
  - {name: strict, protocol: HTTPS, port: ${strictPort}, tls: {certificateRefs: [{name: server}]}}
  - {name: fallback, protocol: HTTPS, port: ${fallbackPort}, tls: {certificateRefs: [{name: server}]}}
`,
      `
apiVersion: v1
kind: ConfigMap
metadata: {name: client-ca, namespace: default}
data:
  ca.crt: |
${indent(client.cert)}
`,
      tlsSecretYaml('server', server),
      set.yaml,
      `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: default}
spec:
  parentRefs: [{name: gw}]
  rules: [{backendRefs: [{name: web, port: 80}]}]
`,
    ),
  );
});

afterAll(async () => {
  await h?.stop();
});

/** The status of a GET over TLS, or the error that ended it (a refused handshake). */
function get(port: number, cert?: TestCertificate): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(
      { host: LOOPBACK, port, path: '/', servername: 'secure.example.com', headers: { host: 'secure.example.com' }, rejectUnauthorized: false, ...(cert ? { cert: cert.cert, key: cert.key } : {}) },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error('timed out')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    req.end();
  });
}

describe('client certificate validation (spec.tls.frontend)', () => {
  it('lets a client with a certificate of the CA in, and nobody else', async () => {
    expect(await get(strictPort, client)).toBe(200);
    expect(await get(strictPort)).not.toBe(200);
    expect(await get(strictPort, stranger)).not.toBe(200);
  });

  it('AllowInsecureFallback (per port): everyone in, and the Gateway says so', async () => {
    expect(await get(fallbackPort, client)).toBe(200);
    expect(await get(fallbackPort)).toBe(200);
    expect(await get(fallbackPort, stranger)).toBe(200);
    const gw = statusOf(applied.run, 'Gateway', 'default', 'gw');
    const conditions = gw?.kind === 'Gateway' ? (gw.status.conditions ?? []) : [];
    expect(conditions.find((c) => c.type === 'InsecureFrontendValidationMode')).toMatchObject({ status: 'True', reason: 'ConfigurationChanged' });
  });
});
