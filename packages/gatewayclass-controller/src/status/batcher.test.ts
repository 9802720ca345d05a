import { describe, expect, it } from '@jest/globals';
import { StatusBatcher, type Scheduler } from './batcher.js';

/** Time moves only when the test says so. */
class FakeScheduler implements Scheduler {
  now = 0;
  private tasks: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 0;

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.tasks.push({ at: this.now + ms, fn, id });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.tasks = this.tasks.filter((t) => t.id !== handle);
  }

  /** Runs due timers, letting promise callbacks run in between. */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      const due = this.tasks.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.tasks = this.tasks.filter((t) => t !== due);
      this.now = due.at;
      due.fn();
      await settle();
    }
    this.now = end;
    await settle();
  }

  get pendingTimers(): number {
    return this.tasks.length;
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/** A writer whose writes finish when the test releases them. */
function gatedWriter() {
  const calls: { key: string; value: number; release: () => void; fail: (e: Error) => void }[] = [];
  let active = 0;
  let maxActive = 0;
  const write = (key: string, value: number) =>
    new Promise<void>((resolve, reject) => {
      active++;
      maxActive = Math.max(maxActive, active);
      let finished = false;
      const done = () => {
        if (!finished) active--;
        finished = true;
      };
      calls.push({ key, value, release: () => (done(), resolve()), fail: (e) => (done(), reject(e)) });
    });
  return { calls, write, maxActive: () => maxActive };
}

describe('StatusBatcher', () => {
  it('1,000 updates of one Gateway within a window are one write of the last value', async () => {
    const clock = new FakeScheduler();
    const written: [string, number][] = [];
    const b = new StatusBatcher<number>({ scheduler: clock, write: async (k, v) => void written.push([k, v]) });
    for (let i = 1; i <= 1000; i++) b.submit('Gateway infra/gw', i);
    await clock.advance(99);
    expect(written).toEqual([]);
    await clock.advance(1);
    expect(written).toEqual([['Gateway infra/gw', 1000]]);
    expect(b.stats()).toEqual({ submitted: 1000, coalesced: 999, written: 1, failed: 0, batches: 1, released: 0 });
  });

  it('a held object: the first change is written at once, a storm of later ones a few times, the last value after the storm', async () => {
    const clock = new FakeScheduler();
    const written: [number, number][] = [];
    const policy = { quietMs: 300, maxMs: 1000, freeWrites: 8, maxGapMs: 4000 };
    const b = new StatusBatcher<number>({
      scheduler: clock, clock: () => clock.now, hold: (k) => (k.startsWith('Gateway') ? policy : undefined),
      write: async (_k, v) => void written.push([clock.now, v]),
    });
    // A fast storm: a new value every 50 ms for 6 s.
    let v = 0;
    for (; clock.now < 6000; v++) {
      b.submit('Gateway infra/gw', v);
      await clock.advance(50);
    }
    await clock.advance(5000);
    expect(written[0]).toEqual([100, 1]); // the usual window: the value at 50 ms replaced the first
    expect(written.length).toBeLessThanOrEqual(8);
    // The last value goes out at most quietMs after the storm's last change.
    expect(written[written.length - 1]![1]).toBe(v - 1);
    expect(written[written.length - 1]![0]).toBeLessThanOrEqual(5950 + 300);
    for (let i = 1; i < written.length - 1; i++) expect(written[i]![0] - written[i - 1]![0]).toBeGreaterThanOrEqual(1000);
    expect(b.stats().released).toBe(written.length - 1);

    // A slow storm: a value every 500 ms for 60 s: after 8 writes they are spaced up to 4 s.
    written.length = 0;
    const start = clock.now;
    for (; clock.now < start + 60_000; v++) {
      b.submit('Gateway infra/gw', v);
      await clock.advance(500);
    }
    await clock.advance(10_000);
    expect(written.length).toBeLessThanOrEqual(24); // 8 in the first 8 s, then one per 2–4 s (not 120)
    expect(written[written.length - 1]![1]).toBe(v - 1);
    // Other objects are not held.
    b.submit('HTTPRoute apps/r', 1);
    b.submit('HTTPRoute apps/r', 2);
    await clock.advance(100);
    expect(written[written.length - 1]).toEqual([clock.now, 2]);
    await b.idle();
  });

  it('flush() and cancel() end a hold', async () => {
    const clock = new FakeScheduler();
    const written: number[] = [];
    const policy = { quietMs: 300, maxMs: 1000, freeWrites: 8, maxGapMs: 4000 };
    const b = new StatusBatcher<number>({ scheduler: clock, clock: () => clock.now, hold: () => policy, write: async (_k, v) => void written.push(v) });
    b.submit('gw', 1);
    await clock.advance(100);
    b.submit('gw', 2);
    expect(b.size).toBe(1);
    await b.flush();
    expect(written).toEqual([1, 2]);
    b.submit('gw', 3);
    b.cancel('gw');
    expect(b.size).toBe(0);
    await clock.advance(5000);
    expect(written).toEqual([1, 2]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a steady stream still gets written every window (the window does not restart on each update)', async () => {
    const clock = new FakeScheduler();
    const written: number[] = [];
    const b = new StatusBatcher<number>({ scheduler: clock, windowMs: 100, write: async (_k, v) => void written.push(v) });
    for (let t = 0; t < 350; t += 10) {
      b.submit('gw', t);
      await clock.advance(10);
    }
    expect(written).toEqual([90, 190, 290]);
  });

  it('runs at most `concurrency` writes at once and never two for one object', async () => {
    const clock = new FakeScheduler();
    const w = gatedWriter();
    const b = new StatusBatcher<number>({ scheduler: clock, concurrency: 4, write: w.write });
    for (let i = 0; i < 10; i++) b.submit(`route-${i}`, 1);
    await clock.advance(100);
    expect(w.calls.map((c) => c.key)).toEqual(['route-0', 'route-1', 'route-2', 'route-3']);

    // A newer value of an object being written waits for that write.
    b.submit('route-0', 2);
    await clock.advance(100);
    expect(w.calls).toHaveLength(4);
    w.calls[0]!.release();
    await settle();
    // route-4 was due first; route-0 (value 2) is behind the rest of the batch.
    expect(w.calls.map((c) => c.key)).toEqual(['route-0', 'route-1', 'route-2', 'route-3', 'route-4']);
    for (let i = 0; i < 10; i++) {
      for (const c of w.calls) c.release(); // releasing twice is harmless
      await settle();
    }
    await b.idle();
    expect(w.maxActive()).toBe(4);
    expect(w.calls.map((c) => `${c.key}=${c.value}`).slice(-1)).toEqual(['route-0=2']);
    expect(w.calls).toHaveLength(11);
  });

  it('an update to an object already due replaces its value and keeps its turn', async () => {
    const clock = new FakeScheduler();
    const w = gatedWriter();
    const b = new StatusBatcher<number>({ scheduler: clock, concurrency: 1, write: w.write });
    b.submit('a', 1);
    b.submit('b', 1);
    b.submit('c', 1);
    await clock.advance(100); // a in flight; b, c due
    b.submit('c', 2);
    w.calls[0]!.release();
    await settle();
    w.calls[1]!.release();
    await settle();
    expect(w.calls.map((c) => `${c.key}=${c.value}`)).toEqual(['a=1', 'b=1', 'c=2']);
    w.calls[2]!.release();
    await b.idle();
  });

  it('reports failures; retry() requeues unless a newer value is queued', async () => {
    const clock = new FakeScheduler();
    const attempts: number[] = [];
    const errors: string[] = [];
    let failures = 1;
    const b: StatusBatcher<number> = new StatusBatcher<number>({
      scheduler: clock,
      write: async (_k, v) => {
        attempts.push(v);
        if (failures-- > 0) throw new Error('API server down');
      },
      onError: (k, v, e) => {
        errors.push(`${k}: ${(e as Error).message}`);
        b.retry(k, v);
      },
    });
    b.submit('gw', 1);
    await clock.advance(100);
    expect(errors).toEqual(['gw: API server down']);
    await clock.advance(100);
    expect(attempts).toEqual([1, 1]);
    expect(b.stats().failed).toBe(1);
    expect(b.stats().written).toBe(1);

    b.submit('gw', 5);
    b.retry('gw', 4); // stale: a newer value is queued
    await b.flush();
    expect(attempts).toEqual([1, 1, 5]);
  });

  it('flush() writes now; cancel() forgets; close() stops taking values', async () => {
    const clock = new FakeScheduler();
    const written: string[] = [];
    const b = new StatusBatcher<number>({ scheduler: clock, write: async (k) => void written.push(k) });
    b.submit('a', 1);
    b.submit('deleted', 1);
    b.cancel('deleted');
    expect(b.size).toBe(1);
    await b.flush();
    expect(written).toEqual(['a']);
    expect(clock.pendingTimers).toBe(0);
    await b.close();
    b.submit('late', 1);
    await clock.advance(1000);
    expect(written).toEqual(['a']);
    expect(b.size).toBe(0);
  });

  it('1,000 routes attaching over 1 s, with 30 ms writes: a handful of Gateway writes', async () => {
    const clock = new FakeScheduler();
    const writes = new Map<string, number>();
    let last = 0;
    const b = new StatusBatcher<number>({
      scheduler: clock,
      write: (k, v) =>
        new Promise<void>((resolve) => {
          writes.set(k, (writes.get(k) ?? 0) + 1);
          if (k === 'Gateway infra/gw') last = v;
          clock.setTimeout(resolve, 30);
        }),
    });
    for (let i = 1; i <= 1000; i++) {
      b.submit(`HTTPRoute apps/r${i}`, 1);
      b.submit('Gateway infra/gw', i); // attachedRoutes = i
      await clock.advance(1);
    }
    // 4 writers × 30 ms: ~133 writes/s, so the 1,000 route writes take ~7.5 s of fake time.
    while (b.size > 0) await clock.advance(100);
    await b.idle();
    expect(writes.get('Gateway infra/gw')).toBeLessThanOrEqual(10);
    expect(last).toBe(1000);
    expect(writes.size).toBe(1001);
  });

  it('a priority puts Gateways ahead of a queue of routes', async () => {
    const clock = new FakeScheduler();
    const order: string[] = [];
    const b = new StatusBatcher<number>({
      scheduler: clock,
      concurrency: 1,
      priority: (k) => (k.startsWith('Gateway ') ? 0 : 1),
      write: async (k) => void order.push(k),
    });
    for (let i = 0; i < 3; i++) b.submit(`HTTPRoute apps/r${i}`, 1);
    b.submit('Gateway infra/gw', 1);
    await b.flush();
    expect(order).toEqual(['Gateway infra/gw', 'HTTPRoute apps/r0', 'HTTPRoute apps/r1', 'HTTPRoute apps/r2']);
  });

  it('works on real timers', async () => {
    const written: number[] = [];
    const b = new StatusBatcher<number>({ windowMs: 5, write: async (_k, v) => void written.push(v) });
    b.submit('gw', 1);
    b.submit('gw', 2);
    await b.idle();
    expect(written).toEqual([2]);
  });
});
