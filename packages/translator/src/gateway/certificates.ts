// TLS certificates from Secrets: both PEM blocks must parse and the key must match the leaf
// certificate. Node's crypto parses without I/O or clock (expiry is deliberately not checked:
// it would make the translation depend on time). Results are memoised per Secret object.
// Messages never include key material.
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { secretName, type TLSSecretIR } from '@gantry/ir';
import { quoteValue, type Secret } from '@gantry/api';

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
  // The controller watches only TLS Secrets (the kind table's field selector): file modes agree.
  if (secret.type !== 'kubernetes.io/tls') {
    return { ok: false, message: `${where} is of type ${secret.type === undefined ? '(none)' : quoteValue(secret.type)}; certificates must be in Secrets of type kubernetes.io/tls` };
  }
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
    const unsupported = keyProblem(privateKey);
    if (unsupported) return { ok: false, message: `${where}: ${unsupported}` };
  } catch {
    return { ok: false, message: `${where}: tls.key is not a valid PEM private key` };
  }
  // Only the certificate blocks: anything else in tls.crt (a private key pasted there, say) is
  // neither served nor printed.
  const certificateChain = `${blocks.join('\n')}\n`;
  return { ok: true, secret: { name: secretName(ns, secret.metadata.name), certificateChain, privateKey: key } };
}

/** Curves Envoy (BoringSSL) serves ECDSA certificates on. */
const CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1']);

/** Key types and sizes Envoy refuses (and with them the whole listener). */
function keyProblem(key: KeyObject): string | undefined {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails;
  if (type === 'rsa') {
    const bits = details?.modulusLength ?? 0;
    if (bits < 2048 || bits > 16384) return `RSA keys must have 2048 to 16384 bits (this one has ${bits})`;
    return undefined;
  }
  if (type === 'ec') {
    const curve = details?.namedCurve ?? 'unknown';
    if (!CURVES.has(curve)) return `ECDSA keys must be on P-256, P-384 or P-521 (this one is on ${curve})`;
    return undefined;
  }
  return `keys of type ${type ?? 'unknown'} are not supported (RSA or ECDSA only)`;
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
