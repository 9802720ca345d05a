// The Pods bound to this node, kept in step with the API server: a watch (fieldSelector
// spec.nodeName) starts a worker for each new Pod, terminates the worker of a Pod being deleted
// with the Pod's grace period, then removes the Pod object for good (the kubelet's last word
// on a graceful deletion).
import type { KubeConfig } from '@kubernetes/client-node';
import { describeError } from '../log.js';
import { objectPath, requestJson, ResilientWatch, type Logger, type WatchEvent } from '../kube.js';
import { POD, type Pod } from '../kube-types.js';
import { PodWorker, type NodeContext } from './pod-worker.js';
import { PodStatusSync } from './status-sync.js';

const DEFAULT_GRACE_SECONDS = 30;

export class PodManager {
  private readonly workers = new Map<string, PodWorker>();
  private readonly finalDeletes = new Set<string>();
  private readonly watch: ResilientWatch<Pod>;
  private readonly statusSync: PodStatusSync;
  private stopped = false;

  constructor(
    private readonly kc: KubeConfig,
    private readonly node: NodeContext,
    private readonly log: Logger,
  ) {
    this.statusSync = new PodStatusSync(kc, log);
    this.watch = new ResilientWatch<Pod>(kc, POD, { fieldSelector: `spec.nodeName=${node.nodeName}`, logger: log, watchdogMs: 90_000 });
    this.watch.onEvent((e) => this.onEvent(e));
  }

  async start(): Promise<void> {
    this.watch.start();
    await this.watch.synced;
  }

  /** Stops the watch and every Pod (each with at most `maxGraceMs`). */
  async stop(maxGraceMs: number): Promise<void> {
    this.stopped = true;
    await this.watch.stop();
    const workers = [...this.workers.values()];
    for (const w of workers) this.statusSync.forget(w);
    await Promise.all(workers.map((w) => w.terminate(Math.min(maxGraceMs, graceMs(w.pod)))));
    await this.statusSync.drain();
    this.workers.clear();
  }

  /** The worker of a Pod by namespace and name (for logs and tests). */
  find(namespace: string, name: string): PodWorker | undefined {
    for (const w of this.workers.values()) {
      if (w.pod.metadata.name === name && (w.pod.metadata.namespace ?? 'default') === namespace) return w;
    }
    return undefined;
  }

  list(): PodWorker[] {
    return [...this.workers.values()];
  }

  private onEvent(e: WatchEvent<Pod>): void {
    if (this.stopped) return;
    if (e.type === 'RESYNC') {
      const present = new Set((e.objects ?? []).map((p) => p.metadata.uid ?? ''));
      for (const [uid, w] of this.workers) if (!present.has(uid)) this.remove(w.pod);
      for (const p of e.objects ?? []) this.upsert(p);
    } else if (e.object) {
      if (e.type === 'DELETED') this.remove(e.object);
      else this.upsert(e.object);
    }
  }

  private upsert(pod: Pod): void {
    const uid = pod.metadata.uid ?? '';
    const worker = this.workers.get(uid);
    if (pod.metadata.deletionTimestamp) {
      if (worker) {
        worker.update(pod);
        this.terminate(worker, graceMs(pod), true);
      } else {
        void this.finalDelete(pod);
      }
      return;
    }
    if (worker) {
      worker.update(pod);
      return;
    }
    // A Pod that finished before this agent started stays finished.
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
    const w = new PodWorker(pod, this.node, (changed) => this.statusSync.changed(changed));
    this.workers.set(uid, w);
    this.log.info('starting pod', { pod: w.key, uid });
    w.start();
  }

  /** The object is gone already (force deletion, or a namespace purge). */
  private remove(pod: Pod): void {
    const w = this.workers.get(pod.metadata.uid ?? '');
    if (w) this.terminate(w, graceMs(pod), false);
  }

  private terminate(worker: PodWorker, grace: number, thenDelete: boolean): void {
    if (worker.terminating) return;
    this.log.info('stopping pod', { pod: worker.key, graceMs: grace });
    this.statusSync.forget(worker);
    void worker.terminate(grace).then(async () => {
      this.workers.delete(worker.uid);
      if (thenDelete && !this.stopped) await this.finalDelete(worker.pod);
    });
  }

  /** DELETE with grace 0 and the uid as precondition: never removes a recreated Pod of the same name. */
  private async finalDelete(pod: Pod): Promise<void> {
    const uid = pod.metadata.uid ?? '';
    if (this.finalDeletes.has(uid)) return;
    this.finalDeletes.add(uid);
    try {
      const r = await requestJson(this.kc, objectPath(POD, pod.metadata.namespace, pod.metadata.name), {
        method: 'DELETE',
        body: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid } },
      });
      if (r.status >= 300 && r.status !== 404 && r.status !== 409) {
        this.log.warn('final pod deletion refused', { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, status: r.status });
      }
    } catch (err) {
      this.log.warn('final pod deletion failed', { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, error: describeError(err) });
    } finally {
      // A later event for the same uid (the watch may resend it) retries after this one is done.
      setTimeout(() => this.finalDeletes.delete(uid), 5000).unref();
    }
  }
}

function graceMs(pod: Pod): number {
  return (pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS) * 1000;
}
