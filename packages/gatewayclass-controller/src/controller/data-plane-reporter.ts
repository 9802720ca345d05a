// Publishes this replica's data-plane report (see data-plane.ts) in its own Lease: written when
// it changes (debounced) and renewed periodically while it says anything, so the leader can tell
// a live replica's report from one a dead replica left behind. Deleted on a clean stop.
import type { KubeAccess } from '@gantry/kube';
import { CORE_KINDS, microTime, objectPath, requestJson, type Logger } from '@gantry/kube';
import { REPORT_ANNOTATION, REPORT_LABEL, reportLeaseName, type DataPlaneReport } from './data-plane.js';

const APPLY_PATCH = 'application/apply-patch+yaml';
const FIELD_MANAGER = 'gantry-data-plane';
const DEBOUNCE_MS = 100;

export interface DataPlaneReporterOptions {
  readonly kubeConfig: KubeAccess;
  readonly namespace: string;
  /** The election Lease's name: reports are labelled with it. */
  readonly electionLease: string;
  readonly identity: string;
  /** Renewal period; readers treat a report older than three periods as gone. */
  readonly refreshMs: number;
  readonly logger: Logger;
  /** This replica's view now. */
  readonly local: () => DataPlaneReport;
}

export class DataPlaneReporter {
  readonly leaseName: string;
  private lastWritten = '{}';
  /** This replica has written its Lease (even if its last report was empty): stop() deletes it. */
  private written = false;
  private debounce: NodeJS.Timeout | undefined;
  private refresh: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly opts: DataPlaneReporterOptions) {
    this.leaseName = reportLeaseName(opts.electionLease, opts.identity);
  }

  start(): void {
    this.refresh = setInterval(() => this.enqueue(true), this.opts.refreshMs);
    this.refresh.unref();
  }

  /** The view may have changed (an Envoy ACKed, NACKed, came or went; a new snapshot). */
  changed(): void {
    if (this.stopped || this.debounce !== undefined) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      this.enqueue(false);
    }, DEBOUNCE_MS);
    this.debounce.unref();
  }

  get identity(): string {
    return this.opts.identity;
  }

  /** Stops writing and leaves the Lease as it is (to go stale, as after a crash). */
  abandon(): void {
    this.stopped = true;
    clearTimeout(this.debounce);
    clearInterval(this.refresh);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.debounce);
    clearInterval(this.refresh);
    await this.writing;
    if (!this.written) return;
    const r = await requestJson(this.opts.kubeConfig, objectPath(CORE_KINDS.Lease, this.opts.namespace, this.leaseName), { method: 'DELETE', timeoutMs: 5000 }).catch(() => undefined);
    if (r !== undefined && r.status >= 300 && r.status !== 404) this.opts.logger.warn('could not delete the data-plane report', { lease: this.leaseName, status: r.status });
  }

  private enqueue(renew: boolean): void {
    this.writing = this.writing.then(() => this.write(renew));
  }

  private async write(renew: boolean): Promise<void> {
    if (this.stopped) return;
    const report = JSON.stringify(this.opts.local());
    // Nothing new to say; a renewal only while there is something to keep alive.
    if (report === this.lastWritten && (!renew || report === '{}')) return;
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.leaseName,
        namespace: this.opts.namespace,
        labels: { [REPORT_LABEL]: this.opts.electionLease },
        annotations: { [REPORT_ANNOTATION]: report },
      },
      spec: {
        holderIdentity: this.opts.identity,
        renewTime: microTime(new Date()),
        leaseDurationSeconds: Math.max(1, Math.ceil((3 * this.opts.refreshMs) / 1000)),
      },
    };
    try {
      const r = await requestJson(this.opts.kubeConfig, objectPath(CORE_KINDS.Lease, this.opts.namespace, this.leaseName), {
        method: 'PATCH',
        query: { fieldManager: FIELD_MANAGER, force: true },
        body: lease,
        contentType: APPLY_PATCH,
        timeoutMs: 10_000,
      });
      if (r.status >= 300) throw new Error(`HTTP ${r.status}`);
      this.lastWritten = report;
      this.written = true;
    } catch (err) {
      // The next change or renewal tries again.
      this.opts.logger.warn('could not publish the data-plane report', { lease: this.leaseName, error: String(err) });
    }
  }
}
