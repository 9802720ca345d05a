import { describe, expect, it } from '@jest/globals';
import { requestedLoadBalancerIP, serviceAddresses } from './addresses.js';

describe('serviceAddresses', () => {
  it('LoadBalancer: ingress IPs and hostnames, deduplicated; pending without any', () => {
    expect(serviceAddresses({ spec: { type: 'LoadBalancer', clusterIP: '10.0.0.5' }, status: {} })).toEqual({ addresses: [], pending: true });
    expect(
      serviceAddresses({
        spec: { type: 'LoadBalancer', clusterIP: '10.0.0.5' },
        status: { loadBalancer: { ingress: [{ ip: '203.0.113.7' }, { hostname: 'lb.example.com' }, { ip: '203.0.113.7' }, { ip: '2001:db8::7' }] } },
      }),
    ).toEqual({
      addresses: [
        { type: 'IPAddress', value: '203.0.113.7' },
        { type: 'Hostname', value: 'lb.example.com' },
        { type: 'IPAddress', value: '2001:db8::7' },
      ],
      pending: false,
    });
  });

  it('ClusterIP and NodePort: the cluster IPs (dual stack too), never "None"', () => {
    expect(serviceAddresses({ spec: { type: 'ClusterIP', clusterIP: '10.0.0.5', clusterIPs: ['10.0.0.5', 'fd00::5'] } })).toEqual({
      addresses: [{ type: 'IPAddress', value: '10.0.0.5' }, { type: 'IPAddress', value: 'fd00::5' }],
      pending: false,
    });
    expect(serviceAddresses({ spec: { type: 'NodePort', clusterIP: '10.0.0.6' } }).addresses).toEqual([{ type: 'IPAddress', value: '10.0.0.6' }]);
    expect(serviceAddresses({ spec: { clusterIP: 'None' } }).addresses).toEqual([]);
  });

  describe('static addresses (spec.addresses)', () => {
    const lb = (ingress: string[], conditions: { type: string; status: string; reason: string; message: string; lastTransitionTime: Date }[] = []) => ({
      spec: { type: 'LoadBalancer', clusterIP: '10.0.0.5', loadBalancerIP: '203.0.113.9' },
      status: { loadBalancer: { ingress: ingress.map((ip) => ({ ip })) }, conditions },
    });
    const ip = (value: string) => ({ type: 'IPAddress', value });

    it('the requested IP once the load balancer gave it; pending before', () => {
      expect(serviceAddresses(lb(['203.0.113.9']), [ip('203.0.113.9')])).toEqual({ addresses: [ip('203.0.113.9')], pending: false });
      expect(serviceAddresses(lb([]), [{ value: '203.0.113.9' }])).toEqual({ addresses: [], pending: true });
      expect(requestedLoadBalancerIP([{ type: 'Hostname', value: 'x.example' }, { value: '' }, ip('203.0.113.9'), ip('203.0.113.10')])).toBe('203.0.113.9');
    });

    it('not usable: refused by the address manager, or another address given', () => {
      const refused = { type: 'io.example/IPAMRequestSatisfied', status: 'False', reason: 'NoPool', message: 'no pool has 203.0.113.9', lastTransitionTime: new Date(0) };
      expect(serviceAddresses(lb([], [refused]), [ip('203.0.113.9')])).toEqual({ addresses: [], pending: false, notUsable: 'Address 203.0.113.9 cannot be assigned: no pool has 203.0.113.9' });
      expect(serviceAddresses(lb(['198.51.100.1']), [ip('203.0.113.9')]).notUsable).toMatch(/the load balancer assigned 198.51.100.1/);
    });

    it('not usable: a Hostname, a second IP, a Service that is not a LoadBalancer', () => {
      expect(serviceAddresses(lb(['203.0.113.9']), [{ type: 'Hostname', value: 'gw.example.com' }]).notUsable).toMatch(/gw.example.com \(Hostname\) cannot be requested/);
      expect(serviceAddresses(lb(['203.0.113.9']), [ip('203.0.113.9'), ip('203.0.113.10')]).notUsable).toMatch(/203.0.113.10 cannot be assigned: one static address per Gateway/);
      expect(serviceAddresses({ spec: { type: 'ClusterIP', clusterIP: '10.0.0.5' } }, [ip('10.0.0.5')]).notUsable).toMatch(/of type ClusterIP/);
    });
  });
});
