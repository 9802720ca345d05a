// The translation pipeline shared by every mode: snapshot → gateway translator → IR → xds
// translator → cache. Work follows what changed: an unchanged GatewayIR (same object) is not
// translated again, and each Gateway's xds translator reuses encodings of unchanged IR parts.
import type { GatewayIR } from '@gantry/ir';
import { XdsTranslator, type ChangeHint, type RouteLayout, type XdsSnapshot } from '@gantry/xds';
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
  /** How route tables are served (default: scoped); 'single' is one RouteConfiguration per table. */
  readonly routeLayout?: RouteLayout;
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
}

export class Pipeline {
  private readonly gateways: GatewayTranslator;
  private readonly xds = new Map<string, { translator: XdsTranslator; ir: GatewayIR }>();

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
    for (const [key, ir] of result.gateways) {
      let entry = this.xds.get(key);
      if (entry?.ir === ir) continue;
      if (!entry) {
        entry = { translator: new XdsTranslator(), ir };
        this.xds.set(key, entry);
      }
      entry.ir = ir;
      const snapshot = entry.translator.translate(ir, { listenAddress: this.opts.listenAddress, ...(this.opts.routeLayout !== undefined ? { routeLayout: this.opts.routeLayout } : {}) });
      this.opts.sink.set(key, snapshot, entry.translator.lastChanges);
      changed.push(key);
    }
    const removed = [...this.xds.keys()].filter((k) => !result.gateways.has(k));
    for (const key of removed) {
      this.xds.delete(key);
      this.opts.sink.delete(key);
    }
    this.opts.onStage?.('gateway', translated - started);
    this.opts.onStage?.('xds', performance.now() - translated);
    return { result, changed, removed, statuses: result.statuses };
  }
}
