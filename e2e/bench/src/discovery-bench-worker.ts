// One controller process for `npm run bench:discovery` (a process of its own, so its RSS is its
// own): with --discovery, the time until every expected Upstream exists and what one Service
// change costs in applies; either way, its RSS once settled: every Upstream's status written (the
// leader writes one per Upstream, discovered or not, so both runs do the same work but discovery's).
// Prints JSON lines as figures become known.
import { KIND_TABLE } from '@gantry/api';
import { Controller } from '@gantry/gatewayclass-controller/controller/controller';
import { setLogLevel } from '@gantry/gatewayclass-controller/log';
import { collectionPath, objectPath, requestOk } from '@gantry/kube';
import { KubeConfig } from '@kubernetes/client-node';
import { getHeapSpaceStatistics } from 'node:v8';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const kc = new KubeConfig();
kc.loadFromFile(args.get('kubeconfig') ?? '');
const discovery = args.get('discovery') === 'on';
const expected = Number(args.get('expect') ?? 0);
setLogLevel('warn');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const gcRss = async (): Promise<number> => {
  for (let i = 0; i < 3; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    await sleep(100);
  }
  return process.memoryUsage().rss;
};

/**
 * How many discovered Upstreams exist (0 while the API server is not ready to say). Counted from a
 * metadata-only list: a list with a label selector does not report remainingItemCount.
 */
async function discoveredCount(): Promise<number> {
  const list = (await requestOk(kc, collectionPath(KIND_TABLE.Upstream, 'gantry-system'), {
    query: { labelSelector: 'gantry.dev/discovered-by=discovery' },
    accept: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1',
  }).catch(() => undefined)) as { items?: unknown[] } | undefined;
  return list?.items?.length ?? 0;
}


/** Waits until every Upstream in gantry-system has a status (Gantry writes status.type). */
async function statusesWritten(): Promise<void> {
  for (;;) {
    const list = (await requestOk(kc, collectionPath(KIND_TABLE.Upstream, 'gantry-system')).catch(() => undefined)) as { items?: { status?: { type?: string } }[] } | undefined;
    const items = list?.items ?? [];
    if (items.length >= expected && items.every((u) => u.status?.type !== undefined)) return;
    await sleep(3000);
  }
}

const emit = (o: Record<string, number>) => process.stdout.write(`${JSON.stringify(o)}\n`);

const counter = async (c: Controller, name: string, labels: string): Promise<number> => {
  const line = (await c.metrics.registry.expose()).split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line ? Number(line.split(' ').pop()) : 0;
};

const t0 = performance.now();
const controller = new Controller({ kubeConfig: kc, deploy: false, xdsBind: { host: '127.0.0.1', port: 0 }, ...(discovery ? { discovery: {} } : {}) });
await controller.start();
if (discovery) {
  while ((await discoveredCount()) < expected) await sleep(250);
  emit({ allCreatedMs: performance.now() - t0, created: await counter(controller, 'gantry_discovery_applies_total', 'result="created"') });
}
while (!controller.readiness().ready) await sleep(100);
await statusesWritten();
await controller.settled();
await controller.discoveryLoop?.idle();
const rss = await gcRss();
const mem = process.memoryUsage();
const spaces = Object.fromEntries(getHeapSpaceStatistics().map((sp) => [`space_${sp.space_name}`, sp.space_size]));
emit({ settledMs: performance.now() - t0, rss, heapUsed: mem.heapUsed, heapTotal: mem.heapTotal, external: mem.external, arrayBuffers: mem.arrayBuffers, ...spaces });
if (discovery) {
  // One Service gains a port: exactly one apply (the new Upstream), nothing else.
  const applies = async () => (await counter(controller, 'gantry_discovery_applies_total', 'result="created"')) + (await counter(controller, 'gantry_discovery_applies_total', 'result="updated"'));
  const before = await applies();
  const path = objectPath(KIND_TABLE.Service, 'app-0', 'svc-0');
  await requestOk(kc, path, { method: 'PATCH', contentType: 'application/merge-patch+json', body: { spec: { ports: [{ name: 'http', port: 80 }, { name: 'grpc', port: 9090 }, { name: 'extra', port: 7000 }] } } });
  const added = objectPath(KIND_TABLE.Upstream, 'gantry-system', 'app-0-svc-0-7000');
  while (!(await requestOk(kc, added).then(() => true, () => false))) await sleep(20);
  await sleep(1000);
  await controller.discoveryLoop?.idle();
  emit({ appliesForOneNewPort: (await applies()) - before });
}
await controller.stop();
process.exit(0);
