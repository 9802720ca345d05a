import { describe, it, expect } from '@jest/globals';
import { DeltaDiscoveryResponse, DiscoveryResponse } from '@gantry/envoy-xds-proto';
import { encodeDeltaDiscoveryResponse, encodeDiscoveryResponse } from './wire.js';
import { contentVersion } from './versions.js';
import type { EncodedResource } from '../resources.js';

const TYPE = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';

function res(name: string, size: number, version = 'v1'): EncodedResource {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + name.length) & 0xff;
  return { name, version, bytes };
}

describe('wire encoding', () => {
  // Sizes around the varint boundaries (127/128, 16383/16384) and a large one.
  const resources = [res('a', 0), res('ünïcødé-名前', 127), res('b', 128), res('c', 16383), res('d', 16384), res('e', 300000)];

  it('encodes a DiscoveryResponse the generated decoder reads back', () => {
    const buf = encodeDiscoveryResponse({ versionInfo: 'v-1', typeUrl: TYPE, nonce: 'n1', resources, controlPlane: 'gantry' });
    const decoded = DiscoveryResponse.decode(buf);
    expect(decoded.versionInfo).toBe('v-1');
    expect(decoded.typeUrl).toBe(TYPE);
    expect(decoded.nonce).toBe('n1');
    expect(decoded.controlPlane?.identifier).toBe('gantry');
    expect(decoded.resources).toHaveLength(resources.length);
    decoded.resources.forEach((any, i) => {
      expect(any.typeUrl).toBe(TYPE);
      expect(Buffer.from(any.value).equals(Buffer.from(resources[i]!.bytes))).toBe(true);
    });
  });

  it('encodes a DeltaDiscoveryResponse with resources and removals', () => {
    const buf = encodeDeltaDiscoveryResponse({
      systemVersionInfo: '42',
      typeUrl: TYPE,
      nonce: 'z',
      resources,
      removed: ['gone', 'また'],
    });
    const decoded = DeltaDiscoveryResponse.decode(buf);
    expect(decoded.systemVersionInfo).toBe('42');
    expect(decoded.nonce).toBe('z');
    expect(decoded.removedResources).toEqual(['gone', 'また']);
    expect(decoded.controlPlane).toBeUndefined();
    decoded.resources.forEach((r, i) => {
      expect(r.name).toBe(resources[i]!.name);
      expect(r.version).toBe('v1');
      expect(r.resource?.typeUrl).toBe(TYPE);
      expect(Buffer.from(r.resource!.value).equals(Buffer.from(resources[i]!.bytes))).toBe(true);
    });
  });

  it('encodes empty responses', () => {
    const d = DeltaDiscoveryResponse.decode(encodeDeltaDiscoveryResponse({ systemVersionInfo: '', typeUrl: TYPE, nonce: '1', resources: [], removed: [] }));
    expect(d.resources).toEqual([]);
    const s = DiscoveryResponse.decode(encodeDiscoveryResponse({ versionInfo: '', typeUrl: TYPE, nonce: '1', resources: [] }));
    expect(s.resources).toEqual([]);
  });
});

describe('contentVersion', () => {
  it('is order independent and changes with any name or version', () => {
    const a = res('a', 1, '1');
    const b = res('b', 1, '1');
    expect(contentVersion([a, b])).toBe(contentVersion([b, a]));
    expect(contentVersion([a, b])).not.toBe(contentVersion([a, res('b', 1, '2')]));
    expect(contentVersion([a])).not.toBe(contentVersion([a, b]));
    expect(contentVersion([])).toBe(contentVersion([]));
  });
});
