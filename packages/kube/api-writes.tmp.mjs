// Plain client beside the controller: how many HTTPRoute creates and status PATCHes per second
// this API server takes, at a given concurrency, over kept-alive connections (@gantry/kube's rest).
// The routes name a Gateway that does not exist, so no controller writes their status.
import { KubeConfig } from '@kubernetes/client-node';
import { requestJson, patchStatus } from '/work/wt/attach-storm/packages/kube/dist/index.js';
import { KIND_TABLE } from '/work/wt/attach-storm/packages/api/dist/index.js';
const kc = new KubeConfig();
kc.loadFromFile(process.env.KUBECONFIG);
const n = Number(process.argv[2] ?? 1000), conc = Number(process.argv[3] ?? 16);
const ns = `api-writes-${Date.now() % 100000}`;
await requestJson(kc, '/api/v1/namespaces', { method: 'POST', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
async function pool(items, f) { let i = 0; await Promise.all(Array.from({ length: conc }, async () => { while (i < items.length) { const x = items[i++]; await f(x); } })); }
const names = Array.from({ length: n }, (_, i) => `w-${i}`);
const rv = new Map();
let t = performance.now();
await pool(names, async (name) => {
  const r = await requestJson(kc, `/apis/gateway.networking.k8s.io/v1/namespaces/${ns}/httproutes`, { method: 'POST', body: {
    apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name, namespace: ns },
    spec: { parentRefs: [{ name: 'nobody' }], hostnames: [`${name}.w.test`], rules: [{ matches: [{ path: { type: 'PathPrefix', value: `/${name}` } }], backendRefs: [{ name: 'backend', port: 80 }] }] } } });
  if (r.status !== 201) throw new Error(`create ${name}: ${r.status}`);
  rv.set(name, r.body.metadata.resourceVersion);
});
const createMs = performance.now() - t;
const status = { parents: [{ parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'nobody' }, controllerName: 'example.com/plain-client',
  conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Route is accepted', lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), observedGeneration: 1 }] }] };
t = performance.now();
await pool(names, async (name) => {
  const r = await patchStatus(kc, KIND_TABLE.HTTPRoute, ns, name, status, { resourceVersion: rv.get(name) });
  if (r !== 'patched') throw new Error(`patch ${name}: ${r}`);
});
const patchMs = performance.now() - t;
console.log(JSON.stringify({ n, concurrency: conc, createMs: Math.round(createMs), createsPerS: Math.round(n / createMs * 1000), statusPatchMs: Math.round(patchMs), statusPatchesPerS: Math.round(n / patchMs * 1000) }));
await requestJson(kc, `/api/v1/namespaces/${ns}`, { method: 'DELETE' });
