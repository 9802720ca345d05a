// ClusterEndpointsIR -> envoy.config.endpoint.v3.ClusterLoadAssignment.
import type { ClusterEndpointsIR } from '@gantry/ir';
import { ClusterLoadAssignment } from '@gantry/envoy-xds-proto';
import { sharedWriter } from './wire.js';

/** A port Envoy accepts for an upstream endpoint; others are left out rather than failing the update. */
function validPort(port: number): boolean {
  return Number.isInteger(port) && port > 0 && port <= 65535;
}

/** The message, built with the generated types (reference for the encoder below, JSON, tests). */
export function buildLoadAssignment(e: ClusterEndpointsIR): ClusterLoadAssignment {
  const usable = e.endpoints.filter((ep) => validPort(ep.port));
  return ClusterLoadAssignment.fromPartial({
    clusterName: e.cluster,
    endpoints:
      usable.length === 0
        ? []
        : [
            {
              lbEndpoints: usable.map((ep) => ({
                hostIdentifier: {
                  $case: 'endpoint',
                  endpoint: {
                    address: {
                      address: {
                        $case: 'socketAddress',
                        socketAddress: { address: ep.address, portSpecifier: { $case: 'portValue', portValue: ep.port } },
                      },
                    },
                  },
                },
              })),
            },
          ],
  });
}

/**
 * The same message encoded directly: endpoints are the bulk of a large snapshot (and the part
 * that churns), and skipping the intermediate objects makes this several times faster. Produces
 * exactly the bytes of `ClusterLoadAssignment.encode(buildLoadAssignment(e))` (tested).
 *
 *   ClusterLoadAssignment { cluster_name = 1; endpoints = 2 (LocalityLbEndpoints) }
 *   LocalityLbEndpoints { lb_endpoints = 2 (LbEndpoint) }      LbEndpoint { endpoint = 1 }
 *   Endpoint { address = 1 }    Address { socket_address = 1 }    SocketAddress { address = 2; port_value = 3 }
 */
export function encodeLoadAssignment(e: ClusterEndpointsIR): Uint8Array {
  const w = sharedWriter();
  if (e.cluster !== '') w.uint32(10).string(e.cluster);
  if (e.endpoints.some((ep) => validPort(ep.port))) {
    w.uint32(18).fork();
    for (const ep of e.endpoints) {
      if (!validPort(ep.port)) continue;
      w.uint32(18).fork().uint32(10).fork().uint32(10).fork().uint32(10).fork();
      if (ep.address !== '') w.uint32(18).string(ep.address);
      w.uint32(24).uint32(ep.port);
      w.join().join().join().join();
    }
    w.join();
  }
  return w.finish();
}
