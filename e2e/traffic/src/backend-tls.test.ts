// Traffic through a real Envoy to an HTTPS backend: BackendTLSPolicy (the SNI, the CA the
// backend's certificate must chain to, the name it must carry, subjectAltNames) and the Gateway's
// backend client certificate (spec.tls.backend). A backend that fails the checks gets no request.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EchoServer } from '@gantry/gatewayclass-controller/examples/echo-backend';
import { selfSignedCertificate, type TestCertificate } from './certificates.js';
import { echoOf, send } from './client.js';
import { GATEWAY_CLASS, TrafficHarness, docs, freePort, serviceYaml, tlsSecretYaml } from './harness.js';

let h: TrafficHarness;
let port: number;
let backend: EchoServer;
let backendCert: TestCertificate;
let gatewayClient: TestCertificate;

const HOST = 'tls.test';

function policy(name: string, validation: string): string {
  return `
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {name: ${name}, namespace: default}
spec:
  targetRefs: [{group: "", kind: Service, name: ${name}}]
  validation: ${validation}
`;
}

function caConfigMap(name: string, cert: TestCertificate): string {
  return `
apiVersion: v1
kind: ConfigMap
metadata: {name: ${name}, namespace: default}
data:
  ca.crt: |
${cert.cert.trim().split('\n').map((l) => `    ${l}`).join('\n')}
`;
}

beforeAll(async () => {
  h = await TrafficHarness.start();
  port = await freePort();
  // Self-signed: each certificate is its own CA.
  backendCert = selfSignedCertificate('backend.example.com');
  gatewayClient = selfSignedCertificate('gateway-client');
  const stranger = selfSignedCertificate('stranger.example.com');
  backend = await h.backend('secure', { tls: { cert: backendCert.cert, key: backendCert.key, clientCA: gatewayClient.cert } });
  const names = ['verified', 'wrong-host', 'wrong-ca', 'by-san', 'no-policy'];
  await h.apply(
    docs(
      GATEWAY_CLASS,
      `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  gatewayClassName: gantry
  tls: {backend: {clientCertificateRef: {name: gateway-client}}}
  listeners: [{name: http, protocol: HTTP, port: ${port}}]
`,
      tlsSecretYaml('gateway-client', gatewayClient),
      caConfigMap('backend-ca', backendCert),
      caConfigMap('stranger-ca', stranger),
      ...names.map((n) => serviceYaml(n, backend.port, n === 'no-policy' ? {} : { appProtocol: 'HTTPS' })),
      policy('verified', '{caCertificateRefs: [{group: "", kind: ConfigMap, name: backend-ca}], hostname: backend.example.com}'),
      policy('wrong-host', '{caCertificateRefs: [{group: "", kind: ConfigMap, name: backend-ca}], hostname: other.example.com}'),
      policy('wrong-ca', '{caCertificateRefs: [{group: "", kind: ConfigMap, name: stranger-ca}], hostname: backend.example.com}'),
      policy('by-san', '{caCertificateRefs: [{group: "", kind: ConfigMap, name: backend-ca}], hostname: sni.example.com, subjectAltNames: [{type: Hostname, hostname: backend.example.com}]}'),
      `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: tls, namespace: default}
spec:
  parentRefs: [{name: gw}]
  hostnames: [${HOST}]
  rules:
${names.map((n) => `  - matches: [{path: {value: /${n}}}]\n    backendRefs: [{name: ${n}, port: 80}]`).join('\n')}
`,
    ),
  );
});

afterAll(async () => {
  await h?.stop();
});

describe('BackendTLSPolicy', () => {
  it('originates TLS with the policy hostname as SNI, verifies the backend, presents the Gateway client certificate', async () => {
    const r = await send({ port, host: HOST, path: '/verified/x' });
    expect(r.status).toBe(200);
    const e = echoOf(r);
    expect(e.sni).toBe('backend.example.com');
    expect(e.clientCertificate).toBe('gateway-client');
    expect(e.path).toBe('/verified/x');
  });

  it('a certificate without the hostname, or from another CA, gets no request (503)', async () => {
    const before = backend.requests.length;
    expect((await send({ port, host: HOST, path: '/wrong-host' })).status).toBe(503);
    expect((await send({ port, host: HOST, path: '/wrong-ca' })).status).toBe(503);
    expect(backend.requests.length).toBe(before);
  });

  it('subjectAltNames replace the hostname as the name to check; the hostname stays the SNI', async () => {
    const r = await send({ port, host: HOST, path: '/by-san' });
    expect(r.status).toBe(200);
    expect(echoOf(r).sni).toBe('sni.example.com');
  });

  it('no policy: plaintext to an HTTPS port fails, nothing reaches the backend in the clear', async () => {
    const before = backend.requests.length;
    expect((await send({ port, host: HOST, path: '/no-policy' })).status).not.toBe(200);
    expect(backend.requests.length).toBe(before);
  });
});
