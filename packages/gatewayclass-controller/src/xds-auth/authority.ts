// The controller's side of authenticated xDS: the CA (kept in a Secret in the controller's
// namespace, created on first start unless the user put one there), the ADS server's own
// certificate (issued at start by each replica, renewed in place: open streams stay up), and
// client certificates for each Gateway's Envoys (see client-secret.ts).
import type { V1Secret } from '@kubernetes/client-node';
import { CORE_KINDS, KubeApiError, collectionPath, errorFromResponse, isJsonObject, objectPath, requestJson, type KubeAccess } from '@gantry/kube';
import {
  CONTROLLER_IDENTITY,
  RotatingCertificateProvider,
  checkCertificate,
  createCertificateAuthority,
  issueCertificate,
  keyMatchesCertificate,
  type CertificateAndKey,
} from '@gantry/xds';
import type { Logger } from '../log.js';

export const DEFAULT_XDS_CA_SECRET = 'gantry-xds-ca';
/** Lifetimes: the CA ten years, the server a week (renewed in place), Gateways a year. */
export const CA_VALIDITY_DAYS = 3650;
export const SERVER_VALIDITY_DAYS = 7;
export const CLIENT_VALIDITY_DAYS = 365;
/** A client certificate with less than this left is issued again at the next reconcile. */
export const CLIENT_RENEW_BEFORE_MS = 30 * 86_400_000;

export interface XdsAuthorityOptions {
  readonly kubeConfig: KubeAccess;
  readonly namespace: string;
  /** Default gantry-xds-ca. */
  readonly secretName?: string;
  /** DNS names and IP addresses for the server certificate (Envoys check its URI, not these). */
  readonly serverNames?: readonly string[];
  readonly logger: Logger;
}

/** A Secret, or undefined when there is none (404); other answers are KubeApiErrors. */
export async function readSecret(kc: KubeAccess, namespace: string, name: string): Promise<V1Secret | undefined> {
  const path = objectPath(CORE_KINDS.Secret, namespace, name);
  const r = await requestJson(kc, path);
  if (r.status === 404) return undefined;
  if (r.status < 200 || r.status >= 300 || !isJsonObject(r.body)) throw errorFromResponse(r.status, r.body, `GET ${path}`);
  return r.body as unknown as V1Secret;
}

/** Creates a Secret; a KubeApiError with statusCode 409 when it exists. */
export async function createSecret(kc: KubeAccess, secret: V1Secret): Promise<void> {
  const path = collectionPath(CORE_KINDS.Secret, secret.metadata?.namespace ?? 'default');
  const r = await requestJson(kc, path, { method: 'POST', body: secret });
  if (r.status < 200 || r.status >= 300) throw errorFromResponse(r.status, r.body, `POST ${path}`);
}

export class XdsAuthority {
  readonly provider = new RotatingCertificateProvider();
  private caPair: CertificateAndKey | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  readonly secretName: string;

  constructor(private readonly opts: XdsAuthorityOptions) {
    this.secretName = opts.secretName ?? DEFAULT_XDS_CA_SECRET;
  }

  /** The CA in use (after start). */
  get ca(): CertificateAndKey {
    if (!this.caPair) throw new Error('the xDS CA is not loaded yet');
    return this.caPair;
  }

  /** Loads or creates the CA Secret and issues the server certificate. */
  async start(): Promise<void> {
    try {
      this.caPair = await this.loadOrCreateCa();
    } catch (e) {
      const reason = e instanceof KubeApiError && e.statusCode !== undefined ? `HTTP ${e.statusCode}: ${e.message}` : e instanceof Error ? e.message : String(e);
      throw new Error(`xDS CA: cannot load or create Secret ${this.opts.namespace}/${this.secretName} (${reason}); create the namespace, grant get/create on that Secret, or pass --xds-insecure`);
    }
    await this.renewServerCertificate();
  }

  stop(): void {
    clearTimeout(this.renewTimer);
    this.renewTimer = undefined;
  }

  /** Issues a new server certificate now (and schedules the next renewal at two thirds of its life). */
  async renewServerCertificate(): Promise<void> {
    const names = this.opts.serverNames ?? [];
    const ips = names.filter((n) => /^[\d.]+$/.test(n) || n.includes(':'));
    const dnsNames = names.filter((n) => !ips.includes(n));
    const server = await issueCertificate(this.ca, {
      commonName: 'gantry-xds', uris: [CONTROLLER_IDENTITY], dnsNames, ips, usage: 'server', validityDays: SERVER_VALIDITY_DAYS,
    });
    this.provider.update({ ca: this.ca.cert, ...server });
    clearTimeout(this.renewTimer);
    this.renewTimer = setTimeout(() => {
      this.renewServerCertificate().catch((e: unknown) => this.opts.logger.error('renewing the xDS server certificate failed', { error: String(e) }));
    }, (SERVER_VALIDITY_DAYS * 86_400_000 * 2) / 3);
    this.renewTimer.unref();
    this.opts.logger.info('xDS server certificate issued', { identity: CONTROLLER_IDENTITY, validDays: SERVER_VALIDITY_DAYS });
  }

  private async loadOrCreateCa(): Promise<CertificateAndKey> {
    const { namespace } = this.opts;
    const name = this.secretName;
    const existing = await this.readSecret();
    if (existing) return this.caFromSecret(existing);
    const ca = await createCertificateAuthority(`gantry-xds-ca (${namespace})`, CA_VALIDITY_DAYS);
    const secret: V1Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      // Opaque, not kubernetes.io/tls: the translator watches TLS Secrets, and a Gateway in this
      // namespace that named this one as its certificate would hand the CA key to its Envoy.
      type: 'Opaque',
      metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'gantry', 'app.kubernetes.io/component': 'xds-ca' } },
      stringData: { 'tls.crt': ca.cert, 'tls.key': ca.key },
    };
    try {
      await createSecret(this.opts.kubeConfig, secret);
      this.opts.logger.info('created the xDS CA', { secret: `${namespace}/${name}` });
      return ca;
    } catch (e) {
      // Another replica created it first: use theirs.
      if (e instanceof KubeApiError && e.statusCode === 409) {
        const theirs = await this.readSecret();
        if (theirs) return this.caFromSecret(theirs);
      }
      throw e;
    }
  }

  private caFromSecret(secret: V1Secret): CertificateAndKey {
    const where = `${this.opts.namespace}/${this.secretName}`;
    const decode = (key: string): string => Buffer.from(secret.data?.[key] ?? '', 'base64').toString('utf8');
    const cert = decode('tls.crt');
    const key = decode('tls.key');
    if (!cert || !key) throw new Error(`Secret ${where} must hold the xDS CA as tls.crt and tls.key`);
    if (!keyMatchesCertificate(cert, key)) throw new Error(`Secret ${where}: tls.key is not the key of tls.crt`);
    const check = checkCertificate(cert, cert);
    if (!check.ok) throw new Error(`Secret ${where}: the CA certificate cannot be used (${check.reason}; it must be self-signed or carry its own issuer first)`);
    this.opts.logger.info('using the xDS CA', { secret: where, notAfter: check.notAfter.toISOString() });
    return { cert, key };
  }

  private readSecret(): Promise<V1Secret | undefined> {
    return readSecret(this.opts.kubeConfig, this.opts.namespace, this.secretName);
  }
}
