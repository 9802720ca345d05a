// One container of a Pod across its whole life: start, probes, restarts with exponential back-off
// as the restart policy says, and the containerStatus that describes it.
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@gantry/kube';
import { describeError } from '../log.js';
import type { Container } from '../kube-types.js';
import { ContainerProcess, type ProcessExit, type SpawnSpec } from './container-process.js';
import { ContainerConfigError } from './object-source.js';
import { Prober } from './prober.js';

export interface RestartBackoff {
  /** Delay before the second restart in a row (the first is immediate); doubles after. */
  readonly initialMs: number;
  readonly maxMs: number;
  /** A run at least this long starts the back-off over. */
  readonly resetAfterMs: number;
}

/** Kubelet's figures: 10 s doubling to 5 min, reset after 10 min of running. */
export const KUBELET_BACKOFF: RestartBackoff = { initialMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 };

export interface PreparedRun {
  readonly spec: Omit<SpawnSpec, 'logPath'>;
  /** The container's environment, for exec probes. */
  readonly env: Readonly<Record<string, string>>;
  readonly imageID: string;
}

export interface RunnerOptions {
  readonly container: Container;
  readonly podKey: string;
  readonly init: boolean;
  readonly restartPolicy: 'Always' | 'OnFailure' | 'Never';
  readonly backoff: RestartBackoff;
  /** Grace period for kills the runner decides on (a failed liveness probe). */
  readonly graceMs: number;
  /** Known once the sandbox exists, which is before any start. */
  readonly podIP: () => string;
  /** Per-container directory; holds <restartCount>.log files. */
  readonly logDir: string;
  /** Builds env, mounts and command line for a (re)start; a ContainerConfigError means "not yet". */
  readonly prepare: () => Promise<PreparedRun>;
  readonly onChange: () => void;
  readonly log: Logger;
  /** Retry delay while the configuration is missing. */
  readonly configRetryMs?: number;
}

export interface TerminatedState {
  readonly exitCode: number;
  readonly signal?: number;
  readonly reason: string;
  readonly message?: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly containerID?: string;
}

export type ContainerState =
  | { readonly waiting: { readonly reason: string; readonly message?: string } }
  | { readonly running: { readonly startedAt: string } }
  | { readonly terminated: TerminatedState };

export interface ContainerStatus {
  readonly name: string;
  readonly image: string;
  readonly imageID: string;
  readonly containerID?: string;
  readonly restartCount: number;
  readonly started: boolean;
  readonly ready: boolean;
  readonly state: ContainerState;
  readonly lastState: { readonly terminated?: TerminatedState };
}

export class ContainerRunner {
  /** Resolves when the container will not run again: its last exit (undefined if it never ran). */
  readonly done: Promise<ProcessExit | undefined>;
  private resolveDone!: (e: ProcessExit | undefined) => void;
  private stopping = false;
  private stopGraceMs = 0;
  private loopStarted = false;
  private wake: (() => void) | undefined;
  private proc: ContainerProcess | undefined;
  private probers: Prober[] = [];
  private restartCount = 0;
  /** restartCount of the latest run that started; -1 before the first. */
  private lastStartedRun = -1;
  private state: ContainerState = { waiting: { reason: 'ContainerCreating' } };
  private lastTerminated: TerminatedState | undefined;
  private started = false;
  private ready = false;
  private imageID = '';
  private containerID: string | undefined;
  private lastExit: ProcessExit | undefined;

  constructor(private readonly opts: RunnerOptions) {
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  get name(): string {
    return this.opts.container.name;
  }

  get pid(): number | undefined {
    return this.proc?.running ? this.proc.pid : undefined;
  }

  get isReady(): boolean {
    return this.ready;
  }

  /**
   * The log of the latest run, or with `previous` of the run in lastState. While a crashed
   * container waits to restart both are the run that crashed, as with the kubelet.
   */
  logPath(previous: boolean): string | undefined {
    const n = previous ? this.restartCount - 1 : this.lastStartedRun;
    return n < 0 ? undefined : join(this.opts.logDir, `${n}.log`);
  }

  /** Whether output may still be appended to `path` (for follow). */
  isLogLive(path: string): boolean {
    return this.proc?.running === true && path === this.logPath(false);
  }

  start(): void {
    if (this.loopStarted) return;
    this.loopStarted = true;
    void this.loop().catch((err: unknown) => {
      this.opts.log.error('container loop failed', { pod: this.opts.podKey, container: this.name, error: describeError(err) });
      this.resolveDone(this.lastExit);
    });
  }

  /** Stops for good: TERM, KILL after `graceMs`; resolves once the process is gone. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.stopGraceMs = graceMs;
    this.stopProbers();
    this.wake?.();
    if (!this.loopStarted) this.resolveDone(undefined);
    await this.proc?.stop(graceMs);
    await this.done;
  }

  status(): ContainerStatus {
    return {
      name: this.name,
      image: this.opts.container.image ?? '',
      imageID: this.imageID,
      ...(this.containerID ? { containerID: this.containerID } : {}),
      restartCount: this.restartCount,
      started: this.started,
      ready: this.ready,
      state: this.state,
      lastState: this.lastTerminated ? { terminated: this.lastTerminated } : {},
    };
  }

  private set(change: () => void): void {
    change();
    this.opts.onChange();
  }

  private async loop(): Promise<void> {
    const { container, backoff } = this.opts;
    let crashes = 0;
    await mkdir(this.opts.logDir, { recursive: true });
    while (!this.stopping) {
      let prepared: PreparedRun;
      try {
        prepared = await this.opts.prepare();
      } catch (err) {
        const reason = err instanceof ContainerConfigError ? 'CreateContainerConfigError' : 'CreateContainerError';
        this.set(() => (this.state = { waiting: { reason, message: describeError(err) } }));
        await this.sleep(this.opts.configRetryMs ?? 2000);
        continue;
      }
      if (this.stopping) break;
      // Keep the current and the previous run's log only.
      await rm(join(this.opts.logDir, `${this.restartCount - 2}.log`), { force: true });
      const logPath = join(this.opts.logDir, `${this.restartCount}.log`);
      await rm(logPath, { force: true });
      let proc: ContainerProcess;
      try {
        proc = await ContainerProcess.start({ ...prepared.spec, logPath });
      } catch (err) {
        this.set(() => (this.state = { waiting: { reason: 'CreateContainerError', message: describeError(err) } }));
        await this.sleep(this.opts.configRetryMs ?? 2000);
        continue;
      }
      this.proc = proc;
      this.lastStartedRun = this.restartCount;
      if (this.stopping) void proc.stop(this.stopGraceMs); // stop() came while it was starting
      const containerID = `gantry://${randomBytes(16).toString('hex')}`;
      this.set(() => {
        this.imageID = prepared.imageID;
        this.containerID = containerID;
        this.state = { running: { startedAt: proc.startedAt.toISOString() } };
        this.started = !container.startupProbe;
        this.ready = this.started && !container.readinessProbe && !this.opts.init;
      });
      this.startProbers(proc, prepared.env);
      const exit = await proc.exited;
      this.stopProbers();
      this.lastExit = exit;
      const terminated: TerminatedState = {
        exitCode: exit.exitCode,
        ...(exit.signal ? { signal: exit.exitCode - 128 } : {}),
        reason: exit.exitCode === 0 ? 'Completed' : 'Error',
        startedAt: proc.startedAt.toISOString(),
        finishedAt: exit.finishedAt.toISOString(),
        containerID,
      };
      const policy = this.opts.restartPolicy;
      const restart = this.opts.init ? exit.exitCode !== 0 && policy !== 'Never' : policy === 'Always' || (policy === 'OnFailure' && exit.exitCode !== 0);
      if (this.stopping || !restart) {
        this.set(() => {
          this.state = { terminated };
          this.ready = this.opts.init && exit.exitCode === 0;
          this.started = false;
        });
        break;
      }
      if (exit.finishedAt.getTime() - proc.startedAt.getTime() >= backoff.resetAfterMs) crashes = 0;
      const delay = crashes === 0 ? 0 : Math.min(backoff.maxMs, backoff.initialMs * 2 ** (crashes - 1));
      crashes++;
      this.opts.log.info('container exited; restarting', { pod: this.opts.podKey, container: this.name, exitCode: exit.exitCode, restartInMs: delay });
      this.set(() => {
        this.restartCount++;
        this.lastTerminated = terminated;
        this.ready = false;
        this.started = false;
        this.state =
          delay > 0
            ? { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${this.name} pod=${this.opts.podKey}` } }
            : { waiting: { reason: 'ContainerCreating' } };
      });
      await this.sleep(delay);
    }
    this.resolveDone(this.lastExit);
  }

  private startProbers(proc: ContainerProcess, env: Readonly<Record<string, string>>): void {
    const { container } = this.opts;
    const target = { podIP: this.opts.podIP(), container, pid: () => (proc.running ? proc.pid : undefined), env };
    const readinessAndLiveness = (): void => {
      if (container.readinessProbe) {
        this.addProber(new Prober('readiness', container.readinessProbe, target, (healthy) => this.set(() => (this.ready = healthy))));
      }
      if (container.livenessProbe) {
        this.addProber(
          new Prober('liveness', container.livenessProbe, target, (healthy, message) => {
            if (healthy) return;
            this.opts.log.info('liveness probe failed; restarting container', { pod: this.opts.podKey, container: this.name, message });
            void proc.stop(this.opts.graceMs);
          }),
        );
      }
    };
    if (container.startupProbe) {
      const startup = new Prober('startup', container.startupProbe, target, (healthy, message) => {
        if (!healthy) {
          this.opts.log.info('startup probe failed; restarting container', { pod: this.opts.podKey, container: this.name, message });
          void proc.stop(this.opts.graceMs);
          return;
        }
        startup.stop();
        this.set(() => {
          this.started = true;
          this.ready = !container.readinessProbe;
        });
        readinessAndLiveness();
      });
      this.addProber(startup);
    } else if (!this.opts.init) {
      readinessAndLiveness();
    }
  }

  private addProber(p: Prober): void {
    if (this.stopping) return;
    this.probers.push(p);
    p.start();
  }

  private stopProbers(): void {
    for (const p of this.probers) p.stop();
    this.probers = [];
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
