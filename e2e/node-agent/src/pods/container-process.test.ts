import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRecords } from '../logs/cri-log.js';
import { ContainerProcess } from './container-process.js';

/** Running, not a zombie waiting for its new parent to reap it. */
function alive(pid: number): boolean {
  try {
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'container-process-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('container process', () => {
  it('logs both streams, reports the exit code, and takes what it left running down with it', () =>
    withDir(async (dir) => {
      const logPath = join(dir, '0.log');
      const p = await ContainerProcess.start({ file: 'sh', args: ['-c', 'sleep 30 & echo "child $!"; echo oops >&2; exit 4'], env: { PATH: process.env['PATH'] ?? '' }, logPath });
      const exit = await p.exited;
      expect(exit.exitCode).toBe(4);
      const { records } = await readRecords(logPath);
      expect(records.map((r) => `${r.stream}:${r.content.replace(/\d+/, 'N')}`).sort()).toEqual(['stderr:oops', 'stdout:child N']);
      const child = Number(/child (\d+)/.exec(records.find((r) => r.stream === 'stdout')?.content ?? '')?.[1]);
      expect(alive(child)).toBe(false);
    }));

  it('stops with TERM, and with KILL after the grace period when TERM is ignored', () =>
    withDir(async (dir) => {
      const polite = await ContainerProcess.start({ file: 'sleep', args: ['30'], env: {}, logPath: join(dir, 'a.log') });
      expect((await polite.stop(5000)).signal).toBe('SIGTERM');
      const stubborn = await ContainerProcess.start({ file: 'sh', args: ['-c', 'trap "" TERM; echo ready; while :; do sleep 0.1; done'], env: { PATH: process.env['PATH'] ?? '' }, logPath: join(dir, 'b.log') });
      await new Promise((r) => setTimeout(r, 200)); // the trap is set
      const started = Date.now();
      const exit = await stubborn.stop(500);
      expect(exit.signal).toBe('SIGKILL');
      expect(exit.exitCode).toBe(137);
      expect(Date.now() - started).toBeGreaterThanOrEqual(450);
      expect(stubborn.running).toBe(false);
    }));

  it('rejects a program that does not exist', () =>
    withDir(async (dir) => {
      await expect(ContainerProcess.start({ file: 'no-such-program-here', args: [], env: {}, logPath: join(dir, 'c.log') })).rejects.toThrow(/ENOENT/);
    }));
});
