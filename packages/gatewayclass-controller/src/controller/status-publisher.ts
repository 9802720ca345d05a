// Chooses the status reports the status writer looks at after a translation or a status event:
// the objects that changed, not every report. A translation names the reports it replaced
// (PipelineRun.statusChanges), a watch event names its object; only those, and the Gateways
// (whose Programmed condition follows the data plane and whose addresses follow the deployer, with
// no report changing), are looked up in the run's sorted reports. So the work per route change
// follows the change, not the route count. A complete pass over every report (and every stored
// route, for stale entries of ours) runs first, after a new leadership, and after a watch relist.
import { REPORTED_KINDS, type ReportedKind } from '@gantry/api';
import { compareReports, type ReportRef, type StatusReport } from '@gantry/translator';
import { reportKey } from '../status/index.js';

const REPORTED: ReadonlySet<string> = new Set(REPORTED_KINDS);

export interface PublishHooks {
  /** A Gateway's report with what the translator does not know folded in (data plane, deployment). */
  gateway(report: StatusReport): StatusReport;
  /** Kinds whose status.parents are shared with other controllers (stale entries of ours are removed). */
  readonly routeKinds: ReadonlySet<string>;
  /**
   * The report that removes our entries from a route no report is about, when the stored route
   * still carries one (undefined otherwise).
   */
  staleRoute(ref: ReportRef): StatusReport | undefined;
  /** Every such report, for routes whose key `reported` does not hold (a complete pass). */
  staleRoutes(reported: ReadonlySet<string>): Iterable<StatusReport>;
}

export interface Publication {
  readonly reports: readonly StatusReport[];
  /** Every report was looked at (the status writer may prune what it remembers). */
  readonly complete: boolean;
  /** Reports of the run looked at (tests and logs: the work of this publish). */
  readonly visited: number;
}

export class StatusPublisher {
  private complete = true;
  /** Objects to look at again, by reportKey. */
  private readonly dirty = new Map<string, ReportRef>();

  /** The next publish looks at every report (first publish, new leadership, a relist). */
  markAll(): void {
    this.complete = true;
    this.dirty.clear();
  }

  /** A relist of a kind: any of its objects may have changed (a complete pass if we report on it). */
  markKind(kind: string): void {
    if (REPORTED.has(kind)) this.markAll();
  }

  /** Reports a translation replaced, added or removed (old and new values). */
  markReports(reports: Iterable<StatusReport>): void {
    if (this.complete) return;
    for (const r of reports) this.dirty.set(reportKey(r), r);
  }

  /** An object whose stored copy changed (its status may no longer say what its report does). */
  markObject(kind: string, namespace: string | undefined, name: string): void {
    if (this.complete || !REPORTED.has(kind)) return;
    const ref: ReportRef = { kind: kind as ReportedKind, ...(namespace !== undefined ? { namespace } : {}), name };
    this.dirty.set(reportKey(ref), ref);
  }

  /** The reports to hand to the status writer now, from the run's sorted reports; forgets the marks. */
  collect(statuses: readonly StatusReport[], hooks: PublishHooks): Publication {
    const out: StatusReport[] = [];
    let visited = 0;
    if (this.complete) {
      this.complete = false;
      this.dirty.clear();
      const reported = new Set<string>();
      for (const report of statuses) {
        visited++;
        if (hooks.routeKinds.has(report.kind)) reported.add(reportKey(report));
        out.push(report.kind === 'Gateway' ? hooks.gateway(report) : report);
      }
      for (const r of hooks.staleRoutes(reported)) out.push(r);
      return { reports: out, complete: true, visited };
    }
    // Gateways: few, and their status moves with the data plane, not only with their report.
    for (let i = lowerBound(statuses, { kind: 'Gateway', name: '' }); i < statuses.length; i++) {
      const report = statuses[i]!;
      if (report.kind !== 'Gateway') break;
      visited++;
      out.push(hooks.gateway(report));
    }
    for (const ref of this.dirty.values()) {
      if (ref.kind === 'Gateway') continue;
      const i = lowerBound(statuses, ref);
      const report = statuses[i];
      visited++;
      if (report !== undefined && compareReports(report, ref) === 0) {
        out.push(report);
        continue;
      }
      if (!hooks.routeKinds.has(ref.kind)) continue;
      const stale = hooks.staleRoute(ref);
      if (stale !== undefined) out.push(stale);
    }
    this.dirty.clear();
    return { reports: out, complete: false, visited };
  }
}

/** First index whose report does not sort before `ref`. */
function lowerBound(statuses: readonly StatusReport[], ref: ReportRef): number {
  let lo = 0;
  let hi = statuses.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareReports(statuses[mid]!, ref) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
