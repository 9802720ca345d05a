// The logger the ADS server writes to. Injected so the binary can route it to its own logger;
// fields are plain values, never resource bytes.

export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

export interface AdsLogger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export const noopLogger: AdsLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

type Level = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** One JSON object per line on stderr, at or above `minLevel`. */
export function jsonLogger(minLevel: Level = 'info', write: (line: string) => void = (l) => process.stderr.write(l + '\n')): AdsLogger {
  const log = (level: Level) => (message: string, fields?: LogFields) => {
    if (RANK[level] < RANK[minLevel]) return;
    write(JSON.stringify({ time: new Date().toISOString(), level, component: 'ads', msg: message, ...fields }));
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
