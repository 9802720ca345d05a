// The slice of the kubelet API the API server proxies to: GET /containerLogs/{ns}/{pod}/{container}
// (kubectl logs, with follow, previous, tailLines, sinceSeconds/sinceTime, timestamps, limitBytes)
// and /healthz. HTTPS on the node address; with the cluster CA at hand, clients must present a
// certificate it signed (the API server uses its kubelet client certificate).
import * as https from 'node:https';
import type { ServerResponse } from 'node:http';
import type { Logger } from '@gantry/kube';
import { readRecords } from './cri-log.js';
import { formatRecord, parseLogQuery, selectRecords, type LogQuery } from './log-query.js';
import type { ServingCert } from '../tls/serving-cert.js';

/** Where a container's log is, and whether it may still grow. */
export interface LogSource {
  readonly path: string;
  isLive(): boolean;
}

export type LogLookup = (namespace: string, pod: string, container: string, previous: boolean) => LogSource | { error: string; status: number };

const FOLLOW_POLL_MS = 200;

export class KubeletServer {
  private server: https.Server | undefined;
  private readonly sockets = new Set<import('node:stream').Duplex>();

  constructor(
    private readonly cert: ServingCert,
    private readonly lookup: LogLookup,
    private readonly log: Logger,
  ) {}

  async listen(host: string, port: number): Promise<number> {
    const server = https.createServer(
      { cert: this.cert.cert, key: this.cert.key, ...(this.cert.ca ? { ca: this.cert.ca, requestCert: true, rejectUnauthorized: true } : {}) },
      (req, res) => void this.handle(req.method ?? 'GET', req.url ?? '/', res),
    );
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const addr = server.address();
    return typeof addr === 'object' && addr ? addr.port : port;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(method: string, rawUrl: string, res: ServerResponse): Promise<void> {
    const url = new URL(rawUrl, 'https://node');
    if (method !== 'GET') return text(res, 405, 'method not allowed\n');
    if (url.pathname === '/healthz') return text(res, 200, 'ok');
    const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)\/?$/.exec(url.pathname);
    if (!m) return text(res, 404, 'not found\n');
    const query = parseLogQuery(url.searchParams);
    if ('error' in query) return text(res, 400, `${query.error}\n`);
    const [ns, pod, container] = [m[1], m[2], m[3]].map((s) => decodeURIComponent(s ?? ''));
    const source = this.lookup(ns ?? '', pod ?? '', container ?? '', query.previous);
    if ('error' in source) return text(res, source.status, `${source.error}\n`);
    try {
      await this.stream(source, query, res);
    } catch (err) {
      this.log.warn('log stream failed', { pod: `${ns}/${pod}`, container, error: err instanceof Error ? err.message : String(err) });
      res.destroy();
    }
  }

  private async stream(source: LogSource, query: LogQuery, res: ServerResponse): Promise<void> {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    let budget = query.limitBytes ?? Number.POSITIVE_INFINITY;
    const emit = (chunk: string): boolean => {
      if (budget <= 0) return false;
      const bytes = Buffer.from(chunk, 'utf8');
      const part = bytes.length > budget ? bytes.subarray(0, budget) : bytes;
      budget -= part.length;
      res.write(part);
      return budget > 0;
    };
    const first = await readRecords(source.path);
    let offset = first.next;
    let open = true;
    for (const r of selectRecords(first.records, query)) if (!(open = emit(formatRecord(r, query.timestamps)))) break;
    let clientGone = false;
    res.on('close', () => (clientGone = true));
    while (open && query.follow && !clientGone) {
      const live = source.isLive();
      const more = await readRecords(source.path, offset);
      offset = more.next;
      for (const r of more.records) if (!(open = emit(formatRecord(r, query.timestamps)))) break;
      if (!live) break; // read once more after the end, then stop
      await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
    }
    res.end();
  }
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain' }).end(body);
}
