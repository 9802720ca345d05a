// Writes Pod statuses to the API server: changes are coalesced per Pod (a burst of container
// events is one write), writes of one Pod never overlap, and a write is skipped when the status
// on the server already says the same. Read-modify-write keeps the conditions of others.
import type { KubeConfig } from '@kubernetes/client-node';
import { describeError } from '../log.js';
import { isJsonObject, updateStatusWithRetry, type CurrentObject, type Logger } from '../kube.js';
import { POD, type PodCondition } from '../kube-types.js';
import { buildPodStatus } from './pod-status.js';
import type { PodWorker } from './pod-worker.js';

interface Entry {
  timer?: NodeJS.Timeout;
  writing?: Promise<void>;
  again: boolean;
}

export class PodStatusSync {
  private readonly entries = new Map<PodWorker, Entry>();

  constructor(
    private readonly kc: KubeConfig,
    private readonly log: Logger,
    private readonly delayMs = 50,
  ) {}

  changed(worker: PodWorker): void {
    if (worker.terminating) return;
    let e = this.entries.get(worker);
    if (!e) {
      e = { again: false };
      this.entries.set(worker, e);
    }
    if (e.writing) {
      e.again = true;
      return;
    }
    if (!e.timer) {
      const entry = e;
      entry.timer = setTimeout(() => {
        entry.timer = undefined;
        entry.writing = this.write(worker).finally(() => {
          entry.writing = undefined;
          if (entry.again) {
            entry.again = false;
            this.changed(worker);
          }
        });
      }, this.delayMs);
    }
  }

  /** No more writes for this worker (it is being torn down). */
  forget(worker: PodWorker): void {
    const e = this.entries.get(worker);
    if (e?.timer) clearTimeout(e.timer);
    this.entries.delete(worker);
  }

  /** Resolves when every write in flight is done. */
  async drain(): Promise<void> {
    await Promise.all([...this.entries.values()].map((e) => e.writing));
  }

  private async write(worker: PodWorker): Promise<void> {
    if (worker.terminating) return;
    const { namespace, name } = worker.pod.metadata;
    try {
      await updateStatusWithRetry(this.kc, POD, namespace, name, (current: CurrentObject) => {
        if ((current.metadata as { uid?: string }).uid !== worker.uid || worker.terminating) return undefined; // replaced, or going
        const status = isJsonObject(current.status) ? current.status : {};
        const conditions = Array.isArray(status['conditions']) ? (status['conditions'] as unknown as PodCondition[]) : [];
        return buildPodStatus(worker.view(), conditions);
      });
    } catch (err) {
      this.log.warn('pod status write failed; will retry', { pod: worker.key, error: describeError(err) });
      setTimeout(() => this.changed(worker), 1000).unref();
    }
  }
}
