import { describe, expect, it } from '@jest/globals';
import { gatewayNameLabelValue, infrastructureName } from './naming.js';

const DNS_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

describe('gatewayNameLabelValue', () => {
  it('is the name when it fits a label value', () => {
    expect(gatewayNameLabelValue('web')).toBe('web');
    expect(gatewayNameLabelValue('a'.repeat(63))).toBe('a'.repeat(63));
  });

  it("follows GEP-1762's example for a long name", () => {
    expect(gatewayNameLabelValue('example-very-very-very-very-very-very-very-very-very-long-gateway-name')).toBe(
      'example-very-very-ve-65cb6f84bc9e50270d0a6c2f845fd98c6fe8d89f',
    );
    expect(gatewayNameLabelValue('a'.repeat(64))).toHaveLength(61);
  });
});

describe('infrastructureName', () => {
  it('is <gateway>-<class> when that is a valid Service name', () => {
    expect(infrastructureName('web', 'gantry')).toBe('web-gantry');
  });

  it('makes dotted, digit-first and long names valid, stable and distinct', () => {
    const cases: [string, string][] = [
      ['api.example.com', 'gantry'],
      ['api-example-com', 'gantry'],
      ['1st', 'gantry'],
      ['a'.repeat(60), 'gantry'],
      ['a'.repeat(60), 'gantry-internal'],
      ['x'.repeat(253), 'y'.repeat(253)],
    ];
    const names = cases.map(([g, c]) => infrastructureName(g, c));
    for (const n of names) {
      expect(n).toMatch(DNS_1035);
      expect(n.length).toBeLessThanOrEqual(63);
    }
    expect(new Set(names).size).toBe(names.length);
    expect(names[1]).toBe('api-example-com-gantry');
    expect(names[0]).toMatch(/^api-example-com-gantry-[0-9a-f]{8}$/);
    expect(names[2]).toMatch(/^gw-1st-gantry-[0-9a-f]{8}$/);
    expect(infrastructureName('api.example.com', 'gantry')).toBe(names[0]);
  });
});
