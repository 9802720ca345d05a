// Traffic test harness: one StandaloneRuntime (ADS server + real Envoy per Gateway) and echo
// backends, everything on 127.0.0.1. Tests describe the world as YAML, apply it, wait until
// Envoy has ACKed it and its listeners accept connections, then send real requests.
import { connect } from 'node:net';
import { type EchoServer, startEchoServer } from '@gantry/gatewayclass-controller/examples/echo-backend';
import { getLogLevel, setLogLevel } from '@gantry/gatewayclass-controller/log';
import { formatManifestError, parseManifests } from '@gantry/gatewayclass-controller/manifests/load';
import type { PipelineRun } from '@gantry/gatewayclass-controller/pipeline';
import { StandaloneRuntime } from '@gantry/gatewayclass-controller/standalone/runtime';
import type { StatusReport } from '@gantry/translator';

export const LOOPBACK = '127.0.0.1';
const SYNC_TIMEOUT_MS = 20_000;
const LISTEN_TIMEOUT_MS = 10_000;

import { envoyBinary } from '@gantry/xds/testing/envoy-binary';
export { envoyBinary };

export { freePort } from '@gantry/xds/testing/net';

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` until it returns a value other than undefined. */
export async function eventually<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: LOOPBACK, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

// ---- manifests ---------------------------------------------------------------------------------

export const GATEWAY_CLASS = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: gantry}
spec: {controllerName: gantry.dev/gatewayclass-controller}
`;

/** The tests' Gateway `default/gw` of class gantry; each listener is a YAML flow mapping. */
export function gatewayYaml(...listeners: readonly string[]): string {
  return `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  gatewayClassName: gantry
  listeners:
${listeners.map((l) => `  - ${l}`).join('\n')}
`;
}

/** An HTTPRoute in `default` attached to the tests' Gateway; `rules` is the YAML of its rule list. */
export function routeYaml(name: string, hostnames: readonly string[], rules: string): string {
  return `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: ${name}, namespace: default}
spec:
  parentRefs: [{name: gw}]
  hostnames: [${hostnames.join(', ')}]
  rules:
${rules}`;
}

/** YAML documents joined into one stream. */
export function docs(...parts: readonly string[]): string {
  return parts.map((p) => p.trim()).filter((p) => p !== '').join('\n---\n');
}

export interface BackendYamlOptions {
  readonly namespace?: string;
  /** The Service port routes refer to (default 80). */
  readonly servicePort?: number;
  readonly appProtocol?: string;
}

/** A Service and its EndpointSlice pointing at a backend listening on 127.0.0.1:`port`. */
export function serviceYaml(name: string, port: number, opts: BackendYamlOptions = {}): string {
  const ns = opts.namespace ?? 'default';
  const appProtocol = opts.appProtocol ? `, appProtocol: ${opts.appProtocol}` : '';
  return docs(
    `
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${ns}}
spec:
  ports: [{name: http, port: ${opts.servicePort ?? 80}, targetPort: ${port}${appProtocol}}]
`,
    `
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ${name}-local, namespace: ${ns}, labels: {kubernetes.io/service-name: ${name}}}
addressType: IPv4
endpoints: [{addresses: [${LOOPBACK}], conditions: {ready: true}}]
ports: [{name: http, port: ${port}, protocol: TCP}]
`,
  );
}

/** An Upstream; `spec`: the YAML under `spec:`, each line indented by two spaces. */
export function upstreamYaml(name: string, spec: string, namespace = 'default'): string {
  return `
apiVersion: gateway.gantry.dev/v1alpha1
kind: Upstream
metadata: {name: ${name}, namespace: ${namespace}}
spec:
${spec}`;
}

/** A kubernetes.io/tls Secret; the PEM text goes in as JSON strings (valid YAML scalars). */
export function tlsSecretYaml(name: string, pem: { cert: string; key: string }, namespace = 'default'): string {
  return `
apiVersion: v1
kind: Secret
metadata: {name: ${name}, namespace: ${namespace}}
type: kubernetes.io/tls
stringData: {tls.crt: ${JSON.stringify(pem.cert)}, tls.key: ${JSON.stringify(pem.key)}}
`;
}

// ---- the harness -------------------------------------------------------------------------------

export interface ApplyOptions {
  /** Apply the valid objects even though some documents are malformed (default: throw). */
  readonly allowManifestErrors?: boolean;
}

export interface Applied {
  readonly run: PipelineRun;
  readonly manifestErrors: readonly string[];
}

export class TrafficHarness {
  private readonly backends: EchoServer[] = [];
  private readonly previousLogLevel: string;
  private constructor(readonly runtime: StandaloneRuntime) {
    // Keep test output to warnings and errors (NACKs are errors) unless asked otherwise.
    this.previousLogLevel = getLogLevel();
    if (process.env.GANTRY_LOG_LEVEL === undefined) setLogLevel('warn');
  }

  static async start(opts: { sotw?: boolean } = {}): Promise<TrafficHarness> {
    const runtime = new StandaloneRuntime({
      ...(opts.sotw ? { sotw: true } : {}),
      envoyPath: envoyBinary(),
      listenAddress: LOOPBACK,
      xdsHost: LOOPBACK,
      xdsPort: 0,
      adminPortBase: 0,
      envoyLogLevel: process.env.GANTRY_ENVOY_LOG_LEVEL ?? 'error',
    });
    const h = new TrafficHarness(runtime);
    await runtime.start();
    return h;
  }

  /** An echo backend on 127.0.0.1 (a free port), stopped with the harness. */
  async backend(name: string, opts: { h2c?: boolean; tls?: { cert: string; key: string; clientCA?: string } } = {}): Promise<EchoServer> {
    const b = await startEchoServer({ name, host: LOOPBACK, ...(opts.h2c ? { h2c: true } : {}), ...(opts.tls ? { tls: opts.tls } : {}) });
    this.backends.push(b);
    return b;
  }

  /** One echo backend per name, with the YAML of a Service (port 80) + EndpointSlice for each. */
  async backendSet(names: readonly string[], opts: BackendYamlOptions & { h2c?: boolean } = {}): Promise<{ servers: Record<string, EchoServer>; yaml: string }> {
    const servers: Record<string, EchoServer> = {};
    const parts: string[] = [];
    for (const name of names) {
      const server = await this.backend(name, opts.h2c ? { h2c: true } : {});
      servers[name] = server;
      parts.push(serviceYaml(name, server.port, opts));
    }
    return { servers, yaml: docs(...parts) };
  }

  /**
   * Replaces the whole world with these manifests, waits until every Gateway's Envoy has ACKed
   * the new snapshot (throws at once on a NACK) and until its listener ports accept connections.
   */
  async apply(yaml: string, opts: ApplyOptions = {}): Promise<Applied> {
    const parsed = parseManifests(yaml, 'test.yaml');
    const manifestErrors = parsed.errors.map(formatManifestError);
    if (manifestErrors.length > 0 && opts.allowManifestErrors !== true) {
      throw new Error(`test manifests are invalid:\n${manifestErrors.join('\n')}`);
    }
    const since = Date.now();
    const run = await this.runtime.apply(parsed.objects);
    for (const [key, ir] of run.result.gateways) {
      await this.waitSynced(key, since);
      for (const l of ir.listeners) {
        await eventually(`listener ${l.name} of ${key} to accept connections`, async () => ((await canConnect(l.port)) ? true : undefined), LISTEN_TIMEOUT_MS);
      }
    }
    return { run, manifestErrors };
  }

  private async waitSynced(key: string, since: number): Promise<void> {
    const deadline = Date.now() + SYNC_TIMEOUT_MS;
    for (;;) {
      const current = this.runtime.cache.get(key);
      if (current && this.runtime.server.isSynced(key, current.version)) return;
      const nack = this.runtime.server.envoys(key).map((e) => e.lastNack).find((n) => n !== undefined && n.at >= since);
      if (nack) throw new Error(`Envoy of ${key} rejected the configuration (${nack.typeUrl}): ${nack.message}`);
      if (Date.now() > deadline) throw new Error(`Envoy of ${key} did not ACK the configuration within ${SYNC_TIMEOUT_MS} ms`);
      await sleep(10);
    }
  }

  async stop(): Promise<void> {
    try {
      await this.runtime.stop();
    } finally {
      await Promise.all(this.backends.map((b) => b.close()));
      setLogLevel(this.previousLogLevel);
    }
  }
}

/** The status report of one object from a run. */
export function statusOf(run: PipelineRun, kind: StatusReport['kind'], namespace: string | undefined, name: string): StatusReport | undefined {
  return run.statuses.find((s) => s.kind === kind && s.name === name && (s.namespace ?? undefined) === namespace);
}

/** `type=status:reason` of every condition of an HTTPRoute's first parent, for readable asserts. */
export function routeConditions(run: PipelineRun, namespace: string, name: string): string[] {
  const report = statusOf(run, 'HTTPRoute', namespace, name);
  const parents = (report?.status as { parents?: { conditions?: { type: string; status: string; reason: string }[] }[] } | undefined)?.parents ?? [];
  return (parents[0]?.conditions ?? []).map((c) => `${c.type}=${c.status}:${c.reason}`);
}
