// ClusterEndpointsIR -> envoy.config.endpoint.v3.ClusterLoadAssignment.
import type { ClusterEndpointsIR } from '@gantry/ir';
import { ClusterLoadAssignment } from '@gantry/envoy-xds-proto';

export function buildLoadAssignment(e: ClusterEndpointsIR): ClusterLoadAssignment {
  return ClusterLoadAssignment.fromPartial({
    clusterName: e.cluster,
    endpoints:
      e.endpoints.length === 0
        ? []
        : [
            {
              lbEndpoints: e.endpoints.map((ep) => ({
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
