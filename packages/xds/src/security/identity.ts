// Who is at the other end of an xDS connection, from its TLS certificate. Certificates issued by
// Gantry's xDS CA carry one URI subject alternative name:
//   spiffe://gantry.dev/ns/<namespace>/gateway/<name>   an Envoy serving that Gateway
//   spiffe://gantry.dev/controller                       the ADS server (what Envoys check)
// The Gateway named in an Envoy's node metadata must be the one its certificate names.
import type { PeerCertificate } from 'node:tls';
import { isGatewayKey } from '../server/node-identity.js';

export const IDENTITY_TRUST_DOMAIN = 'gantry.dev';
export const CONTROLLER_IDENTITY = `spiffe://${IDENTITY_TRUST_DOMAIN}/controller`;
const GATEWAY_IDENTITY = /^spiffe:\/\/gantry\.dev\/ns\/([^/]+)\/gateway\/([^/]+)$/;

/** The identity URI of the Envoys of a Gateway ("namespace/name"). */
export function gatewayIdentity(gatewayKey: string): string {
  const [namespace, name] = gatewayKey.split('/');
  if (!isGatewayKey(gatewayKey) || namespace === undefined || name === undefined) throw new Error(`not a Gateway key: ${gatewayKey}`);
  return `spiffe://${IDENTITY_TRUST_DOMAIN}/ns/${namespace}/gateway/${name}`;
}

/** The URI SANs of a certificate as Node reports them ("URI:a, DNS:b, ..."). */
export function uriSans(subjectAltName: string | undefined): string[] {
  if (!subjectAltName) return [];
  return subjectAltName
    .split(/,\s*/)
    .filter((entry) => entry.startsWith('URI:'))
    .map((entry) => entry.slice('URI:'.length));
}

/** The Gateway keys a (verified) peer certificate identifies. */
export function gatewayKeysOfCertificate(cert: Pick<PeerCertificate, 'subjectaltname'> | undefined): string[] {
  const out: string[] = [];
  for (const uri of uriSans(cert?.subjectaltname)) {
    const m = GATEWAY_IDENTITY.exec(uri);
    if (m && isGatewayKey(`${m[1]}/${m[2]}`)) out.push(`${m[1]}/${m[2]}`);
  }
  return out;
}
