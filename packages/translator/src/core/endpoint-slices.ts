// Ready endpoints of a Service port, from its EndpointSlices (label kubernetes.io/service-name):
// Slice ports are matched by the Service port's name; an endpoint is used unless it is marked
// not ready (conditions.ready unset means ready, per the EndpointSlice API). Terminating
// endpoints are reported not ready by Kubernetes and so are left out. Sorted by address, then
// port; duplicates (the same address in two slices) merged. `keep`, when given, also filters
// endpoints (an Upstream's pod selector).
import type { ClusterEndpointsIR, EndpointIR } from '@gantry/ir';
import { isIP } from './envoy-limits.js';
import type { Endpoint, EndpointSlice } from '@gantry/api';

export type EndpointFilter = (slice: EndpointSlice, endpoint: Endpoint) => boolean;

export function clusterEndpoints(cluster: string, portName: string, slices: readonly EndpointSlice[], keep?: EndpointFilter): ClusterEndpointsIR {
  // Two passes (count, then fill: the list is made at its size); a slice's port is looked up in
  // each, which is cheaper than keeping a list of them.
  let count = 0;
  for (let s = 0; s < slices.length; s++) {
    const slice = slices[s] as EndpointSlice;
    if (slicePort(slice, portName) === undefined) continue;
    for (const ep of slice.endpoints ?? NO_ENDPOINTS) {
      const a = ep.addresses?.[0];
      if (ep.conditions?.ready !== false && a && isIP(a) && (!keep || keep(slice, ep))) count++;
    }
  }
  const endpoints = new Array<EndpointIR>(count);
  let n = 0;
  let sorted = true;
  for (let s = 0; s < slices.length; s++) {
    const slice = slices[s] as EndpointSlice;
    const port = slicePort(slice, portName);
    if (port === undefined) continue;
    for (const ep of slice.endpoints ?? NO_ENDPOINTS) {
      if (ep.conditions?.ready === false) continue;
      const address = ep.addresses?.[0];
      // Envoy takes only IP addresses here: anything else would make it refuse the assignment.
      if (!address || !isIP(address) || (keep && !keep(slice, ep))) continue;
      const e = { address, port };
      if (n > 0 && compareEndpoints(endpoints[n - 1] as EndpointIR, e) >= 0) sorted = false;
      endpoints[n++] = e;
    }
  }
  if (!sorted) {
    endpoints.sort(compareEndpoints);
    let w = 1;
    for (let r = 1; r < endpoints.length; r++) {
      if (compareEndpoints(endpoints[r] as EndpointIR, endpoints[w - 1] as EndpointIR) !== 0) endpoints[w++] = endpoints[r] as EndpointIR;
    }
    if (w < endpoints.length) return { cluster, endpoints: endpoints.slice(0, w) };
  }
  return { cluster, endpoints };
}

const NO_ENDPOINTS: NonNullable<EndpointSlice['endpoints']> = [];

function slicePort(slice: EndpointSlice, portName: string): number | undefined {
  if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') return undefined;
  for (const p of slice.ports ?? []) {
    if ((p.name ?? '') === portName) return typeof p.port === 'number' && Number.isInteger(p.port) && p.port > 0 && p.port < 65536 ? p.port : undefined;
  }
  return undefined;
}

function compareEndpoints(a: EndpointIR, b: EndpointIR): number {
  if (a.address !== b.address) return a.address < b.address ? -1 : 1;
  return a.port - b.port;
}

/**
 * How many endpoints clusterEndpoints would give, without building them (an Upstream's status
 * counts the endpoints of every Upstream, used by a route or not).
 */
export function countEndpoints(portName: string, slices: readonly EndpointSlice[], keep?: EndpointFilter): number {
  let count = 0;
  // Duplicates (the same address in two slices) count once; within one slice there are none.
  const seen = slices.length > 1 ? new Set<string>() : undefined;
  for (const slice of slices) {
    const port = slicePort(slice, portName);
    if (port === undefined) continue;
    for (const ep of slice.endpoints ?? NO_ENDPOINTS) {
      const address = ep.addresses?.[0];
      if (ep.conditions?.ready === false || !address || !isIP(address) || (keep && !keep(slice, ep))) continue;
      if (seen) {
        const k = `${address}:${port}`;
        if (seen.has(k)) continue;
        seen.add(k);
      }
      count++;
    }
  }
  return count;
}
