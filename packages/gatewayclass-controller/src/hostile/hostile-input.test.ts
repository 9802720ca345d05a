// The hostile-input suite: hundreds of malformed and malicious manifests, through the same path
// `gantry translate` and `gantry standalone` take (loader → gateway translator → xds translator).
// For each: no exception, no hang past its bound, the expected error or condition, the valid route
// beside it still emitted, nothing encoded that Envoy would refuse (no xds encode failure), and no
// private key in any output. Then the real Envoy validates every Gateway's static bootstrap,
// batched many Gateways to one bootstrap (each listener on a port of its own) to stay fast.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redactIR, type GatewayIR } from '@gantry/ir';
import { kindSpec, type KubeObject } from '@gantry/api';
import { snapshotToEnvoyJson } from '@gantry/xds/translator/index';
import { staticBootstrap } from '@gantry/xds/bootstrap/index';
import type { XdsSnapshot } from '@gantry/xds';
import { envoyBinary } from '@gantry/xds/testing/envoy-binary';
import { buildSnapshot, formatManifestError, parseManifests } from '../manifests/load.js';
import { Pipeline } from '../pipeline.js';
import { base, generatedCases, manifest, route, type HostileCase } from './testing/cases.js';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gantry-hostile-'));
});
afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

// ---- certificates, made with openssl at test time (no key is committed) -------------------------

interface Pem {
  readonly cert: string;
  readonly key: string;
}

function certificate(keyArgs: readonly string[]): Pem {
  const d = mkdtempSync(join(tmpdir(), 'gantry-hostile-cert-'));
  try {
    execFileSync('openssl', ['req', '-x509', ...keyArgs, '-nodes', '-keyout', join(d, 'k.pem'), '-out', join(d, 'c.pem'), '-days', '1', '-subj', '/CN=a.example.com'], { stdio: ['ignore', 'ignore', 'pipe'] });
    return { cert: readFileSync(join(d, 'c.pem'), 'utf8'), key: readFileSync(join(d, 'k.pem'), 'utf8') };
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}

function tlsSecret(name: string, pem: Pem, type = 'kubernetes.io/tls', crt = pem.cert): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name }, type, stringData: { 'tls.crt': crt, 'tls.key': pem.key } };
}

const HTTPS = (cert: string) => [{ name: 'http', port: 80, protocol: 'HTTP' }, { name: 'https', port: 443, protocol: 'HTTPS', hostname: 'a.example.com', tls: { certificateRefs: [{ name: cert }] } }];

function certificateCases(): HostileCase[] {
  const good = certificate(['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1']);
  const refused = (name: string, secret: Record<string, unknown>): HostileCase => ({
    name,
    text: manifest([...base(HTTPS('cert')), secret]),
    expect: { object: 'Gateway/gw', condition: { type: 'ResolvedRefs', status: 'False', reason: 'InvalidCertificateRef' } },
  });
  return [
    refused('RSA 1024 certificate', tlsSecret('cert', certificate(['-newkey', 'rsa:1024']))),
    refused('secp256k1 certificate', tlsSecret('cert', certificate(['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp256k1']))),
    refused('Ed25519 certificate', tlsSecret('cert', certificate(['-newkey', 'ed25519']))),
    refused('Opaque Secret as a certificate', tlsSecret('cert', good, 'Opaque')),
    refused('certificate without a type', { ...tlsSecret('cert', good), type: undefined }),
    refused('key that does not match', { ...tlsSecret('cert', good), stringData: { 'tls.crt': good.cert, 'tls.key': certificate(['-newkey', 'rsa:2048']).key } }),
    { name: 'RSA 2048 certificate', text: manifest([...base(HTTPS('cert')), tlsSecret('cert', certificate(['-newkey', 'rsa:2048']))]), expect: { accepted: true } },
    { name: 'P-384 certificate', text: manifest([...base(HTTPS('cert')), tlsSecret('cert', certificate(['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp384r1']))]), expect: { accepted: true } },
    // A private key pasted into tls.crt: served and printed as the certificate only.
    { name: 'private key inside tls.crt', text: manifest([...base(HTTPS('cert')), tlsSecret('cert', good, 'kubernetes.io/tls', `${good.cert}${good.key}`)]), expect: { accepted: true } },
    // A key in a wrongly typed field: the error names the field, never the key.
    { name: 'private key in a wrongly typed field', text: `apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/tls\nstringData: |\n${good.key.split('\n').map((l) => `  ${l}`).join('\n')}\n`, expect: { load: /stringData/ } },
    { name: 'private key as a route hostname', text: manifest([...base(), route('bad', [{ backendRefs: [{ name: 'echo', port: 80 }] }], { hostnames: [good.key] })]), expect: { object: 'HTTPRoute/bad', condition: { type: 'Accepted', status: 'False' } } },
    { name: 'private key as a header value', text: manifest([...base(), route('bad', [{ filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-k', value: good.key }] } }], backendRefs: [{ name: 'echo', port: 80 }] }])]), expect: { object: 'HTTPRoute/bad', condition: { type: 'Accepted', status: 'False' } } },
  ];
}

// ---- running one case ---------------------------------------------------------------------------

interface Outcome {
  readonly bootstraps: { readonly name: string; readonly bootstrap: object }[];
}

const PEM_KEY = /PRIVATE KEY/;

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
const TRANSLATE_BOUND_MS = 2000;

function findCondition(status: unknown, want: { type: string; status: string; reason?: string }): { message: string } | undefined {
  if (Array.isArray(status)) {
    for (const s of status) {
      const found = findCondition(s, want);
      if (found) return found;
    }
    return undefined;
  }
  if (status === null || typeof status !== 'object') return undefined;
  const o = status as Record<string, unknown>;
  if (o.type === want.type && o.status === want.status && (want.reason === undefined || o.reason === want.reason) && typeof o.message === 'string') {
    return { message: o.message };
  }
  for (const v of Object.values(o)) {
    const found = findCondition(v, want);
    if (found) return found;
  }
  return undefined;
}

function runCase(c: HostileCase): Outcome {
  const file = join(dir, 'case.yaml');
  // Bounds are on CPU time: the work is synchronous, and a shared machine's load would only
  // stretch the wall clock.
  const started = cpuMs();
  const parsed = parseManifests(c.text, file);
  const parseMs = cpuMs() - started;
  const errors = parsed.errors.map(formatManifestError).join('\n');
  expect(errors).not.toMatch(PEM_KEY);
  if ('load' in c.expect) {
    expect(errors).toMatch(c.expect.load);
    expect(errors).toContain(file);
    expect(parseMs).toBeLessThan(c.expect.withinMs ?? 2000);
    return { bootstraps: [] };
  }
  // The file modes refuse what the API server would (the CRD schemas): such a case is also run
  // through the translator as the controller would see it, had the API server admitted it (older
  // CRDs, an edited schema): the translator must refuse it per object all the same.
  if ('accepted' in c.expect) expect(errors).toBe('');
  else if (errors !== '') {
    expect(errors).toContain(file);
    refusedByFileModes.push(c.name);
  }
  const objects = errors === '' ? parsed.objects : rawObjects(c.text);

  const snapshots = new Map<string, XdsSnapshot>();
  const pipeline = new Pipeline({ sink: { set: (k, s) => snapshots.set(k, s), delete: (k) => snapshots.delete(k) } });
  const t0 = cpuMs();
  const run = pipeline.run(buildSnapshot(objects));
  expect(cpuMs() - t0).toBeLessThan(TRANSLATE_BOUND_MS);
  // Everything that reached the xds translator could be encoded: the translator caught it first.
  expect(run.failures).toEqual([]);

  const statuses = JSON.stringify(run.statuses);
  expect(statuses).not.toMatch(PEM_KEY);
  const gateways = [...run.result.gateways.values()];
  expect(gateways.length).toBeGreaterThan(0);
  for (const ir of gateways) {
    expect(JSON.stringify(redactIR(ir))).not.toMatch(PEM_KEY);
    const snapshot = snapshots.get(ir.key)!;
    expect(JSON.stringify(snapshotToEnvoyJson(snapshot))).not.toMatch(PEM_KEY);
    if (c.goodRoute !== false) expect(routeNames(ir)).toContain('httproute/default/good/rule/0/match/0');
  }

  if ('object' in c.expect) {
    const [kind, name] = c.expect.object.split('/');
    const report = run.statuses.find((r) => r.kind === kind && r.name === name);
    expect(report).toBeDefined();
    const found = findCondition(report!.status, c.expect.condition);
    if (!found) throw new Error(`${c.name}: no ${JSON.stringify(c.expect.condition)} in ${JSON.stringify(report!.status).slice(0, 600)}`);
    if (c.expect.message) expect(found.message).toMatch(c.expect.message);
  } else {
    // Accepted: no route or listener refused anything.
    expect(statuses).not.toMatch(/"status":"False","reason":"(UnsupportedValue|Invalid|InvalidCertificateRef)"/);
  }
  return {
    bootstraps: gateways.map((ir) => ({ name: `${c.name} (${ir.key})`, bootstrap: staticBootstrap(snapshots.get(ir.key)!, { gatewayKey: ir.key }) })),
  };
}

const refusedByFileModes: string[] = [];

/** The objects of a case's JSON documents, as an API server would hand them over (namespace defaulted). */
function rawObjects(text: string): KubeObject[] {
  return text.split('\n---\n').map((doc) => {
    const o = JSON.parse(doc) as KubeObject;
    const namespaced = kindSpec(o.kind)?.namespaced ?? false;
    return namespaced && !o.metadata.namespace ? { ...o, metadata: { ...o.metadata, namespace: 'default' } } : o;
  });
}

function routeNames(ir: GatewayIR): string[] {
  return ir.listeners.flatMap((l) => l.filterChains.flatMap((fc) => fc.routeConfig.virtualHosts.flatMap((vh) => vh.routes.map((r) => r.name))));
}

// ---- batched envoy --mode validate ----------------------------------------------------------------

type Json = Record<string, unknown>;

/**
 * Many Gateways' static bootstraps as one: each listener renamed and moved to a port of its own
 * (validation checks that addresses do not collide), clusters and secrets kept once per name
 * (every case names the same objects the same way; a name is only ever kept with one content).
 */
function mergeBootstraps(parts: readonly { name: string; bootstrap: object }[], firstPort: number): Json {
  const first = JSON.parse(JSON.stringify(parts[0]!.bootstrap)) as Json;
  const listeners: Json[] = [];
  const clusters = new Map<string, Json>();
  const secrets = new Map<string, Json>();
  let port = firstPort;
  parts.forEach((p, i) => {
    const r = (p.bootstrap as { staticResources: { listeners?: Json[]; clusters?: Json[]; secrets?: Json[] } }).staticResources;
    for (const l of r.listeners ?? []) {
      const copy = JSON.parse(JSON.stringify(l)) as Json & { address: { socketAddress: { portValue: number } } };
      copy.name = `b${i}/${String(copy.name)}`;
      copy.statPrefix = copy.name;
      copy.address.socketAddress.portValue = port++;
      listeners.push(copy);
    }
    for (const c of r.clusters ?? []) clusters.set(`${String(c.name)}#${JSON.stringify(c)}`, c);
    for (const s of r.secrets ?? []) secrets.set(`${String(s.name)}#${JSON.stringify(s)}`, s);
  });
  const uniqueByName = (m: Map<string, Json>, prefix: string): Json[] => {
    const byName = new Map<string, Json>();
    let n = 0;
    for (const v of m.values()) {
      const name = String(v.name);
      // Same name, other content (a cluster's endpoints differ between cases): renamed, unreferenced.
      if (byName.has(name)) byName.set(`${prefix}${n++}/${name}`, { ...v, name: `${prefix}${n}/${name}` });
      else byName.set(name, v);
    }
    return [...byName.values()];
  };
  first.staticResources = { listeners, clusters: uniqueByName(clusters, 'dup'), secrets: uniqueByName(secrets, 'dup') };
  return first;
}

function envoyValidate(name: string, bootstrap: object): { ok: boolean; output: string } {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(bootstrap), { mode: 0o600 });
  const r = spawnSync(envoyBinary(), ['--mode', 'validate', '-c', file, '-l', 'error', '--disable-hot-restart'], { encoding: 'utf8', timeout: 120_000 });
  return { ok: r.status === 0, output: `${r.stdout}\n${r.stderr}`.trim() };
}

// ---- the suite --------------------------------------------------------------------------------------

const cases = [...generatedCases(), ...certificateCases()];
const bootstraps: { name: string; bootstrap: object }[] = [];
const counts = { total: cases.length, load: 0, condition: 0, accepted: 0 };
for (const c of cases) counts['load' in c.expect ? 'load' : 'object' in c.expect ? 'condition' : 'accepted']++;

describe(`hostile input (${counts.total} cases: ${counts.load} refused files, ${counts.condition} refused objects, ${counts.accepted} accepted)`, () => {
  it('has hundreds of cases with unique names', () => {
    expect(cases.length).toBeGreaterThan(200);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  for (const c of cases) {
    it(c.name.replace(/[\r\n\u0000]/g, '?'), () => {
      bootstraps.push(...runCase(c).bootstraps);
    });
  }

  it('file modes refuse, by the CRD schemas, part of what the translator also refuses', () => {
    console.log(`hostile input: ${counts.total} cases (${counts.load} refused files, ${counts.condition} refused objects, ${counts.accepted} accepted); of the refused objects, ${refusedByFileModes.length} are already refused by the file modes' CRD schema and CEL checks, all ${counts.condition} by the translator; ${bootstraps.length} Gateway bootstraps validated by Envoy`);
    expect(refusedByFileModes.length).toBeGreaterThan(100);
  });

  it("envoy --mode validate accepts every Gateway's bootstrap (batched)", () => {
    expect(bootstraps.length).toBeGreaterThan(100);
    const BATCH = 100;
    const rejected: string[] = [];
    for (let start = 0; start < bootstraps.length; start += BATCH) {
      const batch = bootstraps.slice(start, start + BATCH);
      const merged = envoyValidate(`batch-${start}`, mergeBootstraps(batch, 20000));
      if (merged.ok) continue;
      // Name the culprits: each of the batch alone.
      for (const [i, b] of batch.entries()) {
        const one = envoyValidate(`one-${start + i}`, b.bootstrap);
        if (!one.ok) rejected.push(`${b.name}: ${one.output.split('\n').slice(-3).join(' ')}`);
      }
      if (rejected.length === 0) rejected.push(`batch ${start}: ${merged.output.split('\n').slice(-3).join(' ')}`);
    }
    expect(rejected).toEqual([]);
  }, 300_000);

  it('the batched check is real: a CR LF header value slipped into one bootstrap of a batch is refused', () => {
    const batch = bootstraps.slice(0, 20);
    const poisoned = JSON.parse(JSON.stringify(batch[0]!.bootstrap).replace('"name":"httproute/default/good/rule/0/match/0"', '"name":"httproute/default/good/rule/0/match/0","requestHeadersToAdd":[{"header":{"key":"x-a","value":"a\\r\\nb"}}]')) as object;
    expect(JSON.stringify(poisoned)).toContain('requestHeadersToAdd');
    expect(envoyValidate('poisoned', mergeBootstraps([{ name: 'poisoned', bootstrap: poisoned }, ...batch.slice(1)], 20000)).ok).toBe(false);
  }, 120_000);
});
