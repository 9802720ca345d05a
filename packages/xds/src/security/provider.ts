// The ADS server's TLS material, swappable at run time: grpc-js applies an update to new
// connections only, so rotating the server certificate (or the CA bundle it trusts) keeps every
// open stream.
import type { experimental } from '@grpc/grpc-js';

type CertificateProvider = experimental.CertificateProvider;
type CaCertificateUpdateListener = experimental.CaCertificateUpdateListener;
type IdentityCertificateUpdateListener = experimental.IdentityCertificateUpdateListener;

export interface ServerTlsMaterial {
  /** PEM bundle of the CAs whose client certificates are accepted. */
  readonly ca: string;
  /** The server's certificate (PEM, chain allowed) and private key. */
  readonly cert: string;
  readonly key: string;
}

export class RotatingCertificateProvider implements CertificateProvider {
  private readonly caListeners = new Set<CaCertificateUpdateListener>();
  private readonly identityListeners = new Set<IdentityCertificateUpdateListener>();

  /** Without material, connections wait (are dropped) until the first `update`. */
  constructor(private material?: ServerTlsMaterial) {}

  get current(): ServerTlsMaterial | undefined {
    return this.material;
  }

  update(material: ServerTlsMaterial): void {
    this.material = material;
    for (const l of this.caListeners) l({ caCertificate: Buffer.from(material.ca) });
    for (const l of this.identityListeners) l({ certificate: Buffer.from(material.cert), privateKey: Buffer.from(material.key) });
  }

  addCaCertificateListener(listener: CaCertificateUpdateListener): void {
    this.caListeners.add(listener);
    // Later, not now: grpc-js registers its own watcher only after adding this listener, and
    // would drop an update delivered synchronously.
    setImmediate(() => {
      if (this.material && this.caListeners.has(listener)) listener({ caCertificate: Buffer.from(this.material.ca) });
    });
  }

  removeCaCertificateListener(listener: CaCertificateUpdateListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: IdentityCertificateUpdateListener): void {
    this.identityListeners.add(listener);
    setImmediate(() => {
      const m = this.material;
      if (m && this.identityListeners.has(listener)) listener({ certificate: Buffer.from(m.cert), privateKey: Buffer.from(m.key) });
    });
  }

  removeIdentityCertificateListener(listener: IdentityCertificateUpdateListener): void {
    this.identityListeners.delete(listener);
  }
}
