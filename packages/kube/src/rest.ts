// The one HTTP edge of this package: requests to the API server with the credentials and CA of a
// KubeAccess (`applyToHTTPSOptions`: our kubeconfig loader, or a client-node KubeConfig in
// tests), over node's http/https. Raw requests
// rather than the generated clients because watches need a stream we can abort and time out at
// will, and every kind here is addressed the same way through a KindRef.
import * as http from 'node:http';
import * as https from 'node:https';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import type { KubeAccess } from './kubeconfig.js';
import { isJsonObject, type Json } from './objects.js';

/** An API server answer that is not a success, or a request that failed on the way. */
export class KubeApiError extends Error {
  constructor(
    message: string,
    /** HTTP status, or the `code` of a Status object in a watch stream; undefined for network errors. */
    readonly statusCode?: number,
    /** The Status `reason` (NotFound, Conflict, Expired, ...) when the server sent one. */
    readonly reason?: string,
    /** Node's error code (ECONNREFUSED, ECONNRESET, ETIMEDOUT, ...) for network errors. */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

export interface RequestOptions {
  readonly method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly query?: Query;
  /** Serialised as JSON. */
  readonly body?: unknown;
  /** Content-Type of the body; application/json by default. */
  readonly contentType?: string;
  /** Whole request, body included. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** The Accept header; application/json by default (see METADATA_ONLY_ACCEPT). */
  readonly accept?: string;
}

/**
 * Accept headers that make the API server send only objects' metadata (PartialObjectMetadata),
 * for a list and for a watch, falling back to whole objects where it cannot.
 */
export const METADATA_ONLY_ACCEPT = {
  list: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json',
  watch: 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json',
} as const;

export interface JsonResponse {
  readonly status: number;
  readonly body: Json | undefined;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** Builds a KubeApiError from a non-2xx answer, using the Status object when there is one. */
export function errorFromResponse(status: number, body: Json | undefined, what: string): KubeApiError {
  if (isJsonObject(body) && body['kind'] === 'Status') {
    const reason = typeof body['reason'] === 'string' ? body['reason'] : undefined;
    const message = typeof body['message'] === 'string' ? body['message'] : `HTTP ${status}`;
    return new KubeApiError(`${what}: ${message}`, status, reason);
  }
  return new KubeApiError(`${what}: HTTP ${status}`, status);
}

function networkError(err: unknown, what: string): KubeApiError {
  if (err instanceof KubeApiError) return err;
  const e = err as NodeJS.ErrnoException;
  return new KubeApiError(`${what}: ${e.message ?? String(err)}`, undefined, undefined, e.code);
}

/**
 * A keep-alive agent whose connections go through an HTTP proxy (kubeconfig `proxy-url`): an
 * HTTP CONNECT tunnel to the API server, TLS inside it.
 */
class TunnelAgent extends https.Agent {
  constructor(private readonly proxy: URL, options: https.AgentOptions) {
    super(options);
  }

  override createConnection(options: https.RequestOptions, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const target = `${options.host ?? options.hostname ?? ''}:${String(options.port ?? 443)}`;
    const headers: http.OutgoingHttpHeaders = { Host: target };
    if (this.proxy.username !== '') {
      headers['Proxy-Authorization'] = `Basic ${Buffer.from(`${decodeURIComponent(this.proxy.username)}:${decodeURIComponent(this.proxy.password)}`).toString('base64')}`;
    }
    const fail = (err: Error): void => (callback as ((e: Error) => void) | undefined)?.(err);
    const connect = http.request({ host: this.proxy.hostname.replace(/^\[(.*)\]$/, '$1'), port: this.proxy.port || 80, method: 'CONNECT', path: target, headers });
    connect.once('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        fail(new Error(`proxy ${this.proxy.host} refused CONNECT ${target}: HTTP ${res.statusCode ?? 0}`));
        return;
      }
      const servername = options.servername ?? (options.host ?? '').replace(/^\[(.*)\]$/, '$1');
      const secure = tls.connect({
        socket,
        ...(servername !== '' && !/^[\d.]+$|:/.test(servername) ? { servername } : {}),
        ...(options.ca !== undefined ? { ca: options.ca } : {}),
        ...(options.cert !== undefined ? { cert: options.cert } : {}),
        ...(options.key !== undefined ? { key: options.key } : {}),
        ...(options.rejectUnauthorized !== undefined ? { rejectUnauthorized: options.rejectUnauthorized } : {}),
      });
      callback?.(null, secure);
    });
    connect.once('error', fail);
    connect.end();
    return undefined;
  }
}

function proxyOf(proxyUrl: string): URL {
  const proxy = new URL(proxyUrl);
  if (proxy.protocol !== 'http:') throw new KubeApiError(`proxy-url ${proxy.protocol}//…: only http:// proxies are supported`);
  return proxy;
}

const agents = new WeakMap<KubeAccess, { readonly tls: string; readonly agent: https.Agent }>();

/**
 * One keep-alive agent per KubeAccess and TLS identity: a request reuses an open connection
 * instead of a new TLS handshake and secure context each time (which was most of a busy
 * controller's CPU). Credentials that change (rotated client certificates) get a new agent;
 * bearer tokens travel in each request's headers and need none.
 */
function keepAliveAgent(kc: KubeAccess, tls: https.RequestOptions, proxyUrl: string | undefined): https.Agent {
  const id = JSON.stringify([proxyUrl, tls.ca, tls.cert, tls.key, tls.pfx, tls.passphrase, tls.rejectUnauthorized, tls.servername].map((v) => (Buffer.isBuffer(v) ? v.toString('base64') : v)));
  const known = agents.get(kc);
  if (known?.tls === id) return known.agent;
  known?.agent.destroy();
  const agentOptions: https.AgentOptions = {
    keepAlive: true,
    ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
    ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
    ...(tls.key !== undefined ? { key: tls.key } : {}),
    ...(tls.pfx !== undefined ? { pfx: tls.pfx } : {}),
    ...(tls.passphrase !== undefined ? { passphrase: tls.passphrase } : {}),
    ...(tls.rejectUnauthorized !== undefined ? { rejectUnauthorized: tls.rejectUnauthorized } : {}),
    ...(tls.servername !== undefined ? { servername: tls.servername } : {}),
  };
  const agent = proxyUrl !== undefined ? new TunnelAgent(proxyOf(proxyUrl), agentOptions) : new https.Agent(agentOptions);
  agents.set(kc, { tls: id, agent });
  return agent;
}

/** Opens a request and resolves with the response once its headers arrive. */
async function open(kc: KubeAccess, path: string, opts: RequestOptions, accept: string): Promise<{
  res: http.IncomingMessage;
  req: http.ClientRequest;
}> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeApiError('no current cluster in the kubeconfig');
  const url = new URL(cluster.server.replace(/\/+$/, '') + path);
  for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const headers: http.OutgoingHttpHeaders = { Accept: accept };
  if (payload !== undefined) {
    headers['Content-Type'] = opts.contentType ?? 'application/json';
    headers['Content-Length'] = Buffer.byteLength(payload);
  }
  const reqOpts: https.RequestOptions = { method: opts.method ?? 'GET', headers };
  await kc.applyToHTTPSOptions(reqOpts);
  // client-node (tests) hands each call a new agent (so, a new connection), its own for a proxy:
  // reuse ours unless it set one up.
  if (url.protocol === 'https:' && reqOpts.agent === undefined) reqOpts.agent = keepAliveAgent(kc, reqOpts, cluster.proxyUrl);
  const what = `${reqOpts.method} ${url.pathname}`;
  if (opts.signal?.aborted) throw new KubeApiError(`${what}: aborted`, undefined, undefined, 'ABORT_ERR');
  const send = url.protocol === 'http:' ? http.request : https.request;
  return new Promise((resolve, reject) => {
    const req = send(url, reqOpts, (res) => resolve({ res, req }));
    req.on('error', (err) => reject(networkError(err, what)));
    opts.signal?.addEventListener('abort', () => req.destroy(new KubeApiError(`${what}: aborted`, undefined, undefined, 'ABORT_ERR')), { once: true });
    req.end(payload);
  });
}

function readBody(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
    res.on('aborted', () => reject(new Error('response aborted')));
  });
}

function parseJson(text: string): Json | undefined {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
}

/**
 * One request with a JSON answer. Resolves with any HTTP status (the caller decides what 404 or
 * 409 mean); rejects with a KubeApiError on network errors, abort and timeout.
 */
export async function requestJson(kc: KubeAccess, path: string, opts: RequestOptions = {}): Promise<JsonResponse> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  // One controller per request, aborted by the timeout or the caller's signal. (Not
  // AbortSignal.any: callers pass long-lived signals, and each request would hang a dependent
  // signal on them.)
  const local = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    local.abort();
  }, timeoutMs);
  const onAbort = (): void => local.abort();
  if (opts.signal?.aborted) local.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const what = `${opts.method ?? 'GET'} ${path}`;
  try {
    for (let attempt = 0; ; attempt++) {
      const { res } = await open(kc, path, { ...opts, signal: local.signal }, opts.accept ?? 'application/json');
      const text = await readBody(res);
      // Expired exec credential or rotated token: fetch it again and retry once.
      if (res.statusCode === 401 && attempt === 0 && kc.onUnauthorized && (await kc.onUnauthorized())) continue;
      return { status: res.statusCode ?? 0, body: parseJson(text) };
    }
  } catch (err) {
    if (timedOut) throw new KubeApiError(`${what}: timed out after ${timeoutMs}ms`, undefined, undefined, 'ETIMEDOUT');
    throw networkError(err, what);
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

/** A JSON request that must succeed (2xx): resolves with the decoded body. */
export async function requestOk(kc: KubeAccess, path: string, opts: RequestOptions = {}): Promise<Json | undefined> {
  const r = await requestJson(kc, path, opts);
  if (r.status < 200 || r.status >= 300) throw errorFromResponse(r.status, r.body, `${opts.method ?? 'GET'} ${path}`);
  return r.body;
}

export interface LineStreamHandlers {
  /** One line of the stream (a JSON document for watches), without its newline. */
  onLine(line: string): void;
  /** The stream ended: cleanly (`error` undefined) or not. Called once. */
  onEnd(error?: KubeApiError): void;
}

/**
 * Opens a streaming GET (a watch) and feeds it line by line. Resolves once the stream is open;
 * rejects when the server refuses it (the KubeApiError carries the status, e.g. 410). Aborting
 * `signal` tears the connection down (onEnd then reports an ABORT_ERR).
 */
export async function openLineStream(
  kc: KubeAccess,
  path: string,
  query: Query,
  signal: AbortSignal,
  handlers: LineStreamHandlers,
  accept = 'application/json',
): Promise<void> {
  const what = `watch ${path}`;
  const { res, req } = await open(kc, path, { query, signal }, accept);
  if (res.statusCode !== 200) {
    const text = await readBody(res).catch(() => '');
    // The watch is reopened by its owner; let that attempt fetch the credential again.
    if (res.statusCode === 401) await kc.onUnauthorized?.();
    throw errorFromResponse(res.statusCode ?? 0, parseJson(text), what);
  }
  let ended = false;
  const end = (error?: KubeApiError): void => {
    if (ended) return;
    ended = true;
    req.destroy();
    handlers.onEnd(error);
  };
  let pending = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    pending += chunk;
    let nl = pending.indexOf('\n');
    while (nl >= 0 && !ended) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line.trim() !== '') handlers.onLine(line);
      nl = pending.indexOf('\n');
    }
  });
  res.on('end', () => end());
  res.on('error', (err) => end(networkError(err, what)));
  // 'close' without 'end': the connection went away mid-stream.
  res.on('close', () => end(new KubeApiError(`${what}: connection closed mid-stream`, undefined, undefined, 'ECONNRESET')));
  if (signal.aborted) end(new KubeApiError(`${what}: aborted`, undefined, undefined, 'ABORT_ERR'));
  signal.addEventListener('abort', () => end(new KubeApiError(`${what}: aborted`, undefined, undefined, 'ABORT_ERR')), { once: true });
}
