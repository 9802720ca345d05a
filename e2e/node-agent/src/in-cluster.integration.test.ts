// What the node agent gives Pods for in-cluster clients (--api-service, --service-hosts), against a
// real control plane: KUBERNETES_SERVICE_HOST/PORT naming the `kubernetes` ClusterIP, which the
// agent forwards to the API server, so a Pod authenticates with its projected ServiceAccount token
// and verifies the server with the projected CA, by IP and by the name kubernetes.default.svc; an
// /etc/hosts naming Service ClusterIPs, kept current; a resolv.conf that fails at once. The
// control plane gets a Service range of its own (10.252.N.0/24), so its ClusterIPs clash with no
// other local cluster. Needs root and iproute2, like node-agent.integration.test.ts.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import * as https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { CORE_KINDS, requestOk } from '@gantry/kube';
import { createNamespace, createObject, getObject, recordingLogger, waitFor } from '@gantry/kube/testing/api-helpers';
import { startControlPlane, type ControlPlane } from '@gantry/kube/testing/control-plane';
import { run } from './exec.js';
import { POD } from './kube-types.js';
import { canRunAgent, startTestAgent, type TestAgent } from './testing/test-agent.js';

const can = await canRunAgent();
if (!can.ok) throw new Error(`the node agent integration tests need root and iproute2 (${can.why}); hack/test.sh installs iproute2`);

const NS = 'in-cluster-test';

/** A /24 under 10.252.0.0/16 that no interface on this machine has an address in. */
async function freeServiceCidr(): Promise<string> {
  const addrs = await run('ip', ['-o', 'addr', 'show']);
  for (let i = 0; i < 50; i++) {
    const n = 1 + Math.floor(Math.random() * 250);
    if (!addrs.includes(`10.252.${n}.`)) return `10.252.${n}.0/24`;
  }
  throw new Error('no free Service range under 10.252.0.0/16');
}

async function podLog(kc: KubeConfig, name: string): Promise<string> {
  const server = kc.getCurrentCluster()?.server ?? '';
  const opts: https.RequestOptions = { method: 'GET' };
  await kc.applyToHTTPSOptions(opts);
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(`${server}/api/v1/namespaces/${NS}/pods/${name}/log`), opts, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('node agent: in-cluster clients (--api-service, --service-hosts)', () => {
  let cp: ControlPlane;
  let kc: KubeConfig;
  let t: TestAgent;
  let serviceCidr: string;
  const log = recordingLogger('[node-agent]');

  beforeAll(async () => {
    serviceCidr = await freeServiceCidr();
    cp = await startControlPlane({ controllerManager: true, serviceCidr });
    kc = cp.kubeConfig;
    t = await startTestAgent(kc, { pkiDir: `${cp.stateDir}/pki`, log, apiService: true, serviceHosts: true });
    await createNamespace(kc, NS);
    // The controller manager creates the default ServiceAccount and the kube-root-ca.crt ConfigMap
    // that the admission-injected token volume projects.
    await waitFor('default ServiceAccount', () => requestOk(kc, `/api/v1/namespaces/${NS}/serviceaccounts/default`).then(() => true, () => false), 30_000, 100);
    await waitFor('kube-root-ca.crt', () => requestOk(kc, `/api/v1/namespaces/${NS}/configmaps/kube-root-ca.crt`).then(() => true, () => false), 30_000, 100);
  }, 120_000);

  afterAll(async () => {
    await t?.stop();
    await cp?.stop();
  }, 60_000);

  it('lets a Pod reach the API server as its ServiceAccount through the kubernetes ClusterIP, by IP and by name', async () => {
    await createObject(kc, CORE_KINDS.Service, NS, { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] } });
    await waitFor('web in the hosts file', async () => (await readFile(`${t.stateDir}/hosts`, 'utf8')).includes(`web.${NS}.svc`), 10_000, 50);
    const sa = '/var/run/secrets/kubernetes.io/serviceaccount';
    const curl = `curl -sS --max-time 5 --cacert ${sa}/ca.crt -H "Authorization: Bearer $TOKEN"`;
    const script = [
      `TOKEN=\`cat ${sa}/token\``,
      'echo "env $KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT $KUBERNETES_PORT"',
      `echo "by-ip $(${curl} -o /dev/null -w '%{http_code}' https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/version)"`,
      `echo "by-name $(${curl} -o /dev/null -w '%{http_code}' https://kubernetes.default.svc/version)"`,
      // Not allowed to list Secrets: the 403 names who the server thinks the Pod is.
      `echo "whoami $(${curl} https://kubernetes.default.svc/api/v1/namespaces/${NS}/secrets | grep -o 'system:serviceaccount:[a-z0-9:-]*' | head -n 1)"`,
      `echo "hosts $(grep -c '[[:space:]]web.${NS}.svc web.${NS}.svc.cluster.local web.${NS}.svc.cluster.local.$' /etc/hosts)"`,
      'echo "resolv $(grep ^nameserver /etc/resolv.conf)"',
    ].join('; ');
    // `$$(` keeps the kubelet's $(VAR) expansion away from the shell's command substitution.
    await createObject(kc, POD, NS, {
      metadata: { name: 'client' },
      spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox:1.36', command: ['sh', '-c', script.replace(/\$\(/g, '$$$$(')] }] },
    });
    await waitFor('client Pod Succeeded', async () => ((await getObject(kc, POD, NS, 'client')) as { status?: { phase?: string } }).status?.phase === 'Succeeded', 30_000, 100);
    const out = await podLog(kc, 'client');
    const svc = (await getObject(kc, CORE_KINDS.Service, 'default', 'kubernetes')) as { spec: { clusterIP: string } };
    expect(svc.spec.clusterIP).toBe(serviceCidr.replace(/0\/24$/, '1'));
    expect(out).toContain(`env ${svc.spec.clusterIP}:443 tcp://${svc.spec.clusterIP}:443`);
    expect(out).toContain('by-ip 200');
    expect(out).toContain('by-name 200');
    expect(out).toContain(`whoami system:serviceaccount:${NS}:default`);
    expect(out).toContain('hosts 1');
    expect(out).toContain('resolv nameserver 127.0.0.1');
  }, 60_000);

  it('keeps the hosts file current as Services come and go', async () => {
    await createObject(kc, CORE_KINDS.Service, NS, { metadata: { name: 'late' }, spec: { selector: { app: 'late' }, ports: [{ port: 8080 }] } });
    const late = (await getObject(kc, CORE_KINDS.Service, NS, 'late')) as { spec: { clusterIP: string } };
    const hosts = `${t.stateDir}/hosts`;
    await waitFor('late in /etc/hosts', async () => (await readFile(hosts, 'utf8')).includes(`${late.spec.clusterIP}\tlate.${NS}.svc late.${NS}.svc.cluster.local late.${NS}.svc.cluster.local.\n`), 10_000, 50);
    await requestOk(kc, `/api/v1/namespaces/${NS}/services/late`, { method: 'DELETE' });
    await waitFor('late gone from /etc/hosts', async () => !(await readFile(hosts, 'utf8')).includes(`late.${NS}.svc`), 10_000, 50);
  }, 30_000);
});
