// The kubeconfig loader's credentials against a real API server: the admin's client certificate,
// a ServiceAccount token from a token file and from an exec plugin (run again after a 401), and
// an HTTP CONNECT proxy (proxy-url). Who the server took us for is its SelfSubjectReview.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { KubeClientConfig } from './kubeconfig.js';
import { requestOk, type RequestOptions } from './rest.js';
import { createNamespace } from './testing/api-helpers.js';
import { startControlPlane, type ControlPlane } from './testing/control-plane.js';

let cp: ControlPlane;
let dir: string;
let token: string;
let caData: string;

async function whoAmI(kc: KubeClientConfig): Promise<string> {
  const opts: RequestOptions = {
    method: 'POST',
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
  };
  const review = (await requestOk(kc, '/apis/authentication.k8s.io/v1/selfsubjectreviews', opts)) as { status: { userInfo: { username: string } } };
  return review.status.userInfo.username;
}

function kubeconfig(name: string, user: string, clusterExtra = ''): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(file, `apiVersion: v1
kind: Config
current-context: ctx
contexts:
- name: ctx
  context: {cluster: c, user: u}
clusters:
- name: c
  cluster:
    server: ${cp.server}
    certificate-authority-data: ${caData}
${clusterExtra}
users:
- name: u
  user:
${user}
`);
  return file;
}

beforeAll(async () => {
  cp = await startControlPlane();
  dir = mkdtempSync(path.join(tmpdir(), 'kubeconfig-it-'));
  const admin = cp.kubeConfig;
  caData = admin.getCurrentCluster()?.caData ?? '';
  await createNamespace(admin, 'who');
  await requestOk(admin, '/api/v1/namespaces/who/serviceaccounts', { method: 'POST', body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'me' } } });
  const review = (await requestOk(admin, '/api/v1/namespaces/who/serviceaccounts/me/token', {
    method: 'POST',
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
  })) as { status: { token: string } };
  token = review.status.token;
}, 5 * 60_000);

afterAll(async () => {
  await cp?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const SA = 'system:serviceaccount:who:me';

describe('KubeClientConfig against a real API server', () => {
  it('authenticates with the client certificate of the admin kubeconfig', async () => {
    expect(await whoAmI(KubeClientConfig.load({ file: cp.kubeconfigPath }))).not.toBe(SA);
  });

  it('authenticates with a token file, read again when it changes', async () => {
    writeFileSync(path.join(dir, 'token'), 'not-a-token');
    const kc = KubeClientConfig.load({ file: kubeconfig('tokenfile', '    tokenFile: token') });
    await expect(whoAmI(kc)).rejects.toMatchObject({ statusCode: 401 });
    writeFileSync(path.join(dir, 'token'), `${token}\n`);
    expect(await whoAmI(kc)).toBe(SA);
  });

  it('runs an exec plugin, and again when the server answers 401', async () => {
    const plugin = path.join(dir, 'plugin.sh');
    // First run: a token the server refuses; later runs: the real one.
    writeFileSync(plugin, `#!/bin/sh
n=$(cat "${dir}/runs" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "${dir}/runs"
if [ $n = 1 ]; then t=expired; else t=$(cat "${dir}/sa-token"); fi
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}' "$t"
`);
    chmodSync(plugin, 0o755);
    writeFileSync(path.join(dir, 'sa-token'), token);
    const kc = KubeClientConfig.load({ file: kubeconfig('exec', '    exec: {apiVersion: client.authentication.k8s.io/v1, command: ./plugin.sh}') });
    expect(await whoAmI(kc)).toBe(SA);
    expect(await whoAmI(kc)).toBe(SA);
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(path.join(dir, 'runs'), 'utf8').trim()).toBe('2');
  });

  it('goes through an HTTP proxy (proxy-url)', async () => {
    const tunnels: string[] = [];
    const sockets = new Set<Socket>();
    const proxy: Server = createServer((client) => {
      sockets.add(client);
      client.once('data', (head) => {
        const line = head.toString('latin1').split('\r\n')[0] ?? '';
        const m = /^CONNECT ([^ ]+):(\d+) HTTP/.exec(line);
        if (!m) return client.destroy();
        tunnels.push(`${m[1]}:${m[2]}`);
        const upstream = connect(Number(m[2]), m[1], () => {
          client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
          upstream.pipe(client);
          client.pipe(upstream);
        });
        sockets.add(upstream);
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (proxy.address() as { port: number }).port;
      const kc = KubeClientConfig.load({ file: kubeconfig('proxy', `    token: ${token}`, `    proxy-url: http://127.0.0.1:${port}`) });
      expect(await whoAmI(kc)).toBe(SA);
      expect(tunnels).toEqual([new URL(cp.server).host]);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });
});
