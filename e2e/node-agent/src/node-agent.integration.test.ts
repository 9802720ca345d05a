// The node agent against a real control plane (etcd, kube-apiserver, kube-controller-manager from
// the cluster scripts): Node registration, Pods from a Deployment, addresses, env and the
// downward API, ConfigMap/Secret mounts, readiness, restarts, logs through the API server,
// LoadBalancer Services, deletion with a grace period, and a clean stop. Needs root and
// iproute2 (hack/test.sh installs it; CI runs as root). Everything lives on a bridge and ranges of its own.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { CORE_KINDS, requestOk, type JsonObject } from '@gantry/kube';
import { createNamespace, createObject, deleteObject, getObject, mergePatchObject, recordingLogger, waitFor } from '@gantry/kube/testing/api-helpers';
import { startControlPlane, type ControlPlane } from '@gantry/kube/testing/control-plane';
import { run } from './exec.js';
import { POD, NODE } from './kube-types.js';
import { cidrContains, numberToIp, parseCidr } from './net/cidr.js';
import { IPAM_CONDITION } from './services/service-proxier.js';
import { canRunAgent, startTestAgent, type TestAgent } from './testing/test-agent.js';

const can = await canRunAgent();
// Never skipped: a machine that cannot run the agent fails these tests, saying why.
if (!can.ok) throw new Error(`the node agent integration tests need root and iproute2 (${can.why}); hack/test.sh installs iproute2`);
const suite = describe;

const NS = 'agent-test';
const ECHO_IMAGE = 'registry.k8s.io/gateway-api/echo-basic:v1.5.1';

interface PodJson {
  metadata: { name: string; uid: string; deletionTimestamp?: string };
  status?: {
    phase?: string;
    podIP?: string;
    podIPs?: { ip: string }[];
    hostIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: {
      name: string;
      ready: boolean;
      restartCount: number;
      started?: boolean;
      state: { running?: object; waiting?: { reason: string }; terminated?: { exitCode: number } };
      lastState: { terminated?: { exitCode: number } };
    }[];
  };
}

function condition(pod: PodJson, type: string): string | undefined {
  return pod.status?.conditions?.find((c) => c.type === type)?.status;
}

async function getPod(kc: KubeConfig, name: string): Promise<PodJson> {
  return (await getObject(kc, POD, NS, name)) as unknown as PodJson;
}

async function podExists(kc: KubeConfig, name: string): Promise<boolean> {
  return getObject(kc, POD, NS, name).then(
    () => true,
    () => false,
  );
}

async function waitForPod(kc: KubeConfig, name: string, ok: (p: PodJson) => boolean, what: string, timeoutMs = 20_000): Promise<PodJson> {
  let last: PodJson | undefined;
  await waitFor(
    `${name}: ${what}`,
    async () => {
      last = await getPod(kc, name).catch(() => undefined);
      return last !== undefined && ok(last);
    },
    timeoutMs,
    50,
  );
  return last as PodJson;
}

/** A text (not JSON) GET through the API server, e.g. pod logs. */
async function apiText(kc: KubeConfig, path: string): Promise<{ status: number; body: string }> {
  const server = kc.getCurrentCluster()?.server ?? '';
  const opts: https.RequestOptions = { method: 'GET' };
  await kc.applyToHTTPSOptions(opts);
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(server + path), opts, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function httpGet(host: string, port: number, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path, timeout: 3000, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function netnsList(): Promise<string> {
  return run('ip', ['netns', 'list']);
}

function echoPod(name: string, extra: { readinessPort?: number; labels?: Record<string, string> } = {}): JsonObject {
  return {
    metadata: { name, labels: extra.labels ?? { app: name } },
    spec: {
      containers: [
        {
          name: 'echo',
          image: ECHO_IMAGE,
          env: [
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          ],
          ...(extra.readinessPort ? { readinessProbe: { httpGet: { path: '/', port: extra.readinessPort }, periodSeconds: 1, failureThreshold: 1 } } : {}),
        },
      ],
      terminationGracePeriodSeconds: 2,
    },
  };
}

suite('node agent against a real control plane', () => {
  let cp: ControlPlane;
  let kc: KubeConfig;
  let t: TestAgent;
  const log = recordingLogger('[node-agent]');

  beforeAll(async () => {
    cp = await startControlPlane({ controllerManager: true });
    kc = cp.kubeConfig;
    t = await startTestAgent(kc, { pkiDir: `${cp.stateDir}/pki`, log });
    await createNamespace(kc, NS);
    // The controller manager creates each namespace's default ServiceAccount; Pods need it.
    await waitFor('default ServiceAccount', () => requestOk(kc, `/api/v1/namespaces/${NS}/serviceaccounts/default`).then(() => true, () => false), 30_000, 100);
  }, 120_000);

  afterAll(async () => {
    await t?.stop();
    await cp?.stop();
  }, 60_000);

  it('registers a Ready Node with its lease, address and kubelet endpoint', async () => {
    const node = (await getObject(kc, NODE, undefined, 'gantry-test-node')) as unknown as {
      status: { conditions: { type: string; status: string }[]; addresses: { type: string; address: string }[]; daemonEndpoints: { kubeletEndpoint: { Port: number } } };
    };
    expect(node.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(node.status.addresses).toEqual([{ type: 'InternalIP', address: t.agent.nodeIP }]);
    expect(node.status.daemonEndpoints.kubeletEndpoint.Port).toBe(10250);
    const lease = (await getObject(kc, CORE_KINDS.Lease, 'kube-node-lease', 'gantry-test-node')) as { spec?: { holderIdentity?: string } };
    expect(lease.spec?.holderIdentity).toBe('gantry-test-node');
  });

  it('runs a Deployment of the echo backend: bound, Running, Ready, with an address of the Pod range and its downward-API env', async () => {
    // A readiness probe, so that Ready means serving (without one a Pod is Ready once its process
    // starts, before the echo server listens: a request right then was refused on a busy machine).
    await createObject(kc, CORE_KINDS.Deployment, NS, {
      metadata: { name: 'echo' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'echo' } }, template: echoPod('ignored', { labels: { app: 'echo' }, readinessPort: 3000 }) },
    });
    let pods: PodJson[] = [];
    await waitFor(
      'two Ready echo Pods',
      async () => {
        const list = (await requestOk(kc, `/api/v1/namespaces/${NS}/pods`, { query: { labelSelector: 'app=echo' } })) as unknown as { items: PodJson[] };
        pods = list.items;
        return pods.length === 2 && pods.every((p) => condition(p, 'Ready') === 'True');
      },
      30_000,
      100,
    );
    const range = parseCidr(t.podCidr);
    const ips = new Set<string>();
    for (const pod of pods) {
      const ip = pod.status?.podIP ?? '';
      expect(cidrContains(range, ip)).toBe(true);
      expect(pod.status?.podIPs).toEqual([{ ip }]);
      expect(pod.status?.hostIP).toBe(t.agent.nodeIP);
      expect(pod.status?.phase).toBe('Running');
      for (const type of ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready']) expect(condition(pod, type)).toBe('True');
      expect(pod.status?.containerStatuses?.[0]).toMatchObject({ name: 'echo', ready: true, restartCount: 0, started: true });
      const answer = JSON.parse((await httpGet(ip, 3000, '/hello')).body) as { pod: string; namespace: string; path: string };
      expect(answer).toMatchObject({ pod: pod.metadata.name, namespace: NS, path: '/hello' });
      ips.add(ip);
    }
    expect(ips.size).toBe(2);
  });

  it('gives a LoadBalancer Service its own reachable address, serves its ClusterIP, and withdraws both on deletion', async () => {
    await createObject(kc, CORE_KINDS.Service, NS, {
      metadata: { name: 'echo-lb' },
      spec: { type: 'LoadBalancer', selector: { app: 'echo' }, ports: [{ name: 'http', port: 8080, targetPort: 3000 }] },
    });
    let ip = '';
    let clusterIP = '';
    await waitFor('LoadBalancer ingress', async () => {
      const svc = (await getObject(kc, CORE_KINDS.Service, NS, 'echo-lb')) as { spec: { clusterIP: string }; status?: { loadBalancer?: { ingress?: { ip?: string }[] } } };
      ip = svc.status?.loadBalancer?.ingress?.[0]?.ip ?? '';
      clusterIP = svc.spec.clusterIP;
      return ip !== '';
    });
    expect(cidrContains(parseCidr(t.lbCidr), ip)).toBe(true);
    const seen = new Set<string>();
    await waitFor('answers from both Pods through the LoadBalancer address', async () => {
      const r = await httpGet(ip, 8080, '/lb').catch(() => undefined);
      if (r?.status === 200) seen.add((JSON.parse(r.body) as { pod: string }).pod);
      return seen.size === 2;
    });
    expect((await httpGet(clusterIP, 8080, '/cip')).status).toBe(200);

    await deleteObject(kc, CORE_KINDS.Service, NS, 'echo-lb');
    await waitFor('addresses withdrawn', async () => {
      const addrs = await run('ip', ['-o', 'addr', 'show', 'dev', t.bridge]);
      return !addrs.includes(` ${ip}/32`) && !addrs.includes(` ${clusterIP}/32`);
    });
    // The range stays on this machine: an unassigned address fails at once.
    await expect(httpGet(ip, 8080)).rejects.toThrow(/EHOSTUNREACH|ECONNREFUSED/);
  });

  it('gives a Service the LoadBalancer address it asks for, or refuses it with a condition and no other address', async () => {
    type SvcJson = { status?: { loadBalancer?: { ingress?: { ip?: string }[] }; conditions?: { type: string; status: string; message?: string }[] } };
    const lb = parseCidr(t.lbCidr);
    const wanted = numberToIp(lb.base + lb.size - 10);
    const outside = numberToIp(lb.base + lb.size + 10);
    const read = async (name: string): Promise<SvcJson> => (await getObject(kc, CORE_KINDS.Service, NS, name)) as SvcJson;
    const refusal = (svc: SvcJson) => svc.status?.conditions?.find((c) => c.type === IPAM_CONDITION && c.status === 'False')?.message;
    const spec = (ip: string) => ({ type: 'LoadBalancer', loadBalancerIP: ip, selector: { app: 'echo' }, ports: [{ name: 'http', port: 8080, targetPort: 3000 }] });

    await createObject(kc, CORE_KINDS.Service, NS, { metadata: { name: 'static-a' }, spec: spec(wanted) });
    await waitFor('the requested address', async () => (await read('static-a')).status?.loadBalancer?.ingress?.[0]?.ip === wanted);
    await waitFor('the requested address on the bridge', async () => (await run('ip', ['-o', 'addr', 'show', 'dev', t.bridge])).includes(` ${wanted}/32`));

    // Taken by static-a, or outside the range: refused, and no other address instead.
    await createObject(kc, CORE_KINDS.Service, NS, { metadata: { name: 'static-b' }, spec: spec(wanted) });
    await waitFor('static-b refused: held by static-a', async () => /held by Service/.test(refusal(await read('static-b')) ?? ''));
    await mergePatchObject(kc, CORE_KINDS.Service, NS, 'static-b', { spec: { loadBalancerIP: outside } });
    await waitFor('static-b refused: outside the range', async () => /not in the LoadBalancer range/.test(refusal(await read('static-b')) ?? ''));
    expect((await read('static-b')).status?.loadBalancer?.ingress ?? []).toEqual([]);

    // A usable request: assigned, the refusal withdrawn.
    const free = numberToIp(lb.base + lb.size - 11);
    await mergePatchObject(kc, CORE_KINDS.Service, NS, 'static-b', { spec: { loadBalancerIP: free } });
    await waitFor('static-b moves to its new request', async () => {
      const svc = await read('static-b');
      return svc.status?.loadBalancer?.ingress?.[0]?.ip === free && refusal(svc) === undefined;
    });
    await deleteObject(kc, CORE_KINDS.Service, NS, 'static-a');
    await deleteObject(kc, CORE_KINDS.Service, NS, 'static-b');
  });

  it('builds env (downward API, ConfigMap/Secret refs, $(VAR) expansion) and mounts ConfigMaps and Secrets where the host has no such directory', async () => {
    await createObject(kc, CORE_KINDS.ConfigMap, NS, { metadata: { name: 'settings' }, data: { greeting: 'hello', 'app.conf': 'mode=test\n' } });
    await createObject(kc, CORE_KINDS.Secret, NS, { metadata: { name: 'creds' }, stringData: { token: 's3cr3t' } });
    const script = [
      'echo "name=$POD_NAME ns=$POD_NAMESPACE ip=$POD_IP node=$NODE greeting=$GREETING token=$TOKEN"',
      "echo 'expanded=$(GREETING)-$(POD_NAME) kept=$$(GREETING)'",
      'echo "conf=$(cat /etc/gantry-agent-test/conf/app.conf)"',
      'echo "secret=$(cat /etc/gantry-agent-test/secret/tok)"',
      'echo "host=$(hostname)"',
      'echo "scratch=$(ls -A /scratch-data 2>/dev/null | wc -l)"',
      'exec sleep 3600',
    ].join('; ');
    await createObject(kc, POD, NS, {
      metadata: { name: 'envtest' },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'main',
            image: 'busybox:1.36',
            command: ['sh', '-c', script],
            env: [
              { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
              { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
              { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
              { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'settings', key: 'greeting' } } },
              { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'creds', key: 'token' } } },
            ],
            volumeMounts: [
              { name: 'conf', mountPath: '/etc/gantry-agent-test/conf', readOnly: true },
              { name: 'secret', mountPath: '/etc/gantry-agent-test/secret' },
              { name: 'scratch', mountPath: '/scratch-data' },
            ],
          },
        ],
        volumes: [
          { name: 'conf', configMap: { name: 'settings' } },
          { name: 'secret', secret: { secretName: 'creds', items: [{ key: 'token', path: 'tok' }] } },
          { name: 'scratch', emptyDir: {} },
        ],
      },
    });
    const pod = await waitForPod(kc, 'envtest', (p) => condition(p, 'Ready') === 'True', 'Ready');
    let logs = '';
    await waitFor('the script ran', async () => {
      logs = (await apiText(kc, `/api/v1/namespaces/${NS}/pods/envtest/log`)).body;
      return logs.includes('scratch=');
    });
    expect(logs).toContain(`name=envtest ns=${NS} ip=${pod.status?.podIP} node=gantry-test-node greeting=hello token=s3cr3t`);
    expect(logs).toContain('expanded=hello-envtest kept=$(GREETING)');
    expect(logs).toContain('conf=mode=test');
    expect(logs).toContain('secret=s3cr3t');
    expect(logs).toContain('host=envtest');
    expect(logs).toContain('scratch=0');
    // /etc/gantry-agent-test existed only in the container's overlay; /scratch-data is a
    // top-level mount point, made on the host for the Pod's lifetime only.
    expect(existsSync('/etc/gantry-agent-test')).toBe(false);
    expect(existsSync('/scratch-data')).toBe(true);
    const tail = await apiText(kc, `/api/v1/namespaces/${NS}/pods/envtest/log?tailLines=1&timestamps=true`);
    expect(tail.body).toMatch(/^\d{4}-\d\d-\d\dT\S+ scratch=0\n$/);
    await deleteObject(kc, POD, NS, 'envtest');
    await waitFor('envtest gone', async () => !(await podExists(kc, 'envtest')));
    expect(existsSync('/scratch-data')).toBe(false);
  });

  it('keeps a Pod unready while its readiness probe fails, and Ready once one passes', async () => {
    await createObject(kc, POD, NS, echoPod('probe-ok', { readinessPort: 3000 }));
    await createObject(kc, POD, NS, echoPod('probe-bad', { readinessPort: 3999 }));
    await waitForPod(kc, 'probe-ok', (p) => condition(p, 'Ready') === 'True', 'Ready');
    const bad = await waitForPod(kc, 'probe-bad', (p) => p.status?.phase === 'Running', 'Running');
    await new Promise((r) => setTimeout(r, 2500)); // a few probe periods
    const still = await getPod(kc, 'probe-bad');
    expect(condition(still, 'Ready')).toBe('False');
    expect(condition(still, 'ContainersReady')).toBe('False');
    expect(still.status?.containerStatuses?.[0]).toMatchObject({ ready: false, started: true });
    expect(still.status?.containerStatuses?.[0]?.state.running).toBeDefined();
    expect(bad.metadata.uid).toBe(still.metadata.uid);
  });

  it('restarts a crashing container with back-off; the current and previous runs have logs', async () => {
    await createObject(kc, POD, NS, {
      metadata: { name: 'crasher' },
      spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo "run at $(date +%s%N)"; exit 3'] }] },
    });
    const pod = await waitForPod(kc, 'crasher', (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2, 'two restarts');
    const cs = pod.status?.containerStatuses?.[0];
    expect(cs?.lastState.terminated?.exitCode).toBe(3);
    expect(pod.status?.phase).toBe('Running'); // restartPolicy Always: crashing, not done
    await waitForPod(kc, 'crasher', (p) => p.status?.containerStatuses?.[0]?.state.waiting?.reason === 'CrashLoopBackOff', 'CrashLoopBackOff');
    const current = await apiText(kc, `/api/v1/namespaces/${NS}/pods/crasher/log`);
    const previous = await apiText(kc, `/api/v1/namespaces/${NS}/pods/crasher/log?previous=true`);
    expect(current.status).toBe(200);
    expect(current.body).toMatch(/^run at \d+\n$/);
    expect(previous.body).toMatch(/^run at \d+\n$/);
  });

  it('runs an Envoy Pod shaped like the deployer renders it: bootstrap ConfigMap at /etc/envoy, emptyDir /tmp, sysctl, readiness on :19001', async () => {
    const bootstrap = {
      admin: { address: { socket_address: { address: '127.0.0.1', port_value: 19000 } } },
      static_resources: {
        listeners: [
          {
            name: 'ready',
            address: { socket_address: { address: '0.0.0.0', port_value: 19001 } },
            filter_chains: [
              {
                filters: [
                  {
                    name: 'envoy.filters.network.http_connection_manager',
                    typed_config: {
                      '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                      stat_prefix: 'ready',
                      route_config: { virtual_hosts: [{ name: 'r', domains: ['*'], routes: [{ match: { prefix: '/' }, direct_response: { status: 200 } }] }] },
                      http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
                    },
                  },
                ],
              },
            ],
          },
        ],
      },
    };
    await createObject(kc, CORE_KINDS.ConfigMap, NS, { metadata: { name: 'gw-bootstrap' }, data: { 'envoy.json': JSON.stringify(bootstrap) } });
    await createObject(kc, POD, NS, {
      metadata: { name: 'gw-envoy' },
      spec: {
        automountServiceAccountToken: false,
        terminationGracePeriodSeconds: 2,
        securityContext: { runAsNonRoot: true, runAsUser: 101, sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }] },
        containers: [
          {
            name: 'envoy',
            image: 'envoyproxy/envoy:v1.39.3',
            command: ['envoy'],
            args: ['-c', '/etc/envoy/envoy.json', '--service-node', '$(POD_NAME)', '--log-level', 'info', '--disable-hot-restart'],
            env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } }],
            readinessProbe: { httpGet: { path: '/ready', port: 19001, scheme: 'HTTP' }, periodSeconds: 5, timeoutSeconds: 1 },
            securityContext: { readOnlyRootFilesystem: true },
            volumeMounts: [
              { name: 'bootstrap', mountPath: '/etc/envoy', readOnly: true },
              { name: 'tmp', mountPath: '/tmp' },
            ],
          },
        ],
        volumes: [
          { name: 'bootstrap', configMap: { name: 'gw-bootstrap', items: [{ key: 'envoy.json', path: 'envoy.json' }] } },
          { name: 'tmp', emptyDir: {} },
        ],
      },
    });
    const pod = await waitForPod(kc, 'gw-envoy', (p) => condition(p, 'Ready') === 'True', 'Ready', 30_000);
    expect((await httpGet(pod.status?.podIP ?? '', 19001, '/ready')).status).toBe(200);
    const netns = t.agent.pod(NS, 'gw-envoy')?.netnsName ?? '';
    expect((await run('ip', ['netns', 'exec', netns, 'sysctl', '-n', 'net.ipv4.ip_unprivileged_port_start'])).trim()).toBe('0');
    const logs = await apiText(kc, `/api/v1/namespaces/${NS}/pods/gw-envoy/log?container=envoy`);
    expect(logs.body).toContain('starting main dispatch loop');
    expect(existsSync('/etc/envoy')).toBe(false);
  });

  it('deletes a Pod: TERM, KILL after the grace period, namespace and address gone, object removed', async () => {
    await createObject(kc, POD, NS, {
      metadata: { name: 'stubborn' },
      spec: { terminationGracePeriodSeconds: 2, containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'trap "" TERM; while :; do sleep 0.2; done'] }] },
    });
    await waitForPod(kc, 'stubborn', (p) => condition(p, 'Ready') === 'True', 'Ready');
    const worker = t.agent.pod(NS, 'stubborn');
    const pids = worker?.pids() ?? [];
    const netns = worker?.netnsName ?? '';
    expect(pids.length).toBe(1);
    expect(await netnsList()).toContain(netns);
    const started = Date.now();
    await deleteObject(kc, POD, NS, 'stubborn');
    await waitFor('stubborn removed', async () => !(await podExists(kc, 'stubborn')), 15_000);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(1900); // it ignored TERM: KILL came after the grace period
    expect(took).toBeLessThan(8000);
    for (const pid of pids) expect(pidAlive(pid)).toBe(false);
    expect(await netnsList()).not.toContain(netns);
  });

  it('stops cleanly: no process, namespace, bridge or address left behind', async () => {
    const pids = t.agent.pods.list().flatMap((w) => w.pids());
    expect(pids.length).toBeGreaterThan(0);
    await t.stop();
    for (const pid of pids) expect(pidAlive(pid)).toBe(false);
    expect((await netnsList()).split('\n').filter((l) => l.startsWith(`${t.bridge}_`))).toEqual([]);
    await expect(run('ip', ['link', 'show', 'dev', t.bridge])).rejects.toThrow();
    expect(await run('ip', ['route', 'show', t.lbCidr])).toBe('');
    expect(existsSync(t.stateDir)).toBe(false);
    const node = (await getObject(kc, NODE, undefined, 'gantry-test-node')) as { status: { conditions: { type: string; status: string }[] } };
    expect(node.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('False');
  });
});
