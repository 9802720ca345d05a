// The kubelet endpoint's serving certificate: an ECDSA P-256 key and a certificate for the node's
// address and name, signed by the cluster CA when its key is at hand (cluster-up's pki/), else
// self-signed (the API server does not verify kubelet certificates unless told to). Made with
// the openssl CLI (Node has no X.509 writer). The key stays in the state dir (0600) and is never
// logged.
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { run } from '../exec.js';

export interface ServingCertOptions {
  readonly dir: string;
  readonly nodeName: string;
  readonly nodeIP: string;
  readonly caCertFile?: string;
  readonly caKeyFile?: string;
  readonly days?: number;
}

export interface ServingCert {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** The cluster CA, also used to verify client certificates (the API server's). */
  readonly ca?: Buffer;
}

export async function createServingCert(opts: ServingCertOptions): Promise<ServingCert> {
  await mkdir(opts.dir, { recursive: true, mode: 0o700 });
  const keyFile = join(opts.dir, 'kubelet.key');
  const certFile = join(opts.dir, 'kubelet.crt');
  const csrFile = join(opts.dir, 'kubelet.csr');
  const extFile = join(opts.dir, 'kubelet.ext');
  const days = String(opts.days ?? 365);
  const subject = `/O=system:nodes/CN=system:node:${opts.nodeName}`;
  const san = `subjectAltName=IP:${opts.nodeIP},DNS:${opts.nodeName}`;
  await run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyFile]);
  await chmod(keyFile, 0o600);
  if (opts.caCertFile && opts.caKeyFile) {
    await writeFile(extFile, `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n${san}\n`);
    await run('openssl', ['req', '-new', '-key', keyFile, '-subj', subject, '-out', csrFile]);
    // An explicit serial: -CAcreateserial would write a serial file next to someone else's CA.
    await run('openssl', ['x509', '-req', '-in', csrFile, '-CA', opts.caCertFile, '-CAkey', opts.caKeyFile, '-set_serial', `0x${randomBytes(16).toString('hex')}`, '-sha256', '-days', days, '-extfile', extFile, '-out', certFile]);
    await rm(csrFile, { force: true });
    await rm(extFile, { force: true });
  } else {
    await run('openssl', ['req', '-x509', '-new', '-key', keyFile, '-subj', subject, '-sha256', '-days', days, '-addext', san, '-addext', 'extendedKeyUsage=serverAuth', '-out', certFile]);
  }
  const [cert, key, ca] = await Promise.all([readFile(certFile), readFile(keyFile), opts.caCertFile ? readFile(opts.caCertFile) : undefined]);
  return { cert, key, ...(ca ? { ca } : {}) };
}
