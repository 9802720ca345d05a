// The clients of the traffic tests: plain HTTP/1.1 with any Host header, HTTPS with a chosen SNI,
// a raw websocket handshake plus one message, and a look at the certificate a TLS server shows.
import { randomBytes } from 'node:crypto';
import { type Agent, type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import { decodeWebSocketFrame, encodeWebSocketFrame, type EchoReply, webSocketAccept } from '@gantry/gatewayclass-controller/examples/echo-backend';
import { LOOPBACK } from './harness.js';

export interface HttpReply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface RequestOptions {
  readonly port: number;
  readonly path?: string;
  /** The Host header (may carry a port); default `example.com`. */
  readonly host?: string;
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Client-side deadline; the request fails when it passes (default 10 s). */
  readonly timeoutMs?: number;
  /** A keep-alive agent to reuse connections; default: a new connection per request. */
  readonly agent?: Agent;
  /** HTTPS: the SNI name and the CA to trust (the server's self-signed certificate). */
  readonly tls?: { readonly servername: string; readonly ca: string };
}

export function send(opts: RequestOptions): Promise<HttpReply> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const headers: Record<string, string> = { host: opts.host ?? 'example.com', ...opts.headers };
  if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));
  const common = {
    host: LOOPBACK,
    port: opts.port,
    path: opts.path ?? '/',
    method: opts.method ?? 'GET',
    headers,
    agent: opts.agent ?? false,
  };
  return new Promise<HttpReply>((resolve, reject) => {
    const onResponse = (res: import('node:http').IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    };
    const req = opts.tls
      ? httpsRequest({ ...common, servername: opts.tls.servername, ca: opts.tls.ca }, onResponse)
      : httpRequest(common, onResponse);
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no response within ${timeoutMs} ms: ${common.method} ${headers.host}${common.path}`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** The echo backend's account of the request; fails with the reply when it is not one. */
export function echoOf(reply: HttpReply): EchoReply {
  try {
    const parsed = JSON.parse(reply.body) as EchoReply;
    if (typeof parsed.backend === 'string') return parsed;
  } catch {
    // fall through
  }
  throw new Error(`not an echo reply: HTTP ${reply.status} ${JSON.stringify(reply.headers)} ${reply.body.slice(0, 200)}`);
}

/** Sends a request and returns the echo, requiring HTTP 200. */
export async function echo(opts: RequestOptions): Promise<EchoReply> {
  const reply = await send(opts);
  if (reply.status !== 200) throw new Error(`expected 200 for ${opts.host ?? 'example.com'}${opts.path ?? '/'}, got ${reply.status}: ${reply.body.slice(0, 200)}`);
  return echoOf(reply);
}

// ---- websocket -------------------------------------------------------------------------------

export interface WebSocketResult {
  /** The HTTP status of the handshake (101 when upgraded). */
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly acceptValid: boolean;
  /** The message echoed back, when upgraded. */
  readonly echoed?: string;
}

/** Upgrades to websocket, sends one text message and reads the answer, then closes. */
export function webSocketRoundTrip(opts: { port: number; path: string; host: string; message: string; timeoutMs?: number }): Promise<WebSocketResult> {
  const key = randomBytes(16).toString('base64');
  const timeoutMs = opts.timeoutMs ?? 5000;
  return new Promise<WebSocketResult>((resolve, reject) => {
    const req = httpRequest({
      host: LOOPBACK,
      port: opts.port,
      path: opts.path,
      agent: false,
      headers: {
        host: opts.host,
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-key': key,
        'sec-websocket-version': '13',
      },
    });
    const timer = setTimeout(() => req.destroy(new Error(`websocket round trip took over ${timeoutMs} ms`)), timeoutMs);
    const done = (r: WebSocketResult): void => {
      clearTimeout(timer);
      resolve(r);
    };
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, acceptValid: false }));
    });
    req.on('upgrade', (res, socket: Socket, head: Buffer) => {
      const acceptValid = res.headers['sec-websocket-accept'] === webSocketAccept(key);
      let pending = Buffer.from(head);
      const onData = (data: Buffer): void => {
        pending = Buffer.concat([pending, data]);
        const next = decodeWebSocketFrame(pending);
        if (!next) return;
        socket.off('data', onData);
        socket.end(encodeWebSocketFrame(0x8, Buffer.alloc(0), randomBytes(4)));
        done({ status: res.statusCode ?? 0, headers: res.headers, acceptValid, echoed: next.frame.payload.toString('utf8') });
      };
      socket.on('data', onData);
      socket.on('error', () => undefined);
      socket.write(encodeWebSocketFrame(0x1, Buffer.from(opts.message, 'utf8'), randomBytes(4)));
      if (pending.length > 0) onData(Buffer.alloc(0));
    });
    req.end();
  });
}

// ---- TLS -------------------------------------------------------------------------------------

/** The certificate a TLS server presents for an SNI name (nothing is verified). */
export function peerCertificate(port: number, servername: string | undefined): Promise<PeerCertificate> {
  return new Promise<PeerCertificate>((resolve, reject) => {
    const socket = tlsConnect({ host: LOOPBACK, port, ...(servername !== undefined ? { servername } : {}), rejectUnauthorized: false }, () => {
      const cert = socket.getPeerCertificate();
      socket.destroy();
      resolve(cert);
    });
    socket.setTimeout(5000, () => socket.destroy(new Error('TLS handshake timed out')));
    socket.on('error', reject);
  });
}
