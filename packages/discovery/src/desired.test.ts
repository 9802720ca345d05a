import { describe, expect, it } from '@jest/globals';
import type { Service, Upstream } from '@gantry/api';
import { applyBody, desiredUpstreams, speaksHttp2, upToDate } from './desired.js';
import { alternateName, discoveredName } from './naming.js';
import { inScope } from './scope.js';

function service(name: string, ports: Service['spec'] extends infer S ? (S extends { ports?: infer P } ? P : never) : never, extra: Partial<Service> = {}): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'shop', labels: { app: name } }, spec: { selector: { app: name }, ports }, ...extra };
}

describe('names', () => {
  it('namespace-service-port, and a hashed cut past 63 characters', () => {
    expect(discoveredName('shop', 'cart', 8080)).toBe('shop-cart-8080');
    const long = discoveredName('a'.repeat(40), 'b'.repeat(40), 80);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^a+-b+-[0-9a-f]{8}$/);
    expect(discoveredName('a'.repeat(40), 'b'.repeat(40), 81)).not.toBe(long);
  });

  it('the alternate name is distinct and stable', () => {
    expect(alternateName('a-b', 'c', 80)).not.toBe(alternateName('a', 'b-c', 80));
    expect(alternateName('a', 'b-c', 80)).toBe(alternateName('a', 'b-c', 80));
    expect(discoveredName('a-b', 'c', 80)).toBe(discoveredName('a', 'b-c', 80));
  });
});

describe('desired Upstreams', () => {
  it('one per TCP port, with the selector, labels and HTTP/2 the port says', () => {
    const svc = service('cart', [
      { name: 'http', port: 80, targetPort: 8080 },
      { name: 'grpc-api', port: 9090 },
      { name: 'web', port: 8443, appProtocol: 'kubernetes.io/h2c' },
      { name: 'dns', port: 53, protocol: 'UDP' },
    ]);
    const wanted = desiredUpstreams(svc);
    expect(wanted.map((d) => [d.name, d.spec.useHttp2 ?? false])).toEqual([['shop-cart-80', false], ['shop-cart-9090', true], ['shop-cart-8443', true]]);
    expect(wanted[0]?.spec).toEqual({ kube: { serviceName: 'cart', serviceNamespace: 'shop', servicePort: 80, selector: { app: 'cart' } }, discoveryMetadata: { labels: { app: 'cart' } } });
    expect(applyBody(wanted[0]!, 'shop-cart-80', 'gantry-system')).toMatchObject({
      metadata: { name: 'shop-cart-80', namespace: 'gantry-system', labels: { 'gantry.dev/discovered-by': 'discovery', 'app.kubernetes.io/managed-by': 'gantry' } },
    });
  });

  it.each([
    [{ port: 1, appProtocol: 'grpc' }, true],
    [{ port: 1, appProtocol: 'http' }, false],
    [{ port: 1, name: 'h2' }, true],
    [{ port: 1, name: 'http2-x' }, true],
    [{ port: 1, name: 'h2c-web' }, true],
    [{ port: 1, name: 'http' }, false],
  ])('HTTP/2 of %j: %s', (port, want) => {
    expect(speaksHttp2(port)).toBe(want);
  });

  it('up to date: owned fields equal; a user field does not count', () => {
    const d = desiredUpstreams(service('cart', [{ name: 'http', port: 80 }]))[0]!;
    const existing: Upstream = {
      apiVersion: 'gateway.gantry.dev/v1alpha1', kind: 'Upstream',
      metadata: { name: 'shop-cart-80', namespace: 'gantry-system', labels: { 'gantry.dev/discovered-by': 'discovery', 'app.kubernetes.io/managed-by': 'gantry' } },
      spec: { ...d.spec, healthCheck: { interval: '5s', timeout: '1s', unhealthyThreshold: 2, healthyThreshold: 1, tcp: {} } },
    };
    expect(upToDate(existing, d)).toBe(true);
    expect(upToDate({ ...existing, spec: { ...existing.spec, kube: { ...existing.spec!.kube!, selector: { app: 'other' } } } }, d)).toBe(false);
    expect(upToDate({ ...existing, metadata: { ...existing.metadata, labels: {} } }, d)).toBe(false);
  });
});

describe('scope', () => {
  const svc = service('cart', [{ port: 80 }]);
  it('everything but kube-system, kube-public and ExternalName by default', () => {
    expect(inScope(svc, {}, {})).toBe(true);
    expect(inScope({ ...svc, metadata: { ...svc.metadata, namespace: 'kube-system' } }, {}, {})).toBe(false);
    expect(inScope({ ...svc, spec: { type: 'ExternalName', externalName: 'x.example' } }, {}, {})).toBe(false);
  });

  it('selectors on namespaces and Services; a system namespace when the selector names it', () => {
    expect(inScope(svc, { team: 'a' }, { namespaceSelector: { matchLabels: { team: 'a' } } })).toBe(true);
    expect(inScope(svc, { team: 'b' }, { namespaceSelector: { matchLabels: { team: 'a' } } })).toBe(false);
    expect(inScope(svc, {}, { serviceSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['cart'] }] } })).toBe(true);
    expect(inScope(svc, {}, { serviceSelector: { matchLabels: { expose: 'yes' } } })).toBe(false);
    const system = { ...svc, metadata: { ...svc.metadata, namespace: 'kube-system' } };
    expect(inScope(system, {}, { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } })).toBe(true);
  });

  it('the annotation has the last word', () => {
    const optOut = { ...svc, metadata: { ...svc.metadata, annotations: { 'discovery.gantry.dev/enabled': 'false' } } };
    expect(inScope(optOut, {}, {})).toBe(false);
    const optIn = { ...svc, metadata: { ...svc.metadata, annotations: { 'discovery.gantry.dev/enabled': 'true' } } };
    expect(inScope(optIn, { team: 'b' }, { namespaceSelector: { matchLabels: { team: 'a' } } })).toBe(true);
  });
});
