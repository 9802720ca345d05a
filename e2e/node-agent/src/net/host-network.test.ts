import { describe, expect, it } from '@jest/globals';
import { bridgeMac, vethName } from './host-network.js';

describe('bridgeMac', () => {
  it('is a stable, locally administered unicast address per bridge name', () => {
    const mac = bridgeMac('gantry0');
    expect(mac).toMatch(/^02(:[0-9a-f]{2}){5}$/);
    expect(bridgeMac('gantry0')).toBe(mac);
    expect(bridgeMac('gantry1')).not.toBe(mac);
  });
});

describe('vethName', () => {
  it('fits the 15-character interface name limit', () => {
    expect(vethName('gantry0_default_some-very-long-pod-name-0123456789_abcdef01')).toMatch(/^gv[0-9a-f]{11}$/);
  });
});
