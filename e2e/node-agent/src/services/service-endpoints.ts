// Which addresses a Service's port forwards to: the ready endpoints of its EndpointSlices, with
// the port number the slice gives for that port's name (how kube-proxy resolves targetPort).
import type { EndpointSlice, Service, ServicePort } from '../kube-types.js';
import type { Endpoint } from './tcp-forwarder.js';

export function readyEndpoints(slices: readonly EndpointSlice[], servicePort: ServicePort): Endpoint[] {
  const out: Endpoint[] = [];
  const seen = new Set<string>();
  const wanted = servicePort.name ?? '';
  for (const slice of slices) {
    if (slice.addressType !== undefined && slice.addressType !== 'IPv4') continue;
    const port = slice.ports?.find((p) => (p.name ?? '') === wanted && (p.protocol ?? 'TCP') === (servicePort.protocol ?? 'TCP'))?.port;
    if (port === undefined) continue;
    for (const ep of slice.endpoints ?? []) {
      if (ep.conditions?.ready === false) continue;
      const ip = ep.addresses[0];
      if (!ip || seen.has(`${ip}:${port}`)) continue;
      seen.add(`${ip}:${port}`);
      out.push({ ip, port });
    }
  }
  return out;
}

export function isLoadBalancer(svc: Service): boolean {
  return svc.spec?.type === 'LoadBalancer' && !svc.spec.loadBalancerClass;
}

/** ClusterIPs that a proxy can listen on (not headless, not ExternalName). */
export function clusterIPsOf(svc: Service): string[] {
  if (svc.spec?.type === 'ExternalName') return [];
  const ips = svc.spec?.clusterIPs ?? (svc.spec?.clusterIP ? [svc.spec.clusterIP] : []);
  return ips.filter((ip) => ip !== 'None' && ip !== '' && !ip.includes(':'));
}

export function tcpPorts(svc: Service): ServicePort[] {
  return (svc.spec?.ports ?? []).filter((p) => (p.protocol ?? 'TCP') === 'TCP');
}

export function udpPorts(svc: Service): ServicePort[] {
  return (svc.spec?.ports ?? []).filter((p) => p.protocol === 'UDP');
}
