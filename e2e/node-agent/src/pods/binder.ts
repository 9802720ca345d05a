// Scheduling for a one-node cluster: every Pod that asks for the default scheduler, has no node
// yet and whose nodeSelector this node satisfies is bound here (the Binding subresource, as
// kube-scheduler does it). Running kube-scheduler as well does no harm: whoever binds second
// gets a conflict, which is ignored.
import type { KubeConfig } from '@kubernetes/client-node';
import { describeError } from '../log.js';
import { objectPath, requestJson, ResilientWatch, type Logger, type WatchEvent } from '../kube.js';
import { POD, type Pod } from '../kube-types.js';

const DEFAULT_SCHEDULER = 'default-scheduler';

export function bindable(pod: Pod, nodeLabels: Readonly<Record<string, string>>): boolean {
  if (pod.spec.nodeName || pod.metadata.deletionTimestamp) return false;
  if ((pod.spec.schedulerName ?? DEFAULT_SCHEDULER) !== DEFAULT_SCHEDULER) return false;
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return false;
  return Object.entries(pod.spec.nodeSelector ?? {}).every(([k, v]) => nodeLabels[k] === v);
}

export class PodBinder {
  private readonly watch: ResilientWatch<Pod>;
  private readonly inFlight = new Set<string>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly kc: KubeConfig,
    private readonly nodeName: string,
    private readonly nodeLabels: Readonly<Record<string, string>>,
    private readonly log: Logger,
  ) {
    this.watch = new ResilientWatch<Pod>(kc, POD, { fieldSelector: 'spec.nodeName=', logger: log, watchdogMs: 90_000 });
    this.watch.onEvent((e) => this.onEvent(e));
  }

  async start(): Promise<void> {
    this.watch.start();
    await this.watch.synced;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.retryTimers) clearTimeout(t);
    await this.watch.stop();
  }

  private onEvent(e: WatchEvent<Pod>): void {
    const pods = e.type === 'RESYNC' ? (e.objects ?? []) : e.type !== 'DELETED' && e.object ? [e.object] : [];
    for (const pod of pods) if (bindable(pod, this.nodeLabels)) void this.bind(pod);
  }

  private async bind(pod: Pod, attempt = 0): Promise<void> {
    const uid = pod.metadata.uid ?? '';
    if (this.stopped || this.inFlight.has(uid)) return;
    this.inFlight.add(uid);
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    try {
      const r = await requestJson(this.kc, `${objectPath(POD, pod.metadata.namespace, pod.metadata.name)}/binding`, {
        method: 'POST',
        body: { apiVersion: 'v1', kind: 'Binding', metadata: { name: pod.metadata.name, uid }, target: { apiVersion: 'v1', kind: 'Node', name: this.nodeName } },
      });
      if (r.status === 201 || r.status === 200) this.log.info('bound pod', { pod: key, node: this.nodeName });
      else if (r.status !== 404 && r.status !== 409) throw new Error(`binding answered HTTP ${r.status}`);
    } catch (err) {
      if (attempt < 5 && !this.stopped) {
        this.log.warn('binding failed; retrying', { pod: key, error: describeError(err) });
        const t = setTimeout(() => {
          this.retryTimers.delete(t);
          void this.bind(pod, attempt + 1);
        }, 500 * 2 ** attempt);
        this.retryTimers.add(t);
      }
    } finally {
      this.inFlight.delete(uid);
    }
  }
}
