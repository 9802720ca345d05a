// Status reports: what the translator wants each object's status to say. The status writer
// merges them into the objects (keeping other controllers' entries and lastTransitionTime).
import { REPORTED_KINDS, type Condition, type GatewayStatus, type ReportedKind, type StatusTypes } from '@gantry/api';
import { ConditionType, Reason } from './conditions.js';

export type { ReportedKind } from '@gantry/api';

interface ReportOf<K extends ReportedKind> {
  readonly apiVersion: string;
  readonly kind: K;
  readonly namespace?: string;
  readonly name: string;
  readonly generation?: number;
  /** For route kinds: only the parent entries whose controllerName is ours. */
  readonly status: StatusTypes[K];
}

/** What the translator wants one object's status to say; its status type follows its kind. */
export type StatusReport = { [K in ReportedKind]: ReportOf<K> }[ReportedKind];

/** The object a report is about: what the reports' order reads (a probe for a sorted search). */
export type ReportRef = Pick<StatusReport, 'kind' | 'namespace' | 'name'>;

/** A plain object, not a Map: sorting thousands of reports reads it on every comparison. */
const KIND_ORDER = Object.fromEntries(REPORTED_KINDS.map((k, i) => [k, i])) as Readonly<Record<ReportedKind, number>>;

/** Deterministic order: kind (the kind table's status order), then namespace, then name. */
export function compareReports(a: ReportRef, b: ReportRef): number {
  const k = KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
  return k !== 0 ? k : compareNamespaced(a, b);
}

/** namespace, then name: compareReports within one kind. */
function compareNamespaced(a: ReportRef, b: ReportRef): number {
  const an = a.namespace ?? '';
  const bn = b.namespace ?? '';
  if (an !== bn) return an < bn ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * Sorts reports in place in compareReports' order: grouped by kind first (one lookup per report,
 * not two per comparison), then each kind's reports sorted by namespace and name. A full
 * translation sorts every report at once, by the ten thousand.
 */
export function sortReports<T extends ReportRef>(list: T[]): void {
  const byKind: T[][] = [];
  let kind = '';
  let bucket: T[] | undefined;
  for (const r of list) {
    if (r.kind !== kind || bucket === undefined) {
      kind = r.kind;
      bucket = byKind[KIND_ORDER[r.kind]] ??= [];
    }
    bucket.push(r);
  }
  let n = 0;
  for (const b of byKind) {
    if (b === undefined) continue;
    if (b.length > 1) b.sort(compareNamespaced);
    for (const r of b) list[n++] = r;
  }
}

/**
 * Turns the Pending Programmed conditions of a Gateway report (the Gateway's and its
 * listeners') into what the data plane said: True/Programmed once Envoy ACKed the configuration
 * that contains the Gateway, False/Invalid with the NACK message otherwise. Conditions that are
 * not Pending (an invalid listener, an unusable address) are left alone. Returns a new report.
 */
export function markProgrammed(report: StatusReport, outcome: { readonly acked: true } | { readonly acked: false; readonly message: string }): StatusReport {
  if (report.kind !== 'Gateway') return report;
  const s = report.status;
  const fix = (conditions: readonly Condition[] | undefined): Condition[] | undefined =>
    conditions?.map((c) => {
      if (c.type !== ConditionType.Programmed || c.reason !== Reason.Pending) return c;
      return outcome.acked
        ? { ...c, status: 'True', reason: Reason.Programmed, message: 'Configuration acknowledged by the data plane' }
        : { ...c, status: 'False', reason: Reason.Invalid, message: outcome.message };
    });
  const status: GatewayStatus = {
    ...s,
    ...(s.conditions ? { conditions: fix(s.conditions) } : {}),
    ...(s.listeners ? { listeners: s.listeners.map((l) => ({ ...l, conditions: fix(l.conditions) ?? [] })) } : {}),
  };
  return { ...report, status };
}
