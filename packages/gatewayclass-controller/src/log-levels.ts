// Log level names, apart from the logger: the CLI checks `--log-level` without loading winston
// (`gantry translate` never logs).

/** winston's npm levels, most severe first. */
export const LOG_LEVEL_NAMES: readonly string[] = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'];

export function isLogLevel(level: string): boolean {
  return LOG_LEVEL_NAMES.includes(level);
}
