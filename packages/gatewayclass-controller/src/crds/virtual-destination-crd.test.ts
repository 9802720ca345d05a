// The VirtualDestination CRD against a real API server: install charts/gantry-crds' generated
// YAML, `kubectl apply` invalid VirtualDestinations and assert the error a user sees (each CEL
// rule), apply valid ones (the seed's north-south example, a cross-cluster one), and read them
// back through `kubectl get` (printer columns, short name vd, category gantry).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startCrdCluster, type CrdCluster, type KubectlResult } from './testing/crd-cluster.js';

const NS = 'default';

let cluster: CrdCluster;
const kubectl = (args: readonly string[], stdin?: string): Promise<KubectlResult> => cluster.kubectl(args, stdin);
const apply = (name: string, spec: unknown): Promise<KubectlResult> => cluster.apply('VirtualDestination', NS, name, spec);

const ports = [{ number: 8080, protocol: 'HTTP', targetPort: { number: 9080 } }];
const services = [{ labels: { app: 'global-app' } }];

beforeAll(async () => {
  cluster = await startCrdCluster('gateway.gantry.dev_virtualdestinations.yaml', 'virtualdestinations', NS);
}, 5 * 60_000);

afterAll(async () => {
  await cluster?.stop();
});

const REJECTED: readonly (readonly [string, unknown, string])[] = [
  ['no spec', undefined, 'spec: Required value'],
  ['no ports', { services }, 'spec.ports: Required value'],
  ['an empty ports list', { ports: [], services }, 'spec.ports: Invalid value: 0: spec.ports in body should have at least 1 items'],
  ['neither services nor upstreams', { ports: [{ number: 8080, protocol: 'HTTP' }] }, 'spec: Invalid value: at least one of services or upstreams must be set'],
  ['targetPort without services', { ports, upstreams: [{ name: 'legacy' }] }, 'spec: Invalid value: targetPort needs services selectors'],
  ['a wildcard host', { hosts: ['*.app.com'], ports, services }, 'spec.hosts[0]: Invalid value: "*.app.com": spec.hosts[0] in body should match'],
  ['a duplicate host', { hosts: ['my.app.com', 'my.app.com'], ports, services }, 'spec.hosts: Invalid value: hosts must be unique'],
  ['a host with an all-digit TLD', { hosts: ['my.app.123'], ports, services }, 'spec.hosts[0]: Invalid value: "my.app.123"'],
  ['a port of 0', { ports: [{ number: 0, protocol: 'HTTP' }], services }, 'spec.ports[0].number: Invalid value: 0: spec.ports[0].number in body should be greater than or equal to 1'],
  ['an unknown protocol', { ports: [{ number: 8080, protocol: 'MONGO' }], services }, 'spec.ports[0].protocol: Unsupported value: "MONGO"'],
  ['a duplicate port', { ports: [{ number: 8080, protocol: 'HTTP' }, { number: 8080, protocol: 'GRPC' }], services }, 'spec.ports: Invalid value: port numbers must be unique'],
  ['a targetPort with number and name', { ports: [{ number: 8080, protocol: 'HTTP', targetPort: { number: 9080, name: 'http' } }], services }, 'spec.ports[0].targetPort: Invalid value: targetPort needs exactly one of number or name'],
  ['an empty targetPort', { ports: [{ number: 8080, protocol: 'HTTP', targetPort: {} }], services }, 'spec.ports[0].targetPort: Invalid value: targetPort needs exactly one of number or name'],
  ['a selector without labels or name', { ports, services: [{ namespace: 'team-a' }] }, 'spec.services[0]: Invalid value: a selector needs labels or a name'],
  ['an unknown selection', { ports, services, selection: 'Newest' }, 'spec.selection: Unsupported value: "Newest"'],
  ['rewriteHost without hosts', { ports, services, rewriteHost: true }, 'spec: Invalid value: rewriteHost needs hosts'],
  ['an unknown failover policy', { ports, services, failover: { policy: 'Random' } }, 'spec.failover.policy: Unsupported value: "Random"'],
  ['a cluster on an upstreams selector', { ports: [{ number: 8080, protocol: 'HTTP' }], upstreams: [{ name: 'legacy', cluster: 'east' }] }, 'unknown field "spec.upstreams[0].cluster"'],
];

describe('the VirtualDestination CRD on a real API server', () => {
  it.each(REJECTED)('rejects %s', async (title, spec, message) => {
    const name = `bad-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`.slice(0, 63).replace(/-$/, '');
    const r = await apply(name, spec);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(message);
  });

  const ACCEPTED: readonly (readonly [string, string, unknown])[] = [
    // The seed's north-south example (Gloo Mesh VirtualDestination global-app-vd).
    ['the seed north-south example', 'global-app-vd', { hosts: ['my.app.com'], ports, services }],
    ['every field', 'full', {
      hosts: ['my.app.com', 'app.internal'],
      ports: [{ number: 8080, protocol: 'HTTP', targetPort: { name: 'http' } }, { number: 9090, protocol: 'GRPC' }],
      services: [{ labels: { app: 'global-app' }, namespace: 'team-a', cluster: '' }, { name: 'legacy-app', cluster: 'local' }],
      upstreams: [{ labels: { tier: 'legacy' } }],
      selection: 'All',
      rewriteHost: true,
      failover: { policy: 'Spread' },
      outlierDetection: { consecutive5xx: 3, interval: '2s', baseEjectionTime: '10s', maxEjectionPercent: 100 },
    }],
    ['upstreams only, no targetPort', 'upstreams-only', { ports: [{ number: 80, protocol: 'HTTP2' }], upstreams: [{ name: 'legacy' }] }],
  ];

  it.each(ACCEPTED)('accepts %s', async (_title, name, spec) => {
    const r = await apply(name, spec);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(`virtualdestination.gateway.gantry.dev/${name} created`);
    const stored = await kubectl(['get', 'virtualdestination', name, '-n', NS, '-o', 'json']);
    expect((JSON.parse(stored.stdout) as { spec: unknown }).spec).toEqual(spec);
  });

  it('shows Hosts, Backing Services, Accepted and Age in `kubectl get` (short name vd, category gantry)', async () => {
    expect((await apply('cols', { hosts: ['cols.app.com'], ports, services })).stderr).toBe('');
    const status = {
      status: {
        hosts: 'cols.app.com',
        conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: '', lastTransitionTime: '2025-01-01T00:00:00Z' }],
        numSelectedBackingServices: 2,
        selectedBackingServices: [
          { cluster: 'local', namespace: 'team-a', name: 'global-app', port: 9080 },
          { cluster: 'east', namespace: 'team-a', name: 'global-app', port: 9080 },
        ],
      },
    };
    const patched = await kubectl(['patch', 'virtualdestination', 'cols', '-n', NS, '--subresource=status', '--type=merge', '-p', JSON.stringify(status)]);
    expect(patched.stderr).toBe('');
    for (const resource of ['virtualdestinations', 'vd', 'gantry']) {
      const r = await kubectl(['get', resource, '-n', NS, ...(resource === 'gantry' ? [] : ['cols'])]);
      expect(r.stderr).toBe('');
      // Columns are at least 3 spaces apart; "BACKING SERVICES" has one.
      const [header = [], ...rows] = r.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => l.trim().split(/\s{2,}/));
      expect(header).toEqual(['NAME', 'HOSTS', 'BACKING SERVICES', 'ACCEPTED', 'AGE']);
      const row = rows.find((l) => l[0] === 'cols' || l[0] === 'virtualdestination.gateway.gantry.dev/cols');
      expect(row?.slice(1, 4)).toEqual(['cols.app.com', '2', 'True']);
    }
  });
});
