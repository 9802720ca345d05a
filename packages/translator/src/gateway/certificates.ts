// TLS certificates from Secrets: both PEM blocks must parse and the key must match the leaf
// certificate. Node's crypto parses without I/O or clock (expiry is deliberately not checked:
// it would make the translation depend on time). Results are memoised per Secret object.
// Messages never include key material.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { secretName, type TLSSecretIR } from '@gantry/ir';
import type { Secret } from '@gantry/api';

export type CertificateResult = { readonly ok: true; readonly secret: TLSSecretIR } | { readonly ok: false; readonly message: string };

const memo = new WeakMap<Secret, CertificateResult>();

export function tlsSecretOf(secret: Secret): CertificateResult {
  let r = memo.get(secret);
  if (!r) {
    r = parse(secret);
    memo.set(secret, r);
  }
  return r;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function parse(secret: Secret): CertificateResult {
  const ns = secret.metadata.namespace ?? 'default';
  const where = `Secret ${ns}/${secret.metadata.name}`;
  const cert = value(secret, 'tls.crt');
  const key = value(secret, 'tls.key');
  if (cert === undefined || key === undefined) return { ok: false, message: `${where} lacks tls.crt or tls.key` };
  const blocks = cert.match(PEM_CERT) ?? [];
  if (blocks.length === 0) return { ok: false, message: `${where}: tls.crt holds no PEM certificate` };
  let leaf: X509Certificate;
  try {
    const parsed = blocks.map((b) => new X509Certificate(b));
    leaf = parsed[0] as X509Certificate;
  } catch {
    return { ok: false, message: `${where}: tls.crt is not a valid PEM certificate chain` };
  }
  try {
    const privateKey = createPrivateKey({ key, format: 'pem' });
    if (!leaf.checkPrivateKey(privateKey)) return { ok: false, message: `${where}: tls.key does not match the certificate` };
  } catch {
    return { ok: false, message: `${where}: tls.key is not a valid PEM private key` };
  }
  return { ok: true, secret: { name: secretName(ns, secret.metadata.name), certificateChain: cert, privateKey: key } };
}

function value(secret: Secret, k: string): string | undefined {
  const plain = secret.stringData?.[k];
  if (plain !== undefined) return plain;
  const b64 = secret.data?.[k];
  if (b64 === undefined) return undefined;
  return Buffer.from(b64, 'base64').toString('utf8');
}

/** A CA bundle (PEM): every certificate in it must parse; at least one. Normalised to its blocks. */
export function caBundleOf(pem: string): { readonly ok: true; readonly pem: string } | { readonly ok: false; readonly message: string } {
  const blocks = pem.match(PEM_CERT) ?? [];
  if (blocks.length === 0) return { ok: false, message: 'holds no PEM certificate' };
  try {
    for (const b of blocks) new X509Certificate(b);
  } catch {
    return { ok: false, message: 'is not a valid PEM certificate bundle' };
  }
  return { ok: true, pem: `${blocks.join('\n')}\n` };
}
