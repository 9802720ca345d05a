import { describe, expect, it } from '@jest/globals';
import type { ConfigMap, Container, Pod, Secret } from '../kube-types.js';
import { containerEnv, expandVars } from './env.js';
import type { PodRuntimeFacts } from './field-ref.js';
import { ContainerConfigError, type ObjectSource } from './object-source.js';

const facts: PodRuntimeFacts = { podIP: '10.244.0.7', hostIP: '10.244.0.1', nodeName: 'gantry-node', nodeCpuCores: 2, nodeMemoryBytes: 2 ** 34 };

function source(configMaps: Record<string, ConfigMap['data']>, secrets: Record<string, Record<string, string>>): ObjectSource {
  return {
    configMap: async (_ns, name) => (configMaps[name] ? { metadata: { name }, data: configMaps[name] } : undefined),
    secret: async (_ns, name): Promise<Secret | undefined> => {
      const s = secrets[name];
      return s ? { metadata: { name }, data: Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) } : undefined;
    },
    serviceAccountToken: async () => 'token',
  };
}

function pod(container: Container): Pod {
  return { metadata: { name: 'web-1', namespace: 'shop', uid: 'u-1', labels: { app: 'web' } }, spec: { nodeName: 'gantry-node', containers: [container] } };
}

describe('$(VAR) expansion', () => {
  const vars: Record<string, string> = { A: 'x', EMPTY: '' };
  const lookup = (n: string): string | undefined => vars[n];
  it.each([
    ['$(A)', 'x'],
    ['pre-$(A)-post', 'pre-x-post'],
    ['$(EMPTY)|', '|'],
    ['$(MISSING)', '$(MISSING)'],
    ['$$(A)', '$(A)'],
    ['$$$(A)', '$x'],
    ['$A $', '$A $'],
    ['$(unterminated', '$(unterminated'],
  ])('%s → %s', (input, out) => expect(expandVars(input, lookup)).toBe(out));
});

describe('container env', () => {
  it('applies envFrom, then env in order, with the downward API and key references', async () => {
    const c: Container = {
      name: 'c',
      envFrom: [{ configMapRef: { name: 'base' } }, { prefix: 'S_', secretRef: { name: 'creds' } }],
      env: [
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
        { name: 'MODE', value: 'override' },
        { name: 'URL', value: 'http://$(POD_IP):$(PORT)/$(NOPE)' },
        { name: 'KEY', valueFrom: { configMapKeyRef: { name: 'base', key: 'PORT' } } },
      ],
    };
    const env = await containerEnv(pod(c), c, facts, source({ base: { MODE: 'base', PORT: '8080', 'bad key': 'x' } }, { creds: { user: 'u' } }));
    expect(Object.fromEntries(env)).toEqual({
      MODE: 'override',
      PORT: '8080',
      S_user: 'u',
      POD_NAME: 'web-1',
      NAMESPACE: 'shop',
      POD_IP: '10.244.0.7',
      APP: 'web',
      CPU: '2',
      URL: 'http://10.244.0.7:8080/$(NOPE)',
      KEY: '8080',
    });
  });

  it('refuses to start without a required reference, and skips optional ones', async () => {
    const missing: Container = { name: 'c', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'nope', key: 'k' } } }] };
    await expect(containerEnv(pod(missing), missing, facts, source({}, {}))).rejects.toBeInstanceOf(ContainerConfigError);
    const missingKey: Container = { name: 'c', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } }] };
    await expect(containerEnv(pod(missingKey), missingKey, facts, source({ cm: {} }, {}))).rejects.toThrow(/key "k" not found/);
    const optional: Container = { name: 'c', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'nope', key: 'k', optional: true } } }], envFrom: [{ configMapRef: { name: 'nope', optional: true } }] };
    expect((await containerEnv(pod(optional), optional, facts, source({}, {}))).size).toBe(0);
  });
});
