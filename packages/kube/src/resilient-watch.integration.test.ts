// ResilientWatch against a real etcd + kube-apiserver: list then watch, an API server restart,
// a network partition, 410 after compaction, and the watchdog on idle and silently stalled streams.
import { GATEWAY_KINDS } from './testing/gateway-kinds.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { KubeConfig } from '@kubernetes/client-node';
import { collectionPath, CORE_KINDS, type KindRef } from './kinds.js';
import { ObjectStore } from './object-store.js';
import { isJsonObject, type JsonObject, type KubeObjectLike } from './objects.js';
import { ResilientWatch, type WatchEvent } from './resilient-watch.js';
import { requestOk } from './rest.js';
import { stripToMetadata } from './strip.js';
import {
  createNamespace,
  createObject,
  deleteObject,
  kubeConfigVia,
  mergePatchObject,
  recordingLogger,
  waitFor,
} from './testing/api-helpers.js';
import { startControlPlane, type ControlPlane } from './testing/control-plane.js';
import { startTcpProxy, type TcpProxy } from './testing/tcp-proxy.js';

interface Timed<T> {
  readonly at: number;
  readonly event: WatchEvent<T>;
}

function record(w: ResilientWatch): Timed<KubeObjectLike>[] {
  const events: Timed<KubeObjectLike>[] = [];
  w.onEvent((event) => events.push({ at: Date.now(), event }));
  return events;
}

function names(objects: readonly KubeObjectLike[] | undefined): string[] {
  return (objects ?? []).map((o) => o.metadata.name);
}

async function namesOnServer(kc: KubeConfig, kind: KindRef, namespace: string): Promise<string[]> {
  const list = await requestOk(kc, collectionPath(kind, namespace));
  const items = isJsonObject(list) && Array.isArray(list['items']) ? list['items'] : [];
  return items.map((i) => (isJsonObject(i) && isJsonObject(i['metadata']) ? String(i['metadata']['name']) : '')).sort();
}

function gateway(name: string): JsonObject {
  return {
    metadata: { name },
    spec: { gatewayClassName: 'gantry', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
  };
}

/** Starts from an ancient resourceVersion instead of listing: the server must answer 410. */
class AncientStartWatch<T extends KubeObjectLike> extends ResilientWatch<T> {
  protected override initialResourceVersion(): string {
    return '1';
  }
}

describe('ResilientWatch against a real API server', () => {
  let cp: ControlPlane;
  let kc: KubeConfig;
  let proxy: TcpProxy;
  let kcViaProxy: KubeConfig;
  const watches: ResilientWatch[] = [];
  const track = <W extends ResilientWatch>(w: W): W => (watches.push(w), w);

  beforeAll(async () => {
    cp = await startControlPlane({ crds: true });
    kc = cp.kubeConfig;
    for (const ns of ['lw', 'restart', 'gone', 'dog']) await createNamespace(kc, ns);
    proxy = await startTcpProxy(Number(new URL(cp.server).port));
    kcViaProxy = kubeConfigVia(kc, `https://127.0.0.1:${proxy.port}`);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(watches.map((w) => w.stop()));
    await proxy?.close();
    await cp?.stop();
  }, 60_000);

  it('lists (in pages), then delivers ADDED, MODIFIED, DELETED; objects arrive stripped', async () => {
    for (const n of ['cm-1', 'cm-2', 'cm-3']) await createObject(kc, CORE_KINDS.ConfigMap, 'lw', { metadata: { name: n }, data: { v: '1' } });
    const w = track(new ResilientWatch(kc, CORE_KINDS.ConfigMap, { namespace: 'lw', pageSize: 2 }));
    const events = record(w);
    const store = new ObjectStore();
    store.connect(w);
    w.start();
    await w.synced;
    expect(events.length).toBe(1);
    const first = events[0]!.event;
    expect(first.type).toBe('RESYNC');
    expect(names(first.objects)).toEqual(['cm-1', 'cm-2', 'cm-3']);
    const cm1 = first.objects![0] as KubeObjectLike & { metadata: { managedFields?: unknown } };
    expect(cm1.kind).toBe('ConfigMap');
    expect(cm1.apiVersion).toBe('v1');
    expect(cm1.metadata.managedFields).toBeUndefined();
    expect(Object.isFrozen(cm1)).toBe(true);

    await createObject(kc, CORE_KINDS.ConfigMap, 'lw', { metadata: { name: 'cm-4' }, data: { v: '1' } });
    await mergePatchObject(kc, CORE_KINDS.ConfigMap, 'lw', 'cm-1', { data: { v: '2' } });
    await deleteObject(kc, CORE_KINDS.ConfigMap, 'lw', 'cm-2');
    await waitFor('three events', () => events.length === 4);
    expect(events.slice(1).map((e) => `${e.event.type} ${e.event.object?.metadata.name}`)).toEqual(['ADDED cm-4', 'MODIFIED cm-1', 'DELETED cm-2']);
    expect(names(store.list(CORE_KINDS.ConfigMap))).toEqual(['cm-1', 'cm-3', 'cm-4']);
    expect(store.get<KubeObjectLike & { data: { v: string } }>(CORE_KINDS.ConfigMap, 'lw', 'cm-1')?.data.v).toBe('2');
    expect(w.stats).toMatchObject({ lists: 1, restarts: 0, events: 3, errors: 0 });
  });

  it('metadataOnly: the server sends PartialObjectMetadata, the store keeps identity and labels', async () => {
    await createNamespace(kc, 'meta');
    await createObject(kc, CORE_KINDS.ConfigMap, 'meta', { metadata: { name: 'm-1', labels: { app: 'a' }, annotations: { big: 'x'.repeat(1000) } }, data: { v: '1' } });
    const raws: JsonObject[] = [];
    const w = track(new ResilientWatch(kc, CORE_KINDS.ConfigMap, {
      namespace: 'meta',
      metadataOnly: true,
      strip: (raw) => (raws.push(raw), stripToMetadata(CORE_KINDS.ConfigMap, raw)),
    }));
    const events = record(w);
    w.start();
    await w.synced;
    await mergePatchObject(kc, CORE_KINDS.ConfigMap, 'meta', 'm-1', { metadata: { labels: { app: 'b' } } });
    await waitFor('the label change', () => events.length === 2);
    // What the server sent: metadata only, for the list and for the watch.
    expect(raws.map((r) => r['data'])).toEqual([undefined, undefined]);
    expect(raws.map((r) => r['kind'])).toEqual(['PartialObjectMetadata', 'PartialObjectMetadata']);
    // What the store keeps: the watched kind, its identity and labels, no annotations.
    const changed = events[1]!.event.object as KubeObjectLike & { metadata: { annotations?: unknown } };
    expect(changed.kind).toBe('ConfigMap');
    expect(changed.apiVersion).toBe('v1');
    expect(changed.metadata.labels).toEqual({ app: 'b' });
    expect(changed.metadata.annotations).toBeUndefined();
    expect(Object.isFrozen(changed)).toBe(true);
  });

  it('reconnects after the API server is stopped and restarted; the store ends up equal to the server', async () => {
    for (const n of ['a', 'b', 'c']) await createObject(kc, GATEWAY_KINDS.Gateway, 'restart', gateway(n));
    const log = recordingLogger('[restart]');
    const w = track(new ResilientWatch(kc, GATEWAY_KINDS.Gateway, { backoff: { initialMs: 200, maxMs: 2000 }, logger: log }));
    const events = record(w);
    const store = new ObjectStore();
    store.connect(w);
    w.start();
    await w.synced;
    expect(names(store.inNamespace(GATEWAY_KINDS.Gateway, 'restart'))).toEqual(['a', 'b', 'c']);
    const cBefore = store.get(GATEWAY_KINDS.Gateway, 'restart', 'c');

    await cp.stopApiServer();
    await waitFor('the watch to notice the outage', () => w.stats.errors > 0, 30_000);
    const restartAt = Date.now();
    await cp.startApiServer();
    const upAt = Date.now();
    // Changes right after the restart, while the watch is still backing off.
    await createObject(kc, GATEWAY_KINDS.Gateway, 'restart', gateway('d'));
    await deleteObject(kc, GATEWAY_KINDS.Gateway, 'restart', 'a');
    await mergePatchObject(kc, GATEWAY_KINDS.Gateway, 'restart', 'b', { metadata: { labels: { touched: 'yes' } } });

    const expected = await namesOnServer(kc, GATEWAY_KINDS.Gateway, 'restart');
    expect(expected).toEqual(['b', 'c', 'd']);
    await waitFor('the store to match the server', () =>
      names(store.inNamespace(GATEWAY_KINDS.Gateway, 'restart')).join() === expected.join() &&
      store.get(GATEWAY_KINDS.Gateway, 'restart', 'b')?.metadata.labels?.['touched'] === 'yes', 30_000);
    const equalAt = Date.now();
    const resync = events.find((e) => e.at >= restartAt && e.event.type === 'RESYNC');
    expect(resync).toBeDefined();
    console.info(
      `API server restart: startApiServer() took ${upAt - restartAt} ms; the watch relisted ${resync!.at - restartAt} ms ` +
        `after it was called (${resync!.at - upAt} ms relative to its return); store equal to the server ${equalAt - upAt} ms ` +
        `after it returned; stats ${JSON.stringify(w.stats)}`,
    );
    expect(w.stats.lists).toBeGreaterThanOrEqual(2);
    expect(w.stats.restarts).toBeGreaterThanOrEqual(1);
    // Untouched objects keep their identity across the relist.
    expect(store.get(GATEWAY_KINDS.Gateway, 'restart', 'c')).toBe(cBefore);
  }, 120_000);

  it('after a network partition, a RESYNC carries what changed meanwhile (deletions included)', async () => {
    const w = track(new ResilientWatch(kcViaProxy, GATEWAY_KINDS.Gateway, { namespace: 'restart', backoff: { initialMs: 100, maxMs: 400 } }));
    const events = record(w);
    const store = new ObjectStore();
    store.connect(w);
    w.start();
    await w.synced;
    expect(names(store.list(GATEWAY_KINDS.Gateway))).toEqual(['b', 'c', 'd']);
    const bBefore = store.get(GATEWAY_KINDS.Gateway, 'restart', 'b');

    proxy.setMode('refuse');
    await waitFor('the watch to notice the partition', () => w.stats.errors > 0);
    const mark = events.length;
    await createObject(kc, GATEWAY_KINDS.Gateway, 'restart', gateway('e'));
    await deleteObject(kc, GATEWAY_KINDS.Gateway, 'restart', 'c');
    await mergePatchObject(kc, GATEWAY_KINDS.Gateway, 'restart', 'd', { metadata: { labels: { during: 'partition' } } });
    await new Promise((r) => setTimeout(r, 500));
    expect(events.length).toBe(mark); // cut off: nothing arrives

    const healedAt = Date.now();
    proxy.setMode('forward');
    await waitFor('the store to match the server', () => names(store.list(GATEWAY_KINDS.Gateway)).join() === 'b,d,e');
    const after = events.slice(mark).map((e) => e.event.type);
    expect(after[0]).toBe('RESYNC');
    expect(after).not.toContain('DELETED'); // c's deletion came through the RESYNC only
    expect(store.get(GATEWAY_KINDS.Gateway, 'restart', 'd')?.metadata.labels?.['during']).toBe('partition');
    expect(store.get(GATEWAY_KINDS.Gateway, 'restart', 'b')).toBe(bBefore);
    console.info(`partition healed → store equal to the server in ${Date.now() - healedAt} ms`);
  });

  it('relists on 410 Gone when resuming from a compacted resourceVersion', async () => {
    for (const n of ['g1', 'g2']) await createObject(kc, GATEWAY_KINDS.Gateway, 'gone', gateway(n));
    const list = await requestOk(kc, collectionPath(GATEWAY_KINDS.Gateway, 'gone'));
    const rv = isJsonObject(list) && isJsonObject(list['metadata']) ? String(list['metadata']['resourceVersion']) : '';
    // Compact etcd up to now, as the API server does every five minutes.
    const ports = readFileSync(join(cp.stateDir, 'ports.env'), 'utf8');
    const etcdPort = /ETCD_CLIENT_PORT=(\d+)/.exec(ports)?.[1];
    const compaction = await fetch(`http://127.0.0.1:${etcdPort}/v3/kv/compaction`, {
      method: 'POST',
      body: JSON.stringify({ revision: rv, physical: true }),
    });
    expect(compaction.status).toBe(200);

    const log = recordingLogger('[gone]');
    const w = track(new AncientStartWatch(kc, GATEWAY_KINDS.Gateway, { namespace: 'gone', logger: log }));
    const events = record(w);
    w.start();
    await w.synced;
    expect(w.stats.goneRelists).toBe(1);
    expect(w.stats.errors).toBe(0);
    expect(events.map((e) => e.event.type)).toEqual(['RESYNC']);
    expect(names(events[0]!.event.objects)).toEqual(['g1', 'g2']);
    expect(log.lines.some((l) => l.includes('410'))).toBe(true);
    await createObject(kc, GATEWAY_KINDS.Gateway, 'gone', gateway('g3'));
    await waitFor('an event after the relist', () => events.some((e) => e.event.type === 'ADDED' && e.event.object?.metadata.name === 'g3'));
  });

  it('the watchdog restarts an idle stream that stays silent longer than watchdogMs, and nothing is lost', async () => {
    const w = track(new ResilientWatch(kc, CORE_KINDS.ConfigMap, { namespace: 'dog', watchdogMs: 700, backoff: { initialMs: 50, maxMs: 100 } }));
    const store = new ObjectStore();
    store.connect(w);
    w.start();
    await w.synced;
    await waitFor('two watchdog firings', () => w.stats.watchdogFirings >= 2, 10_000);
    await createObject(kc, CORE_KINDS.ConfigMap, 'dog', { metadata: { name: 'late' } });
    await waitFor('the new object', () => store.get(CORE_KINDS.ConfigMap, 'dog', 'late') !== undefined);
    expect(w.stats.lists).toBeGreaterThanOrEqual(3);
  });

  it('the watchdog catches a silently stalled connection (no FIN, no RST) and the watch recovers', async () => {
    const w = track(new ResilientWatch(kcViaProxy, CORE_KINDS.ConfigMap, {
      namespace: 'dog',
      watchdogMs: 1500,
      listTimeoutMs: 1000,
      backoff: { initialMs: 100, maxMs: 400 },
    }));
    const store = new ObjectStore();
    store.connect(w);
    w.start();
    await w.synced;
    expect(store.get(CORE_KINDS.ConfigMap, 'dog', 'late')).toBeDefined();

    const stalledAt = Date.now();
    proxy.setMode('stall');
    await createObject(kc, CORE_KINDS.ConfigMap, 'dog', { metadata: { name: 'during-stall' } });
    await waitFor('the watchdog', () => w.stats.watchdogFirings >= 1, 10_000, 10);
    const detectMs = Date.now() - stalledAt;
    expect(detectMs).toBeGreaterThanOrEqual(1400);
    expect(store.get(CORE_KINDS.ConfigMap, 'dog', 'during-stall')).toBeUndefined();
    await waitFor('a list to time out in the stall', () => w.stats.errors >= 1, 10_000);

    const healedAt = Date.now();
    proxy.setMode('forward');
    await waitFor('the object created during the stall', () => store.get(CORE_KINDS.ConfigMap, 'dog', 'during-stall') !== undefined, 10_000);
    console.info(`stall detected after ${detectMs} ms (watchdogMs 1500); recovered ${Date.now() - healedAt} ms after the path healed`);
  });

  it('resumes from its resourceVersion, without relisting, when the server ends a watch on its timeout', async () => {
    const w = track(new ResilientWatch(kc, CORE_KINDS.ConfigMap, { namespace: 'lw', watchTimeoutSeconds: 1, healthyStreamMs: 500 }));
    const store = new ObjectStore();
    store.connect(w);
    w.start();
    await w.synced;
    await waitFor('three server-side timeouts', () => w.restarts >= 3, 10_000);
    await createObject(kc, CORE_KINDS.ConfigMap, 'lw', { metadata: { name: 'after-timeouts' } });
    await waitFor('the new object', () => store.get(CORE_KINDS.ConfigMap, 'lw', 'after-timeouts') !== undefined);
    expect(w.stats).toMatchObject({ lists: 1, errors: 0, watchdogFirings: 0, goneRelists: 0 });
  });

  it('stop() ends the loop promptly, and a watch stopped before its first list rejects `synced`', async () => {
    proxy.setMode('refuse');
    const w = new ResilientWatch(kcViaProxy, CORE_KINDS.ConfigMap, { namespace: 'dog', backoff: { initialMs: 5000, maxMs: 5000 } });
    w.start();
    await waitFor('a failed list', () => w.stats.errors > 0);
    const started = Date.now();
    await w.stop();
    expect(Date.now() - started).toBeLessThan(500);
    await expect(w.synced).rejects.toThrow(/stopped before its first list/);
    proxy.setMode('forward');
  });
});
