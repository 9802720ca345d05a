// Self-signed certificates for the TLS traffic tests, made with openssl at test time so that no
// private key is ever committed. The key stays in memory; the temporary directory is removed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificate {
  readonly cert: string;
  readonly key: string;
}

/** An ECDSA P-256 certificate for `commonName`, also its only subjectAltName, valid two days. */
export function selfSignedCertificate(commonName: string): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-cert-'));
  try {
    const keyPath = join(dir, 'tls.key');
    const certPath = join(dir, 'tls.crt');
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', keyPath, '-out', certPath, '-days', '2',
        '-subj', `/CN=${commonName}`, '-addext', `subjectAltName=DNS:${commonName}`,
      ],
      // openssl's progress output is noise; its errors never contain the key.
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    return { cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
