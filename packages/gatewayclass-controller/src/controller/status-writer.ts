// Writes the translator's status reports to the API server (the leader only). Reports are
// coalesced per object by the batcher, merged into the object's current status (other
// controllers' entries kept, lastTransitionTime kept when a condition did not flip), and skipped
// when nothing would change against the watch's copy of the object. The patch is guarded by the
// resourceVersion of that copy; only when the copy turns out stale (409) is the object read.
import { KIND_TABLE } from '@gantry/api';
import type { KubeAccess } from '@gantry/kube';
import { updateStatusWithRetry, type CurrentObject, type Logger, type UpdateStatusResult } from '@gantry/kube';
import type { GantryMetrics, StatusWriteOutcome } from '../metrics/index.js';
import { StatusBatcher, jsonEqual, mergeReport, reportKey, reportKeyPriority, type HoldPolicy, type ObjectStatus } from '../status/index.js';
import type { StatusReport } from '@gantry/translator';

const RETRY_DELAY_MS = 1000;

/**
 * Status writes in flight at most. Each is one small PATCH over a kept-alive connection; a storm
 * of new routes (1,000 applied at once) is written 16 at a time instead of one API round trip
 * after the other.
 */
export const STATUS_WRITE_CONCURRENCY = 16;

/**
 * Gateways (and ListenerSets) change with every route that attaches: in a storm of route creates
 * each translation has a new attachedRoutes. The first change after a quiet spell is written as
 * usual; later ones wait until the storm's translations stop (no newer value for quietMs), or at
 * most maxMs; after 8 such writes in one storm (a slow one: the API server takes the creates at a
 * few per second) they are spaced 2, 4, then at most 4 s apart. So 1,000 routes cost a few
 * Gateway writes, not one per translation, and the final attachedRoutes follows the storm's last
 * translation by quietMs (after a long storm, by up to maxGapMs).
 */
export const GATEWAY_STATUS_HOLD: HoldPolicy = { quietMs: 300, maxMs: 1000, freeWrites: 8, maxGapMs: 4000 };
const HELD_ORDER = KIND_TABLE.Gateway.status.order;

export interface StatusWriterOptions {
  readonly kubeConfig: KubeAccess;
  readonly controllerName: string;
  readonly metrics: GantryMetrics;
  readonly logger: Logger;
  readonly now?: () => Date;
  /**
   * The object as the watch has it now, when it has it: a write starts from this copy instead of
   * reading the object first (a stale copy costs a 409 and a read, as before).
   */
  readonly known?: (report: StatusReport) => CurrentObject | undefined;
  /** Writes in flight at most (default STATUS_WRITE_CONCURRENCY). */
  readonly concurrency?: number;
  /** Spacing of Gateway and ListenerSet writes (default GATEWAY_STATUS_HOLD; null: none). */
  readonly gatewayHold?: HoldPolicy | null;
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
   * is up to date without comparing them again. A complete submit (a new leader, a relist) hands
   * over every report; with tens of thousands of objects the comparisons, not the writes, would be
   * the cost.
   */
  private readonly judged = new Map<string, { readonly report: StatusReport; readonly status: ObjectStatus | undefined }>();
  /** Reports in the last complete submit (every object's). */
  private liveReports = 0;
  private readonly now: () => Date;
  /** False after drop() until reset(): a replica that lost the leadership writes nothing more. */
  private active = true;

  constructor(private readonly opts: StatusWriterOptions) {
    this.now = opts.now ?? (() => new Date());
    this.batcher = new StatusBatcher<StatusReport>({
      write: (key, report) => this.write(key, report),
      priority: reportKeyPriority,
      concurrency: opts.concurrency ?? STATUS_WRITE_CONCURRENCY,
      hold: (key) => {
        const policy = opts.gatewayHold === undefined ? GATEWAY_STATUS_HOLD : opts.gatewayHold;
        return policy !== null && reportKeyPriority(key) === HELD_ORDER ? policy : undefined;
      },
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
   * here). A report equal to the one queued is not queued twice. `complete`: these are the
   * reports of every object (false: only of objects that changed).
   */
  submit(reports: Iterable<StatusReport>, cached: CachedStatus, complete = true): void {
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
    // Objects that went away leave entries behind: start over when they outnumber the live ones
    // (known from the last `complete` submit: one of every report; the others name only changes).
    if (complete) this.liveReports = submitted;
    if (this.judged.size > 2 * this.liveReports + 1024) this.judged.clear();
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
    const started = performance.now();
    let result: UpdateStatusResult;
    try {
      result = await updateStatusWithRetry(this.opts.kubeConfig, kind, report.namespace, report.name, (current) => {
        const currentStatus = current.status as Record<string, unknown> | undefined;
        // A Gateway report carries status.addresses only when the deployer knows them; without,
        // the addresses on the object stay.
        const merged = mergeReport(currentStatus, report, { now: this.now().toISOString(), controllerName: this.opts.controllerName });
        return merged === undefined ? undefined : changedFields(currentStatus, merged as Record<string, unknown>);
      }, { known: this.opts.known?.(report) });
    } catch (err) {
      this.count(report, 'error');
      throw err;
    }
    this.count(report, result === 'written' ? 'written' : result === 'unchanged' ? 'unchanged' : result === 'notfound' ? 'notfound' : 'conflict');
    if (result !== 'unchanged') this.opts.logger.debug('status write', { object: reportKey(report), result, ms: Math.round(performance.now() - started) });
    if (result === 'gave-up') throw new Error(`status of ${reportKey(report)}: conflicts on every attempt`);
  }

  private count(report: StatusReport, outcome: StatusWriteOutcome): void {
    this.opts.metrics.statusWrites.inc({ kind: report.kind, outcome });
  }
}

/**
 * The merge patch from `current` to `next`: the top-level status fields that changed (a field is
 * sent whole: arrays such as conditions, listeners and parents are replaced whole by a merge
 * patch), and null for fields we no longer want (e.g. addresses of a Gateway that lost its
 * Service). Fields already equal are left out: the patch carries only what changed.
 */
export function changedFields(current: Record<string, unknown> | undefined, next: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(next)) {
    if (value === undefined) continue;
    if (current === undefined || !jsonEqual(current[key], value)) out[key] = value;
  }
  for (const key of Object.keys(current ?? {})) if (!(key in next) || next[key] === undefined) out[key] = null;
  return out;
}
