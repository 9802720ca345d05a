// Container logs on disk in the CRI format the kubelet reads (`<RFC3339 time> <stream> <F|P>
// <content>`): one file per container instance, so `previous=true` is the file before it.
import { createWriteStream, type WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';

/** Longer lines are split into partial records, as container runtimes do. */
const MAX_RECORD_BYTES = 16 * 1024;

export type LogStream = 'stdout' | 'stderr';

export interface LogRecord {
  readonly time: string;
  readonly stream: LogStream;
  /** false for a partial record: the line continues in the next record. */
  readonly full: boolean;
  readonly content: string;
}

/** Appends a process's stdout and stderr to one CRI log file, line by line. */
export class CriLogWriter {
  private readonly out: WriteStream;
  private readonly pending: Record<LogStream, Buffer> = { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };

  constructor(readonly path: string) {
    this.out = createWriteStream(path, { flags: 'a', mode: 0o640 });
    this.out.on('error', () => undefined); // a full disk must not crash the agent
  }

  feed(stream: LogStream, chunk: Buffer): void {
    let buf = Buffer.concat([this.pending[stream], chunk]);
    for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10)) {
      let line = buf.subarray(0, nl);
      for (; line.length > MAX_RECORD_BYTES; line = line.subarray(MAX_RECORD_BYTES)) this.record(stream, line.subarray(0, MAX_RECORD_BYTES), false);
      this.record(stream, line, true);
      buf = buf.subarray(nl + 1);
    }
    while (buf.length > MAX_RECORD_BYTES) {
      this.record(stream, buf.subarray(0, MAX_RECORD_BYTES), false);
      buf = buf.subarray(MAX_RECORD_BYTES);
    }
    this.pending[stream] = buf;
  }

  /** Flushes unterminated output as full lines and closes the file. */
  close(): Promise<void> {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.pending[stream].length > 0) this.record(stream, this.pending[stream], true);
      this.pending[stream] = Buffer.alloc(0);
    }
    return new Promise((resolve) => this.out.end(resolve));
  }

  private record(stream: LogStream, content: Buffer, full: boolean): void {
    const line = content.at(-1) === 13 ? content.subarray(0, -1) : content;
    this.out.write(`${new Date().toISOString()} ${stream} ${full ? 'F' : 'P'} ${line.toString('utf8')}\n`);
  }
}

export function parseRecord(line: string): LogRecord | undefined {
  const m = /^(\S+) (stdout|stderr) ([FP]) (.*)$/s.exec(line);
  if (!m) return undefined;
  return { time: m[1] ?? '', stream: m[2] as LogStream, full: m[3] === 'F', content: m[4] ?? '' };
}

/** Reads the whole file from `offset`; returns complete records and where the next read starts. */
export async function readRecords(path: string, offset = 0): Promise<{ records: LogRecord[]; next: number }> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    return { records: [], next: offset };
  }
  try {
    const { size } = await handle.stat();
    if (size <= offset) return { records: [], next: offset };
    const buf = Buffer.alloc(size - offset);
    await handle.read(buf, 0, buf.length, offset);
    const lastNl = buf.lastIndexOf(10);
    if (lastNl < 0) return { records: [], next: offset };
    const records: LogRecord[] = [];
    for (const line of buf.subarray(0, lastNl).toString('utf8').split('\n')) {
      const r = parseRecord(line);
      if (r) records.push(r);
    }
    return { records, next: offset + lastNl + 1 };
  } finally {
    await handle.close();
  }
}
