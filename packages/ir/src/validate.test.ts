import { describe, expect, it } from '@jest/globals';
import type { ClusterIR, GatewayIR, HashPolicyIR } from './types.js';
import { validate } from './validate.js';
import { isDnsName, isIpAddress } from './validate-cluster.js';

const NAME = 'upstream/ns/u';

function gateway(cluster: Partial<ClusterIR>, extra: Partial<GatewayIR> = {}, hashPolicies?: readonly HashPolicyIR[]): GatewayIR {
  return {
    key: 'ns/gw',
    namespace: 'ns',
    name: 'gw',
    listeners: [
      {
        name: 'http-80',
        port: 80,
        protocol: 'HTTP',
        filterChains: [
          {
            name: 'http-80',
            serverNames: [],
            routeConfig: {
              name: 'http-80',
              virtualHosts: [
                {
                  name: 'any',
                  domains: ['*'],
                  routes: [{ name: 'r', match: { path: { type: 'PathPrefix', value: '/' } }, action: { kind: 'forward', backends: [{ cluster: NAME, weight: 1 }], hashPolicies } }],
                },
              ],
            },
          },
        ],
      },
    ],
    clusters: [{ name: NAME, protocol: 'http1', ...cluster }],
    endpoints: [],
    secrets: [],
    ...extra,
  };
}

const hc = { intervalMs: 1000, timeoutMs: 500, unhealthyThreshold: 1, healthyThreshold: 1 } as const;

describe('validate: clusters with policies', () => {
  it('accepts every field set to sensible values', () => {
    const ir = gateway(
      {
        protocol: 'h2c',
        discovery: { type: 'static', hosts: [{ address: '10.0.0.1', port: 443, weight: 2, sni: 'a.example.com' }, { address: '::1', port: 1 }] },
        loadBalancer: { type: 'maglev', tableSize: 65537 },
        healthCheck: { ...hc, check: { type: 'grpc', serviceName: 'pkg.Svc' } },
        outlierDetection: { consecutive5xx: 5, intervalMs: 10_000, baseEjectionTimeMs: 30_000, maxEjectionPercent: 100 },
        circuitBreakers: { maxConnections: 1, maxPendingRequests: 1, maxRequests: 1, maxRetries: 0 },
        tls: { sni: 'example.com' },
      },
      {},
      [{ type: 'header', name: 'x-user' }, { type: 'cookie', name: 's', ttlMs: 0, path: '/' }, { type: 'sourceIP' }, { type: 'queryParameter', name: 'u' }],
    );
    expect(validate(ir)).toEqual([]);
    expect(validate(gateway({ discovery: { type: 'strictDns', hosts: [{ address: 'localhost', port: 8080 }, { address: 'api.example.com.', port: 443 }] } }))).toEqual([]);
    expect(validate(gateway({ healthCheck: { ...hc, check: { type: 'http', path: '/healthz', expectedStatuses: [{ start: 200, end: 200 }, { start: 100, end: 599 }] } } }))).toEqual([]);
    expect(validate(gateway({ healthCheck: { ...hc, check: { type: 'tcp', send: 'PING', receive: ['PONG'] } } }))).toEqual([]);
  });

  it('reports hosts of the wrong kind and out-of-range ports and weights', () => {
    expect(validate(gateway({ discovery: { type: 'static', hosts: [{ address: 'example.com', port: 80 }] } }))).toEqual([
      `cluster ${NAME}: host example.com:80: a static host must be an IP address`,
    ]);
    expect(validate(gateway({ discovery: { type: 'strictDns', hosts: [{ address: '10.0.0.1', port: 80 }] } }))).toEqual([
      `cluster ${NAME}: host 10.0.0.1:80: a strictDns host must be a DNS name`,
    ]);
    const errors = validate(
      gateway({
        discovery: {
          type: 'static',
          hosts: [
            { address: '10.0.0.1', port: 0 },
            { address: '10.0.0.2', port: 65536 },
            { address: '10.0.0.3', port: 80, weight: 0 },
            { address: '10.0.0.4', port: 80, sni: '' },
          ],
        },
      }),
    );
    expect(errors).toHaveLength(4);
  });

  it('reports endpoints listed for a cluster that has hosts of its own', () => {
    const ir = gateway({ discovery: { type: 'static', hosts: [{ address: '10.0.0.1', port: 80 }] } }, { endpoints: [{ cluster: NAME, endpoints: [] }] });
    expect(validate(ir)).toEqual([`endpoints for cluster ${NAME}, which has static hosts of its own`]);
  });

  it('reports load balancer settings Envoy refuses', () => {
    expect(validate(gateway({ loadBalancer: { type: 'leastRequest', choiceCount: 1 } }))).toHaveLength(1);
    expect(validate(gateway({ loadBalancer: { type: 'ringHash', minimumRingSize: 2048, maximumRingSize: 1024 } }))).toHaveLength(1);
    expect(validate(gateway({ loadBalancer: { type: 'ringHash', maximumRingSize: 8_388_609 } }))).toHaveLength(1);
    expect(validate(gateway({ loadBalancer: { type: 'maglev', tableSize: 65536 } }))).toHaveLength(1);
  });

  it('reports health checks Envoy refuses', () => {
    expect(validate(gateway({ healthCheck: { ...hc, intervalMs: 0, check: { type: 'tcp' } } }))).toHaveLength(1);
    expect(validate(gateway({ healthCheck: { ...hc, timeoutMs: -1, check: { type: 'tcp' } } }))).toHaveLength(1);
    expect(validate(gateway({ healthCheck: { ...hc, unhealthyThreshold: 0, healthyThreshold: 1.5, check: { type: 'tcp' } } }))).toHaveLength(2);
    expect(validate(gateway({ healthCheck: { ...hc, check: { type: 'http', path: 'healthz' } } }))).toHaveLength(1);
    const statuses = [{ start: 99, end: 200 }, { start: 300, end: 200 }, { start: 200, end: 600 }];
    expect(validate(gateway({ healthCheck: { ...hc, check: { type: 'http', path: '/', expectedStatuses: statuses } } }))).toHaveLength(3);
    expect(validate(gateway({ healthCheck: { ...hc, check: { type: 'tcp', send: '', receive: [''] } } }))).toHaveLength(1);
    expect(validate(gateway({ healthCheck: { ...hc, check: { type: 'grpc' } } }))).toEqual([`cluster ${NAME}: health check: grpc needs protocol h2c`]);
  });

  it('reports outlier detection, circuit breaker and TLS values out of range', () => {
    expect(validate(gateway({ outlierDetection: { consecutive5xx: 0, intervalMs: 0, baseEjectionTimeMs: 0, maxEjectionPercent: 101 } }))).toHaveLength(4);
    expect(validate(gateway({ circuitBreakers: { maxConnections: 0, maxPendingRequests: 0, maxRequests: 0, maxRetries: -1 } }))).toHaveLength(4);
    expect(validate(gateway({ tls: { sni: 'x'.repeat(256) } }))).toHaveLength(1);
  });

  it('reports hash policies without a name', () => {
    expect(validate(gateway({}, {}, [{ type: 'header', name: '' }, { type: 'cookie', name: 'c', ttlMs: -1 }]))).toEqual([
      'route r: header hash policy without a name',
      'route r: cookie ttlMs -1',
    ]);
  });
});

describe('address kinds', () => {
  it('tells IP addresses from DNS names', () => {
    for (const ip of ['127.0.0.1', '0.0.0.0', '255.255.255.255', '::1', '::', 'fd00::1:2', '::ffff:10.0.0.1']) {
      expect([ip, isIpAddress(ip), isDnsName(ip)]).toEqual([ip, true, false]);
    }
    for (const name of ['localhost', 'api.example.com', 'api.example.com.', '_svc._tcp.example.com', 'a-b.c']) {
      expect([name, isIpAddress(name), isDnsName(name)]).toEqual([name, false, true]);
    }
    for (const neither of ['', '256.0.0.1', '10.0.0', '-a.example.com', 'a..b', '[::1]', 'fe80::1%eth0', 'a b', `${'x'.repeat(64)}.com`]) {
      expect([neither, isIpAddress(neither), isDnsName(neither)]).toEqual([neither, false, false]);
    }
  });
});

describe('TLS chains beside HTTPS chains (TLSRouteModeMixed)', () => {
  const https = (tlsChains: NonNullable<GatewayIR['listeners'][number]['tlsChains']>, protocol: 'HTTP' | 'HTTPS' = 'HTTPS'): GatewayIR => ({
    key: 'ns/gw',
    namespace: 'ns',
    name: 'gw',
    listeners: [
      {
        name: 'https-443',
        port: 443,
        protocol,
        filterChains: [{ name: 'https-443/a', serverNames: ['a.example.com'], ...(protocol === 'HTTPS' ? { tlsSecrets: ['secret/ns/c'] } : {}), routeConfig: { name: 'https-443/a', virtualHosts: [] } }],
        tlsChains,
      },
    ],
    clusters: [{ name: NAME, protocol: 'http1' }],
    endpoints: [],
    secrets: [{ name: 'secret/ns/c', certificateChain: 'x', privateKey: 'y' }],
  });

  it('accepts passthrough and terminate chains with their own server names', () => {
    expect(
      validate(
        https([
          { name: 'tls-443/*', serverNames: [], backends: [{ cluster: NAME, weight: 1 }] },
          { name: 'tls-443/b.example.com', serverNames: ['b.example.com'], tlsSecrets: ['secret/ns/c'], backends: [{ cluster: NAME, weight: 1 }] },
        ]),
      ),
    ).toEqual([]);
  });

  it('reports a server name in both lists, an unknown cluster, TLS chains on HTTP, and unsorted chains', () => {
    expect(validate(https([{ name: 'tls-443/a.example.com', serverNames: ['a.example.com'], backends: [{ cluster: 'nope', weight: 1 }] }]))).toEqual([
      'listener https-443: two chains match server names [a.example.com]',
      'chain tls-443/a.example.com names unknown cluster nope',
    ]);
    expect(validate(https([{ name: 'tls-443/b', serverNames: ['b'], backends: [] }], 'HTTP'))).toContain('listener https-443: TLS chains on an HTTP listener');
    expect(
      validate(
        https([
          { name: 'tls-443/c', serverNames: ['c'], backends: [] },
          { name: 'tls-443/b', serverNames: ['b'], backends: [] },
        ]),
      ),
    ).toEqual(['TLS chains of https-443 not sorted by name: tls-443/c before tls-443/b']);
  });
});
