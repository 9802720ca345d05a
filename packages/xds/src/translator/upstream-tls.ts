// ClusterIR.tls (and StaticHostIR.sni) -> the cluster's transport socket: TLS with the cluster's
// SNI and, with `verify` (BackendTLSPolicy), a validation context (trusted CA, SAN matchers), and
// one transport_socket_matches entry per other SNI a host names.
//
// Envoy picks a host's socket by matching the host's `envoy.transport_socket_match` metadata
// against each entry's `match`; hosts that match none use the cluster's transport_socket.
import type { ClusterIR, StaticHostIR, UpstreamProtocol, UpstreamTlsIR, UpstreamTlsVerifyIR } from '@gantry/ir';
import { SubjectAltNameMatcher_SanType } from '@gantry/envoy-xds-proto/generated/envoy/extensions/transport_sockets/tls/v3/common';
import { UpstreamTlsContext } from '@gantry/envoy-xds-proto/generated/envoy/extensions/transport_sockets/tls/v3/tls';
import { packAny } from '@gantry/envoy-xds-proto/any';
import type { CertificateValidationContext, Cluster, CommonTlsContext, TransportSocket } from '@gantry/envoy-xds-proto';
import { ADS_CONFIG_SOURCE, type DeepPartial } from './proto.js';

export const TLS_TRANSPORT_SOCKET = 'envoy.transport_sockets.tls';

/** The system trust bundle in the Envoy image (Debian/Ubuntu layout, as in envoyproxy/envoy). */
export const SYSTEM_CA_FILE = '/etc/ssl/certs/ca-certificates.crt';

/** Envoy checks the chain (trusted_ca) and that the certificate carries one of the SANs. */
function validationContext(v: UpstreamTlsVerifyIR): DeepPartial<CertificateValidationContext> {
  return {
    trustedCa: v.systemCA === true ? { specifier: { $case: 'filename', filename: SYSTEM_CA_FILE } } : { specifier: { $case: 'inlineString', inlineString: v.trustedCA ?? '' } },
    matchTypedSubjectAltNames: v.subjectAltNames.map((san) => ({
      sanType: san.type === 'dns' ? SubjectAltNameMatcher_SanType.DNS : SubjectAltNameMatcher_SanType.URI,
      matcher: { matchPattern: { $case: 'exact', exact: san.value } },
    })),
  };
}

/** The key of a host's metadata (under `envoy.transport_socket_match`) that selects its SNI. */
export const SNI_MATCH_KEY = 'sni';

function tlsSocket(sni: string | undefined, protocol: UpstreamProtocol, verify: UpstreamTlsVerifyIR | undefined, clientCertificate?: string): DeepPartial<TransportSocket> {
  const common: DeepPartial<CommonTlsContext> = {};
  // The Gateway's backend client certificate (spec.tls.backend), served over ADS like listener certificates.
  if (clientCertificate !== undefined) common.tlsCertificateSdsSecretConfigs = [{ name: clientCertificate, sdsConfig: ADS_CONFIG_SOURCE }];
  // HTTP/2 over TLS is negotiated by ALPN: servers that offer both speak HTTP/1.1 without it.
  if (protocol === 'h2c') common.alpnProtocols = ['h2'];
  if (verify !== undefined) common.validationContextType = { $case: 'validationContext', validationContext: validationContext(verify) };
  return {
    name: TLS_TRANSPORT_SOCKET,
    configType: {
      $case: 'typedConfig',
      typedConfig: packAny(UpstreamTlsContext.fromPartial({ sni: sni ?? '', commonTlsContext: common })),
    },
  };
}

/** The SNI a host needs a socket of its own for: with TLS, one it names that the cluster does not send. */
function ownSni(host: StaticHostIR, tls: UpstreamTlsIR | undefined): string | undefined {
  return tls !== undefined && host.sni !== undefined && host.sni !== tls.sni ? host.sni : undefined;
}

/** The metadata a host carries to select its socket, if it needs one of its own. */
export function hostSocketMatch(host: StaticHostIR, tls: UpstreamTlsIR | undefined): { [key: string]: string } | undefined {
  const sni = ownSni(host, tls);
  return sni === undefined ? undefined : { [SNI_MATCH_KEY]: sni };
}

/** transport_socket and transport_socket_matches; nothing without TLS (plaintext is Envoy's default). */
export function tlsFields(c: ClusterIR): DeepPartial<Cluster> {
  if (c.tls === undefined) return {};
  const out: DeepPartial<Cluster> = { transportSocket: tlsSocket(c.tls.sni, c.protocol, c.tls.verify, c.tls.clientCertificate) };
  const hostSnis = new Set<string>();
  for (const h of c.discovery?.hosts ?? []) {
    const sni = ownSni(h, c.tls);
    if (sni !== undefined) hostSnis.add(sni);
  }
  if (hostSnis.size > 0) {
    out.transportSocketMatches = [...hostSnis].sort().map((sni) => ({
      // Match names appear in stats (cluster.<name>.<match>.*); the SNI keeps them readable.
      name: `sni:${sni}`,
      match: { [SNI_MATCH_KEY]: sni },
      transportSocket: tlsSocket(sni, c.protocol, c.tls?.verify, c.tls?.clientCertificate),
    }));
  }
  return out;
}
