// charts/gantry and charts/gantry-crds through the real helm: lint, then `helm template` with
// default and non-default values, asserting on the rendered objects (least-privilege RBAC, the
// controller's flags and environment, the xDS Service, the GatewayClass, every value).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { ALL_KINDS, CRD_KINDS } from '@gantry/api';
import { CHARTS, helm, helmBinary, only, ofKind, render, renderHooks, template, type Manifest } from './testing/helm.js';
import { deploymentView, flagValue, grants, rulesOf, servicePorts } from './testing/views.js';

const NS = 'gantry-system';
const CONTROLLER_NAME = 'gantry.dev/gatewayclass-controller';

/**
 * What the controller does, verb by verb (see charts/gantry/README.md for the why of each). The
 * translator's grants follow the kind table: every kind is listed and watched; a kind whose status
 * Gantry writes is also read by name before each write and patched on its status subresource.
 */
const TRANSLATOR_GRANTS = ALL_KINDS.flatMap((k) => {
  const resource = `${k.group === '' ? 'core' : k.group}/${k.plural}`;
  return k.status ? [`${resource} get,list,watch`, `${resource}/status patch`] : [`${resource} list,watch`];
}).sort();
const DEPLOYER_GRANTS = [
  'apps/deployments create,delete,list,patch,watch',
  // GatewayParameters podDisruptionBudget and autoscaling: applied, pruned; never watched or read.
  'autoscaling/horizontalpodautoscalers create,delete,list,patch',
  'policy/poddisruptionbudgets create,delete,list,patch',
  'core/configmaps create,delete,list,patch,watch',
  'core/serviceaccounts create,delete,list,patch,watch',
  'core/services create,delete,list,patch,watch',
  'gateway.networking.k8s.io/gateways/finalizers update',
  // Each Gateway's xDS client certificate Secret (xds.tls.enabled): created, read, replaced.
  'core/secrets create,delete,get',
];
/** The deployer's grants without authenticated xDS (xds.tls.enabled=false). */
const DEPLOYER_GRANTS_PLAIN = DEPLOYER_GRANTS.filter((g) => !g.startsWith('core/secrets'));
const XDS_CA_GRANTS = (secret: string): string[] => ['core/secrets create', `core/secrets[${secret}] get`];

/** The xDS Service (the other Service of the chart is the metrics one). */
/** The chart's NODE_OPTIONS with default values (a 512Mi limit). */
const DEFAULT_NODE_OPTIONS = '--max-old-space-size=256 --max-semi-space-size=1';

function xdsService(objects: readonly Manifest[]): Manifest {
  const found = ofKind(objects, 'Service').filter((o) => !o.metadata.name.endsWith('-metrics'));
  if (found.length !== 1) throw new Error(`expected one xDS Service, found ${found.length}`);
  return found[0]!;
}

/** A Role (or RoleBinding) of the chart by its name's suffix. */
function named(objects: readonly Manifest[], kind: string, suffix: string): Manifest {
  const found = ofKind(objects, kind).filter((o) => o.metadata.name.endsWith(suffix));
  if (found.length !== 1) throw new Error(`expected one ${kind} named *${suffix}, found ${found.length}`);
  return found[0]!;
}
const DISCOVERY_GRANTS = ['gateway.gantry.dev/upstreams create,delete,list,patch,watch'];
// Election: create, then get/update by name. Data-plane reports: each replica applies and deletes
// its own `<lease>-dp-<pod>` Lease (names not known in advance), the leader watches them all.
const LEASE_GRANTS = (lease: string): string[] => [
  'coordination.k8s.io/leases create,delete,list,patch,watch',
  `coordination.k8s.io/leases[${lease}] get,update`,
];

/** Expected grants merged the way grants() merges them (services appear in both sets). */
function merged(...sets: readonly string[][]): string[] {
  const byTarget = new Map<string, Set<string>>();
  for (const line of sets.flat()) {
    const [target = '', verbs = ''] = line.split(' ');
    const all = byTarget.get(target) ?? new Set<string>();
    for (const v of verbs.split(',')) all.add(v);
    byTarget.set(target, all);
  }
  return [...byTarget].map(([t, v]) => `${t} ${[...v].sort().join(',')}`).sort();
}

const WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection'];
const NEVER_VERBS = ['*', 'escalate', 'bind', 'impersonate', 'deletecollection'];

function expectNoBroadGrants(role: Manifest): void {
  for (const rule of rulesOf(role)) {
    expect(rule.apiGroups ?? []).not.toContain('*');
    expect(rule.resources ?? []).not.toContain('*');
    for (const v of NEVER_VERBS) expect(rule.verbs).not.toContain(v);
    const resources = rule.resources ?? [];
    // No nodes or RBAC objects at all; Pods only listed and watched (their labels, as metadata);
    // Secrets are read (TLS certificates); the only writes are create and delete (xDS client
    // certificates, the xDS CA): never update or patch, so no Secret Gantry did not make changes.
    for (const r of ['pods/exec', 'pods/log', 'nodes', 'roles', 'clusterroles', 'rolebindings', 'clusterrolebindings']) expect(resources).not.toContain(r);
    if (resources.includes('pods')) expect([...rule.verbs].sort()).toEqual(['list', 'watch']);
    if (resources.includes('secrets')) for (const v of ['update', 'patch', 'deletecollection']) expect(rule.verbs).not.toContain(v);
    // Gateway API objects: written through their status subresource only (and gateways/finalizers).
    if ((rule.apiGroups ?? []).includes('gateway.networking.k8s.io')) {
      for (const r of resources) {
        if (!r.includes('/')) for (const v of WRITE_VERBS) expect(rule.verbs).not.toContain(v);
        if (r.endsWith('/status')) expect([...rule.verbs]).toEqual(['patch']);
      }
    }
  }
}

function container(objects: readonly Manifest[]) {
  return deploymentView(only(objects, 'Deployment')).container;
}

beforeAll(async () => {
  await helmBinary(); // a first run on a fresh machine builds helm from the Go module proxy
}, 15 * 60_000);

describe('helm lint', () => {
  it('passes for both charts, strict', async () => {
    const r = await helm(['lint', '--strict', CHARTS.gantry, CHARTS.crds]);
    expect(`${r.stdout}${r.stderr}`).toContain('2 chart(s) linted, 0 chart(s) failed');
    expect(r.code).toBe(0);
  });

  it('passes with every optional feature on', async () => {
    const r = await helm([
      'lint', '--strict', CHARTS.gantry, '--namespace', NS,
      '--set', 'replicas=3', '--set', 'discovery.enabled=true', '--set', 'podDisruptionBudget.enabled=true',
      '--set', 'envoy.image=example.com/envoy:v1', '--set', 'image.digest=sha256:0123',
      '--set', 'remoteClusters.clusters[0].name=west', '--set', 'remoteClusters.clusters[0].secretName=gantry-remote-west',
    ]);
    expect(r.code).toBe(0);
  });
});

describe('charts/gantry with default values', () => {
  let objects: Manifest[];
  beforeAll(async () => {
    objects = await render(CHARTS.gantry, { release: 'gantry', namespace: NS });
  });

  it('renders the controller objects and nothing else', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      `ClusterRole/gantry-${NS}`,
      `ClusterRoleBinding/gantry-${NS}`,
      'Deployment/gantry',
      'GatewayClass/gantry',
      'Role/gantry-leader-election',
      'Role/gantry-xds-ca',
      'RoleBinding/gantry-leader-election',
      'RoleBinding/gantry-xds-ca',
      'Service/gantry',
      'Service/gantry-metrics',
      'ServiceAccount/gantry',
    ]);
    for (const o of objects) {
      if (!['ClusterRole', 'ClusterRoleBinding', 'GatewayClass'].includes(o.kind)) expect(o.metadata.namespace).toBe(NS);
      expect(o.metadata.labels?.['app.kubernetes.io/part-of']).toBe('gantry');
    }
  });

  it('grants the ClusterRole exactly what the translator, status writer and deployer use', () => {
    const role = only(objects, 'ClusterRole');
    expect(grants(rulesOf(role))).toEqual(merged(TRANSLATOR_GRANTS, DEPLOYER_GRANTS));
    expectNoBroadGrants(role);
  });

  it('binds the ClusterRole to the controller ServiceAccount', () => {
    const binding = only(objects, 'ClusterRoleBinding');
    expect(binding['roleRef']).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `gantry-${NS}` });
    expect(binding['subjects']).toEqual([{ kind: 'ServiceAccount', name: 'gantry', namespace: NS }]);
  });

  it('gives the Leases (election, data-plane reports) the release namespace only, election renewals by name', () => {
    const role = named(objects, 'Role', '-leader-election');
    expect(role.metadata.namespace).toBe(NS);
    expect(grants(rulesOf(role))).toEqual(LEASE_GRANTS('gantry-leader'));
    const binding = named(objects, 'RoleBinding', '-leader-election');
    expect(binding.metadata.namespace).toBe(NS);
    expect(binding['roleRef']).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'gantry-leader-election' });
    expect(binding['subjects']).toEqual([{ kind: 'ServiceAccount', name: 'gantry', namespace: NS }]);
    // Nothing else grants leases or events.
    expect(grants(rulesOf(only(objects, 'ClusterRole'))).join('\n')).not.toMatch(/leases|events/);
  });

  it('runs `gantry controller` with leader election, the xDS Service as advertised address, and the downward API', () => {
    const view = deploymentView(only(objects, 'Deployment'));
    expect(view.replicas).toBe(1);
    expect(view.pod.serviceAccountName).toBe('gantry');
    const c = view.container;
    expect(c.image).toBe('gantry:0.1.0');
    expect(c.imagePullPolicy).toBe('IfNotPresent');
    expect(c.args).toEqual([
      '--xds-address=0.0.0.0:18000',
      '--xds-advertise=gantry.gantry-system.svc:18000',
      '--admin-address=0.0.0.0:9091',
      '--log-level=info',
      '--xds-ca-secret=gantry-xds-ca',
      '--leader-elect',
      `--leader-election-namespace=${NS}`,
      '--leader-election-id=gantry-leader',
    ]);
    expect(c.env).toEqual([
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      // V8's heap stated (values: heap): what Node.js would pick in the Pod under the 512Mi limit.
      { name: 'NODE_OPTIONS', value: DEFAULT_NODE_OPTIONS },
    ]);
    expect(c.ports).toEqual([
      { name: 'xds', containerPort: 18000, protocol: 'TCP' },
      { name: 'admin', containerPort: 9091, protocol: 'TCP' },
    ]);
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'admin' });
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'admin' });
    expect(c.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } });
  });

  it('runs non-root on a read-only root filesystem without privileges', () => {
    const view = deploymentView(only(objects, 'Deployment'));
    expect(view.pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    expect(view.container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
  });

  it('exposes the xDS server on a ClusterIP Service that selects the controller Pods', () => {
    const service = xdsService(objects);
    const spec = service['spec'] as { type: string; selector: Record<string, string> };
    expect(spec.type).toBe('ClusterIP');
    expect(servicePorts(service)).toEqual([{ name: 'grpc-xds', port: 18000, targetPort: 'xds', protocol: 'TCP', appProtocol: 'grpc' }]);
    const view = deploymentView(only(objects, 'Deployment'));
    expect(spec.selector).toEqual(view.selector);
    expect(view.podLabels).toMatchObject(spec.selector);
    // --xds-advertise is this Service's DNS name and port.
    expect(flagValue(view.container.args ?? [], '--xds-advertise')).toBe(`${service.metadata.name}.${service.metadata.namespace}.svc:18000`);
  });

  it('creates the default GatewayClass `gantry` for our controllerName', () => {
    const gc = only(objects, 'GatewayClass');
    expect(gc.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(gc.metadata.name).toBe('gantry');
    expect(gc['spec']).toEqual({ controllerName: CONTROLLER_NAME, description: 'Gantry (Envoy)' });
  });
});

describe('charts/gantry with non-default values', () => {
  const values = {
    replicas: 3,
    image: { repository: 'registry.example.com/gantry', tag: 'v9.9.9', pullPolicy: 'Always' },
    imagePullSecrets: [{ name: 'pull' }],
    logLevel: 'debug',
    resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } },
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gateway', effect: 'NoSchedule' }],
    affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] } },
    envoy: { image: 'registry.example.com/envoy:v1.39.3' },
    xds: { port: 18001 },
    admin: { port: 9191 },
    gatewayClass: { name: 'edge', parametersRef: { group: 'gateway.gantry.dev', kind: 'GatewayParameters', name: 'defaults', namespace: 'ops' } },
    leaderElection: { id: 'edge-lock' },
    discovery: { enabled: true },
    serviceAccount: { name: 'edge-controller', annotations: { 'example.com/role': 'gw' } },
    extraArgs: ['--log-level=warn'],
    extraEnv: [{ name: 'NODE_OPTIONS', value: '--max-old-space-size=768' }],
    podDisruptionBudget: { enabled: true, minAvailable: 2 },
  };
  let objects: Manifest[];
  beforeAll(async () => {
    objects = await render(CHARTS.gantry, { release: 'edge', namespace: 'ops', values });
  });

  it('names objects after the release, cluster-scoped ones after the namespace too', () => {
    expect(only(objects, 'Deployment').metadata.name).toBe('edge-gantry');
    expect(only(objects, 'ClusterRole').metadata.name).toBe('edge-gantry-ops');
    expect(only(objects, 'ServiceAccount').metadata).toMatchObject({ name: 'edge-controller', annotations: { 'example.com/role': 'gw' } });
  });

  it('applies replicas, image, log level, resources, scheduling and ports', () => {
    const view = deploymentView(only(objects, 'Deployment'));
    expect(view.replicas).toBe(3);
    expect(view.pod.serviceAccountName).toBe('edge-controller');
    expect(view.pod.imagePullSecrets).toEqual([{ name: 'pull' }]);
    expect(view.pod.nodeSelector).toEqual(values.nodeSelector);
    expect(view.pod.tolerations).toEqual(values.tolerations);
    expect(view.pod.affinity).toEqual(values.affinity);
    const c = view.container;
    expect(c.image).toBe('registry.example.com/gantry:v9.9.9');
    expect(c.imagePullPolicy).toBe('Always');
    expect(c.resources).toEqual(values.resources);
    const args = c.args ?? [];
    expect(args).toEqual(expect.arrayContaining([
      '--xds-address=0.0.0.0:18001',
      '--xds-advertise=edge-gantry.ops.svc:18001',
      '--admin-address=0.0.0.0:9191',
      '--log-level=debug',
      '--leader-elect',
      '--leader-election-namespace=ops',
      '--leader-election-id=edge-lock',
      '--envoy-image=registry.example.com/envoy:v1.39.3',
      '--discovery',
    ]));
    // Extra args come last, so they override (parseArgs keeps a repeated flag's last value).
    expect(args.at(-1)).toBe('--log-level=warn');
    // The user's NODE_OPTIONS replaces the chart's heap settings.
    expect(c.env?.filter((e) => e.name === 'NODE_OPTIONS')).toEqual([{ name: 'NODE_OPTIONS', value: '--max-old-space-size=768' }]);
    expect(c.env?.map((e) => e.name)).toEqual(['POD_NAME', 'POD_NAMESPACE', 'NODE_OPTIONS']);
    expect(c.ports).toEqual([
      { name: 'xds', containerPort: 18001, protocol: 'TCP' },
      { name: 'admin', containerPort: 9191, protocol: 'TCP' },
    ]);
    expect(servicePorts(xdsService(objects))).toEqual([{ name: 'grpc-xds', port: 18001, targetPort: 'xds', protocol: 'TCP', appProtocol: 'grpc' }]);
  });

  it('adds write access to Upstreams with discovery, and nothing else', () => {
    const role = only(objects, 'ClusterRole');
    expect(grants(rulesOf(role))).toEqual(merged(TRANSLATOR_GRANTS, DEPLOYER_GRANTS, DISCOVERY_GRANTS));
    expectNoBroadGrants(role);
    expect(grants(rulesOf(named(objects, 'Role', '-leader-election')))).toEqual(LEASE_GRANTS('edge-lock'));
    for (const b of [...ofKind(objects, 'ClusterRoleBinding'), ...ofKind(objects, 'RoleBinding')]) {
      expect(b['subjects']).toEqual([{ kind: 'ServiceAccount', name: 'edge-controller', namespace: 'ops' }]);
    }
  });

  it('creates the GatewayClass under its configured name, with parameters', () => {
    const gc = only(objects, 'GatewayClass');
    expect(gc.metadata.name).toBe('edge');
    expect(gc['spec']).toMatchObject({ controllerName: CONTROLLER_NAME, parametersRef: values.gatewayClass.parametersRef });
  });

  it('adds a PodDisruptionBudget for the controller Pods', () => {
    const pdb = only(objects, 'PodDisruptionBudget');
    expect(pdb['spec']).toEqual({ minAvailable: 2, selector: { matchLabels: deploymentView(only(objects, 'Deployment')).selector } });
  });
});

describe('charts/gantry toggles', () => {
  it('pulls by digest when one is given', async () => {
    const objects = await render(CHARTS.gantry, { values: { image: { repository: 'r.example.com/gantry', tag: 'ignored', digest: 'sha256:abc' } } });
    expect(container(objects).image).toBe('r.example.com/gantry@sha256:abc');
  });

  it('discovery.enabled=false (the default) passes no --discovery; Upstreams are read and get their status, never written', async () => {
    const off = await render(CHARTS.gantry, { values: { discovery: { enabled: false } } });
    expect(container(off).args).not.toContain('--discovery');
    expect(grants(rulesOf(only(off, 'ClusterRole'))).filter((g) => g.includes('upstreams'))).toEqual([
      'gateway.gantry.dev/upstreams get,list,watch',
      'gateway.gantry.dev/upstreams/status patch',
    ]);
  });

  it('discovery selectors become flags, as JSON label selectors', async () => {
    const on = await render(CHARTS.gantry, { values: { discovery: { enabled: true, namespaceSelector: { matchLabels: { team: 'a' } }, serviceSelector: { matchExpressions: [{ key: 'expose', operator: 'Exists' }] } } } });
    const args = container(on).args as string[];
    expect(args).toContain('--discovery-namespace-selector={"matchLabels":{"team":"a"}}');
    expect(args).toContain('--discovery-service-selector={"matchExpressions":[{"key":"expose","operator":"Exists"}]}');
    const bad = await template(CHARTS.gantry, { values: { discovery: { namespaceSelector: { matchExpressions: [{ key: 'x', operator: 'Like' }] } } } });
    expect(bad.ok).toBe(false);
  });

  it('discovery off: a post-upgrade hook Job removes what discovery created, with a Role that can only list and delete Upstreams', async () => {
    const hooks = await renderHooks(CHARTS.gantry);
    expect(hooks.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'Job/gantry-discovery-cleanup', 'Role/gantry-discovery-cleanup', 'RoleBinding/gantry-discovery-cleanup', 'ServiceAccount/gantry-discovery-cleanup',
    ]);
    for (const o of hooks) {
      expect(o.metadata.namespace).toBe('gantry-system');
      expect((o.metadata as { annotations?: Record<string, string> }).annotations?.['helm.sh/hook']).toBe('post-upgrade');
    }
    expect(grants(rulesOf(only(hooks, 'Role')))).toEqual(['gateway.gantry.dev/upstreams delete,list']);
    const job = only(hooks, 'Job') as Manifest & { spec: { template: { spec: { serviceAccountName: string; containers: { command: string[]; args: string[] }[] } } } };
    expect(job.spec.template.spec.serviceAccountName).toBe('gantry-discovery-cleanup');
    expect(job.spec.template.spec.containers[0]?.command.slice(-1)).toEqual(['discovery-cleanup']);
    expect(job.spec.template.spec.containers[0]?.args).toContain('--namespace=gantry-system');
    expect(await renderHooks(CHARTS.gantry, { values: { discovery: { enabled: true } } })).toEqual([]);
    expect(await renderHooks(CHARTS.gantry, { values: { discovery: { cleanupWhenDisabled: false } } })).toEqual([]);
  });

  it('settings.disableKubernetesDestinations passes --disable-kubernetes-destinations, off by default', async () => {
    const on = await render(CHARTS.gantry, { values: { settings: { disableKubernetesDestinations: true } } });
    expect(container(on).args).toContain('--disable-kubernetes-destinations');
    expect(container(await render(CHARTS.gantry)).args).not.toContain('--disable-kubernetes-destinations');
  });

  it('remoteClusters: one --remote-cluster per entry, its kubeconfig Secret mounted read-only, no Secret grant; nothing by default', async () => {
    const none = await render(CHARTS.gantry);
    expect((container(none).args as string[]).filter((a) => a.startsWith('--remote-cluster'))).toEqual([]);
    const objects = await render(CHARTS.gantry, { values: { remoteClusters: { clusters: [{ name: 'west', secretName: 'kc-west' }, { name: 'east', secretName: 'kc-east', key: 'config' }], staleAfter: '90s' } } });
    const c = container(objects) as unknown as { args: string[]; volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[] };
    expect(c.args.filter((a) => a.startsWith('--remote-cluster'))).toEqual([
      '--remote-cluster=west=/etc/gantry/remote-clusters/west/kubeconfig',
      '--remote-cluster=east=/etc/gantry/remote-clusters/east/kubeconfig',
      '--remote-cluster-stale-after=90s',
    ]);
    expect(c.volumeMounts.filter((m) => m.name.startsWith('remote-'))).toEqual([
      { name: 'remote-west', mountPath: '/etc/gantry/remote-clusters/west', readOnly: true },
      { name: 'remote-east', mountPath: '/etc/gantry/remote-clusters/east', readOnly: true },
    ]);
    const volumes = (only(objects, 'Deployment') as Manifest & { spec: { template: { spec: { volumes: { name: string; secret?: unknown }[] } } } }).spec.template.spec.volumes;
    expect(volumes.filter((v) => v.name.startsWith('remote-'))).toEqual([
      { name: 'remote-west', secret: { secretName: 'kc-west', items: [{ key: 'kubeconfig', path: 'kubeconfig' }] } },
      { name: 'remote-east', secret: { secretName: 'kc-east', items: [{ key: 'config', path: 'kubeconfig' }] } },
    ]);
    expect(grants(rulesOf(only(objects, 'ClusterRole')))).toEqual(grants(rulesOf(only(none, 'ClusterRole'))));
    for (const bad of [{ clusters: [{ name: 'local', secretName: 's' }] }, { clusters: [{ name: 'West', secretName: 's' }] }, { clusters: [{ name: 'w' }] }, { staleAfter: 'soon' }, { clusters: [{ name: 'w', secretName: 'a' }, { name: 'w', secretName: 'b' }] }]) {
      expect((await template(CHARTS.gantry, { values: { remoteClusters: bad } })).ok).toBe(false);
    }
  });

  it('deployer.enabled=false passes --no-deploy and drops every deployer grant', async () => {
    const objects = await render(CHARTS.gantry, { values: { deployer: { enabled: false } } });
    expect(container(objects).args).toContain('--no-deploy');
    expect(grants(rulesOf(only(objects, 'ClusterRole')))).toEqual(merged(TRANSLATOR_GRANTS));
  });

  it('authenticated xDS by default: --xds-ca-secret, and the CA Secret readable by name in the release namespace only', async () => {
    const objects = await render(CHARTS.gantry, { release: 'gantry', namespace: NS });
    expect(container(objects).args).toContain('--xds-ca-secret=gantry-xds-ca');
    expect(container(objects).args).not.toContain('--xds-insecure');
    const role = named(objects, 'Role', '-xds-ca');
    expect(role.metadata.namespace).toBe(NS);
    expect(grants(rulesOf(role))).toEqual(XDS_CA_GRANTS('gantry-xds-ca'));
    expectNoBroadGrants(role);
    expect(named(objects, 'RoleBinding', '-xds-ca')['roleRef']).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'gantry-xds-ca' });
    const custom = await render(CHARTS.gantry, { release: 'gantry', namespace: NS, values: { xds: { tls: { caSecretName: 'my-ca' } } } });
    expect(container(custom).args).toContain('--xds-ca-secret=my-ca');
    expect(grants(rulesOf(named(custom, 'Role', '-xds-ca')))).toEqual(XDS_CA_GRANTS('my-ca'));
  });

  it('xds.tls.enabled=false passes --xds-insecure and grants no Secret writes', async () => {
    const objects = await render(CHARTS.gantry, { values: { xds: { tls: { enabled: false } } } });
    expect(container(objects).args).toContain('--xds-insecure');
    expect((container(objects).args ?? []).filter((a) => a.startsWith('--xds-ca-secret'))).toEqual([]);
    expect(ofKind(objects, 'Role').map((r) => r.metadata.name)).toEqual(['release-name-gantry-leader-election'.replace('release-name-gantry', only(objects, 'Deployment').metadata.name)]);
    expect(grants(rulesOf(only(objects, 'ClusterRole')))).toEqual(merged(TRANSLATOR_GRANTS, DEPLOYER_GRANTS_PLAIN));
  });

  it('exposes /metrics on a metrics Service with scrape annotations; an optional ServiceMonitor selects it', async () => {
    const objects = await render(CHARTS.gantry, { release: 'gantry', namespace: NS });
    const metrics = named(objects, 'Service', '-metrics');
    expect(metrics.metadata.annotations).toEqual({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9091', 'prometheus.io/path': '/metrics' });
    expect(servicePorts(metrics)).toEqual([{ name: 'metrics', port: 9091, targetPort: 'admin', protocol: 'TCP' }]);
    expect((metrics['spec'] as { selector: Record<string, string> }).selector).toEqual(deploymentView(only(objects, 'Deployment')).selector);
    expect(ofKind(objects, 'ServiceMonitor')).toEqual([]);

    const withMonitor = await render(CHARTS.gantry, { release: 'gantry', namespace: NS, values: { metrics: { serviceMonitor: { enabled: true, interval: '15s', labels: { release: 'prom' } } } } });
    const monitor = only(withMonitor, 'ServiceMonitor');
    expect(monitor.metadata.labels).toMatchObject({ release: 'prom' });
    const spec = monitor['spec'] as { selector: { matchLabels: Record<string, string> }; endpoints: unknown[] };
    expect(spec.endpoints).toEqual([{ port: 'metrics', path: '/metrics', interval: '15s' }]);
    expect(named(withMonitor, 'Service', '-metrics').metadata.labels).toMatchObject(spec.selector.matchLabels);
    expect(xdsService(withMonitor).metadata.labels).not.toMatchObject(spec.selector.matchLabels);

    const without = await render(CHARTS.gantry, { values: { metrics: { service: { enabled: false }, serviceMonitor: { enabled: true } } } });
    expect([...ofKind(without, 'Service').map((o) => o.metadata.name), ...ofKind(without, 'ServiceMonitor')]).toHaveLength(1);
  });

  it('gatewayClass.create=false creates no GatewayClass', async () => {
    const objects = await render(CHARTS.gantry, { values: { gatewayClass: { create: false } } });
    expect(ofKind(objects, 'GatewayClass')).toEqual([]);
  });

  it('leaderElection.enabled=false: no Role, no --leader-elect; refused with replicas > 1', async () => {
    const single = await render(CHARTS.gantry, { values: { leaderElection: { enabled: false } } });
    expect(ofKind(single, 'Role').map((r) => r.metadata.name).filter((n) => !n.endsWith('-xds-ca'))).toEqual([]);
    expect(ofKind(single, 'RoleBinding').map((r) => r.metadata.name).filter((n) => !n.endsWith('-xds-ca'))).toEqual([]);
    expect((container(single).args ?? []).filter((a) => a.startsWith('--leader-elect'))).toEqual([]);
    const many = await template(CHARTS.gantry, { values: { replicas: 2, leaderElection: { enabled: false } } });
    expect(many.ok).toBe(false);
    if (!many.ok) expect(many.error).toContain('replicas > 1 needs leaderElection.enabled');
  });

  it('rbac.create=false and an existing ServiceAccount: no RBAC objects, no ServiceAccount', async () => {
    const objects = await render(CHARTS.gantry, { values: { rbac: { create: false }, serviceAccount: { create: false, name: 'mine' } } });
    expect(objects.map((o) => o.kind).sort()).toEqual(['Deployment', 'GatewayClass', 'Service', 'Service']);
    expect(deploymentView(only(objects, 'Deployment')).pod.serviceAccountName).toBe('mine');
    const unnamed = await template(CHARTS.gantry, { values: { serviceAccount: { create: false } } });
    expect(unnamed.ok).toBe(false);
  });

  it('rejects unknown keys and bad values through values.schema.json', async () => {
    for (const values of [{ replica: 2 }, { logLevel: 'loud' }, { xds: { port: 70000 } }, { discovery: { enabled: 'yes' } }]) {
      const r = await template(CHARTS.gantry, { values });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toContain('schema');
    }
  });
});

describe('charts/gantry-crds', () => {
  it('renders the CRD of every kind of ours in the kind table (GatewayParameters, Upstream), nothing else', async () => {
    const objects = await render(CHARTS.crds);
    for (const o of objects) {
      expect(o.kind).toBe('CustomResourceDefinition');
      expect((o['spec'] as { group: string }).group).toBe('gateway.gantry.dev');
    }
    const expected = CRD_KINDS.map((k) => `${k.plural}.${k.group}`).sort();
    expect(expected).toEqual(expect.arrayContaining(['gatewayparameters.gateway.gantry.dev', 'upstreams.gateway.gantry.dev']));
    expect(objects.map((o) => o.metadata.name).sort()).toEqual(expected);
  });

  it('adds the vendored Gateway API v1.6.1 experimental CRDs with gatewayAPI.install, kept on uninstall', async () => {
    const vendored = readdirSync(join(CHARTS.crds, 'templates', 'gateway-api')).filter((f) => f.endsWith('.yaml'));
    const crdFiles = vendored.filter((f) => !f.includes('_vap_'));
    const objects = await render(CHARTS.crds, { values: { gatewayAPI: { install: true } } });
    const gatewayApi = objects.filter((o) => (o['spec'] as { group?: string } | undefined)?.group?.startsWith('gateway.networking.'));
    expect(gatewayApi.map((o) => o.metadata.name)).toEqual(expect.arrayContaining(['gatewayclasses.gateway.networking.k8s.io', 'gateways.gateway.networking.k8s.io', 'httproutes.gateway.networking.k8s.io', 'referencegrants.gateway.networking.k8s.io']));
    expect(gatewayApi).toHaveLength(crdFiles.length);
    for (const o of gatewayApi) {
      expect(o.kind).toBe('CustomResourceDefinition');
      expect(o.metadata.annotations?.['gateway.networking.k8s.io/bundle-version']).toBe('v1.6.1');
      expect(o.metadata.annotations?.['gateway.networking.k8s.io/channel']).toBe('experimental');
      expect(o.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
    }
    // The admission policy only where the cluster serves its API.
    expect(ofKind(objects, 'ValidatingAdmissionPolicy')).toHaveLength(0);
    const withVap = await render(CHARTS.crds, { values: { gatewayAPI: { install: true } }, apiVersions: ['admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy'] });
    expect(ofKind(withVap, 'ValidatingAdmissionPolicy').map((o) => o.metadata.name)).toEqual(['safe-upgrades.gateway.networking.k8s.io']);
    expect(ofKind(withVap, 'ValidatingAdmissionPolicyBinding')).toHaveLength(1);
    const notKept = await render(CHARTS.crds, { values: { gatewayAPI: { install: true, keepOnUninstall: false } } });
    for (const o of ofKind(notKept, 'CustomResourceDefinition')) expect(o.metadata.annotations?.['helm.sh/resource-policy']).toBeUndefined();
  });

  it('rejects unknown keys and non-boolean switches through values.schema.json', async () => {
    for (const values of [{ gatewayApi: { install: true } }, { gatewayAPI: { install: 'yes' } }, { gatewayAPI: { channel: 'standard' } }]) {
      const r = await template(CHARTS.crds, { values });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toContain('schema');
    }
  });

  it('keeps its templates plain YAML (hack/cluster-up.sh applies them as files)', () => {
    const dir = join(CHARTS.crds, 'templates');
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(readFileSync(join(dir, f), 'utf8')).not.toContain('{{');
  });
});

describe('charts/gantry heap settings (NODE_OPTIONS)', () => {
  const nodeOptions = async (values: Record<string, unknown>): Promise<string | undefined> => {
    const objects = await render(CHARTS.gantry, { release: 'gantry', namespace: NS, values });
    return deploymentView(only(objects, 'Deployment')).container.env?.find((e) => e.name === 'NODE_OPTIONS')?.value;
  };

  it('follows the memory limit as Node.js would (old space half of it, semi-space by V8\'s rule) unless stated, and is left out without a limit', async () => {
    expect(await nodeOptions({ resources: { limits: { memory: '1Gi' } } })).toBe('--max-old-space-size=512 --max-semi-space-size=4');
    expect(await nodeOptions({ resources: { limits: { memory: '8Gi' } } })).toBe('--max-old-space-size=4096 --max-semi-space-size=16');
    expect(await nodeOptions({ resources: { limits: { memory: '600M' } } })).toBe('--max-old-space-size=286 --max-semi-space-size=2');
    expect(await nodeOptions({ heap: { maxOldSpaceMiB: 300, maxSemiSpaceMiB: 4 } })).toBe('--max-old-space-size=300 --max-semi-space-size=4');
    expect(await nodeOptions({ heap: { maxSemiSpaceMiB: 8 } })).toBe('--max-old-space-size=256 --max-semi-space-size=8');
    expect(await nodeOptions({ resources: { limits: null } })).toBeUndefined();
    expect(await nodeOptions({ resources: { limits: null }, heap: { maxSemiSpaceMiB: 2 } })).toBe('--max-semi-space-size=2');
  });
});
