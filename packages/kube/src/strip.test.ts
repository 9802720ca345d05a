import { describe, expect, it } from '@jest/globals';
import { GATEWAY_KINDS } from './testing/gateway-kinds.js';
import { CORE_KINDS } from './kinds.js';
import type { JsonObject } from './objects.js';
import { LAST_APPLIED_ANNOTATION, stripObject, stripToMetadata } from './strip.js';

function raw(): JsonObject {
  return {
    metadata: {
      name: 'web',
      namespace: 'default',
      resourceVersion: '42',
      selfLink: '/api/v1/namespaces/default/services/web',
      managedFields: [{ manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:spec': {} } }],
      annotations: { [LAST_APPLIED_ANNOTATION]: '{"huge":"json"}', keep: 'me' },
      labels: { app: 'web' },
    },
    spec: { ports: [{ port: 80 }] },
  };
}

describe('stripObject', () => {
  it('drops managedFields, selfLink and the last-applied annotation, keeps the rest', () => {
    const s = stripObject(CORE_KINDS.Service, raw()) as unknown as JsonObject;
    expect(s).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default', resourceVersion: '42', annotations: { keep: 'me' }, labels: { app: 'web' } },
      spec: { ports: [{ port: 80 }] },
    });
  });

  it('removes annotations left empty', () => {
    const r = raw();
    (r['metadata'] as JsonObject)['annotations'] = { [LAST_APPLIED_ANNOTATION]: '{}' };
    const s = stripObject(CORE_KINDS.Service, r);
    expect(s.metadata.annotations).toBeUndefined();
  });

  it('fills apiVersion and kind, which list items of built-in kinds lack', () => {
    expect(stripObject(CORE_KINDS.EndpointSlice, { metadata: { name: 'x' } })).toMatchObject({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice' });
    expect(stripObject(GATEWAY_KINDS.ReferenceGrant, { metadata: { name: 'x' } })).toMatchObject({ apiVersion: 'gateway.networking.k8s.io/v1beta1' });
  });

  it('freezes the result deeply', () => {
    const s = stripObject(CORE_KINDS.Service, raw()) as unknown as { spec: { ports: { port: number }[] } };
    expect(Object.isFrozen(s)).toBe(true);
    expect(Object.isFrozen(s.spec.ports[0])).toBe(true);
    expect(() => {
      s.spec.ports[0]!.port = 81;
    }).toThrow(TypeError);
  });

  it('keeps the metadata fields in their order, and accepts parts already frozen (a stored object stripped again)', () => {
    const r = raw();
    const once = stripObject(CORE_KINDS.Service, r) as unknown as JsonObject;
    expect(Object.keys(once['metadata'] as JsonObject)).toEqual(['name', 'namespace', 'resourceVersion', 'annotations', 'labels']);
    const again = stripObject(CORE_KINDS.Service, once);
    expect(again).toEqual(once);
    expect(Object.isFrozen(again.metadata)).toBe(true);
  });

  it('does not touch the input metadata', () => {
    const r = raw();
    stripObject(CORE_KINDS.Service, r);
    expect((r['metadata'] as JsonObject)['managedFields']).toBeDefined();
  });
});

describe('stripToMetadata', () => {
  it('keeps identity and labels only, as the watched kind, frozen', () => {
    const s = stripToMetadata(CORE_KINDS.Service, { ...raw(), status: { loadBalancer: {} } });
    expect(s).toEqual({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default', resourceVersion: '42', labels: { app: 'web' } } });
    expect(Object.isFrozen(s.metadata)).toBe(true);
  });
});
