// One controller process for `npm run bench:discovery` (a process of its own, so its RSS is its
// own): with --discovery, the time until every expected Upstream exists and what one Service
// change costs in applies; either way, its RSS once settled. Prints one JSON line.
import { KIND_TABLE } from '@gantry/api';
import { Controller } from '@gantry/gatewayclass-controller/controller/controller';
import { setLogLevel } from '@gantry/gatewayclass-controller/log';
import { collectionPath, objectPath, requestOk } from '@gantry/kube';
import { KubeConfig } from '@kubernetes/client-node';

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

async function discoveredCount(): Promise<number> {
  const page = (await requestOk(kc, collectionPath(KIND_TABLE.Upstream, 'gantry-system'), { query: { labelSelector: 'gantry.dev/discovered-by=discovery', limit: 1 } })) as {
    items?: unknown[];
    metadata?: { remainingItemCount?: number };
  };
  return (page.items?.length ?? 0) + (page.metadata?.remainingItemCount ?? 0);
}

const counter = (c: Controller, name: string, labels: string): number => {
  const line = c.metrics.registry.expose().split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line ? Number(line.split(' ').pop()) : 0;
};

const t0 = performance.now();
const controller = new Controller({ kubeConfig: kc, deploy: false, xdsBind: { host: '127.0.0.1', port: 0 }, ...(discovery ? { discovery: {} } : {}) });
await controller.start();
const out: Record<string, number> = {};
if (discovery) {
  while ((await discoveredCount()) < expected) await sleep(100);
  out['allCreatedMs'] = performance.now() - t0;
  await controller.discoveryLoop?.idle();
  out['created'] = counter(controller, 'gantry_discovery_applies_total', 'result="created"');
  // One Service gains a port: exactly one apply (the new Upstream), nothing else.
  const path = objectPath(KIND_TABLE.Service, 'app-0', 'svc-0');
  const before = { created: out['created'], updated: counter(controller, 'gantry_discovery_applies_total', 'result="updated"') };
  await requestOk(kc, path, { method: 'PATCH', contentType: 'application/merge-patch+json', body: { spec: { ports: [{ name: 'http', port: 80 }, { name: 'grpc', port: 9090 }, { name: 'extra', port: 7000 }] } } });
  while ((await discoveredCount()) < expected + 1) await sleep(20);
  await sleep(500);
  await controller.discoveryLoop?.idle();
  out['appliesForOneNewPort'] = counter(controller, 'gantry_discovery_applies_total', 'result="created"') - before.created + counter(controller, 'gantry_discovery_applies_total', 'result="updated"') - before.updated;
} else {
  while (!controller.readiness().ready) await sleep(100);
  await controller.settled();
}
out['rss'] = await gcRss();
out['heapUsed'] = process.memoryUsage().heapUsed;
await controller.stop();
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(0);
