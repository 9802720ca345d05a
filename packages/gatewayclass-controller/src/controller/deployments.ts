// Keeps each accepted Gateway's Envoy deployment applied (the leader only): reconciles when the
// Gateway, its class, GatewayParameters or the deployed objects change (drift is reverted), one
// Gateway at a time, retrying failures with backoff. Results feed the Gateway's status.
import type { Logger } from '@gantry/kube';
import type { Gateway, GatewayClass } from '@gantry/api';
import type { Deployer, ReconcileResult } from '../deployer/index.js';

const RETRY_MS = [1000, 2000, 5000, 10000, 30000];

export interface DeploymentsOptions {
  readonly deployer: Deployer;
  readonly logger: Logger;
  /** Called after a Gateway's result changed (its status needs a rewrite). */
  readonly onResult: (gatewayKey: string) => void;
}

interface Wanted {
  readonly gateway: Gateway;
  readonly gatewayClass: GatewayClass;
  /** Changes whenever anything the reconcile reads changes. */
  readonly fingerprint: string;
}

export class Deployments {
  private readonly results = new Map<string, ReconcileResult>();
  private readonly done = new Map<string, string>();
  /** Failed reconciles: how many in a row, and until when the same wanted state is not retried. */
  private readonly failures = new Map<string, { readonly count: number; readonly fingerprint: string; readonly retryAt: number }>();
  private wanted = new Map<string, Wanted>();
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: DeploymentsOptions) {}

  result(gatewayKey: string): ReconcileResult | undefined {
    return this.results.get(gatewayKey);
  }

  /** Sets what should be deployed and reconciles what changed since the last success. */
  sync(wanted: Map<string, Wanted>, removed: readonly Gateway[]): void {
    this.wanted = wanted;
    for (const key of [...this.results.keys()]) {
      if (!wanted.has(key)) {
        this.results.delete(key);
        this.done.delete(key);
      }
    }
    this.enqueue(async () => {
      for (const gw of removed) await this.opts.deployer.remove(gw).catch((err: unknown) => {
        this.opts.logger.warn('could not remove the deployment of a Gateway that is no longer ours', { gateway: `${gw.metadata.namespace}/${gw.metadata.name}`, error: String(err) });
      });
      for (const [key, w] of this.wanted) {
        if (this.stopped) return;
        if (this.done.get(key) === w.fingerprint) continue;
        // Other events do not cut a backoff short (a namespace being deleted refuses every write,
        // and each route deleted with it would otherwise retry at once); a changed Gateway does.
        const failed = this.failures.get(key);
        if (failed !== undefined && failed.fingerprint === w.fingerprint && Date.now() < failed.retryAt) continue;
        await this.reconcileOne(key, w);
      }
    });
  }

  /** Forgets every success: the next sync reconciles everything (a new leader starts here). */
  reset(): void {
    this.done.clear();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await this.queue;
  }

  private async reconcileOne(key: string, w: Wanted): Promise<void> {
    try {
      const result = await this.opts.deployer.reconcile(w.gateway, w.gatewayClass);
      this.done.set(key, w.fingerprint);
      this.failures.delete(key);
      const before = JSON.stringify(this.results.get(key));
      this.results.set(key, result);
      if (JSON.stringify(result) !== before) this.opts.onResult(key);
    } catch (err) {
      const n = (this.failures.get(key)?.count ?? 0) + 1;
      const delay = RETRY_MS[Math.min(n, RETRY_MS.length) - 1]!;
      this.failures.set(key, { count: n, fingerprint: w.fingerprint, retryAt: Date.now() + delay - 10 }); // the timer below may fire a hair early
      this.opts.logger.warn('deploying the Gateway failed; retrying', { gateway: key, attempt: n, retryInMs: delay, error: String(err) });
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.sync(this.wanted, []), delay);
      this.retryTimer.unref();
    }
  }

  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch((err: unknown) => {
      this.opts.logger.error('deployment reconcile crashed', { error: String(err) });
    });
  }
}

export type { Wanted as WantedDeployment };
