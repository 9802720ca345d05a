// Runs discovery for the controller: on the leader only, one pass at a time, after a short holdoff
// so a burst of Service events costs one pass; a pass whose writes failed is tried again with
// backoff. It reads the controller's store (no watch of its own).
import { KIND_TABLE, type Namespace, type Service, type Upstream } from '@gantry/api';
import { Discovery, type DiscoveryScope } from '@gantry/discovery';
import { Backoff, type Logger, type ObjectStore } from '@gantry/kube';
import type { KubeAccess } from '@gantry/kube';
import type { GantryMetrics } from '../metrics/index.js';

export interface DiscoveryLoopOptions {
  readonly kubeConfig: KubeAccess;
  readonly installNamespace: string;
  readonly scope?: DiscoveryScope;
  readonly store: ObjectStore;
  readonly metrics: GantryMetrics;
  readonly logger: Logger;
  readonly holdoffMs?: number;
}

export class DiscoveryLoop {
  readonly discovery: Discovery;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly backoff = new Backoff({ initialMs: 500, maxMs: 30_000 });

  constructor(private readonly opts: DiscoveryLoopOptions) {
    const { store, metrics } = opts;
    this.discovery = new Discovery({
      kubeConfig: opts.kubeConfig,
      installNamespace: opts.installNamespace,
      ...(opts.scope ? { scope: opts.scope } : {}),
      logger: opts.logger,
      reader: {
        services: () => store.list<Service & { metadata: { name: string } }>(KIND_TABLE.Service.kind),
        namespaces: () => store.list<Namespace & { metadata: { name: string } }>(KIND_TABLE.Namespace.kind),
        upstreams: () => store.list<Upstream & { metadata: { name: string } }>(KIND_TABLE.Upstream.kind),
      },
      events: {
        applied: (result) => metrics.discoveryApplies.inc({ result }),
        deleted: (result) => metrics.discoveryDeletes.inc({ result }),
        skippedClash: () => metrics.discoverySkippedClashes.inc(),
        desired: (count) => metrics.discoveredUpstreams.set(undefined, count),
      },
    });
  }

  /** Asks for a pass (after the holdoff); a pass in progress is followed by another. */
  schedule(delayMs = this.opts.holdoffMs ?? 50): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.pass().finally(() => {
        this.running = undefined;
      });
    }, delayMs);
  }

  /** A new leader compares everything with the server again. */
  reset(): void {
    this.discovery.reset();
  }

  /** Resolves when no pass is queued or running (tests). */
  async idle(): Promise<void> {
    while (this.timer !== undefined || this.running !== undefined) await (this.running ?? new Promise((r) => setTimeout(r, 5)));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private async pass(): Promise<void> {
    this.again = false;
    try {
      const result = await this.discovery.sync();
      if (result.failed > 0) {
        const delay = this.backoff.next();
        this.opts.logger.warn('discovery writes failed; retrying', { failed: result.failed, retryInMs: delay });
        this.schedule(delay);
        return;
      }
      this.backoff.reset();
    } catch (err) {
      this.opts.logger.error('discovery pass failed', { error: err instanceof Error ? err.message : String(err) });
      this.schedule(this.backoff.next());
      return;
    }
    if (this.again) this.schedule();
  }
}
