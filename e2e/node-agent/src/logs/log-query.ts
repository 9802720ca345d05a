// The options of GET /containerLogs (what `kubectl logs` sends through the API server) and how
// they select and format records.
import type { LogRecord } from './cri-log.js';

export interface LogQuery {
  readonly follow: boolean;
  readonly previous: boolean;
  readonly timestamps: boolean;
  readonly tailLines?: number;
  readonly limitBytes?: number;
  /** Records at or after this time only (sinceSeconds is turned into this). */
  readonly since?: Date;
}

export function parseLogQuery(params: URLSearchParams, now: Date = new Date()): LogQuery | { error: string } {
  const bool = (name: string): boolean => params.get(name) === 'true' || params.get(name) === '1';
  const int = (name: string): number | undefined | 'bad' => {
    const v = params.get(name);
    if (v === null || v === '') return undefined;
    const n = Number(v);
    return Number.isInteger(n) && n >= 0 ? n : 'bad';
  };
  const tailLines = int('tailLines');
  const limitBytes = int('limitBytes');
  const sinceSeconds = int('sinceSeconds');
  if (tailLines === 'bad' || limitBytes === 'bad' || sinceSeconds === 'bad') return { error: 'tailLines, limitBytes and sinceSeconds must be non-negative integers' };
  let since: Date | undefined;
  const sinceTime = params.get('sinceTime');
  if (sinceTime) {
    since = new Date(sinceTime);
    if (Number.isNaN(since.getTime())) return { error: `bad sinceTime ${sinceTime}` };
  } else if (sinceSeconds !== undefined) {
    since = new Date(now.getTime() - sinceSeconds * 1000);
  }
  return {
    follow: bool('follow'),
    previous: bool('previous'),
    timestamps: bool('timestamps'),
    ...(tailLines !== undefined ? { tailLines } : {}),
    ...(limitBytes !== undefined ? { limitBytes } : {}),
    ...(since ? { since } : {}),
  };
}

/** Records of the last `tailLines` lines (a line may span partial records), after `since`. */
export function selectRecords(records: readonly LogRecord[], query: LogQuery): LogRecord[] {
  const since = query.since?.getTime();
  const kept = since === undefined ? [...records] : records.filter((r) => Date.parse(r.time) >= since);
  if (query.tailLines === undefined) return kept;
  let lines = 0;
  let start = kept.length;
  while (start > 0) {
    const r = kept[start - 1];
    if (r?.full) {
      if (lines === query.tailLines) break;
      lines++;
    }
    start--;
  }
  return kept.slice(start);
}

export function formatRecord(r: LogRecord, timestamps: boolean): string {
  return `${timestamps ? `${r.time} ` : ''}${r.content}${r.full ? '\n' : ''}`;
}
