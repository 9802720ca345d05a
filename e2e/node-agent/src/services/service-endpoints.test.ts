import { describe, expect, it } from '@jest/globals';
import type { EndpointSlice } from '../kube-types.js';
import { clusterIPsOf, isLoadBalancer, readyEndpoints, tcpPorts } from './service-endpoints.js';

const slice = (endpoints: EndpointSlice['endpoints'], ports: EndpointSlice['ports'], addressType = 'IPv4'): EndpointSlice => ({ metadata: { name: 's' }, addressType, endpoints, ports });

describe('service endpoints', () => {
  it('picks ready endpoints with the port of the same name', () => {
    const slices = [
      slice(
        [{ addresses: ['10.0.0.1'], conditions: { ready: true } }, { addresses: ['10.0.0.2'], conditions: { ready: false } }, { addresses: ['10.0.0.3'] }],
        [{ name: 'http', port: 3000, protocol: 'TCP' }, { name: 'h2c', port: 3001, protocol: 'TCP' }],
      ),
      slice([{ addresses: ['fd00::1'] }], [{ name: 'http', port: 3000 }], 'IPv6'),
    ];
    expect(readyEndpoints(slices, { name: 'http', port: 8080 })).toEqual([{ ip: '10.0.0.1', port: 3000 }, { ip: '10.0.0.3', port: 3000 }]);
    expect(readyEndpoints(slices, { name: 'h2c', port: 8081 })).toEqual([{ ip: '10.0.0.1', port: 3001 }, { ip: '10.0.0.3', port: 3001 }]);
    expect(readyEndpoints(slices, { name: 'other', port: 1 })).toEqual([]);
    expect(readyEndpoints([slice([{ addresses: ['10.0.0.9'] }], [{ port: 80 }])], { port: 8080 })).toEqual([{ ip: '10.0.0.9', port: 80 }]);
  });

  it('knows which Services get a LoadBalancer address and which addresses and ports are served', () => {
    expect(isLoadBalancer({ metadata: { name: 'a' }, spec: { type: 'LoadBalancer' } })).toBe(true);
    expect(isLoadBalancer({ metadata: { name: 'a' }, spec: { type: 'LoadBalancer', loadBalancerClass: 'example.com/lb' } })).toBe(false);
    expect(clusterIPsOf({ metadata: { name: 'a' }, spec: { clusterIP: 'None', clusterIPs: ['None'] } })).toEqual([]);
    expect(clusterIPsOf({ metadata: { name: 'a' }, spec: { clusterIPs: ['10.96.0.9', 'fd00::9'] } })).toEqual(['10.96.0.9']);
    expect(tcpPorts({ metadata: { name: 'a' }, spec: { ports: [{ port: 53, protocol: 'UDP' }, { port: 80 }] } })).toEqual([{ port: 80 }]);
  });
});
