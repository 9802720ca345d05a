// Every list of kinds in Gantry derives from @gantry/api's kind table: the snapshot's fields, the
// store's snapshot mapping and the controller's watches, the manifest loader and its schema
// check, and the status writer's kinds, merges and write order. A kind added to the table shows
// up in each of them; this test lists what each one knows and compares it with the table.
import { describe, expect, it } from '@jest/globals';
import { ALL_KINDS, KIND_TABLE, REPORTED_KINDS, apiVersionOf, emptySnapshot, manifestSchemaOfKind, type KindSpec, type KubeObject, type Snapshot } from '@gantry/api';
import { ObjectStore } from '@gantry/kube';
import { TRANSLATOR_STORE, translatorWatches } from './controller/sources.js';
import { buildSnapshot, parseManifests } from './manifests/load.js';
import { reportKeyPriority } from './status/index.js';

const TABLE = ALL_KINDS.map((k) => k.kind).sort();
const IN_FIELDS = ALL_KINDS.filter((k) => k.snapshot !== 'others');

/** The least spec each kind's CRD schema requires (the loader checks files against it). */
const SPECS: Readonly<Record<string, Record<string, unknown>>> = {
  GatewayClass: { controllerName: 'example.com/controller' },
  Gateway: { gatewayClassName: 'gantry', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
  HTTPRoute: {},
  GRPCRoute: {},
  TLSRoute: { hostnames: ['tls.example.com'], rules: [{ backendRefs: [{ name: 'svc', port: 443 }] }] },
  TCPRoute: { rules: [{ backendRefs: [{ name: 'svc', port: 9000 }] }] },
  UDPRoute: { rules: [{ backendRefs: [{ name: 'svc', port: 9000 }] }] },
  ReferenceGrant: { from: [{ group: '', kind: 'Service', namespace: 'other' }], to: [{ group: '', kind: 'Service' }] },
  Upstream: { static: { hosts: [{ addr: '10.0.0.1', port: 80 }] } },
  RouteOption: {},
  VirtualDestination: { hosts: ['my.app.example.com'], ports: [{ number: 8080, protocol: 'HTTP' }], services: [{ labels: { app: 'sample' } }] },
  ListenerSet: { parentRef: { name: 'gw' }, listeners: [{ name: 'extra', port: 8081, protocol: 'HTTP' }] },
  BackendTLSPolicy: { targetRefs: [{ group: '', kind: 'Service', name: 'svc' }], validation: { hostname: 'svc.example.com', wellKnownCACertificates: 'System' } },
};

function sample(k: KindSpec, name = 'sample'): KubeObject {
  const spec = SPECS[k.kind];
  return { apiVersion: apiVersionOf(k), kind: k.kind, metadata: { name, ...(k.namespaced ? { namespace: 'ns' } : {}), resourceVersion: '1' }, ...(spec ? { spec } : {}) } as KubeObject;
}

/** Where a snapshot put each object: `field` per kind name. */
function placement(snapshot: Omit<Snapshot, 'remoteClusters'>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, list] of Object.entries(snapshot) as [string, readonly KubeObject[] | undefined][]) for (const o of list ?? []) out[o.kind] = field;
  return out;
}

const EXPECTED_PLACEMENT = Object.fromEntries(ALL_KINDS.map((k) => [k.kind, k.snapshot]));

describe('the kind table is the one list of kinds', () => {
  it('snapshot: one field per table kind that has one, plus others', () => {
    expect(Object.keys(emptySnapshot()).sort()).toEqual(IN_FIELDS.map((k) => k.snapshot).sort());
  });

  it('store: the controller store places every table kind where the table says', () => {
    const store = new ObjectStore(TRANSLATOR_STORE);
    for (const k of ALL_KINDS) store.apply(k, { type: 'ADDED', object: sample(k) });
    expect(placement(store.toSnapshot())).toEqual(EXPECTED_PLACEMENT);
  });

  it('watches: the controller watches every table kind, with its field selector', () => {
    const how = (kind: string, fieldSelector: string | undefined, metadataOnly: boolean | undefined) =>
      `${kind}${fieldSelector ? `?${fieldSelector}` : ''}${metadataOnly ? ' (metadata only)' : ''}`;
    const watched = translatorWatches().map((w) => how(w.kind.kind, w.fieldSelector, w.metadataOnly)).sort();
    expect(watched).toEqual(ALL_KINDS.map((k) => how(k.kind, k.fieldSelector, k.metadataOnly)).sort());
    expect(watched).toContain('Pod (metadata only)');
    for (const w of translatorWatches()) expect(w.kind).toBe(KIND_TABLE[w.kind.kind as keyof typeof KIND_TABLE]);
  });

  it('manifest loader: files of every table kind land where the table says', () => {
    const text = ALL_KINDS.map((k) => JSON.stringify(sample(k))).join('\n---\n');
    const parsed = parseManifests(text, 'all.yaml');
    expect(parsed.errors).toEqual([]);
    expect(placement(buildSnapshot(parsed.objects))).toEqual(EXPECTED_PLACEMENT);
  });

  it('manifest loader: knows every table kind (apiVersion and scope checked), passes others through', () => {
    const known: string[] = [];
    for (const k of ALL_KINDS) {
      const wrong = { ...sample(k), apiVersion: 'example.com/v9' };
      if (parseManifests(JSON.stringify(wrong), 'x.yaml').errors.some((e) => e.message.startsWith(`apiVersion: ${k.kind} is not served`))) known.push(k.kind);
    }
    expect(known.sort()).toEqual(TABLE);
    const unknown = { apiVersion: 'example.com/v1', kind: 'NotInTheTable', metadata: { name: 'x' } };
    expect(parseManifests(JSON.stringify(unknown), 'x.yaml').errors).toEqual([]);
  });

  it('schema check: every table kind has a schema (its own, or its CRD’s)', () => {
    expect(ALL_KINDS.filter((k) => manifestSchemaOfKind(k) === undefined).map((k) => k.kind)).toEqual([]);
    const bad = { ...sample(KIND_TABLE.GatewayParameters), spec: { replicas: 'two' } };
    expect(parseManifests(JSON.stringify(bad), 'p.yaml').errors.map((e) => e.message)).toEqual(['spec.replicas: expected an integer, got string "two"']);
  });

  it('status writer: writes exactly the table kinds with a status, in the table order', () => {
    expect([...REPORTED_KINDS].sort()).toEqual(ALL_KINDS.filter((k) => k.status).map((k) => k.kind).sort());
    const byPriority = [...REPORTED_KINDS].sort((a, b) => reportKeyPriority(`${a} x`) - reportKeyPriority(`${b} x`));
    expect(byPriority).toEqual(REPORTED_KINDS);
    expect(REPORTED_KINDS).toEqual(['GatewayClass', 'Gateway', 'ListenerSet', 'HTTPRoute', 'GRPCRoute', 'TLSRoute', 'TCPRoute', 'UDPRoute', 'Upstream', 'RouteOption', 'VirtualDestination', 'BackendTLSPolicy', 'GatewayParameters']);
  });
});
