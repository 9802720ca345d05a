// A small HTTP backend that answers with what it received, as JSON: the quickstart's backend and
// the traffic tests' upstream. Run: node dist/examples/echo-backend.js --name NAME --port PORT
//
// Requests can ask for misbehaviour, so tests can exercise timeouts and retries through a proxy:
//   x-echo-delay-ms: N          answer after N ms
//   x-echo-status: CODE         answer with this status
//   x-echo-fail-times: N        the first N attempts of this request get x-echo-fail-status
//                               (default 503); attempts are counted per x-echo-attempt-key, else
//                               per x-request-id (a proxy keeps it across retries)
//   x-echo-fail-delay-ms: N     those failing attempts answer after N ms (to time them out)
//   x-echo-response-headers: {"name": "value", ...}   extra response headers (JSON)
// A websocket upgrade (HTTP/1.1) is accepted and every text or binary message is echoed back.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { createServer as createH2cServer, type Http2Server, type Http2ServerRequest } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export interface EchoReply {
  readonly backend: string;
  readonly method: string;
  readonly path: string;
  readonly host: string;
  readonly protocol: string;
  readonly headers: Record<string, string | string[] | undefined>;
  /** The request body, when there was one. */
  readonly body?: string;
  /** HTTPS: the SNI the client sent, and the CN of its certificate if the client CA signed it. */
  readonly sni?: string;
  readonly clientCertificate?: string;
}

export interface EchoServer {
  readonly port: number;
  /** Every request this backend saw (websocket upgrades included), oldest first. */
  readonly requests: EchoReply[];
  close(): Promise<void>;
}

export interface EchoOptions {
  readonly name: string;
  readonly port?: number;
  readonly host?: string;
  /** Serve HTTP/2 without TLS (prior knowledge), for appProtocol kubernetes.io/h2c. */
  readonly h2c?: boolean;
  /**
   * Serve HTTPS (HTTP/1.1) with this certificate; with `clientCA`, ask clients for a certificate
   * (not required) and report the subject of one that CA signed.
   */
  readonly tls?: { readonly cert: string; readonly key: string; readonly clientCA?: string };
}

interface Reply {
  writeHead(status: number, headers: Record<string, string>): unknown;
  end(body: string): unknown;
}

function header(req: IncomingMessage | Http2ServerRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function extraHeaders(req: IncomingMessage | Http2ServerRequest): Record<string, string> {
  const raw = header(req, 'x-echo-response-headers');
  if (raw === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    if (parsed === null || typeof parsed !== 'object') return {};
    return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return {};
  }
}

export async function startEchoServer(opts: EchoOptions): Promise<EchoServer> {
  const requests: EchoReply[] = [];
  const attempts = new Map<string, number>();
  const delayed = new Set<NodeJS.Timeout>();

  const describe = (req: IncomingMessage | Http2ServerRequest, body: string): EchoReply => ({
    backend: opts.name,
    method: req.method ?? '',
    path: req.url ?? '',
    host: header(req, ':authority') ?? header(req, 'host') ?? '',
    protocol: `HTTP/${req.httpVersion}`,
    headers: { ...req.headers },
    ...(body !== '' ? { body } : {}),
    ...tlsFacts(req),
  });

  /** The status and delay this attempt gets: a failure while the request still has some to go. */
  const outcomeFor = (req: IncomingMessage | Http2ServerRequest): { status: number; delayMs: number } => {
    const failTimes = Number(header(req, 'x-echo-fail-times') ?? 0);
    if (failTimes > 0) {
      const key = header(req, 'x-echo-attempt-key') ?? header(req, 'x-request-id') ?? '';
      const n = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, n);
      if (n <= failTimes) {
        return { status: Number(header(req, 'x-echo-fail-status') ?? 503), delayMs: Number(header(req, 'x-echo-fail-delay-ms') ?? 0) };
      }
    }
    return { status: Number(header(req, 'x-echo-status') ?? 200), delayMs: Number(header(req, 'x-echo-delay-ms') ?? 0) };
  };

  const handle = (req: IncomingMessage | Http2ServerRequest, res: Reply): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = describe(req, Buffer.concat(chunks).toString('utf8'));
      requests.push(reply);
      const { status, delayMs } = outcomeFor(req);
      const send = (): void => {
        try {
          res.writeHead(status, { ...extraHeaders(req), 'content-type': 'application/json', 'x-backend': opts.name });
          res.end(`${JSON.stringify(reply)}\n`);
        } catch {
          // The client gave up while this reply was delayed (a proxy's timeout): nobody to answer.
        }
      };
      if (delayMs > 0) {
        const timer = setTimeout(() => {
          delayed.delete(timer);
          send();
        }, delayMs);
        delayed.add(timer);
      }
      else send();
    });
  };

  const server: Server | Http2Server = opts.tls
    ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key, ...(opts.tls.clientCA ? { ca: opts.tls.clientCA, requestCert: true, rejectUnauthorized: false } : {}) }, handle)
    : opts.h2c
      ? createH2cServer(handle)
      : createServer(handle);
  if (!opts.h2c) {
    server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
      requests.push(describe(req, ''));
      acceptWebSocket(req, socket, opts.name);
    });
  }
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
      for (const t of delayed) clearTimeout(t);
      for (const s of sessions) s.destroy();
      server.close(() => resolve());
    }),
  };
}

function tlsFacts(req: IncomingMessage | Http2ServerRequest): { sni?: string; clientCertificate?: string } {
  const socket = req.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== 'function') return {};
  const sni = (socket as { servername?: string | false }).servername;
  const peer = socket.authorized === true ? socket.getPeerCertificate() : undefined;
  const cn = peer?.subject?.CN;
  return { ...(typeof sni === 'string' ? { sni } : {}), ...(typeof cn === 'string' ? { clientCertificate: cn } : {}) };
}

// ---- websocket (RFC 6455), just enough to echo messages ----------------------------------------

const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export function webSocketAccept(key: string): string {
  return createHash('sha1').update(key + WEBSOCKET_GUID).digest('base64');
}

export interface WebSocketFrame {
  readonly fin: boolean;
  readonly opcode: number;
  readonly payload: Buffer;
}

/** One frame; clients must mask what they send (RFC 6455 5.3), servers must not. */
export function encodeWebSocketFrame(opcode: number, payload: Buffer, mask?: Buffer): Buffer {
  const len = payload.length;
  const head: number[] = [0x80 | opcode];
  const maskBit = mask ? 0x80 : 0;
  if (len < 126) head.push(maskBit | len);
  else if (len < 65536) head.push(maskBit | 126, len >> 8, len & 0xff);
  else throw new Error('websocket frames over 64 KiB are not supported here');
  if (!mask) return Buffer.concat([Buffer.from(head), payload]);
  const masked = Buffer.alloc(len);
  for (let i = 0; i < len; i++) masked[i] = (payload[i] as number) ^ (mask[i % 4] as number);
  return Buffer.concat([Buffer.from(head), mask, masked]);
}

/** The first complete frame in `buf` and the bytes it used, or undefined when more are needed. */
export function decodeWebSocketFrame(buf: Buffer): { frame: WebSocketFrame; used: number } | undefined {
  if (buf.length < 2) return undefined;
  const b0 = buf[0] as number;
  const b1 = buf[1] as number;
  let len = b1 & 0x7f;
  let at = 2;
  if (len === 126) {
    if (buf.length < 4) return undefined;
    len = buf.readUInt16BE(2);
    at = 4;
  } else if (len === 127) {
    if (buf.length < 10) return undefined;
    len = Number(buf.readBigUInt64BE(2));
    at = 10;
  }
  const masked = (b1 & 0x80) !== 0;
  const mask = masked ? buf.subarray(at, at + 4) : undefined;
  if (masked) at += 4;
  if (buf.length < at + len) return undefined;
  const payload = Buffer.from(buf.subarray(at, at + len));
  if (mask) for (let i = 0; i < len; i++) payload[i] = (payload[i] as number) ^ (mask[i % 4] as number);
  return { frame: { fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, payload }, used: at + len };
}

function acceptWebSocket(req: IncomingMessage, socket: Socket, name: string): void {
  const key = header(req, 'sec-websocket-key');
  if (header(req, 'upgrade')?.toLowerCase() !== 'websocket' || key === undefined) {
    socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n');
    return;
  }
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n' +
      `sec-websocket-accept: ${webSocketAccept(key)}\r\nx-backend: ${name}\r\n\r\n`,
  );
  let pending = Buffer.alloc(0);
  socket.on('data', (data: Buffer) => {
    pending = Buffer.concat([pending, data]);
    for (;;) {
      const next = decodeWebSocketFrame(pending);
      if (!next) return;
      pending = pending.subarray(next.used);
      const { opcode, payload } = next.frame;
      if (opcode === 0x8) {
        socket.end(encodeWebSocketFrame(0x8, payload));
        return;
      }
      if (opcode === 0x9) socket.write(encodeWebSocketFrame(0xa, payload));
      else if (opcode === 0x1 || opcode === 0x2) socket.write(encodeWebSocketFrame(opcode, payload));
    }
  });
  socket.on('error', () => socket.destroy());
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
