// Each Gateway's xDS client certificate, in a Secret next to its Envoy Deployment (mounted into
// the Pod): tls.crt and tls.key name the Gateway (spiffe://gantry.dev/ns/<ns>/gateway/<name>),
// ca.crt is the xDS CA (never its key). Kept while it chains to the current CA, names the right
// Gateway and has more than 30 days left; otherwise replaced (delete, then create: the
// controller may create Secrets but never modify one, so it cannot alter a Secret it did not make).
import { createHash } from 'node:crypto';
import type { V1OwnerReference, V1Secret } from '@kubernetes/client-node';
import { CORE_KINDS, deleteIfUnchanged, type KubeAccess } from '@gantry/kube';
import { checkCertificate, gatewayIdentity, issueCertificate, type CertificateAndKey } from '@gantry/xds';
import { CLIENT_RENEW_BEFORE_MS, CLIENT_VALIDITY_DAYS, createSecret, readSecret } from './authority.js';

export const XDS_CLIENT_CA_KEY = 'ca.crt';
export const XDS_CLIENT_CERT_KEY = 'tls.crt';
export const XDS_CLIENT_KEY_KEY = 'tls.key';

/** What the Deployment needs to mount it: its name, and a revision that changes with the certificate. */
export interface XdsClientSecretRef {
  readonly secretName: string;
  readonly revision: string;
}

export function xdsClientSecretName(infrastructureName: string): string {
  return `${infrastructureName}-xds`;
}

export interface EnsureClientSecretInput {
  readonly gatewayKey: string;
  readonly namespace: string;
  readonly infrastructureName: string;
  readonly labels: Record<string, string>;
  /** The Gateway's infrastructure annotations, as its other objects carry them. */
  readonly annotations?: Record<string, string>;
  readonly owner: V1OwnerReference;
}

/** Issues and stores client certificates; `ca` is read at each call (the CA may be replaced). */
export class XdsClientSecrets {
  constructor(private readonly kubeConfig: KubeAccess, private readonly ca: () => CertificateAndKey) {}

  async ensure(input: EnsureClientSecretInput, now = new Date()): Promise<XdsClientSecretRef> {
    const name = xdsClientSecretName(input.infrastructureName);
    const ca = this.ca();
    const identity = gatewayIdentity(input.gatewayKey);
    const existing = await readSecret(this.kubeConfig, input.namespace, name);
    if (existing) {
      const data = decode(existing);
      const check = checkCertificate(data[XDS_CLIENT_CERT_KEY] ?? '', ca.cert, now, CLIENT_RENEW_BEFORE_MS);
      if (check.ok && check.uris.includes(identity) && data[XDS_CLIENT_CA_KEY] === ca.cert && data[XDS_CLIENT_KEY_KEY]) {
        return { secretName: name, revision: revision(data[XDS_CLIENT_CERT_KEY] ?? '') };
      }
      // Gone or replaced meanwhile (404, 409): create ours below all the same.
      const uid = existing.metadata?.uid;
      await deleteIfUnchanged(this.kubeConfig, CORE_KINDS.Secret, input.namespace, name, uid !== undefined ? { uid } : {}, 'Background');
    }
    const issued = await issueCertificate(ca, { commonName: input.gatewayKey, uris: [identity], usage: 'client', validityDays: CLIENT_VALIDITY_DAYS, now });
    const secret: V1Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: {
        name,
        namespace: input.namespace,
        labels: input.labels,
        ...(input.annotations && Object.keys(input.annotations).length > 0 ? { annotations: input.annotations } : {}),
        ownerReferences: [input.owner],
      },
      stringData: { [XDS_CLIENT_CA_KEY]: ca.cert, [XDS_CLIENT_CERT_KEY]: issued.cert, [XDS_CLIENT_KEY_KEY]: issued.key },
    };
    await createSecret(this.kubeConfig, secret);
    return { secretName: name, revision: revision(issued.cert) };
  }
}

function decode(secret: V1Secret): Record<string, string> {
  return Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

function revision(certPem: string): string {
  return createHash('sha256').update(certPem).digest('hex').slice(0, 16);
}
