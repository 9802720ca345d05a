// TLSSecretIR -> envoy.extensions.transport_sockets.tls.v3.Secret (served over SDS on ADS).
import type { TLSSecretIR } from '@gantry/ir';
import { Secret } from '@gantry/envoy-xds-proto/generated/envoy/extensions/transport_sockets/tls/v3/secret';

export function buildSecret(s: TLSSecretIR): Secret {
  return Secret.fromPartial({
    name: s.name,
    type: {
      $case: 'tlsCertificate',
      tlsCertificate: {
        certificateChain: { specifier: { $case: 'inlineString', inlineString: s.certificateChain } },
        privateKey: { specifier: { $case: 'inlineString', inlineString: s.privateKey } },
      },
    },
  });
}
