// Writes the translator's status reports to the API server (the leader only). Reports are
// coalesced per object by the batcher, merged into the object's current status (other
// controllers' entries kept, lastTransitionTime kept when a condition did not flip), and skipped
// when nothing would change against the watch's copy of the object. The patch is guarded by the
// resourceVersion of that copy; only when the copy turns out stale (409) is the object read.
import { KIND_TABLE } from '@gantry/api';
import type { KubeConfig } from '@kubernetes/client-node';
import { updateStatusWithRetry, type CurrentObject, type Logger, type UpdateStatusResult } from '@gantry/kube';
import type { GantryMetrics, StatusWriteOutcome } from '../metrics/index.js';
import { StatusBatcher, jsonEqual, mergeReport, reportKey, reportKeyPriority, type ObjectStatus } from '../status/index.js';
import type { StatusReport } from '@gantry/translator';

const RETRY_DELAY_MS = 1000;

export interface StatusWriterOptions {
  readonly kubeConfig: KubeConfig;
  readonly controllerName: string;
  readonly metrics: GantryMetrics;
  readonly logger: Logger;
  readonly now?: () => Date;
  /**
   * The object as the watch has it now, when it has it: a write starts from this copy instead of
   * reading the object first (a stale copy costs a 409 and a read, as before).
   */
  readonly known?: (report: StatusReport) => CurrentObject | undefined;
}

/** An object's status as the watch last delivered it; NOT_CACHED when the object is not in the store. */
export type CachedStatus = (report: StatusReport) => ObjectStatus | undefined | typeof NOT_CACHED;
export const NOT_CACHED = Symbol('not cached');

export class StatusWriter {
  private readonly batcher: StatusBatcher<StatusReport>;
  /** Reports handed to the batcher and not yet written, per object. */
  private readonly queued = new Map<string, StatusReport>();
  /**
   * Per object, the report and the watch's status last found equal: while both keep their
   * identity (the translator reuses unchanged reports, the store unchanged objects), the object
   * is up to date without comparing them again. Every translation submits every report; with tens
   * of thousands of objects the comparisons, not the writes, would be the cost.
   */
  private readonly judged = new Map<string, { readonly report: StatusReport; readonly status: ObjectStatus | undefined }>();
  private readonly now: () => Date;
  /** False after drop() until reset(): a replica that lost the leadership writes nothing more. */
  private active = true;

  constructor(private readonly opts: StatusWriterOptions) {
    this.now = opts.now ?? (() => new Date());
    this.batcher = new StatusBatcher<StatusReport>({
      write: (key, report) => this.write(key, report),
      priority: reportKeyPriority,
      onError: (key, report, err) => {
        opts.logger.warn('status write failed; will retry', { object: key, error: String(err) });
        // A later window; a newer report for the object, if any, wins instead.
        const timer = setTimeout(() => {
          if (!this.active || this.queued.has(key)) return;
          this.queued.set(key, report);
          this.batcher.retry(key, report);
        }, RETRY_DELAY_MS);
        timer.unref();
      },
    });
  }

  /**
   * Queues the reports that would change their object. What the object has is judged from the
   * watch's copy (`cached`), not from what this writer sent last: a status someone else changed
   * (a former leader's late write, a manual edit) differs from the report again and is rewritten,
   * while an object already showing the report costs no request at all (a new leader starts
   * here). A report equal to the one queued is not queued twice.
   */
  submit(reports: Iterable<StatusReport>, cached: CachedStatus): void {
    if (!this.active) return;
    const now = this.now().toISOString();
    let submitted = 0;
    for (const report of reports) {
      submitted++;
      const key = reportKey(report);
      const queued = this.queued.get(key);
      if (queued !== undefined && (queued === report || jsonEqual(queued, report))) continue;
      const current = cached(report);
      const judged = this.judged.get(key);
      if (queued === undefined && judged !== undefined && judged.report === report && judged.status === current) continue;
      const upToDate = current !== NOT_CACHED && mergeReport(current, report, { now, controllerName: this.opts.controllerName }) === undefined;
      // Up to date and nothing else queued: done. Something else queued: this report must replace it.
      if (upToDate && queued === undefined) {
        this.judged.set(key, { report, status: current as ObjectStatus | undefined });
        continue;
      }
      this.judged.delete(key);
      this.queued.set(key, report);
      this.batcher.submit(key, report);
    }
    // Objects that went away leave entries behind: start over when they outnumber the live ones.
    if (this.judged.size > 2 * submitted + 1024) this.judged.clear();
  }

  /** Forgets what was queued (a new leader starts here). */
  reset(): void {
    this.queued.clear();
    this.judged.clear();
    this.active = true;
  }

  /** Cancels every write not yet started (leadership lost); a write in flight finishes. */
  drop(): void {
    this.active = false;
    for (const key of this.queued.keys()) this.batcher.cancel(key);
    this.queued.clear();
  }

  async idle(): Promise<void> {
    await this.batcher.idle();
  }

  async close(): Promise<void> {
    await this.batcher.close();
  }

  private async write(key: string, report: StatusReport): Promise<void> {
    try {
      await this.writeOne(report);
    } finally {
      if (this.queued.get(key) === report) this.queued.delete(key);
    }
  }

  private async writeOne(report: StatusReport): Promise<void> {
    const kind = KIND_TABLE[report.kind];
    let result: UpdateStatusResult;
    try {
      result = await updateStatusWithRetry(this.opts.kubeConfig, kind, report.namespace, report.name, (current) => {
        const currentStatus = current.status as Record<string, unknown> | undefined;
        // A Gateway report carries status.addresses only when the deployer knows them; without,
        // the addresses on the object stay.
        const merged = mergeReport(currentStatus, report, { now: this.now().toISOString(), controllerName: this.opts.controllerName });
        return merged === undefined ? undefined : withRemovedFields(currentStatus, merged as Record<string, unknown>);
      }, { known: this.opts.known?.(report) });
    } catch (err) {
      this.count(report, 'error');
      throw err;
    }
    this.count(report, result === 'written' ? 'written' : result === 'unchanged' ? 'unchanged' : result === 'notfound' ? 'notfound' : 'conflict');
    if (result === 'gave-up') throw new Error(`status of ${reportKey(report)}: conflicts on every attempt`);
  }

  private count(report: StatusReport, outcome: StatusWriteOutcome): void {
    this.opts.metrics.statusWrites.inc({ kind: report.kind, outcome });
  }
}

/**
 * A JSON merge patch keeps fields it does not mention: top-level status fields we no longer
 * want (e.g. addresses of a Gateway that lost its Service) are written as null to remove them.
 */
function withRemovedFields(current: Record<string, unknown> | undefined, next: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...next };
  for (const key of Object.keys(current ?? {})) if (!(key in next)) out[key] = null;
  return out;
}
