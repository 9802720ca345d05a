// The admin HTTP servers, two of them:
// - the public one (`--admin-address`): health, readiness and Prometheus metrics, what the kubelet
//   and Prometheus reach; read-only and free of anything sensitive;
// - the debug one (`--debug-address`, loopback by default): read-only debug views of each Gateway
//   (IR, Envoy JSON, connected Envoys) and the log level, which can be changed.
// `GET /` on each lists its endpoints. Fastify's own logger is off; we log through winston.
// Nothing served here may carry a private key: the debug views are redacted at the source, and a
// last check on every response withholds one that still would.
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { gatewayKey, redactDeep, redactIR, type GatewayIR } from '@gantry/ir';
import { snapshotToEnvoyJson, type EnvoyStatus, type XdsSnapshot } from '@gantry/xds';
import { logger, type Logger } from '../log.js';
import { PROMETHEUS_CONTENT_TYPE, type Registry } from '../metrics/index.js';
import { envoyToJson } from './envoys.js';

export interface Readiness {
  readonly ready: boolean;
  /** Why not ready (empty when ready): e.g. "watch HTTPRoute has not synced". */
  readonly reasons: readonly string[];
}

export interface DebugSource {
  /** Keys (namespace/name) of the Gateways with an IR. */
  gateways(): readonly string[];
  ir(key: string): GatewayIR | undefined;
  xds(key: string): XdsSnapshot | undefined;
  envoys(key?: string): readonly EnvoyStatus[];
}

export interface LogLevelControl {
  get(): string;
  set(level: string): void;
}

export interface AdminServerOptions {
  readonly metrics: { readonly registry: Registry };
  /** 200 on /readyz only when this says ready (every watch synced, first snapshot published). */
  readonly readiness: () => Readiness;
  readonly debug: DebugSource;
  readonly logLevel: LogLevelControl;
  /** Accepted by PUT /debug/log-level; default winston's npm levels. */
  readonly levels?: readonly string[];
  readonly log?: Logger;
}

export interface AdminServer {
  /** Health, readiness, metrics (tests use inject()). */
  readonly app: FastifyInstance;
  /** Debug views and the log level. */
  readonly debugApp: FastifyInstance;
  /** Listens with the public app; resolves with the bound port (port 0 picks one). */
  start(host: string, port: number): Promise<number>;
  /** Listens with the debug app (keep it on loopback); resolves with the bound port. */
  startDebug(host: string, port: number): Promise<number>;
  stop(): Promise<void>;
}

/** One line per endpoint, for `GET /`. */
export interface EndpointInfo {
  readonly method: string;
  readonly path: string;
  readonly description: string;
}

export const PUBLIC_ENDPOINTS: readonly EndpointInfo[] = [
  { method: 'GET', path: '/healthz', description: '200 while the process runs' },
  { method: 'GET', path: '/readyz', description: '200 once every watch synced and the first snapshot was translated; 503 with the reasons otherwise' },
  { method: 'GET', path: '/metrics', description: 'Prometheus text format' },
];

export const DEBUG_ENDPOINTS: readonly EndpointInfo[] = [
  { method: 'GET', path: '/debug/gateways', description: 'the Gateways with a configuration' },
  { method: 'GET', path: '/debug/gateways/NS/NAME/ir', description: "the Gateway's IR (private keys redacted)" },
  { method: 'GET', path: '/debug/gateways/NS/NAME/xds', description: 'the Envoy resources served for it, as Envoy JSON (keys redacted)' },
  { method: 'GET', path: '/debug/envoys', description: 'connected Envoys (?gateway=NS/NAME), what each ACKed, the last NACK' },
  { method: 'GET', path: '/debug/log-level', description: 'the log level and the levels there are' },
  { method: 'PUT', path: '/debug/log-level', description: 'change the log level: {"level":"debug"} or plain text' },
];

/** winston's default (npm) levels, most severe first. */
export const LOG_LEVELS: readonly string[] = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'];

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

const PRIVATE_KEY_PEM = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

interface GatewayParams {
  ns: string;
  name: string;
}

function requestedLevel(body: unknown): string | undefined {
  if (typeof body === 'string') return body.trim();
  if (typeof body === 'object' && body !== null && 'level' in body) {
    const level = (body as { level: unknown }).level;
    return typeof level === 'string' ? level.trim() : undefined;
  }
  return undefined;
}

/** A fastify app with the shared error handling, the private-key guard, and `GET /` listing `endpoints`. */
function baseApp(log: Logger, name: string, endpoints: readonly EndpointInfo[], elsewhere: string): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });

  app.setErrorHandler((error: { statusCode?: number; message?: string }, request, reply) => {
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) {
      log.error('admin request failed', { method: request.method, url: request.url, error: error.message });
      return reply.code(status).send({ error: 'internal error' });
    }
    return reply.code(status).send({ error: error.message ?? 'bad request' });
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'not found' }));

  // Last line of defence: a response that would carry a PEM private key is not sent.
  app.addHook('onSend', async (request, reply, payload) => {
    if (typeof payload === 'string' && PRIVATE_KEY_PEM.test(payload)) {
      log.error('admin response withheld: it contained private key material', { url: request.url });
      reply.code(500).type('application/json; charset=utf-8');
      return JSON.stringify({ error: 'response withheld: it contained private key material' });
    }
    return payload;
  });

  app.get('/', async () => ({ server: name, endpoints: endpoints.map((e) => ({ ...e })), elsewhere }));
  return app;
}

export function createAdminServer(opts: AdminServerOptions): AdminServer {
  const log = opts.log ?? logger('admin');
  const levels = opts.levels ?? LOG_LEVELS;
  const app = baseApp(log, 'gantry admin', PUBLIC_ENDPOINTS, 'debug endpoints (/debug/...) are on the debug address (--debug-address, loopback by default)');
  const debugApp = baseApp(log, 'gantry debug', DEBUG_ENDPOINTS, 'health, readiness and metrics are on the admin address (--admin-address)');

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    let readiness: Readiness;
    try {
      readiness = opts.readiness();
    } catch (e) {
      log.error('readiness check failed', { error: e instanceof Error ? e.message : String(e) });
      readiness = { ready: false, reasons: ['readiness check failed'] };
    }
    return reply.code(readiness.ready ? 200 : 503).send({ ready: readiness.ready, reasons: readiness.ready ? [] : readiness.reasons });
  });

  app.get('/metrics', async (_request, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).send(await opts.metrics.registry.expose()));

  debugApp.get('/debug/gateways', async () => ({ gateways: [...opts.debug.gateways()].sort() }));

  debugApp.get<{ Params: GatewayParams }>('/debug/gateways/:ns/:name/ir', async (request, reply) => {
    const key = gatewayKey(request.params.ns, request.params.name);
    const ir = opts.debug.ir(key);
    if (!ir) return reply.code(404).send({ error: `no IR for Gateway ${key}` });
    return reply.send(redactIR(ir));
  });

  debugApp.get<{ Params: GatewayParams }>('/debug/gateways/:ns/:name/xds', async (request, reply) => {
    const key = gatewayKey(request.params.ns, request.params.name);
    const snapshot = opts.debug.xds(key);
    if (!snapshot) return reply.code(404).send({ error: `no xDS snapshot for Gateway ${key}` });
    return reply.send({ gateway: key, resources: redactDeep(snapshotToEnvoyJson(snapshot, { redactSecrets: true })) });
  });

  debugApp.get<{ Querystring: { gateway?: string } }>('/debug/envoys', async (request) => {
    const gateway = typeof request.query.gateway === 'string' && request.query.gateway !== '' ? request.query.gateway : undefined;
    return { envoys: opts.debug.envoys(gateway).map(envoyToJson) };
  });

  debugApp.get('/debug/log-level', async () => ({ level: opts.logLevel.get(), levels }));

  debugApp.put('/debug/log-level', async (request, reply) => {
    const level = requestedLevel(request.body);
    if (level === undefined || !levels.includes(level)) {
      const shown = level === undefined ? 'missing' : JSON.stringify(level.slice(0, 40));
      return reply.code(400).send({ error: `level ${shown}: expected one of ${levels.join(', ')} (JSON {"level": "..."} or plain text)` });
    }
    const previous = opts.logLevel.get();
    opts.logLevel.set(level);
    if (previous !== level) log.info('log level changed', { from: previous, to: level });
    return { level: opts.logLevel.get(), previous };
  });

  return {
    app,
    debugApp,
    async start(host: string, port: number): Promise<number> {
      await app.listen({ host, port });
      const bound = (app.server.address() as AddressInfo).port;
      log.info('admin server listening (health, readiness, metrics)', { host, port: bound });
      return bound;
    },
    async startDebug(host: string, port: number): Promise<number> {
      await debugApp.listen({ host, port });
      const bound = (debugApp.server.address() as AddressInfo).port;
      if (!isLoopback(host)) {
        log.warn('debug server listening beyond loopback: anyone who reaches it can read every Gateway\'s routing and change the log level', { host, port: bound });
      } else {
        log.info('debug server listening (debug views, log level)', { host, port: bound });
      }
      return bound;
    },
    async stop(): Promise<void> {
      await app.close();
      await debugApp.close();
    },
  };
}
