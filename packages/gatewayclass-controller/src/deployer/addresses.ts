// A Gateway's status.addresses, read off its Service.
//
// LoadBalancer: the load balancer's ingress points (IPs as IPAddress, names as Hostname); none
// yet means "pending": the Gateway is not reachable from outside, and the controller should say so
// (Programmed=False, reason AddressNotAssigned) rather than publish an address nobody outside can
// use. ClusterIP and NodePort: the cluster IPs, the only addresses such a Service has.
import type { V1Service } from '@kubernetes/client-node';
import type { GatewayStatusAddress } from '@gantry/api';

export const IP_ADDRESS_TYPE = 'IPAddress';
export const HOSTNAME_TYPE = 'Hostname';

export interface ServiceAddresses {
  readonly addresses: readonly GatewayStatusAddress[];
  /** A LoadBalancer Service whose load balancer has not reported an address yet. */
  readonly pending: boolean;
}

/** The Gateway API caps status.addresses at 16 entries. */
const MAX_ADDRESSES = 16;

export function serviceAddresses(service: V1Service): ServiceAddresses {
  const out: GatewayStatusAddress[] = [];
  const seen = new Set<string>();
  const add = (type: string, value: string | undefined): void => {
    if (!value || seen.has(`${type}/${value}`)) return;
    seen.add(`${type}/${value}`);
    out.push({ type, value });
  };
  const type = service.spec?.type ?? 'ClusterIP';
  if (type === 'LoadBalancer') {
    for (const ingress of service.status?.loadBalancer?.ingress ?? []) {
      add(IP_ADDRESS_TYPE, ingress.ip);
      add(HOSTNAME_TYPE, ingress.hostname);
    }
    return { addresses: out.slice(0, MAX_ADDRESSES), pending: out.length === 0 };
  }
  const clusterIPs = service.spec?.clusterIPs ?? (service.spec?.clusterIP ? [service.spec.clusterIP] : []);
  for (const ip of clusterIPs) if (ip !== 'None') add(IP_ADDRESS_TYPE, ip);
  return { addresses: out.slice(0, MAX_ADDRESSES), pending: false };
}
