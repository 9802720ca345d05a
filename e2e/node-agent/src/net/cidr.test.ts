import { describe, expect, it } from '@jest/globals';
import { cidrContains, gatewayOf, Ipam, ipToNumber, numberToIp, parseCidr } from './cidr.js';

describe('CIDR parsing and allocation', () => {
  it('parses and checks ranges', () => {
    const c = parseCidr('10.244.0.0/16');
    expect(c.size).toBe(65536);
    expect(gatewayOf(c)).toBe('10.244.0.1');
    expect(cidrContains(c, '10.244.255.7')).toBe(true);
    expect(cidrContains(c, '10.245.0.1')).toBe(false);
    expect(numberToIp(ipToNumber('192.168.1.254') ?? 0)).toBe('192.168.1.254');
    expect(() => parseCidr('10.244.0.1/16')).toThrow(/host bits/);
    expect(() => parseCidr('10.244.0.0/31')).toThrow();
    expect(() => parseCidr('nope')).toThrow();
  });

  it('skips reserved, network and broadcast addresses and reuses a released one only after going round', () => {
    const ipam = new Ipam(parseCidr('10.0.0.0/29'), new Set(['10.0.0.1']));
    const got = [1, 2, 3, 4, 5].map((i) => ipam.allocate(`pod${i}`));
    expect(got).toEqual(['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']);
    expect(ipam.allocate('full')).toBeUndefined();
    ipam.release('10.0.0.3');
    ipam.release('10.0.0.5');
    expect(ipam.allocate('again')).toBe('10.0.0.3');
    expect(ipam.allocate('again2')).toBe('10.0.0.5');
  });

  it('claims a published address for its owner only', () => {
    const ipam = new Ipam(parseCidr('10.245.0.0/24'));
    expect(ipam.claim('10.245.0.9', 'ns/a')).toBe(true);
    expect(ipam.claim('10.245.0.9', 'ns/a')).toBe(true);
    expect(ipam.claim('10.245.0.9', 'ns/b')).toBe(false);
    expect(ipam.claim('10.246.0.9', 'ns/b')).toBe(false);
    expect(ipam.claim('10.245.0.255', 'ns/b')).toBe(false);
    expect(ipam.ownerOf('10.245.0.9')).toBe('ns/a');
  });
});
