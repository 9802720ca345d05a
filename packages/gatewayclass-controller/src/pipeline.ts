// The translation pipeline shared by every mode: snapshot → gateway translator → IR → xds
// translator → cache. Work follows what changed: an unchanged GatewayIR (same object) is not
// translated again, and each Gateway's xds translator reuses encodings of unchanged IR parts.
import type { GatewayIR } from '@gantry/ir';
import { XdsTranslator, accessLogKey, type ChangeHint, type XdsFailure, type XdsSnapshot } from '@gantry/xds';
import { safeErrorMessage } from '@gantry/ir';
import { accessLogsOf } from './deployer/access-log.js';
import type { Snapshot } from '@gantry/api';
import { GatewayTranslator, type StatusReport, type TranslationResult } from '@gantry/translator';

/** Where per-Gateway xDS snapshots go: the ADS server's cache. */
export interface SnapshotSink {
  /** `hint`: per type, the names that changed since the previous set of this Gateway (see SnapshotCache.set). */
  set(gatewayKey: string, snapshot: XdsSnapshot, hint?: ChangeHint): void;
  delete(gatewayKey: string): void;
}

export interface PipelineOptions {
  readonly sink: SnapshotSink;
  /** Address Envoy listeners bind to (0.0.0.0 in a cluster, loopback for local runs). */
  readonly listenAddress?: string;
  /** GatewayClasses with this spec.controllerName are ours (default gantry.dev/gatewayclass-controller). */
  readonly controllerName?: string;
  /** The install namespace: Upstreams there may name Services in any namespace (default gantry-system). */
  readonly installNamespace?: string;
  /** Refuse backendRefs to Services: routes must name Upstreams. */
  readonly disableKubernetesDestinations?: boolean;
  /** Told how long each stage of a run took (metrics). */
  readonly onStage?: (stage: 'gateway' | 'xds', ms: number) => void;
}

export interface PipelineRun {
  readonly result: TranslationResult;
  /** Gateways whose xDS snapshot was replaced by this run. */
  readonly changed: readonly string[];
  readonly removed: readonly string[];
  readonly statuses: readonly StatusReport[];
  /**
   * What the xds translator could not encode, per Gateway (each left out or answered 500; the rest
   * of the Gateway is served). A Gateway whose translation threw keeps its last snapshot and is
   * listed with kind 'gateway'. Route failures are also in the route's status.
   */
  readonly failures: readonly PipelineFailure[];
}

export interface PipelineFailure {
  readonly gateway: string;
  readonly kind: XdsFailure['kind'] | 'gateway';
  readonly name: string;
  readonly message: string;
}

export class Pipeline {
  private readonly gateways: GatewayTranslator;
  private readonly xds = new Map<string, { translator: XdsTranslator; ir: GatewayIR | undefined; accessLog: string }>();
  private readonly failedGateways = new Map<string, string>();

  constructor(private readonly opts: PipelineOptions) {
    this.gateways = new GatewayTranslator({
      ...(opts.controllerName !== undefined ? { controllerName: opts.controllerName } : {}),
      ...(opts.installNamespace !== undefined ? { installNamespace: opts.installNamespace } : {}),
      ...(opts.disableKubernetesDestinations ? { disableKubernetesDestinations: true } : {}),
    });
  }

  /** The IR last published for a Gateway (debug endpoints, tests). */
  ir(gatewayKey: string): GatewayIR | undefined {
    return this.xds.get(gatewayKey)?.ir;
  }

  gatewayKeys(): string[] {
    return [...this.xds.keys()].sort();
  }

  run(snapshot: Snapshot): PipelineRun {
    const started = performance.now();
    const result = this.gateways.translate(snapshot);
    const translated = performance.now();
    const changed: string[] = [];
    // GatewayParameters' accessLog: not part of the IR, so compared here.
    const accessLogs = accessLogsOf(snapshot);
    for (const [key, ir] of result.gateways) {
      let entry = this.xds.get(key);
      const accessLog = accessLogs.get(key);
      const logKey = accessLogKey(accessLog);
      if (entry?.ir === ir && entry.accessLog === logKey) continue;
      if (!entry) {
        entry = { translator: new XdsTranslator(), ir: undefined, accessLog: '' };
        this.xds.set(key, entry);
      }
      let snapshot: XdsSnapshot;
      try {
        snapshot = entry.translator.translate(ir, { listenAddress: this.opts.listenAddress, ...(accessLog !== undefined ? { accessLog } : {}) });
      } catch (err) {
        // Never expected (each object is isolated inside the xds translator), but one Gateway
        // must not stop the others: it keeps its last snapshot, and a fresh translator next time.
        this.failedGateways.set(key, safeErrorMessage(err));
        this.xds.set(key, { translator: new XdsTranslator(), ir: undefined, accessLog: '' });
        continue;
      }
      this.failedGateways.delete(key);
      entry.ir = ir;
      entry.accessLog = logKey;
      this.opts.sink.set(key, snapshot, entry.translator.lastChanges);
      changed.push(key);
    }
    const failures: PipelineFailure[] = [];
    for (const [key, entry] of this.xds) {
      for (const f of entry.translator.failures) failures.push({ gateway: key, ...f });
    }
    for (const [key, message] of this.failedGateways) failures.push({ gateway: key, kind: 'gateway', name: key, message });
    const removed = [...this.xds.keys()].filter((k) => !result.gateways.has(k));
    for (const key of removed) {
      this.xds.delete(key);
      this.opts.sink.delete(key);
    }
    this.opts.onStage?.('gateway', translated - started);
    this.opts.onStage?.('xds', performance.now() - translated);
    for (const key of [...this.failedGateways.keys()]) if (!result.gateways.has(key)) this.failedGateways.delete(key);
    const statuses = failures.length === 0 ? result.statuses : withRouteFailures(result.statuses, failures);
    return { result, changed, removed, statuses, failures };
  }
}

/**
 * Route reports with the rules Envoy could not be given: `httproute/<ns>/<name>/rule/<i>/...`
 * names lead back to the route, whose parents get PartiallyInvalid (the rule answers 500).
 */
function withRouteFailures(statuses: readonly StatusReport[], failures: readonly PipelineFailure[]): StatusReport[] {
  const byRoute = new Map<string, string[]>();
  for (const f of failures) {
    if (f.kind !== 'route') continue;
    const parts = f.name.split('/');
    if (parts.length < 4 || parts[3] !== 'rule') continue;
    const key = `${parts[0]}/${parts[1]}/${parts[2]}`;
    const list = byRoute.get(key) ?? [];
    list.push(`rule ${parts[4]} cannot be encoded for Envoy and answers 500: ${f.message}`);
    byRoute.set(key, list);
  }
  if (byRoute.size === 0) return [...statuses];
  return statuses.map((r) => {
    const messages = byRoute.get(`${r.kind.toLowerCase()}/${r.namespace ?? ''}/${r.name}`);
    if (messages === undefined || !('parents' in r.status)) return r;
    const message = [...new Set(messages)].join('; ');
    const parents = r.status.parents.map((p) => ({
      ...p,
      conditions: [
        ...p.conditions.filter((c) => c.type !== 'PartiallyInvalid'),
        {
          type: 'PartiallyInvalid',
          status: 'True',
          reason: 'UnsupportedValue',
          message,
          ...(r.generation !== undefined ? { observedGeneration: r.generation } : {}),
        } as const,
      ],
    }));
    return { ...r, status: { ...r.status, parents } } as StatusReport;
  });
}
