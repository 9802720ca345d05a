import { describe, expect, it } from '@jest/globals';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type * as https from 'node:https';
import { KubeClientConfig, inClusterConfig, loadKubeconfig, parseExecCredential, resolveKubeconfig, type KubeconfigDocument } from './kubeconfig.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

function doc(content: unknown, dir = '/etc/kube'): KubeconfigDocument {
  return { dir, content };
}

const first = doc({
  'current-context': 'a',
  contexts: [
    { name: 'a', context: { cluster: 'c1', user: 'u1', namespace: 'team' } },
    { name: 'b', context: { cluster: 'c2', user: 'u2' } },
  ],
  clusters: [{ name: 'c1', cluster: { server: 'https://one:6443/', 'certificate-authority-data': b64('CA1'), 'tls-server-name': 'api.one' } }],
  users: [{ name: 'u1', user: { token: 'tok1' } }],
});
const second = doc({
  'current-context': 'b',
  contexts: [{ name: 'a', context: { cluster: 'ignored', user: 'ignored' } }],
  clusters: [
    { name: 'c1', cluster: { server: 'https://ignored' } },
    { name: 'c2', cluster: { server: 'https://two', 'certificate-authority': 'ca.pem', 'insecure-skip-tls-verify': true } },
  ],
  users: [{ name: 'u2', user: { 'client-certificate': 'certs/c.pem', 'client-key-data': b64('KEY'), tokenFile: 'tok' } }],
}, '/home/me/.kube');

describe('resolveKubeconfig', () => {
  const read = (f: string): string => `file:${f}`;

  it('merges as kubectl does: the first document that sets a value wins', () => {
    const r = resolveKubeconfig([first, second], { read });
    expect(r).toEqual({
      contextName: 'a',
      namespace: 'team',
      cluster: { server: 'https://one:6443', ca: 'CA1', insecureSkipTlsVerify: false, tlsServerName: 'api.one' },
      user: { token: 'tok1' },
    });
  });

  it('takes current-context from the first document that sets it, names from any', () => {
    const r = resolveKubeconfig([doc({ contexts: [] }), second, first], { read });
    expect(r.contextName).toBe('b');
    expect(r.cluster).toEqual({ server: 'https://two', ca: 'file:/home/me/.kube/ca.pem', insecureSkipTlsVerify: true });
    expect(r.user).toEqual({ tokenFile: '/home/me/.kube/tok', clientCertificate: 'file:/home/me/.kube/certs/c.pem', clientKey: 'KEY' });
  });

  it('honours an explicit context', () => {
    expect(resolveKubeconfig([first, second], { context: 'b', read }).cluster.server).toBe('https://two');
  });

  it('reads basic auth and exec plugins (command relative to the file when it has a slash)', () => {
    const d = doc({
      'current-context': 'x',
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      clusters: [{ name: 'c', cluster: { server: 'https://s' } }],
      users: [{ name: 'u', user: { username: 'me', password: 'pw', exec: { command: './bin/get-token', args: ['--x'], env: [{ name: 'A', value: '1' }], apiVersion: 'client.authentication.k8s.io/v1beta1' } } }],
    });
    const r = resolveKubeconfig([d], { read });
    expect(r.user).toEqual({
      username: 'me',
      password: 'pw',
      exec: { command: '/etc/kube/bin/get-token', args: ['--x'], env: [{ name: 'A', value: '1' }], apiVersion: 'client.authentication.k8s.io/v1beta1', provideClusterInfo: false },
    });
  });

  it('names what is missing or unsupported', () => {
    const base = { contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }], clusters: [{ name: 'c', cluster: { server: 'https://s' } }] };
    expect(() => resolveKubeconfig([doc({ ...base })])).toThrow('no current-context is set');
    expect(() => resolveKubeconfig([doc({ ...base, 'current-context': 'y' })])).toThrow('context "y" is not defined');
    expect(() => resolveKubeconfig([doc({ ...base, 'current-context': 'x' })])).toThrow('user "u" (of context "x") is not defined');
    expect(() => resolveKubeconfig([doc({ ...base, 'current-context': 'x', users: [{ name: 'u', user: { 'auth-provider': { name: 'gcp' } } }] })]))
      .toThrow('users[u].auth-provider (gcp) is not supported');
    expect(() => resolveKubeconfig([doc({ ...base, 'current-context': 'x', users: [{ name: 'u', user: { 'client-certificate-data': b64('C') } }] })]))
      .toThrow('client-certificate and client-key go together');
  });
});

describe('inClusterConfig', () => {
  it('uses the service host (IPv6 in brackets), the CA and the token file', () => {
    const r = inClusterConfig({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, '/sa', (f) => `file:${f}`);
    expect(r.cluster).toEqual({ server: 'https://[fd00::1]:443', ca: 'file:/sa/ca.crt', insecureSkipTlsVerify: false });
    expect(r.user).toEqual({ tokenFile: '/sa/token' });
  });
  it('refuses outside a Pod', () => {
    expect(() => inClusterConfig({})).toThrow('not in a cluster');
  });
});

describe('parseExecCredential', () => {
  it('reads the token, the certificate and the expiry', () => {
    expect(parseExecCredential(JSON.stringify({ kind: 'ExecCredential', status: { token: 't', expirationTimestamp: '2030-01-01T00:00:00Z' } }), 'p'))
      .toEqual({ token: 't', expiresAt: Date.parse('2030-01-01T00:00:00Z') });
    expect(parseExecCredential(JSON.stringify({ kind: 'ExecCredential', status: { clientCertificateData: 'C', clientKeyData: 'K' } }), 'p'))
      .toEqual({ clientCertificateData: 'C', clientKeyData: 'K' });
    expect(() => parseExecCredential('{}', 'p')).toThrow('not an ExecCredential');
    expect(() => parseExecCredential(JSON.stringify({ kind: 'ExecCredential', status: {} }), 'p')).toThrow('neither a token');
  });
});

describe('KubeClientConfig', () => {
  it('loads KUBECONFIG lists (missing files skipped), re-reads token files and runs exec plugins again on 401', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kubeconfig-test-'));
    try {
      const plugin = path.join(dir, 'plugin.sh');
      // Each run prints a new token (a counter in a file) and shows it got its env and KUBERNETES_EXEC_INFO.
      writeFileSync(plugin, `#!/bin/sh
n=$(cat "${dir}/count" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "${dir}/count"
case "$KUBERNETES_EXEC_INFO" in *ExecCredential*) ;; *) exit 3;; esac
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s-%s"}}' "$PREFIX" "$n"
`);
      chmodSync(plugin, 0o755);
      writeFileSync(path.join(dir, 'a.yaml'), `
current-context: exec
contexts:
- name: exec
  context: {cluster: c, user: e}
- name: file
  context: {cluster: c, user: f}
`);
      writeFileSync(path.join(dir, 'b.yaml'), `
current-context: file
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}
users:
- name: e
  user:
    exec: {command: ./plugin.sh, apiVersion: client.authentication.k8s.io/v1, env: [{name: PREFIX, value: p}]}
- name: f
  user: {tokenFile: tok}
`);
      const env = { KUBECONFIG: [path.join(dir, 'missing.yaml'), path.join(dir, 'a.yaml'), path.join(dir, 'b.yaml')].join(path.delimiter), PATH: process.env['PATH'] ?? '' };
      const kc = KubeClientConfig.load({ env });
      const auth = async (c: KubeClientConfig): Promise<unknown> => {
        const o: https.RequestOptions = {};
        await c.applyToHTTPSOptions(o);
        return (o.headers as Record<string, unknown> | undefined)?.['Authorization'];
      };
      expect(kc.resolved.contextName).toBe('exec');
      expect(await auth(kc)).toBe('Bearer p-1');
      expect(await auth(kc)).toBe('Bearer p-1');
      expect(await kc.onUnauthorized()).toBe(true);
      expect(await auth(kc)).toBe('Bearer p-2');

      writeFileSync(path.join(dir, 'tok'), 'one\n');
      const byFile = KubeClientConfig.load({ env, context: 'file' });
      const o: https.RequestOptions = {};
      await byFile.applyToHTTPSOptions(o);
      expect(o.rejectUnauthorized).toBe(false);
      expect(await auth(byFile)).toBe('Bearer one');
      writeFileSync(path.join(dir, 'tok'), 'second-token\n');
      expect(await auth(byFile)).toBe('Bearer second-token');

      // --kubeconfig: that file alone (its context is defined in a.yaml only).
      expect(() => loadKubeconfig({ file: path.join(dir, 'b.yaml') })).toThrow('context "file" is not defined');
      expect(() => loadKubeconfig({ env: {}, home: dir })).toThrow('no kubeconfig');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
