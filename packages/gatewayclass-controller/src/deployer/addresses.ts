// A Gateway's status.addresses, read off its Service.
//
// LoadBalancer: the load balancer's ingress points (IPs as IPAddress, names as Hostname); none
// yet means "pending": the Gateway is not reachable from outside, and the controller should say so
// (Programmed=False, reason AddressNotAssigned) rather than publish an address nobody outside can
// use. ClusterIP and NodePort: the cluster IPs, the only addresses such a Service has.
//
// Static addresses (Gateway spec.addresses, GatewayStaticAddresses): the deployer asks for the
// first IPAddress on a LoadBalancer Service (spec.loadBalancerIP, which bare-metal load balancers
// and the local cluster's node agent honour). Status then lists only what was asked for and
// assigned, and an address that cannot be had is reported (Programmed=False, AddressNotUsable):
// a Hostname (a Service cannot ask for one), a second IP (a Service asks for one), an IP on a
// Service that is not a LoadBalancer, an IP the load balancer gave something else for, or one its
// address manager refused (a Service condition `<prefix>/IPAMRequestSatisfied` False, as Cilium's
// LB-IPAM and the node agent write).
import type { V1Service } from '@kubernetes/client-node';
import type { GatewaySpecAddress, GatewayStatusAddress } from '@gantry/api';

export const IP_ADDRESS_TYPE = 'IPAddress';
export const HOSTNAME_TYPE = 'Hostname';
/** The condition type suffix an address manager uses to refuse a requested address. */
export const IPAM_CONDITION_SUFFIX = '/IPAMRequestSatisfied';

export interface ServiceAddresses {
  readonly addresses: readonly GatewayStatusAddress[];
  /** A LoadBalancer Service whose load balancer has not reported an address yet. */
  readonly pending: boolean;
  /** Why a requested static address cannot be used (Programmed=False, AddressNotUsable). */
  readonly notUsable?: string;
}

/** The Gateway API caps status.addresses at 16 entries. */
const MAX_ADDRESSES = 16;

/** The static addresses a Gateway asks for (entries with a value). */
export function requestedAddresses(spec: readonly GatewaySpecAddress[] | undefined): GatewaySpecAddress[] {
  return (spec ?? []).filter((a) => a.value !== undefined && a.value !== '');
}

/** The IP the deployer asks the load balancer for: the first requested IPAddress. */
export function requestedLoadBalancerIP(spec: readonly GatewaySpecAddress[] | undefined): string | undefined {
  return requestedAddresses(spec).find((a) => (a.type ?? IP_ADDRESS_TYPE) === IP_ADDRESS_TYPE)?.value;
}

export function serviceAddresses(service: V1Service, requested: readonly GatewaySpecAddress[] = []): ServiceAddresses {
  const out: GatewayStatusAddress[] = [];
  const seen = new Set<string>();
  const add = (type: string, value: string | undefined): void => {
    if (!value || seen.has(`${type}/${value}`)) return;
    seen.add(`${type}/${value}`);
    out.push({ type, value });
  };
  const type = service.spec?.type ?? 'ClusterIP';
  const wanted = requestedAddresses(requested);
  if (wanted.length > 0) return staticAddresses(service, type, wanted);
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

function staticAddresses(service: V1Service, type: string, wanted: readonly GatewaySpecAddress[]): ServiceAddresses {
  const none = (notUsable: string): ServiceAddresses => ({ addresses: [], pending: false, notUsable });
  const hostname = wanted.find((a) => (a.type ?? IP_ADDRESS_TYPE) !== IP_ADDRESS_TYPE);
  if (hostname) return none(`Address ${hostname.value} (${hostname.type}) cannot be requested for the Gateway's Service`);
  const [first, second] = wanted;
  if (second) return none(`Address ${second.value} cannot be assigned: one static address per Gateway is supported (${first?.value} is requested)`);
  const ip = first?.value ?? '';
  if (type !== 'LoadBalancer') return none(`Address ${ip} cannot be assigned: the Gateway's Service is of type ${type}, not LoadBalancer`);
  const ingress = (service.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).filter((v): v is string => v !== undefined);
  if (ingress.includes(ip)) return { addresses: [{ type: IP_ADDRESS_TYPE, value: ip }], pending: false };
  const refused = (service.status?.conditions ?? []).find((c) => c.type.endsWith(IPAM_CONDITION_SUFFIX) && c.status === 'False');
  if (refused) return none(`Address ${ip} cannot be assigned: ${refused.message || refused.reason}`);
  if (ingress.length > 0) return none(`Address ${ip} cannot be assigned: the load balancer assigned ${ingress.join(', ')}`);
  return { addresses: [], pending: true };
}
