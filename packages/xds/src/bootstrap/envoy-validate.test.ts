// Every golden case's static bootstrap, and the ADS bootstraps, must be accepted by the real
// Envoy (`envoy --mode validate`), the same binary the data plane runs.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validate, type ClusterIR, type GatewayIR } from '@gantry/ir';
import { envoyBinary, goldenCases } from '../translator/testing/index.js';
import { translateXds } from '../translator/translator.js';
import { adsBootstrap } from './ads.js';
import { staticBootstrap } from './static.js';

let envoy = '';
let dir = '';

beforeAll(() => {
  envoy = envoyBinary();
  dir = mkdtempSync(join(tmpdir(), 'gantry-xds-validate-'));
});

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

function envoyValidate(name: string, bootstrap: object): { ok: boolean; output: string } {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(bootstrap), { mode: 0o600 });
  // Warnings included: a deprecated field works today and is removed in a later Envoy.
  const r = spawnSync(envoy, ['--mode', 'validate', '-c', file, '-l', 'warning', '--disable-hot-restart'], { encoding: 'utf8', timeout: 60_000 });
  return { ok: r.status === 0, output: `${r.stdout}\n${r.stderr}`.trim() };
}

describe('envoy --mode validate', () => {
  for (const c of goldenCases()) {
    it(`accepts the static bootstrap of ${c.name}`, () => {
      const result = envoyValidate(c.name, staticBootstrap(translateXds(c.ir), { gatewayKey: c.ir.key }));
      expect(result.output).toContain('OK');
      expect(result.output).not.toContain('Deprecated field');
      expect(result.ok).toBe(true);
    });
  }

  it('accepts the ADS bootstraps (delta and SotW, IP and DNS server address, deferred and trimmed cluster stats)', () => {
    const variants = [
      { name: 'ads-delta-ip', sotw: false, xdsHost: '127.0.0.1' },
      { name: 'ads-sotw-dns', sotw: true, xdsHost: 'gantry.gantry-system.svc.cluster.local' },
      { name: 'ads-delta-ipv6', sotw: false, xdsHost: '::1' },
      { name: 'ads-deferred-stats', sotw: false, xdsHost: '127.0.0.1', deferredClusterStats: true },
      { name: 'ads-trimmed-stats', sotw: false, xdsHost: '127.0.0.1', deferredClusterStats: true, trimClusterStats: true },
    ];
    for (const v of variants) {
      const result = envoyValidate(v.name, adsBootstrap({ gatewayKey: 'default/gw', nodeId: 'gw-abc', xdsHost: v.xdsHost, xdsPort: 18000, sotw: v.sotw, deferredClusterStats: v.deferredClusterStats === true, trimClusterStats: v.trimClusterStats === true }));
      expect(`${v.name}: ${result.output}`).toContain('OK');
    }
  });

  // validate() reports what Envoy would NACK: each of these fails both.
  it('refuses the cluster policies validate() reports', () => {
    const host = { type: 'static', hosts: [{ address: '127.0.0.1', port: 8080 }] } as const;
    const hc = { intervalMs: 1000, timeoutMs: 500, unhealthyThreshold: 1, healthyThreshold: 1 } as const;
    const bad: Record<string, Partial<ClusterIR>> = {
      'grpc-check-on-http1': { discovery: host, healthCheck: { ...hc, check: { type: 'grpc' } } },
      'maglev-not-prime': { discovery: host, loadBalancer: { type: 'maglev', tableSize: 65536 } },
      'ring-min-above-max': { discovery: host, loadBalancer: { type: 'ringHash', minimumRingSize: 10, maximumRingSize: 5 } },
      'choice-count-1': { discovery: host, loadBalancer: { type: 'leastRequest', choiceCount: 1 } },
      'status-600': { discovery: host, healthCheck: { ...hc, check: { type: 'http', path: '/', expectedStatuses: [{ start: 200, end: 600 }] } } },
      'empty-tcp-send': { discovery: host, healthCheck: { ...hc, check: { type: 'tcp', send: '' } } },
      'weight-0': { discovery: { type: 'static', hosts: [{ address: '127.0.0.1', port: 8080, weight: 0 }] } },
      'static-name': { discovery: { type: 'static', hosts: [{ address: 'localhost', port: 8080 }] } },
    };
    for (const [name, cluster] of Object.entries(bad)) {
      const ir: GatewayIR = { key: 'a/b', namespace: 'a', name: 'b', listeners: [], clusters: [{ name: 'c', protocol: 'http1', ...cluster }], endpoints: [], secrets: [] };
      expect([name, validate(ir).length > 0]).toEqual([name, true]);
      expect([name, envoyValidate(name, staticBootstrap(translateXds(ir))).ok]).toEqual([name, false]);
    }
  });

  it('rejects a broken bootstrap (the check is real)', () => {
    const bootstrap = staticBootstrap(translateXds(goldenCases()[0]!.ir));
    const broken = JSON.parse(JSON.stringify(bootstrap).replace(/"pathSeparatedPrefix":"\/api"/, '"pathSeparatedPrefix":"/api/"')) as object;
    expect(JSON.stringify(broken)).toContain('"/api/"');
    expect(envoyValidate('broken', broken).ok).toBe(false);
  });
});
