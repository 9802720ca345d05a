// The agent's own log: one JSON object per line on stdout (cluster-up appends it to
// logs/node-agent.log). Implements @gantry/kube's Logger so the watches log through it too.
import type { LogFields, Logger } from '@gantry/kube';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const ORDER: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3 };

export function jsonLineLogger(level: LogLevel = 'info', write: (line: string) => void = (l) => process.stdout.write(l)): Logger {
  const at = (lvl: LogLevel) => (msg: string, fields?: LogFields): void => {
    if (ORDER[lvl] < ORDER[level]) return;
    write(`${JSON.stringify({ ts: new Date().toISOString(), level: lvl, msg, ...fields })}\n`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export function isLogLevel(value: string): value is LogLevel {
  return value in ORDER;
}

/** An error as a short string for a log field (never the object: it may carry request options). */
export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
