// The translation pipeline shared by every mode: snapshot → gateway translator → IR → xds
// translator → cache. Work follows what changed: an unchanged GatewayIR (same object) is not
// translated again, and each Gateway's xds translator reuses encodings of unchanged IR parts.
import type { GatewayIR, ListenerIR, RouteIR } from '@gantry/ir';
import { XdsTranslator } from '@gantry/xds/translator/translator';
import { accessLogKey, type AccessLogOptions } from '@gantry/xds/translator/options';
import type { ChangeHint } from '@gantry/xds/cache/changes';
import type { RouteLayout } from '@gantry/xds/translator/route-config';
import type { XdsFailure } from '@gantry/xds/translator/failures';
import type { XdsSnapshot } from '@gantry/xds/resources';
import { safeErrorMessage } from '@gantry/ir';
import { accessLogsOf } from './deployer/access-log.js';
import { partlyRejectedMessage } from './nack-withhold.js';
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
  /**
   * Resources Envoy refused that are withheld after the pipeline (NackGuard): reported with the
   * run's failures, in metrics and on the owning objects' statuses.
   */
  readonly withheldResources?: () => readonly PipelineFailure[];
}

export interface PipelineRun {
  readonly result: TranslationResult;
  /** Gateways whose xDS snapshot was replaced by this run. */
  readonly changed: readonly string[];
  readonly removed: readonly string[];
  readonly statuses: readonly StatusReport[];
  /**
   * Reports of `statuses` that may differ from the previous run's, and the previous values of
   * replaced or removed ones (see TranslationResult.statusChanges): a publisher looks at the
   * objects these name, not at every report. With failures reported on statuses, the reports
   * they rewrote in this run or the previous one are listed too.
   */
  readonly statusChanges: readonly StatusReport[];
  /**
   * What the xds translator could not encode, per Gateway (each left out or answered 500; the rest
   * of the Gateway is served). A Gateway whose translation threw keeps its last snapshot and is
   * listed with kind 'gateway'. Route failures are also in the route's status.
   */
  readonly failures: readonly PipelineFailure[];
}

export interface PipelineFailure {
  readonly gateway: string;
  /** `scope` and `routeTable`: a ScopedRouteConfiguration or a whole RouteConfiguration Envoy refused. */
  readonly kind: XdsFailure['kind'] | 'gateway' | 'scope' | 'routeTable';
  readonly name: string;
  readonly message: string;
}

const NO_OBJECTS: readonly unknown[] = [];

export class Pipeline {
  private readonly gateways: GatewayTranslator;
  /**
   * Per Gateway: its xds translator, the IR it was given (`source`), the IR it translated (withheld
   * routes replaced), and the access log it was given (GatewayParameters: not part of the IR).
   */
  private readonly xds = new Map<string, { translator: XdsTranslator; ir: GatewayIR | undefined; source: GatewayIR | undefined; accessLog: string }>();
  private readonly failedGateways = new Map<string, string>();
  /** Per Gateway: the last IR with its withheld routes replaced, for which IR and which withheld set. */
  private readonly withheldMemo = new Map<string, { readonly source: GatewayIR; readonly version: number; readonly out: GatewayIR }>();
  private withheldVersion = 0;
  /**
   * Routes Envoy refused, per Gateway: the RouteIR object it refused and Envoy's message. Each is
   * answered 500 (its match kept) until its object changes, when it is tried again.
   */
  private readonly withheld = new Map<string, Map<string, { readonly route: RouteIR; readonly message: string }>>();
  /** Gateways whose withheld set changed since their last translation. */
  private readonly rewithhold = new Set<string>();
  /** The reports the last run rewrote with its failures (listed as changed in the next run too). */
  private rewritten: readonly StatusReport[] = [];

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

  /**
   * The IR with each withheld route answered 500 (the same match, so its traffic does not fall
   * to another route). A withheld route whose object changed (edited) is tried again. The result
   * is memoised per IR object, so unchanged runs keep the xds translator's caches.
   */
  private withholding(key: string, ir: GatewayIR): GatewayIR {
    const set = this.withheld.get(key);
    if (set === undefined || set.size === 0) return ir;
    for (const [name, w] of set) {
      if (findRoute(ir.listeners, name) === w.route) continue;
      set.delete(name);
      this.withheldVersion++;
    }
    if (set.size === 0) {
      this.withheld.delete(key);
      this.withheldMemo.delete(key);
      return ir;
    }
    const memo = this.withheldMemo.get(key);
    if (memo !== undefined && memo.source === ir && memo.version === this.withheldVersion) return memo.out;
    const replace = (r: RouteIR): RouteIR => (set.get(r.name)?.route === r ? { name: r.name, match: r.match, action: { kind: 'directResponse', status: 500 } } : r);
    const listeners = ir.listeners.map((l) => ({
      ...l,
      filterChains: l.filterChains.map((fc) => ({
        ...fc,
        routeConfig: { ...fc.routeConfig, virtualHosts: fc.routeConfig.virtualHosts.map((vh) => ({ ...vh, routes: vh.routes.map(replace) })) },
      })),
    }));
    const out = { ...ir, listeners };
    this.withheldMemo.set(key, { source: ir, version: this.withheldVersion, out });
    return out;
  }

  /**
   * Withholds a route Envoy rejected (named in its NACK): from the next run on, the Gateway's other
   * changes are served and only that route answers 500, reported on its route's status. Returns
   * false when the Gateway has no such route.
   */
  withholdRoute(gatewayKey: string, routeName: string, message: string): boolean {
    const ir = this.xds.get(gatewayKey)?.source;
    const route = ir === undefined ? undefined : findRoute(ir.listeners, routeName);
    if (route === undefined) return false;
    let set = this.withheld.get(gatewayKey);
    if (set === undefined) this.withheld.set(gatewayKey, (set = new Map()));
    if (set.get(routeName)?.route === route) return false;
    set.set(routeName, { route, message });
    this.withheldVersion++;
    this.rewithhold.add(gatewayKey);
    return true;
  }

  gatewayKeys(): string[] {
    return [...this.xds.keys()].sort();
  }

  /** The last access-log resolution and the arrays it read (the store keeps unchanged arrays' identity). */
  private accessLogMemo: { readonly from: readonly unknown[]; readonly logs: ReadonlyMap<string, AccessLogOptions> } | undefined;

  /**
   * GatewayParameters' accessLog per Gateway: not part of the IR, so compared here; resolved again
   * only when the objects it reads changed, not on every translation (it walks every other object).
   */
  private accessLogs(snapshot: Snapshot): ReadonlyMap<string, AccessLogOptions> {
    const from = [snapshot.others ?? NO_OBJECTS, snapshot.gateways, snapshot.gatewayClasses];
    const memo = this.accessLogMemo;
    if (memo && memo.from.every((list, i) => list === from[i])) return memo.logs;
    const logs = accessLogsOf(snapshot);
    this.accessLogMemo = { from, logs };
    return logs;
  }

  run(snapshot: Snapshot): PipelineRun {
    const started = performance.now();
    const result = this.gateways.translate(snapshot);
    const translated = performance.now();
    const changed: string[] = [];
    const accessLogs = this.accessLogs(snapshot);
    for (const [key, source] of result.gateways) {
      let entry = this.xds.get(key);
      const accessLog = accessLogs.get(key);
      const logKey = accessLogKey(accessLog);
      if (entry?.source === source && entry.accessLog === logKey && !this.rewithhold.has(key)) continue;
      this.rewithhold.delete(key);
      if (!entry) {
        entry = { translator: new XdsTranslator(), ir: undefined, source: undefined, accessLog: '' };
        this.xds.set(key, entry);
      }
      entry.source = source;
      const ir = this.withholding(key, source);
      let snapshot: XdsSnapshot;
      try {
        snapshot = entry.translator.translate(ir, {
          listenAddress: this.opts.listenAddress,
          ...(this.opts.routeLayout !== undefined ? { routeLayout: this.opts.routeLayout } : {}),
          ...(accessLog !== undefined ? { accessLog } : {}),
        });
      } catch (err) {
        // Never expected (each object is isolated inside the xds translator), but one Gateway
        // must not stop the others: it keeps its last snapshot, and a fresh translator next time.
        this.failedGateways.set(key, safeErrorMessage(err));
        this.xds.set(key, { translator: new XdsTranslator(), ir: undefined, source: undefined, accessLog: '' });
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
    for (const [key, set] of this.withheld) {
      for (const [name, w] of set) failures.push({ gateway: key, kind: 'route', name, message: `Envoy rejected it: ${w.message.slice(-300)}` });
    }
    for (const f of this.opts.withheldResources?.() ?? []) if (result.gateways.has(f.gateway)) failures.push(f);
    const removed = [...this.xds.keys()].filter((k) => !result.gateways.has(k));
    for (const key of removed) {
      this.withheld.delete(key);
      this.withheldMemo.delete(key);
      this.xds.delete(key);
      this.opts.sink.delete(key);
    }
    this.opts.onStage?.('gateway', translated - started);
    this.opts.onStage?.('xds', performance.now() - translated);
    for (const key of [...this.failedGateways.keys()]) if (!result.gateways.has(key)) this.failedGateways.delete(key);
    const statuses = failures.length === 0 ? result.statuses : withRouteFailures(withOwnerFailures(result.statuses, failures, (k) => this.xds.get(k)?.source, snapshot), failures);
    let statusChanges = result.statusChanges;
    if (failures.length > 0 || this.rewritten.length > 0) {
      // Rare (something Envoy refused or that could not be encoded), and then O(reports) anyway.
      const rewritten: StatusReport[] = [];
      if (statuses !== result.statuses) statuses.forEach((r, i) => { if (r !== result.statuses[i]) rewritten.push(r); });
      statusChanges = [...statusChanges, ...this.rewritten, ...rewritten];
      this.rewritten = rewritten;
    }
    return { result, changed, removed, statuses, statusChanges, failures };
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
  return statuses.map((r) => withPartiallyInvalid(r, byRoute.get(`${r.kind.toLowerCase()}/${r.namespace ?? ''}/${r.name}`)));
}

/** A route's report with `PartiallyInvalid=True/UnsupportedValue` on each parent, saying `messages`. */
function withPartiallyInvalid(r: StatusReport, messages: readonly string[] | undefined): StatusReport {
  if (messages === undefined || !('parents' in r.status)) return r;
  const message = [...new Set(messages)].join('; ');
  const parents = r.status.parents.map((p) => ({
    ...p,
    conditions: [
      ...p.conditions.filter((c) => c.type !== 'PartiallyInvalid'),
      { type: 'PartiallyInvalid', status: 'True', reason: 'UnsupportedValue', message, ...(r.generation !== undefined ? { observedGeneration: r.generation } : {}) } as const,
    ],
  }));
  return { ...r, status: { ...r.status, parents } } as StatusReport;
}

/** Listener ports of a Gateway's IR an Envoy listener, secret, scope or route table belongs to. */
function portsOf(ir: GatewayIR, f: PipelineFailure): number[] {
  const ports = new Set<number>();
  for (const l of ir.listeners) {
    for (const fc of l.filterChains) {
      const hit =
        f.kind === 'listener' ? l.name === f.name
        : f.kind === 'secret' ? (fc.tlsSecrets ?? []).includes(f.name)
        : fc.routeConfig.name === f.name || f.name.startsWith(`${fc.routeConfig.name}/`) || f.name.startsWith(`${fc.routeConfig.name}@`);
      if (hit) ports.add(l.port);
    }
  }
  for (const l of ir.l4Listeners ?? []) if (f.kind === 'listener' && l.name === f.name) ports.add(l.port);
  return [...ports];
}

/**
 * Reports of the objects owning a resource Envoy refused (withheld) or that could not be encoded:
 * a cluster or its endpoints on every route rule that sends traffic to it (PartiallyInvalid); a
 * listener, secret, scope or route table on the Gateway listeners it serves (Programmed=False).
 */
function withOwnerFailures(statuses: readonly StatusReport[], failures: readonly PipelineFailure[], irOf: (gateway: string) => GatewayIR | undefined, snapshot: Snapshot): StatusReport[] {
  const owned = failures.filter((f) => f.kind !== 'route' && f.kind !== 'gateway');
  if (owned.length === 0) return [...statuses];
  const routeMessages = new Map<string, string[]>();
  const listenerMessages = new Map<string, Map<string, string[]>>();
  for (const f of owned) {
    const ir = irOf(f.gateway);
    if (ir === undefined) continue;
    if (f.kind === 'cluster' || f.kind === 'endpoints') {
      for (const l of ir.listeners) {
        for (const fc of l.filterChains) {
          for (const vh of fc.routeConfig.virtualHosts) {
            for (const r of vh.routes) {
              if (r.action.kind !== 'forward' || !r.action.backends.some((b) => b.cluster === f.name)) continue;
              const parts = r.name.split('/');
              if (parts.length < 5 || parts[3] !== 'rule') continue;
              const key = `${parts[0]}/${parts[1]}/${parts[2]}`;
              const list = routeMessages.get(key) ?? [];
              list.push(`rule ${parts[4]}: the ${f.kind === 'cluster' ? 'cluster' : 'endpoints'} of its backend ${f.name}: ${f.message}`);
              routeMessages.set(key, list);
            }
          }
        }
      }
      continue;
    }
    const ports = portsOf(ir, f);
    const gw = snapshot.gateways.find((g) => `${g.metadata.namespace ?? ''}/${g.metadata.name}` === f.gateway);
    const byListener = listenerMessages.get(f.gateway) ?? new Map<string, string[]>();
    for (const l of gw?.spec?.listeners ?? []) {
      if (!ports.includes(l.port)) continue;
      const list = byListener.get(l.name) ?? [];
      list.push(`${f.kind} ${f.name}: ${f.message}`);
      byListener.set(l.name, list);
    }
    listenerMessages.set(f.gateway, byListener);
  }
  return statuses.map((r) => {
    if (r.kind === 'Gateway') {
      const byListener = listenerMessages.get(`${r.namespace ?? ''}/${r.name}`);
      if (byListener === undefined || byListener.size === 0 || r.status.listeners === undefined) return r;
      const observed = r.generation !== undefined ? { observedGeneration: r.generation } : {};
      const refused: string[] = [];
      const listeners = r.status.listeners.map((l) => {
        const messages = byListener.get(l.name);
        if (messages === undefined) return l;
        const message = [...new Set(messages)].join('; ');
        refused.push(`listener ${l.name}: ${message}`);
        return {
          ...l,
          conditions: [...l.conditions.filter((c) => c.type !== 'Programmed'), { type: 'Programmed', status: 'False', reason: 'Invalid', message, ...observed } as const],
        };
      });
      if (refused.length === 0) return r;
      // The Gateway as specified is not what Envoy runs: say so where `kubectl get gateway` looks,
      // although the rest of it is served. (Not Pending, so the data plane's ACK does not overwrite it.)
      const gatewayProgrammed = {
        type: 'Programmed', status: 'False', reason: 'Invalid',
        message: partlyRejectedMessage(refused).slice(0, 32_000),
        ...observed,
      } as const;
      const conditions = [...(r.status.conditions ?? []).filter((c) => c.type !== 'Programmed'), gatewayProgrammed];
      return { ...r, status: { ...r.status, conditions, listeners } } as StatusReport;
    }
    return withPartiallyInvalid(r, routeMessages.get(`${r.kind.toLowerCase()}/${r.namespace ?? ''}/${r.name}`));
  });
}

function findRoute(listeners: readonly ListenerIR[], name: string): RouteIR | undefined {
  for (const l of listeners) {
    for (const fc of l.filterChains) {
      for (const vh of fc.routeConfig.virtualHosts) for (const r of vh.routes) if (r.name === name) return r;
    }
  }
  return undefined;
}
