// Exponential backoff with jitter, so that many watches (or many replicas) that failed together
// do not retry together. Pure apart from the injected random source.

export interface BackoffOptions {
  /** The first delay's upper bound. */
  readonly initialMs: number;
  /** No delay exceeds this. */
  readonly maxMs: number;
  /** Growth per consecutive failure; 2 by default. */
  readonly factor?: number;
}

// A 10 s ceiling: an outage costs at most one cheap failed list per kind every 10 s, and
// recovery after the API server returns takes seconds, not half a minute.
export const DEFAULT_BACKOFF: BackoffOptions = Object.freeze({ initialMs: 250, maxMs: 10_000, factor: 2 });

export class Backoff {
  private attempt = 0;
  private readonly factor: number;

  constructor(
    private readonly opts: BackoffOptions = DEFAULT_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {
    if (!(opts.initialMs > 0) || !(opts.maxMs >= opts.initialMs)) {
      throw new Error(`invalid backoff: initialMs ${opts.initialMs}, maxMs ${opts.maxMs}`);
    }
    this.factor = opts.factor ?? 2;
  }

  /** Consecutive failures so far. */
  get failures(): number {
    return this.attempt;
  }

  /**
   * The delay before the next retry: the capped exponential ceiling, less up to half of it at
   * random ("equal jitter": spread out, yet never a hot loop).
   */
  next(): number {
    const ceiling = Math.min(this.opts.maxMs, this.opts.initialMs * this.factor ** this.attempt);
    this.attempt++;
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  /** After a success: the next failure starts from the initial delay again. */
  reset(): void {
    this.attempt = 0;
  }
}

/** `ms` spread by ±`fraction` at random, for periodic timers that should not align. */
export function jittered(ms: number, fraction: number, random: () => number = Math.random): number {
  return Math.round(ms * (1 - fraction + 2 * fraction * random()));
}
