// Test helper: a real Envoy on a static bootstrap (every resource in the file, no xDS server),
// started and waited for until `ready` says it serves, stopped by its pid.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface StaticEnvoy {
  /** Everything Envoy printed so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

/** `baseId` keeps Envoys of concurrent test files apart (shared memory regions). */
export async function startStaticEnvoy(binary: string, bootstrap: object, opts: { readonly baseId: number; readonly ready: () => Promise<boolean>; readonly concurrency?: number }): Promise<StaticEnvoy> {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-static-envoy-'));
  const file = join(dir, 'bootstrap.json');
  writeFileSync(file, JSON.stringify(bootstrap), { mode: 0o600 });
  const args = ['-c', file, '-l', 'warn', '--disable-hot-restart', '--base-id', String(opts.baseId)];
  if (opts.concurrency !== undefined) args.push('--concurrency', String(opts.concurrency));
  const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null && proc.pid !== undefined) {
      process.kill(proc.pid, 'SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (proc.exitCode !== null) {
      await stop();
      throw new Error(`envoy exited (${proc.exitCode}):\n${output}`);
    }
    if (await opts.ready().catch(() => false)) break; // not listening yet
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`envoy did not become ready:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { output: () => output, stop };
}
