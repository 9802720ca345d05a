// A small HTTP backend that answers with what it received, as JSON: the quickstart's backend and
// the traffic tests' upstream. Run: node dist/examples/echo-backend.js --name NAME --port PORT
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createH2cServer, type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export interface EchoReply {
  readonly backend: string;
  readonly method: string;
  readonly path: string;
  readonly host: string;
  readonly protocol: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

export interface EchoServer {
  readonly port: number;
  /** Every request this backend saw, oldest first. */
  readonly requests: EchoReply[];
  close(): Promise<void>;
}

export interface EchoOptions {
  readonly name: string;
  readonly port?: number;
  readonly host?: string;
  /** Serve HTTP/2 without TLS (prior knowledge), for appProtocol kubernetes.io/h2c. */
  readonly h2c?: boolean;
}

export async function startEchoServer(opts: EchoOptions): Promise<EchoServer> {
  const requests: EchoReply[] = [];
  const handle = (req: IncomingMessage | import('node:http2').Http2ServerRequest, res: { writeHead(s: number, h: Record<string, string>): unknown; end(b: string): unknown }): void => {
    const reply: EchoReply = {
      backend: opts.name,
      method: req.method ?? '',
      path: req.url ?? '',
      host: (req.headers[':authority'] as string | undefined) ?? req.headers.host ?? '',
      protocol: `HTTP/${req.httpVersion}`,
      headers: { ...req.headers },
    };
    requests.push(reply);
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json', 'x-backend': opts.name });
    res.end(`${JSON.stringify(reply)}\n`);
  };
  const server: Server | Http2Server = opts.h2c ? createH2cServer(handle) : createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const sessions = new Set<{ destroy(): void }>();
  server.on('connection', (s: { destroy(): void; once(e: string, f: () => void): void }) => {
    sessions.add(s);
    s.once('close', () => sessions.delete(s));
  });
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () => new Promise<void>((resolve) => {
      for (const s of sessions) s.destroy();
      server.close(() => resolve());
    }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      name: { type: 'string', default: 'echo' },
      port: { type: 'string', default: '9001' },
      host: { type: 'string', default: '127.0.0.1' },
      h2c: { type: 'boolean', default: false },
    },
  });
  const server = await startEchoServer({ name: values.name, port: Number(values.port), host: values.host, h2c: values.h2c });
  process.stderr.write(`echo backend "${values.name}" listening on ${values.host}:${server.port}\n`);
  const stop = (): void => { void server.close().then(() => process.exit(0)); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
