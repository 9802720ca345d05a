// A probe on its schedule: initialDelaySeconds, then every periodSeconds, with success and
// failure thresholds. Until the first success, readiness and startup probes run at least every
// second: a Pod is then Ready about as soon as it can answer, instead of up to a whole period
// later (a kubelet would wait the period; nothing depends on that slowness).
import type { Probe } from '../kube-types.js';
import { runProbe, type ProbeTarget } from './probes.js';

export type ProbeKind = 'readiness' | 'liveness' | 'startup';

const EAGER_PERIOD_MS = 1000;

export class Prober {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private successes = 0;
  private failures = 0;
  private everSucceeded = false;
  /** The thresholded result; readiness and startup start unhealthy, liveness healthy. */
  healthy: boolean;

  constructor(
    readonly kind: ProbeKind,
    private readonly probe: Probe,
    private readonly target: ProbeTarget,
    /** Called when `healthy` flips. */
    private readonly onChange: (healthy: boolean, message: string) => void,
  ) {
    this.healthy = kind === 'liveness';
  }

  start(): void {
    this.schedule((this.probe.initialDelaySeconds ?? 0) * 1000);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), delayMs);
  }

  private async tick(): Promise<void> {
    const result = await runProbe(this.probe, this.target);
    if (this.stopped) return;
    if (result.ok) {
      this.everSucceeded = true;
      this.failures = 0;
      this.successes++;
      // Liveness and startup probes need exactly one success (the API enforces it).
      if (!this.healthy && this.successes >= (this.kind === 'readiness' ? (this.probe.successThreshold ?? 1) : 1)) this.flip(true, '');
    } else {
      this.successes = 0;
      this.failures++;
      if (this.healthy && this.failures >= (this.probe.failureThreshold ?? 3)) this.flip(false, result.message);
      else if (!this.healthy && this.kind === 'startup' && this.failures >= (this.probe.failureThreshold ?? 3)) this.onChange(false, result.message);
    }
    const period = (this.probe.periodSeconds ?? 10) * 1000;
    const eager = this.kind !== 'liveness' && !this.everSucceeded;
    this.schedule(eager ? Math.min(period, EAGER_PERIOD_MS) : period);
  }

  private flip(healthy: boolean, message: string): void {
    this.healthy = healthy;
    this.onChange(healthy, message);
  }
}
