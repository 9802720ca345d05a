// One run of a container: a process group started detached (its own session), with stdout and
// stderr into a CRI log file. The process dies with the agent (setpriv --pdeathsig KILL), so a
// crashed agent leaves no container behind; stop() is TERM to the group, KILL after the grace
// period.
import { spawn } from 'node:child_process';
import { CriLogWriter } from '../logs/cri-log.js';

export interface SpawnSpec {
  readonly file: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly logPath: string;
}

export interface ProcessExit {
  readonly exitCode: number;
  /** The signal that ended it, if one did. */
  readonly signal?: string;
  readonly finishedAt: Date;
}

export class ContainerProcess {
  readonly exited: Promise<ProcessExit>;
  private exit: ProcessExit | undefined;

  private constructor(
    readonly pid: number,
    readonly startedAt: Date,
    exited: Promise<ProcessExit>,
  ) {
    this.exited = exited.then((e) => (this.exit = e));
  }

  /** Resolves once the process exists (rejects when it could not be spawned at all). */
  static start(spec: SpawnSpec): Promise<ContainerProcess> {
    return new Promise((resolve, reject) => {
      const log = new CriLogWriter(spec.logPath);
      const child = spawn(spec.file, [...spec.args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...spec.env } });
      child.stdout.on('data', (c: Buffer) => log.feed('stdout', c));
      child.stderr.on('data', (c: Buffer) => log.feed('stderr', c));
      let outputClosed = 0;
      let exitInfo: ProcessExit | undefined;
      let resolveExit!: (e: ProcessExit) => void;
      const exited = new Promise<ProcessExit>((r) => (resolveExit = r));
      // 'close' comes after 'exit' once both pipes are drained; finish the log first so a reader
      // that sees the exit also sees the last lines.
      const finish = (): void => {
        if (exitInfo && outputClosed === 2) {
          const e = exitInfo;
          void log.close().then(() => resolveExit(e));
        }
      };
      child.stdout.on('close', () => (outputClosed++, finish()));
      child.stderr.on('close', () => (outputClosed++, finish()));
      child.on('exit', (code, signal) => {
        exitInfo = { exitCode: code ?? 128 + signalNumber(signal), ...(signal ? { signal } : {}), finishedAt: new Date() };
        // The container ends with its main process, as when PID 1 of a container exits: what it
        // left running in its process group goes too (children do not inherit the death signal).
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // nothing left
        }
        finish();
        // A leftover child of the container may hold the pipes open: do not wait for it.
        setTimeout(() => {
          if (outputClosed < 2) {
            child.stdout.destroy();
            child.stderr.destroy();
          }
        }, 1000).unref();
      });
      child.once('error', (err) => {
        if (child.pid === undefined) {
          void log.close();
          reject(err);
        }
      });
      child.once('spawn', () => resolve(new ContainerProcess(child.pid ?? -1, new Date(), exited)));
    });
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** Signals the whole process group (the container may have children). */
  signal(signal: NodeJS.Signals): void {
    if (!this.running) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      // already gone
    }
  }

  /** TERM, then KILL after `graceMs`; resolves with the exit. */
  async stop(graceMs: number): Promise<ProcessExit> {
    if (!this.running) return this.exited;
    this.signal(graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.signal('SIGKILL');
        resolve();
      }, graceMs);
    });
    await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    return this.exited;
  }
}

const SIGNALS: Readonly<Record<string, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal ? (SIGNALS[signal] ?? 0) : 0;
}
