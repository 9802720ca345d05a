import { describe, expect, it } from '@jest/globals';
import type { Gateway, GatewayClass, GatewayParameters, GatewayParametersSpec } from '@gantry/api';
import { mergeParameters, referencedParameters, resolveParameters, validateGatewayParameters } from './parameters.js';

const params = (namespace: string, name: string, spec: GatewayParametersSpec): GatewayParameters => ({
  apiVersion: 'gateway.gantry.dev/v1alpha1',
  kind: 'GatewayParameters',
  metadata: { name, namespace },
  spec,
});

const gatewayClass = (ref?: { group: string; kind: string; name: string; namespace?: string }): GatewayClass => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'GatewayClass',
  metadata: { name: 'gantry' },
  spec: { controllerName: 'gantry.dev/gatewayclass-controller', ...(ref ? { parametersRef: ref } : {}) },
});

const gateway = (ref?: { group: string; kind: string; name: string }): Gateway => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'Gateway',
  metadata: { name: 'web', namespace: 'apps', uid: 'u1' },
  spec: { gatewayClassName: 'gantry', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }], ...(ref ? { infrastructure: { parametersRef: ref } } : {}) },
});

const REF = { group: 'gateway.gantry.dev', kind: 'GatewayParameters' };

describe('mergeParameters', () => {
  it('takes the Gateway value over the class value, merges maps, replaces resources whole', () => {
    const merged = mergeParameters(
      { replicas: 2, image: 'a', logLevel: 'debug', resources: { requests: { cpu: '1' }, limits: { memory: '1Gi' } }, service: { type: 'ClusterIP', labels: { s: '1' } }, labels: { a: '1', b: '1' }, annotations: { x: '1' } },
      { replicas: 0, resources: { limits: { cpu: 2 } }, service: { labels: { t: '2' } }, labels: { b: '2' } },
    );
    expect(merged).toEqual({
      replicas: 0,
      image: 'a',
      logLevel: 'debug',
      resources: { limits: { cpu: 2 } },
      service: { type: 'ClusterIP', labels: { s: '1', t: '2' }, annotations: {} },
      labels: { a: '1', b: '2' },
      annotations: { x: '1' },
    });
  });

  it('is empty-but-shaped with no parameters at all', () => {
    expect(mergeParameters(undefined, undefined)).toEqual({ service: { labels: {}, annotations: {} }, labels: {}, annotations: {} });
  });
});

describe('resolveParameters', () => {
  const store = [params('gantry-system', 'defaults', { replicas: 2 }), params('apps', 'mine', { replicas: 3 })];
  const lookup = (k: { namespace: string; name: string }): GatewayParameters | undefined =>
    store.find((p) => p.metadata.namespace === k.namespace && p.metadata.name === k.name);

  it('finds both, the Gateway one in its own namespace', () => {
    const gc = gatewayClass({ ...REF, name: 'defaults', namespace: 'gantry-system' });
    const gw = gateway({ ...REF, name: 'mine' });
    expect(referencedParameters(gc, gw)).toEqual([{ namespace: 'gantry-system', name: 'defaults' }, { namespace: 'apps', name: 'mine' }]);
    const r = resolveParameters(gc, gw, lookup);
    expect(r.problems).toEqual([]);
    expect(r.classParams?.spec?.replicas).toBe(2);
    expect(r.gatewayParams?.spec?.replicas).toBe(3);
  });

  it('reports InvalidParameters against the right object', () => {
    const r = resolveParameters(gatewayClass({ ...REF, name: 'defaults' }), gateway({ group: 'example.com', kind: 'Thing', name: 'x' }), lookup);
    expect(r.problems.map((p) => [p.object, p.reason])).toEqual([
      ['GatewayClass', 'InvalidParameters'],
      ['Gateway', 'InvalidParameters'],
    ]);
    expect(r.classParams).toBeUndefined();
    expect(r.gatewayParams).toBeUndefined();
    // A Gateway's reference is local: the class's namespace does not count.
    const local = resolveParameters(gatewayClass(), gateway({ ...REF, name: 'defaults' }), lookup);
    expect(local.problems[0]?.message).toContain('apps/defaults not found');
  });
});

describe('validateGatewayParameters', () => {
  it('accepts an empty spec and a full one', () => {
    expect(validateGatewayParameters(params('a', 'b', {}))).toEqual([]);
    expect(
      validateGatewayParameters(
        params('a', 'b', {
          replicas: 0,
          image: 'envoyproxy/envoy:v1.39.3',
          logLevel: 'off',
          resources: { requests: { cpu: '100m', memory: '64Mi', 'example.com/gpu': 1 }, limits: { memory: '1e9' } },
          service: { type: 'NodePort', labels: { 'example.com/x': 'y' }, annotations: { 'a/b': 'any text at all' } },
          labels: { app: '' },
        }),
      ),
    ).toEqual([]);
  });

  it('rejects what is not an object where one is expected', () => {
    const bad = { ...params('a', 'b', {}), spec: { service: 'LoadBalancer', labels: ['x'] } } as unknown as GatewayParameters;
    expect(validateGatewayParameters(bad)).toEqual(['spec.labels must be a map of strings', 'spec.service must be an object']);
  });
});
