// Coalesces status updates before they reach the API server. Desired statuses are collected per
// object for a short window; the latest value of an object wins, so a burst (1,000 routes
// attaching to one Gateway) costs one write of that Gateway, not 1,000. Writes run through an
// injected writer, a few at a time, never two at once for the same object (a newer value waits
// for the write in flight, then goes out). An optional priority lets Gateways go before a long
// queue of routes. An optional hold policy spaces the writes of busy objects (a Gateway whose
// attachedRoutes changes on every translation of a storm): the first change after a quiet spell
// goes out as usual, later ones are held until no newer value came for `quietMs` or `maxMs` after
// the first held one, the latest value winning; a storm that goes on past `freeWrites` writes has
// its writes spaced further apart (doubling up to `maxGapMs`), so even a slow storm costs a
// bounded number of writes. Time comes from an injected scheduler and clock.

export interface Scheduler {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realScheduler: Scheduler = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface StatusBatcherOptions<T> {
  /** Writes one object's status; retries on conflict are its business. */
  readonly write: (key: string, value: T) => Promise<void>;
  /** How long updates are collected after the first one of a window (default 100 ms). */
  readonly windowMs?: number;
  /** Writes in flight at most (default 4). */
  readonly concurrency?: number;
  readonly scheduler?: Scheduler;
  /** A write rejected; the value is dropped unless this calls retry(). */
  readonly onError?: (key: string, value: T, error: unknown) => void;
  /** Lower goes first among due writes (small integers, e.g. by kind); default all 0. */
  readonly priority?: (key: string) => number;
  /** Objects whose writes are spaced (see the header); undefined: written as usual. */
  readonly hold?: (key: string) => HoldPolicy | undefined;
  /** Milliseconds, for the hold policy (default performance.now). */
  readonly clock?: () => number;
}

export interface HoldPolicy {
  /** A held value goes out when no newer value came for this long... */
  readonly quietMs: number;
  /** ...or this long after it was first held. */
  readonly maxMs: number;
  /**
   * Writes of a busy spell (writes less than `maxGapMs` apart) before they are spaced: write k
   * after these waits at least maxMs × 2^(k − freeWrites + 1) after the previous one, at most
   * `maxGapMs`. A value coming `maxGapMs` after the last write starts a new spell and is not held.
   */
  readonly freeWrites: number;
  readonly maxGapMs: number;
}

export interface BatcherStats {
  readonly submitted: number;
  /** Submissions that replaced a value not yet written. */
  readonly coalesced: number;
  readonly written: number;
  readonly failed: number;
  /** Windows that handed at least one value to the writer. */
  readonly batches: number;
  /** Held values released to the writer (see HoldPolicy). */
  readonly released: number;
}

export class StatusBatcher<T> {
  private readonly write: (key: string, value: T) => Promise<void>;
  private readonly windowMs: number;
  private readonly concurrency: number;
  private readonly scheduler: Scheduler;
  private readonly onError: (key: string, value: T, error: unknown) => void;
  private readonly priority: (key: string) => number;
  private readonly hold: (key: string) => HoldPolicy | undefined;
  private readonly clock: () => number;
  /** Values held by the hold policy: the latest, when the first was held, the release timer. */
  private readonly held = new Map<string, { value: T; readonly since: number; readonly policy: HoldPolicy; timer: unknown }>();
  /** Per object with a hold policy: when its last value went to the writer, and the writes of its busy spell. */
  private readonly lastRelease = new Map<string, { at: number; spell: number }>();
  /** Collected in the current window. */
  private readonly pending = new Map<string, T>();
  /** Due for writing: per priority level, oldest first. */
  private readonly ready = new ReadyQueue<T>();
  private readonly inFlight = new Set<string>();
  private timer: { handle: unknown } | undefined;
  private closed = false;
  private waiters: (() => void)[] = [];
  private counts = { submitted: 0, coalesced: 0, written: 0, failed: 0, batches: 0, released: 0 };

  constructor(opts: StatusBatcherOptions<T>) {
    this.write = opts.write;
    this.windowMs = opts.windowMs ?? 100;
    this.concurrency = Math.max(1, opts.concurrency ?? 4);
    this.scheduler = opts.scheduler ?? realScheduler;
    this.onError = opts.onError ?? (() => {});
    this.priority = opts.priority ?? (() => 0);
    this.hold = opts.hold ?? (() => undefined);
    this.clock = opts.clock ?? (() => performance.now());
  }

  /** Queues the object's desired status; a value not yet written is replaced. */
  submit(key: string, value: T): void {
    if (this.closed) return;
    this.counts.submitted++;
    if (this.ready.has(key)) {
      // Already due: update in place, keep its turn.
      this.ready.set(key, value, this.priority(key));
      this.counts.coalesced++;
      return;
    }
    const held = this.held.get(key);
    if (held !== undefined) {
      held.value = value;
      this.counts.coalesced++;
      this.armHold(key);
      return;
    }
    const policy = this.pending.has(key) ? undefined : this.hold(key);
    if (policy !== undefined) {
      const last = this.lastRelease.get(key);
      const now = this.clock();
      if (last !== undefined && now - last.at < policy.maxGapMs) {
        this.held.set(key, { value, since: now, policy, timer: undefined });
        this.armHold(key);
        return;
      }
    }
    if (this.pending.has(key)) this.counts.coalesced++;
    this.pending.set(key, value);
    if (this.timer === undefined) {
      const timer = { handle: undefined as unknown };
      this.timer = timer;
      timer.handle = this.scheduler.setTimeout(() => {
        if (this.timer === timer) this.endWindow();
      }, this.windowMs);
    }
  }

  /** Requeues a failed value in a later window, unless a newer value for the object is queued. */
  retry(key: string, value: T): void {
    if (this.pending.has(key) || this.ready.has(key) || this.held.has(key)) return;
    this.submit(key, value);
  }

  /** Forgets a queued value (the object was deleted). A write in flight finishes. */
  cancel(key: string): void {
    const held = this.held.get(key);
    if (held !== undefined) this.scheduler.clearTimeout(held.timer);
    this.held.delete(key);
    this.lastRelease.delete(key);
    this.pending.delete(key);
    this.ready.delete(key);
    this.settle();
  }

  /** Ends the window now; resolves when everything queued has been written. */
  flush(): Promise<void> {
    for (const key of [...this.held.keys()]) this.release(key);
    this.endWindow();
    return this.idle();
  }

  /** Resolves when nothing is queued or in flight (without cutting the window short). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Stops taking values, writes what is queued. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  /** Objects queued or being written. */
  get size(): number {
    const keys = new Set([...this.pending.keys(), ...this.ready.keys(), ...this.inFlight, ...this.held.keys()]);
    return keys.size;
  }

  stats(): BatcherStats {
    return { ...this.counts };
  }

  private endWindow(): void {
    if (this.timer !== undefined) {
      this.scheduler.clearTimeout(this.timer.handle);
      this.timer = undefined;
    }
    if (this.pending.size > 0) this.counts.batches++;
    const now = this.clock();
    for (const [key, value] of this.pending) {
      this.ready.set(key, value, this.priority(key));
      if (this.hold(key) !== undefined) this.released(key, now, false);
    }
    this.pending.clear();
    this.pump();
    this.settle();
  }

  /** (Re)arms a held value's timer: `quietMs` from now, at most `maxMs` after it was first held. */
  private armHold(key: string): void {
    const held = this.held.get(key);
    if (held === undefined) return;
    if (held.timer !== undefined) this.scheduler.clearTimeout(held.timer);
    const now = this.clock();
    const p = held.policy;
    const last = this.lastRelease.get(key);
    const over = last === undefined ? -1 : last.spell - p.freeWrites;
    const gap = last === undefined || over < 0 ? 0 : Math.min(p.maxGapMs, p.maxMs * 2 ** (over + 1));
    const due = Math.max((last?.at ?? -Infinity) + gap, Math.min(now + p.quietMs, held.since + p.maxMs));
    const timer = this.scheduler.setTimeout(() => {
      if (this.held.get(key)?.timer === timer) this.release(key);
    }, Math.max(0, due - now));
    held.timer = timer;
  }

  /**
   * Records a write of an object with a hold policy: a held value continues the busy spell, one
   * that was not held (the first after a quiet spell) starts a new one.
   */
  private released(key: string, now: number, held: boolean): void {
    const last = this.lastRelease.get(key);
    this.lastRelease.set(key, { at: now, spell: held && last !== undefined ? last.spell + 1 : 1 });
  }

  /** A held value goes to the writer (after any write of the object in flight). */
  private release(key: string): void {
    const held = this.held.get(key);
    if (held === undefined) return;
    this.scheduler.clearTimeout(held.timer);
    this.held.delete(key);
    this.counts.released++;
    this.released(key, this.clock(), true);
    this.ready.set(key, held.value, this.priority(key));
    this.pump();
    this.settle();
  }

  private pump(): void {
    while (this.inFlight.size < this.concurrency) {
      const next = this.ready.takeFirst((key) => !this.inFlight.has(key));
      if (next === undefined) return;
      const [key, value] = next;
      this.inFlight.add(key);
      Promise.resolve()
        .then(() => this.write(key, value))
        .then(
          () => {
            this.counts.written++;
          },
          (error: unknown) => {
            this.counts.failed++;
            this.onError(key, value, error);
          },
        )
        .finally(() => {
          this.inFlight.delete(key);
          this.pump();
          this.settle();
        });
    }
  }

  private isIdle(): boolean {
    return this.pending.size === 0 && this.ready.size === 0 && this.inFlight.size === 0 && this.held.size === 0;
  }

  private settle(): void {
    if (!this.isIdle()) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** Due values by priority level (few levels), each level in arrival order. */
class ReadyQueue<T> {
  private readonly levels = new Map<number, Map<string, T>>();
  private readonly levelOf = new Map<string, number>();
  private order: number[] = [];

  get size(): number {
    return this.levelOf.size;
  }

  has(key: string): boolean {
    return this.levelOf.has(key);
  }

  *keys(): IterableIterator<string> {
    yield* this.levelOf.keys();
  }

  /** Adds or replaces; a replaced value keeps its place. */
  set(key: string, value: T, level: number): void {
    const existing = this.levelOf.get(key);
    if (existing !== undefined) {
      this.levels.get(existing)!.set(key, value);
      return;
    }
    let queue = this.levels.get(level);
    if (!queue) {
      queue = new Map();
      this.levels.set(level, queue);
      this.order = [...this.levels.keys()].sort((a, b) => a - b);
    }
    queue.set(key, value);
    this.levelOf.set(key, level);
  }

  delete(key: string): void {
    const level = this.levelOf.get(key);
    if (level === undefined) return;
    this.levels.get(level)!.delete(key);
    this.levelOf.delete(key);
  }

  /** Removes and returns the first entry (lowest level first) that `eligible` accepts. */
  takeFirst(eligible: (key: string) => boolean): [string, T] | undefined {
    for (const level of this.order) {
      for (const entry of this.levels.get(level)!) {
        if (!eligible(entry[0])) continue;
        this.delete(entry[0]);
        return entry;
      }
    }
    return undefined;
  }
}
