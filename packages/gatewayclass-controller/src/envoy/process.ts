// Runs one local Envoy: writes its bootstrap, starts it, restarts it with backoff if it dies,
// and stops it (SIGTERM, then SIGKILL) on request. Used by standalone mode and by tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface EnvoyLog {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

export interface EnvoyProcessOptions {
  readonly envoyPath: string;
  /** A complete bootstrap (JSON object). */
  readonly bootstrap: object;
  /** Shown in logs, e.g. the Gateway key. */
  readonly name: string;
  readonly logLevel?: string;
  readonly log?: EnvoyLog;
  /** Restart after an unexpected exit (default true). */
  readonly restart?: boolean;
}

const STOP_GRACE_MS = 5000;
const MAX_BACKOFF_MS = 30000;

/**
 * Every Envoy this process started and has not seen exit. However this process ends (an error
 * nobody caught, process.exit on a second signal), they are killed on the way out rather than
 * left running with nobody to update them.
 */
const LIVE = new Set<ChildProcess>();
let exitHookInstalled = false;

function track(child: ChildProcess): void {
  LIVE.add(child);
  child.once('exit', () => LIVE.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of LIVE) c.kill('SIGKILL');
  });
}

export class EnvoyProcess {
  private child: ChildProcess | undefined;
  private dir: string | undefined;
  private stopping = false;
  private backoffMs = 500;
  private restartTimer: NodeJS.Timeout | undefined;
  /** Resolves when the current child has exited. */
  private exited: Promise<void> = Promise.resolve();

  constructor(private readonly opts: EnvoyProcessOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), 'gantry-envoy-'));
    const configPath = join(this.dir, 'bootstrap.json');
    await writeFile(configPath, JSON.stringify(this.opts.bootstrap), { mode: 0o600 });
    this.spawnChild(configPath);
  }

  private spawnChild(configPath: string): void {
    const log = this.opts.log;
    const child = spawn(this.opts.envoyPath, [
      '-c', configPath,
      '--disable-hot-restart',
      '--log-level', this.opts.logLevel ?? 'warn',
      '--log-format', '%L %n: %v',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    track(child);
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => log?.info(line, { envoy: this.opts.name }));
    }
    const startedAt = Date.now();
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        resolve();
        if (this.stopping) return;
        log?.error('envoy exited', { envoy: this.opts.name, code, signal });
        if (this.opts.restart === false) return;
        if (Date.now() - startedAt > 60000) this.backoffMs = 500;
        this.restartTimer = setTimeout(() => this.spawnChild(configPath), this.backoffMs);
        this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
      });
    });
    child.once('error', (err) => log?.error('cannot start envoy', { envoy: this.opts.name, path: this.opts.envoyPath, error: err.message }));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await this.exited;
      clearTimeout(timer);
    }
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}

/** The Envoy binary: an explicit path, then $GANTRY_ENVOY, then `envoy` on the PATH. */
export function resolveEnvoyPath(explicit?: string): string {
  return explicit ?? process.env.GANTRY_ENVOY ?? 'envoy';
}
