// A small certificate authority for xDS: the controller creates (or is given) a CA, issues the
// ADS server a certificate for each start, and each Gateway's Envoys a client certificate that
// names the Gateway (see identity.ts). Leaf keys are ECDSA P-256; a CA the user supplies may be
// ECDSA (P-256/P-384) or RSA.
// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { createPrivateKey, KeyObject, randomBytes, webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate,
  X509CertificateGenerator,
  type JsonGeneralName,
} from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type EcdsaParams = webcrypto.EcdsaParams;
type RsaHashedImportParams = webcrypto.RsaHashedImportParams;
const subtle = webcrypto.subtle;
// @peculiar/x509 is typed against the DOM's Crypto; Node's webcrypto is the same API.
const crypto = webcrypto as unknown as Parameters<typeof X509CertificateGenerator.create>[1];
const LEAF_KEY: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const DAY_MS = 86_400_000;

/** PEM-encoded certificate and PKCS#8 private key. */
export interface CertificateAndKey {
  readonly cert: string;
  readonly key: string;
}

export interface IssueOptions {
  readonly commonName: string;
  readonly uris?: readonly string[];
  readonly dnsNames?: readonly string[];
  readonly ips?: readonly string[];
  readonly usage: 'server' | 'client';
  readonly validityDays: number;
  /** Default: now. */
  readonly now?: Date;
}

/** A new self-signed ECDSA P-256 CA. */
export async function createCertificateAuthority(commonName: string, validityDays = 3650, now = new Date()): Promise<CertificateAndKey> {
  const keys = (await subtle.generateKey(LEAF_KEY, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serialNumber(),
      name: `CN=${commonName}`,
      notBefore: new Date(now.getTime() - 5 * 60_000),
      notAfter: new Date(now.getTime() + validityDays * DAY_MS),
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [
        new BasicConstraintsExtension(true, 0, true),
        new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
        await SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  return { cert: cert.toString('pem'), key: await exportKey(keys.privateKey) };
}

/** Issues a leaf certificate signed by `ca`. */
export async function issueCertificate(ca: CertificateAndKey, o: IssueOptions): Promise<CertificateAndKey> {
  const caCert = new X509Certificate(ca.cert);
  const signing = await importSigningKey(ca.key);
  const keys = (await subtle.generateKey(LEAF_KEY, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = o.now ?? new Date();
  const names: JsonGeneralName[] = [
    ...(o.uris ?? []).map((value) => ({ type: 'url' as const, value })),
    ...(o.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(o.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const cert = await X509CertificateGenerator.create(
    {
      serialNumber: serialNumber(),
      subject: `CN=${o.commonName}`,
      issuer: caCert.subject,
      notBefore: new Date(now.getTime() - 5 * 60_000),
      notAfter: new Date(now.getTime() + o.validityDays * DAY_MS),
      publicKey: keys.publicKey,
      signingKey: signing.key,
      signingAlgorithm: signing.algorithm,
      extensions: [
        new BasicConstraintsExtension(false, undefined, true),
        new KeyUsagesExtension(KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment, true),
        new ExtendedKeyUsageExtension([o.usage === 'server' ? ExtendedKeyUsage.serverAuth : ExtendedKeyUsage.clientAuth], false),
        ...(names.length > 0 ? [new SubjectAlternativeNameExtension(names, false)] : []),
        await SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
        await AuthorityKeyIdentifierExtension.create(caCert, false, crypto),
      ],
    },
    crypto,
  );
  return { cert: cert.toString('pem'), key: await exportKey(keys.privateKey) };
}

export type CertificateCheck =
  | { readonly ok: true; readonly notAfter: Date; readonly uris: readonly string[] }
  | { readonly ok: false; readonly reason: string };

/**
 * Whether `certPem` was issued by `caPem`, is valid at `now` and stays valid for `minRemainingMs`.
 * Used to decide whether a stored certificate can be kept or must be issued again.
 */
export function checkCertificate(certPem: string, caPem: string, now = new Date(), minRemainingMs = 0): CertificateCheck {
  let cert: NodeX509;
  let ca: NodeX509;
  try {
    cert = new NodeX509(certPem);
    ca = new NodeX509(caPem);
  } catch (e) {
    return { ok: false, reason: `unreadable certificate: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return { ok: false, reason: 'not issued by the current CA' };
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  if (now < notBefore) return { ok: false, reason: 'not valid yet' };
  if (notAfter.getTime() - now.getTime() <= minRemainingMs) return { ok: false, reason: `expires ${notAfter.toISOString()}` };
  const uris = (cert.subjectAltName ?? '').split(/,\s*/).filter((s) => s.startsWith('URI:')).map((s) => s.slice(4));
  return { ok: true, notAfter, uris };
}

/** Whether `key` is the private key of `cert` (a CA Secret the user supplies must hold a pair). */
export function keyMatchesCertificate(certPem: string, keyPem: string): boolean {
  try {
    return new NodeX509(certPem).checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

async function importSigningKey(pem: string): Promise<{ key: CryptoKey; algorithm: EcdsaParams | RsaHashedImportParams }> {
  const keyObject = createPrivateKey(pem);
  const der = keyObject.export({ type: 'pkcs8', format: 'der' });
  if (keyObject.asymmetricKeyType === 'ec') {
    const curve = keyObject.asymmetricKeyDetails?.namedCurve;
    const namedCurve = curve === 'prime256v1' ? 'P-256' : curve === 'secp384r1' ? 'P-384' : undefined;
    if (namedCurve === undefined) throw new Error(`unsupported CA key curve ${curve ?? '(unknown)'}`);
    const key = await subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve }, false, ['sign']);
    return { key, algorithm: { name: 'ECDSA', hash: namedCurve === 'P-384' ? 'SHA-384' : 'SHA-256' } };
  }
  if (keyObject.asymmetricKeyType === 'rsa') {
    const algorithm: RsaHashedImportParams = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    const key = await subtle.importKey('pkcs8', der, algorithm, false, ['sign']);
    return { key, algorithm };
  }
  throw new Error(`unsupported CA key type ${keyObject.asymmetricKeyType ?? '(unknown)'}`);
}

async function exportKey(key: CryptoKey): Promise<string> {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** 16 random bytes, positive (RFC 5280 wants a positive integer). */
function serialNumber(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f;
  return b.toString('hex');
}
