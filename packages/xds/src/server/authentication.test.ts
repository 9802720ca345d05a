// Authenticated xDS against the real ADS server over TLS: a stream is served only when its client
// certificate (issued by the xDS CA) names the Gateway its node names. Rogue clients get a gRPC
// status and no resources; refusals are counted; rotating the server certificate keeps streams.
import { describe, it, expect, beforeAll, afterEach } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, status, type ChannelCredentials } from '@grpc/grpc-js';
import { TypeUrl } from '../resources.js';
import { startHarness, type Harness } from './testing/harness.js';
import { DeltaTestClient, SotwTestClient } from './testing/clients.js';
import { edsCluster, endpoints, rdsListener, routeTo, snapshotOf } from './testing/resources.js';
import {
  CONTROLLER_IDENTITY,
  RotatingCertificateProvider,
  checkCertificate,
  createCertificateAuthority,
  gatewayIdentity,
  issueCertificate,
  keyMatchesCertificate,
  type CertificateAndKey,
} from '../security/index.js';

/** A CA made with openssl, as a user would supply one (`rsa:2048` or `ec` P-384). */
function opensslCa(keyArgs: string[]): CertificateAndKey {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-xds-ca-'));
  try {
    execFileSync('openssl', ['req', '-x509', ...keyArgs, '-nodes', '-keyout', join(dir, 'k'), '-out', join(dir, 'c'), '-days', '2', '-subj', '/CN=user-ca',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], { stdio: ['ignore', 'ignore', 'pipe'] });
    return { cert: readFileSync(join(dir, 'c'), 'utf8'), key: readFileSync(join(dir, 'k'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const GW_A = 'team-a/web';
const GW_B = 'team-b/shop';

let ca: CertificateAndKey;
let server: CertificateAndKey;
let clientA: CertificateAndKey;
let clientB: CertificateAndKey;

beforeAll(async () => {
  ca = await createCertificateAuthority('gantry-xds-ca-test');
  server = await issueCertificate(ca, { commonName: 'gantry-xds', uris: [CONTROLLER_IDENTITY], dnsNames: ['localhost'], usage: 'server', validityDays: 1 });
  clientA = await issueCertificate(ca, { commonName: GW_A, uris: [gatewayIdentity(GW_A)], usage: 'client', validityDays: 1 });
  clientB = await issueCertificate(ca, { commonName: GW_B, uris: [gatewayIdentity(GW_B)], usage: 'client', validityDays: 1 });
});

let harness: Harness | undefined;
const clients: { close(): void }[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await harness?.stop();
  harness = undefined;
});

function snapshot(listenerPort: number) {
  return snapshotOf({
    clusters: [edsCluster('c1')],
    endpoints: [endpoints('c1', [8001])],
    listeners: [rdsListener('l1', listenerPort, 'r1')],
    routes: [routeTo('r1', 'c1')],
  });
}

/** mTLS credentials that check the server's identity as Envoy does (URI SAN, not the host name). */
function tlsCredentials(trust: string, identity?: CertificateAndKey): ChannelCredentials {
  return credentials.createSsl(
    Buffer.from(trust),
    identity ? Buffer.from(identity.key) : null,
    identity ? Buffer.from(identity.cert) : null,
    {
      checkServerIdentity: (_host, cert) =>
        (cert.subjectaltname ?? '').split(/,\s*/).includes(`URI:${CONTROLLER_IDENTITY}`) ? undefined : new Error(`server is not ${CONTROLLER_IDENTITY}`),
    },
  );
}

async function tlsHarness(provider = new RotatingCertificateProvider({ ca: ca.cert, ...server })): Promise<Harness> {
  harness = await startHarness({ tls: { certificates: provider } });
  harness.cache.set(GW_A, snapshot(10080));
  harness.cache.set(GW_B, snapshot(10081));
  return harness;
}

function delta(h: Harness, gateway: string, creds: ChannelCredentials | undefined, nodeId = 'n1'): DeltaTestClient {
  const c = new DeltaTestClient({ port: h.port, gateway, nodeId, envoyLike: true, ...(creds ? { credentials: creds } : {}) });
  clients.push(c);
  return c;
}

describe('authenticated xDS (mTLS, Gateway identity in the client certificate)', () => {
  it('serves the Gateway a client certificate names', async () => {
    const h = await tlsHarness();
    const c = delta(h, GW_A, tlsCredentials(ca.cert, clientA));
    c.subscribe(TypeUrl.Cluster);
    const res = await c.next(TypeUrl.Cluster);
    expect(res.resources.map((r) => r.name)).toEqual(['c1']);
    await h.waitFor('connect', (gw) => gw === GW_A);
    expect(h.server.envoys(GW_A)).toHaveLength(1);
  });

  it('refuses a rogue client that names another Gateway: PERMISSION_DENIED, nothing sent, logged and counted', async () => {
    const h = await tlsHarness();
    // Gateway B's certificate, asking for Gateway A (whose TLS keys it would get).
    const rogue = delta(h, GW_A, tlsCredentials(ca.cert, clientB), 'rogue');
    rogue.subscribe(TypeUrl.Cluster);
    rogue.subscribe(TypeUrl.Secret);
    const err = (await rogue.endedPromise) as Error & { code?: number; details?: string };
    expect(err.code).toBe(status.PERMISSION_DENIED);
    expect(err.details).toContain(`does not allow Gateway ${GW_A}`);
    expect(rogue.pendingResponses()).toEqual([]);
    const [gw, reason] = await h.waitFor('refused');
    expect([gw, reason]).toEqual([GW_A, 'wrong-gateway']);
    expect(h.server.refusals().get('wrong-gateway')).toBe(1);
    expect(h.server.envoys(GW_A)).toEqual([]);
    expect(h.events.filter((e) => e.name === 'push')).toEqual([]);
  });

  it('refuses a client without a certificate, or with one from another CA: UNAUTHENTICATED (SotW too)', async () => {
    const h = await tlsHarness();
    const other = await createCertificateAuthority('not-gantry');
    const forged = await issueCertificate(other, { commonName: GW_A, uris: [gatewayIdentity(GW_A)], usage: 'client', validityDays: 1 });
    const anonymous = delta(h, GW_A, tlsCredentials(ca.cert));
    anonymous.subscribe(TypeUrl.Cluster);
    const forger = new SotwTestClient({ port: h.port, gateway: GW_A, nodeId: 'forger', credentials: tlsCredentials(ca.cert, forged) });
    clients.push(forger);
    forger.request(TypeUrl.Cluster);
    for (const c of [anonymous, forger]) {
      const err = (await c.endedPromise) as Error & { code?: number };
      expect(err.code).toBe(status.UNAUTHENTICATED);
      expect(c.pendingResponses()).toEqual([]);
    }
    expect(h.server.refusals().get('no-certificate')).toBe(2);
  });

  it('refuses plaintext clients at the transport', async () => {
    const h = await tlsHarness();
    const plain = delta(h, GW_A, undefined);
    plain.subscribe(TypeUrl.Cluster);
    const err = (await plain.endedPromise) as Error & { code?: number };
    expect(err.code).toBe(status.UNAVAILABLE);
    expect(plain.pendingResponses()).toEqual([]);
  });

  it('rotates the server certificate without dropping open streams', async () => {
    const provider = new RotatingCertificateProvider({ ca: ca.cert, ...server });
    const h = await tlsHarness(provider);
    const before = delta(h, GW_A, tlsCredentials(ca.cert, clientA), 'before');
    before.subscribe(TypeUrl.Cluster);
    await before.next(TypeUrl.Cluster);

    const renewed = await issueCertificate(ca, { commonName: 'gantry-xds', uris: [CONTROLLER_IDENTITY], usage: 'server', validityDays: 2 });
    expect(new X509Certificate(renewed.cert).serialNumber).not.toBe(new X509Certificate(server.cert).serialNumber);
    provider.update({ ca: ca.cert, ...renewed });

    // The open stream still gets updates.
    h.cache.set(GW_A, snapshotOf({ clusters: [edsCluster('c1'), edsCluster('c2')], endpoints: [endpoints('c1', [8001]), endpoints('c2', [8002])], listeners: [], routes: [] }));
    const update = await before.next(TypeUrl.Cluster);
    expect(update.resources.map((r) => r.name)).toContain('c2');
    expect(before.ended).toBeUndefined();

    // A new connection sees the new certificate.
    let seenSerial = '';
    const after = new DeltaTestClient({
      port: h.port, gateway: GW_A, nodeId: 'after', envoyLike: true,
      credentials: credentials.createSsl(Buffer.from(ca.cert), Buffer.from(clientA.key), Buffer.from(clientA.cert), {
        checkServerIdentity: (_host, cert) => {
          seenSerial = cert.serialNumber;
          return undefined;
        },
      }),
    });
    clients.push(after);
    after.subscribe(TypeUrl.Cluster);
    await after.next(TypeUrl.Cluster);
    expect(seenSerial.toUpperCase()).toBe(new X509Certificate(renewed.cert).serialNumber.toUpperCase());
    expect(h.server.envoys(GW_A)).toHaveLength(2);
  });
});

describe('the xDS CA', () => {
  it('issues certificates that chain to it and name their identity; checks expiry and issuer', async () => {
    expect(checkCertificate(clientA.cert, ca.cert)).toMatchObject({ ok: true, uris: [gatewayIdentity(GW_A)] });
    const other = await createCertificateAuthority('other');
    expect(checkCertificate(clientA.cert, other.cert)).toEqual({ ok: false, reason: 'not issued by the current CA' });
    expect(checkCertificate(clientA.cert, ca.cert, new Date(), 2 * 86_400_000)).toMatchObject({ ok: false });
    expect(() => gatewayIdentity('not a key')).toThrow();
  });

  it.each([
    ['RSA 2048', ['-newkey', 'rsa:2048']],
    ['ECDSA P-384', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp384r1']],
  ])('issues from a CA the user made with openssl (%s), and the certificates work for mTLS', async (_name, keyArgs) => {
    const userCa = opensslCa(keyArgs);
    expect(keyMatchesCertificate(userCa.cert, userCa.key)).toBe(true);
    expect(keyMatchesCertificate(userCa.cert, ca.key)).toBe(false);
    expect(checkCertificate(userCa.cert, userCa.cert)).toMatchObject({ ok: true });
    const srv = await issueCertificate(userCa, { commonName: 'gantry-xds', uris: [CONTROLLER_IDENTITY], usage: 'server', validityDays: 1 });
    const cli = await issueCertificate(userCa, { commonName: GW_A, uris: [gatewayIdentity(GW_A)], usage: 'client', validityDays: 1 });
    expect(checkCertificate(cli.cert, userCa.cert)).toMatchObject({ ok: true, uris: [gatewayIdentity(GW_A)] });
    harness = await startHarness({ tls: { certificates: new RotatingCertificateProvider({ ca: userCa.cert, ...srv }) } });
    harness.cache.set(GW_A, snapshot(10080));
    const c = delta(harness, GW_A, tlsCredentials(userCa.cert, cli));
    c.subscribe(TypeUrl.Cluster);
    expect((await c.next(TypeUrl.Cluster)).resources.map((r) => r.name)).toEqual(['c1']);
  });
});
