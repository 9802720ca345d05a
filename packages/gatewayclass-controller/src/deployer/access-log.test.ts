// GatewayParameters spec.accessLog → the xDS the Pipeline publishes (every mode: controller,
// standalone): the HCM of each of the Gateway's listeners gets Envoy's stdout logger, and a change
// of the parameters alone (the IR unchanged) publishes new listeners. The real-Envoy test is
// e2e/traffic/src/access-log.test.ts.
import { describe, expect, it } from '@jest/globals';
import { DEFAULT_ACCESS_LOG_JSON, snapshotOf, type KubeObject } from '@gantry/api';
import { TypeUrl, snapshotToEnvoyJson, type XdsSnapshot } from '@gantry/xds';
import { parseAllDocuments } from 'yaml';
import { Pipeline } from '../pipeline.js';
import { accessLogOptions, accessLogsOf } from './access-log.js';

const WORLD = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gantry}
spec:
  controllerName: gantry.dev/gatewayclass-controller
  parametersRef: {group: gateway.gantry.dev, kind: GatewayParameters, name: class, namespace: gantry-system}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: a, namespace: default}
spec:
  gatewayClassName: gantry
  listeners: [{name: http, protocol: HTTP, port: 8080}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: b, namespace: default}
spec:
  gatewayClassName: gantry
  infrastructure: {parametersRef: {group: gateway.gantry.dev, kind: GatewayParameters, name: b}}
  listeners: [{name: http, protocol: HTTP, port: 8081}]
`;

function params(name: string, namespace: string, accessLog: unknown): string {
  return `---\napiVersion: gateway.gantry.dev/v1alpha1\nkind: GatewayParameters\nmetadata: {name: ${name}, namespace: ${namespace}}\nspec: ${JSON.stringify(accessLog === undefined ? {} : { accessLog })}\n`;
}

function objects(yaml: string): KubeObject[] {
  return parseAllDocuments(yaml).map((d) => d.toJS() as KubeObject);
}

type Json = Record<string, unknown>;

function accessLogsIn(snapshot: XdsSnapshot | undefined): unknown[] {
  const listeners = snapshotToEnvoyJson({ ...snapshot!, [TypeUrl.RouteConfiguration]: new Map(), [TypeUrl.ScopedRouteConfiguration]: new Map(), [TypeUrl.Cluster]: new Map(), [TypeUrl.ClusterLoadAssignment]: new Map(), [TypeUrl.Secret]: new Map() }) as Json[];
  return listeners.flatMap((l) => (l['filterChains'] as Json[]).map((c) => ((c['filters'] as Json[])[0]!['typedConfig'] as Json)['accessLog']));
}

describe('access log from GatewayParameters', () => {
  it('defaults: JSON with the documented fields; enabled false turns it off; text keeps its format', () => {
    expect(accessLogOptions(undefined)).toBeUndefined();
    expect(accessLogOptions({})).toEqual({ format: 'json', json: DEFAULT_ACCESS_LOG_JSON });
    expect(accessLogOptions({ enabled: false, format: 'text' })).toBeUndefined();
    expect(accessLogOptions({ format: 'text', text: '%RESPONSE_CODE%' })).toEqual({ format: 'text', text: '%RESPONSE_CODE%' });
    expect(accessLogOptions({ json: { code: '%RESPONSE_CODE%' } })).toEqual({ format: 'json', json: { code: '%RESPONSE_CODE%' } });
  });

  it('class parameters turn it on for every Gateway of the class; a Gateway\'s own parameters replace it', () => {
    const logs = accessLogsOf(snapshotOf(objects(WORLD + params('class', 'gantry-system', {}) + params('b', 'default', { format: 'text' }))));
    expect([...logs.entries()]).toEqual([['default/a', { format: 'json', json: DEFAULT_ACCESS_LOG_JSON }], ['default/b', { format: 'text' }]]);
    // Nobody asks: nothing, whatever else the parameters say.
    expect(accessLogsOf(snapshotOf(objects(WORLD + params('class', 'gantry-system', undefined) + params('b', 'default', undefined)))).size).toBe(0);
    // Unusable parameters (a missing object): no log for that Gateway.
    expect([...accessLogsOf(snapshotOf(objects(WORLD + params('class', 'gantry-system', {})))).keys()]).toEqual(['default/a']);
  });

  it('the Pipeline publishes the logger in every HCM, and republishes listeners when only the parameters change', () => {
    const published = new Map<string, XdsSnapshot>();
    const pipeline = new Pipeline({ sink: { set: (k, s) => void published.set(k, s), delete: (k) => void published.delete(k) } });
    const on = pipeline.run(snapshotOf(objects(WORLD + params('class', 'gantry-system', { json: { code: '%RESPONSE_CODE%' } }) + params('b', 'default', { enabled: false }))));
    expect([...on.changed].sort()).toEqual(['default/a', 'default/b']);
    expect(accessLogsIn(published.get('default/a'))).toEqual([[{
      name: 'envoy.access_loggers.stdout',
      typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog', logFormat: { jsonFormat: { code: '%RESPONSE_CODE%' } } },
    }]]);
    expect(accessLogsIn(published.get('default/b'))).toEqual([undefined]);

    const before = published.get('default/a');
    const off = pipeline.run(snapshotOf(objects(WORLD + params('class', 'gantry-system', { enabled: false }) + params('b', 'default', { enabled: false }))));
    expect(off.changed).toEqual(['default/a']);
    expect(accessLogsIn(published.get('default/a'))).toEqual([undefined]);
    // Only the listeners changed: routes and clusters are the same.
    expect(published.get('default/a')![TypeUrl.RouteConfiguration]).toEqual(before![TypeUrl.RouteConfiguration]);
    expect(published.get('default/a')![TypeUrl.Cluster]).toEqual(before![TypeUrl.Cluster]);
    expect(published.get('default/a')![TypeUrl.Listener]).not.toEqual(before![TypeUrl.Listener]);
  });
});
