// Ready endpoints of a Service port, from its EndpointSlices (label kubernetes.io/service-name).
// Slice ports are matched by the Service port's name; an endpoint is used unless it is marked
// not ready (conditions.ready unset means ready, per the EndpointSlice API). Terminating
// endpoints are reported not ready by Kubernetes and so are left out.
import type { ClusterEndpointsIR, EndpointIR } from '@gantry/ir';
import type { EndpointSlice } from '../api/core.js';
import { compareStrings } from './sorted.js';

export function clusterEndpoints(cluster: string, portName: string, slices: Iterable<EndpointSlice>): ClusterEndpointsIR {
  const seen = new Set<string>();
  const endpoints: EndpointIR[] = [];
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue;
    const port = (slice.ports ?? []).find((p) => (p.name ?? '') === portName)?.port;
    if (port === undefined || port === null) continue;
    for (const ep of slice.endpoints ?? []) {
      if (ep.conditions?.ready === false) continue;
      const address = ep.addresses?.[0];
      if (!address) continue;
      const k = `${address}|${port}`;
      if (seen.has(k)) continue;
      seen.add(k);
      endpoints.push({ address, port });
    }
  }
  endpoints.sort((a, b) => compareStrings(a.address, b.address) || a.port - b.port);
  return { cluster, endpoints };
}
