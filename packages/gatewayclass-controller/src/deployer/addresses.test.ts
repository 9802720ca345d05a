import { describe, expect, it } from '@jest/globals';
import { serviceAddresses } from './addresses.js';

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
});
