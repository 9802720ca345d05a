import { describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CriLogWriter, parseRecord, readRecords, type LogRecord } from './cri-log.js';
import { formatRecord, parseLogQuery, selectRecords } from './log-query.js';

function rec(content: string, full = true, time = '2026-01-01T00:00:00.000Z'): LogRecord {
  return { time, stream: 'stdout', full, content };
}

describe('CRI log files', () => {
  it('writes lines of both streams, splits long lines, flushes an unterminated tail, reads back from an offset', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cri-log-'));
    try {
      const path = join(dir, '0.log');
      const w = new CriLogWriter(path);
      w.feed('stdout', Buffer.from('one\ntw'));
      w.feed('stderr', Buffer.from('err\r\n'));
      w.feed('stdout', Buffer.from('o\n' + 'x'.repeat(20_000) + '\n'));
      w.feed('stdout', Buffer.from('tail'));
      await w.close();
      const all = await readRecords(path);
      expect(all.records.map((r) => [r.stream, r.full, r.content.length > 20 ? `${r.content.length}` : r.content])).toEqual([
        ['stdout', true, 'one'],
        ['stderr', true, 'err'],
        ['stdout', true, 'two'],
        ['stdout', false, '16384'],
        ['stdout', true, '3616'],
        ['stdout', true, 'tail'],
      ]);
      const again = await readRecords(path, all.next);
      expect(again.records).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('parses records and rejects other lines', () => {
    expect(parseRecord('2026-01-01T00:00:00Z stderr P a b')).toEqual({ time: '2026-01-01T00:00:00Z', stream: 'stderr', full: false, content: 'a b' });
    expect(parseRecord('garbage')).toBeUndefined();
  });
});

describe('log queries', () => {
  it('parses kubectl logs options', () => {
    const now = new Date('2026-01-01T00:00:10Z');
    expect(parseLogQuery(new URLSearchParams('follow=true&tailLines=5&timestamps=true&sinceSeconds=10'), now)).toEqual({
      follow: true,
      previous: false,
      timestamps: true,
      tailLines: 5,
      since: new Date('2026-01-01T00:00:00Z'),
    });
    expect(parseLogQuery(new URLSearchParams('sinceTime=2026-01-01T00:00:03Z&limitBytes=9&previous=true'))).toMatchObject({ previous: true, limitBytes: 9, since: new Date('2026-01-01T00:00:03Z') });
    expect(parseLogQuery(new URLSearchParams('tailLines=-1'))).toHaveProperty('error');
  });

  it('tails whole lines (a line may span partial records) and filters by time', () => {
    const records = [rec('a', true, '2026-01-01T00:00:01Z'), rec('b1', false, '2026-01-01T00:00:02Z'), rec('b2', true, '2026-01-01T00:00:02Z'), rec('c', true, '2026-01-01T00:00:03Z')];
    const base = { follow: false, previous: false, timestamps: false };
    expect(selectRecords(records, { ...base, tailLines: 2 }).map((r) => r.content)).toEqual(['b1', 'b2', 'c']);
    expect(selectRecords(records, { ...base, tailLines: 0 })).toEqual([]);
    expect(selectRecords(records, { ...base, since: new Date('2026-01-01T00:00:02Z') }).map((r) => r.content)).toEqual(['b1', 'b2', 'c']);
    expect(records.map((r) => formatRecord(r, false)).join('')).toBe('a\nb1b2\nc\n');
    expect(formatRecord(records[0] ?? rec(''), true)).toBe('2026-01-01T00:00:01Z a\n');
  });
});
