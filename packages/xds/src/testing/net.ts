// Small helpers for tests and benchmarks that run servers on loopback.
import { createServer } from 'node:net';

const handedOut = new Set<number>();

/** A loopback port nothing listens on right now, and that this process has not handed out before. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const addr = s.address();
        const p = typeof addr === 'object' && addr !== null ? addr.port : 0;
        s.close(() => resolve(p));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/**
 * Calls `probe` every 100 ms until `ok` accepts its result (a throw counts as a miss), and
 * returns that result; after `timeoutMs` fails with the last result seen.
 */
export async function pollUntil<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (ok(v)) return v;
      last = v;
    } catch (err) {
      last = String(err);
    }
    if (Date.now() > deadline) throw new Error(`${what}: gave up; last result ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
