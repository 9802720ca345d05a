/** A mistake in how the command was called: printed with the usage text, exit code 2. */
export class UsageError extends Error {}

export function parsePort(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${flag}: "${value}" is not a port number`);
  return n;
}
