// ClusterIR.tls (and StaticHostIR.sni) -> the cluster's transport socket: TLS with the cluster's
// SNI, and one transport_socket_matches entry per other SNI a host names.
//
// Envoy picks a host's socket by matching the host's `envoy.transport_socket_match` metadata
// against each entry's `match`; hosts that match none use the cluster's transport_socket.
import type { ClusterIR, StaticHostIR, UpstreamProtocol, UpstreamTlsIR } from '@gantry/ir';
import { UpstreamTlsContext, packAny } from '@gantry/envoy-xds-proto';
import type { Cluster, TransportSocket } from '@gantry/envoy-xds-proto';
import type { DeepPartial } from './proto.js';

export const TLS_TRANSPORT_SOCKET = 'envoy.transport_sockets.tls';

/** The key of a host's metadata (under `envoy.transport_socket_match`) that selects its SNI. */
export const SNI_MATCH_KEY = 'sni';

function tlsSocket(sni: string | undefined, protocol: UpstreamProtocol): DeepPartial<TransportSocket> {
  return {
    name: TLS_TRANSPORT_SOCKET,
    configType: {
      $case: 'typedConfig',
      typedConfig: packAny(
        UpstreamTlsContext.fromPartial({
          sni: sni ?? '',
          // HTTP/2 over TLS is negotiated by ALPN: servers that offer both speak HTTP/1.1 without it.
          commonTlsContext: protocol === 'h2c' ? { alpnProtocols: ['h2'] } : {},
        }),
      ),
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
  const out: DeepPartial<Cluster> = { transportSocket: tlsSocket(c.tls.sni, c.protocol) };
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
      transportSocket: tlsSocket(sni, c.protocol),
    }));
  }
  return out;
}
