// Standalone mode without the file watching: an ADS server, the pipeline, and one local Envoy per
// accepted Gateway, started when the Gateway appears and stopped when it goes. Tests drive it
// directly with apply(); the `gantry standalone` command feeds it from a directory.
import { AdsServer, SnapshotCache, adsBootstrap } from '@gantry/xds';
import type { KubeObject } from '@gantry/api';
import { EnvoyProcess } from '../envoy/process.js';
import { logger, type Logger } from '../log.js';
import { buildSnapshot } from '../manifests/load.js';
import { Pipeline, type PipelineRun } from '../pipeline.js';
import type { StatusReport } from '@gantry/translator';

export interface StandaloneOptions {
  readonly envoyPath: string;
  /** Address the Envoy listeners bind to. */
  readonly listenAddress: string;
  readonly xdsHost?: string;
  /** 0 picks a free port. */
  readonly xdsPort?: number;
  /** Admin port of the first Gateway's Envoy; the next ones count up. 0 lets each pick a free port. */
  readonly adminPortBase?: number;
  readonly envoyLogLevel?: string;
  /** The install namespace: its Upstreams may name Services in any namespace (default gantry-system). */
  readonly installNamespace?: string;
  /** Refuse backendRefs to Services: routes must name Upstreams. */
  readonly disableKubernetesDestinations?: boolean;
  /** Use state-of-the-world xDS instead of delta. */
  readonly sotw?: boolean;
}

interface RunningEnvoy {
  readonly process: EnvoyProcess;
  readonly adminPort: number;
}

export class StandaloneRuntime {
  readonly cache = new SnapshotCache();
  readonly server: AdsServer;
  private readonly pipeline: Pipeline;
  private readonly envoys = new Map<string, RunningEnvoy>();
  private readonly log: Logger = logger('standalone');
  private xdsPort = 0;
  private lastStatus = new Map<string, string>();
  private nextAdminPort: number;

  constructor(private readonly opts: StandaloneOptions) {
    this.server = new AdsServer({
      cache: this.cache,
      logger: logger('ads'),
      plaintextReason: 'standalone mode on loopback, where only processes on this host (the Envoy it starts) can connect',
    });
    this.pipeline = new Pipeline({
      sink: this.cache,
      listenAddress: opts.listenAddress,
      ...(opts.installNamespace !== undefined ? { installNamespace: opts.installNamespace } : {}),
      ...(opts.disableKubernetesDestinations ? { disableKubernetesDestinations: true } : {}),
    });
    this.nextAdminPort = opts.adminPortBase ?? 19000;
    this.server.on('nack', (gateway, typeUrl, version, nodeId, message) => {
      this.log.error('envoy rejected configuration; it keeps serving the last good one', { gateway, typeUrl, version, nodeId, message });
    });
  }

  async start(): Promise<number> {
    this.xdsPort = await this.server.start(this.opts.xdsHost ?? '127.0.0.1', this.opts.xdsPort ?? 0);
    this.log.info('xDS server listening', { host: this.opts.xdsHost ?? '127.0.0.1', port: this.xdsPort });
    return this.xdsPort;
  }

  /** Translates the objects, publishes each Gateway's snapshot and starts/stops Envoys to match. */
  async apply(objects: readonly KubeObject[]): Promise<PipelineRun> {
    const started = performance.now();
    const run = this.pipeline.run(buildSnapshot(objects));
    this.log.info('translated', {
      gateways: run.result.gateways.size,
      changed: run.changed.length,
      ms: Math.round((performance.now() - started) * 100) / 100,
    });
    this.logStatusChanges(run.statuses);
    for (const key of run.removed) await this.stopEnvoy(key);
    for (const key of run.result.gateways.keys()) if (!this.envoys.has(key)) await this.startEnvoy(key);
    return run;
  }

  adminPort(gatewayKey: string): number | undefined {
    return this.envoys.get(gatewayKey)?.adminPort;
  }

  /** Resolves once every Envoy of the Gateway has ACKed the Gateway's current snapshot. */
  async waitSynced(gatewayKey: string, timeoutMs = 30000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const current = this.cache.get(gatewayKey);
      if (current && this.server.isSynced(gatewayKey, current.version)) return;
      if (Date.now() > deadline) throw new Error(`Envoy of ${gatewayKey} did not sync within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.envoys.keys()].map((k) => this.stopEnvoy(k)));
    await this.server.stop();
  }

  private async startEnvoy(gatewayKey: string): Promise<void> {
    const adminPort = this.nextAdminPort === 0 ? 0 : this.nextAdminPort++;
    const proc = new EnvoyProcess({
      envoyPath: this.opts.envoyPath,
      name: gatewayKey,
      logLevel: this.opts.envoyLogLevel,
      log: logger('envoy'),
      bootstrap: adsBootstrap({
        gatewayKey,
        nodeId: `standalone-${gatewayKey.replace('/', '-')}`,
        xdsHost: this.opts.xdsHost ?? '127.0.0.1',
        xdsPort: this.xdsPort,
        adminPort,
        sotw: this.opts.sotw,
      }),
    });
    this.envoys.set(gatewayKey, { process: proc, adminPort });
    await proc.start();
    this.log.info('envoy started', { gateway: gatewayKey, pid: proc.pid, adminPort });
  }

  private async stopEnvoy(gatewayKey: string): Promise<void> {
    const running = this.envoys.get(gatewayKey);
    if (!running) return;
    this.envoys.delete(gatewayKey);
    await running.process.stop();
    this.log.info('envoy stopped', { gateway: gatewayKey });
  }

  /** Standalone has no API server to write status to: conditions that changed go to the log. */
  private logStatusChanges(reports: readonly StatusReport[]): void {
    const next = new Map<string, string>();
    for (const r of reports) {
      const key = `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
      const text = JSON.stringify(r.status);
      next.set(key, text);
      if (this.lastStatus.get(key) !== text) this.log.info('status', { object: key, status: r.status });
    }
    this.lastStatus = next;
  }
}
