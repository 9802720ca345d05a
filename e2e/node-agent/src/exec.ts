// Running host tools (ip, sysctl, openssl, nsenter): the one place that spawns short-lived helper
// commands, so their failures read the same everywhere.
import { execFile } from 'node:child_process';

export class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | undefined,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

export interface RunOptions {
  readonly input?: string;
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs `file args...`; resolves with stdout, rejects with a CommandError carrying stderr. */
export function run(file: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      [...args],
      { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 8 * 1024 * 1024, env: opts.env ?? process.env },
      (error, stdout, stderr) => {
        if (error) {
          const code = typeof error.code === 'number' ? error.code : undefined;
          const detail = stderr.trim().split('\n').slice(-3).join(' | ') || error.message.split('\n')[0];
          reject(new CommandError(`${file} ${args.join(' ')}: ${detail}`, code, stderr));
        } else {
          resolve(stdout);
        }
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Like run, but a failure is an answer (false), not an exception: for probes and idempotent teardown. */
export async function succeeds(file: string, args: readonly string[], opts: RunOptions = {}): Promise<boolean> {
  try {
    await run(file, args, opts);
    return true;
  } catch {
    return false;
  }
}
