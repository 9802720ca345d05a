// Wires the ADS server into the metrics: events drive the counters; the connected-Envoy gauge is
// read from the server's own counters at scrape time, so it cannot drift from the truth.
import type { AdsServerEvents, GatewayCounters, TypeUrl, XdsSnapshot } from '@gantry/xds';
import type { GantryMetrics } from './gantry.js';

/** The part of AdsServer the metrics use (an interface, so tests can drive it directly). */
export interface AdsEventSource {
  on<E extends keyof AdsServerEvents>(event: E, listener: (...args: AdsServerEvents[E]) => void): unknown;
  off<E extends keyof AdsServerEvents>(event: E, listener: (...args: AdsServerEvents[E]) => void): unknown;
  gatewayCounters(): ReadonlyMap<string, Readonly<GatewayCounters>>;
}

/** "type.googleapis.com/envoy.config.cluster.v3.Cluster" → "Cluster": readable, low cardinality. */
export function typeLabel(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('.') + 1);
}

/** A Gateway's key (`namespace/name`) as the labels of its series. */
export function gatewayLabels(gateway: string): { namespace: string; name: string } {
  const slash = gateway.indexOf('/');
  return slash < 0 ? { namespace: '', name: gateway } : { namespace: gateway.slice(0, slash), name: gateway.slice(slash + 1) };
}

/** Subscribes the metrics to the server; returns a function that unsubscribes. */
export function instrumentAdsServer(server: AdsEventSource, metrics: GantryMetrics): () => void {
  const onPush = (gateway: string, _node: string, typeUrl: TypeUrl, _resources: number, _removed: number, bytes: number): void => {
    metrics.xdsPushes.inc({ ...gatewayLabels(gateway), type: typeLabel(typeUrl) });
    metrics.xdsBytes.inc({ ...gatewayLabels(gateway), type: typeLabel(typeUrl) }, bytes);
  };
  const onAck = (gateway: string, typeUrl: TypeUrl): void => {
    metrics.xdsAcks.inc({ ...gatewayLabels(gateway), type: typeLabel(typeUrl) });
  };
  const onNack = (gateway: string, typeUrl: TypeUrl): void => {
    metrics.xdsNacks.inc({ ...gatewayLabels(gateway), type: typeLabel(typeUrl) });
  };
  const onRefused = (_gateway: string | undefined, reason: string): void => {
    metrics.xdsRefusedStreams.inc({ reason });
  };
  const collect = (): void => {
    for (const [gateway, c] of server.gatewayCounters()) metrics.connectedEnvoys.set(gatewayLabels(gateway), c.connected);
  };
  server.on('push', onPush);
  server.on('ack', onAck);
  server.on('nack', onNack);
  server.on('refused', onRefused);
  const stopCollecting = metrics.registry.onCollect(collect);
  return () => {
    server.off('push', onPush);
    server.off('ack', onAck);
    server.off('nack', onNack);
    server.off('refused', onRefused);
    stopCollecting();
  };
}

/** Sets the snapshot-size gauges of a Gateway; `undefined` (Gateway gone) drops its series. */
export function recordSnapshotResources(metrics: GantryMetrics, gateway: string, snapshot: XdsSnapshot | undefined): void {
  const labels = gatewayLabels(gateway);
  metrics.snapshotResources.removeMatching(labels);
  if (!snapshot) return;
  for (const [typeUrl, resources] of Object.entries(snapshot) as [TypeUrl, XdsSnapshot[TypeUrl]][]) {
    metrics.snapshotResources.set({ ...labels, type: typeLabel(typeUrl) }, resources.size);
  }
}

/** Sets the encode-failure gauges from a pipeline run's failures (series of fixed Gateways dropped). */
export function recordEncodeFailures(metrics: GantryMetrics, failures: readonly { readonly gateway: string; readonly kind: string }[]): void {
  metrics.encodeFailures.clear();
  const counts = new Map<string, { gateway: string; kind: string; n: number }>();
  for (const f of failures) {
    const key = `${f.gateway}\u0000${f.kind}`;
    const c = counts.get(key) ?? { gateway: f.gateway, kind: f.kind, n: 0 };
    c.n++;
    counts.set(key, c);
  }
  for (const c of counts.values()) metrics.encodeFailures.set({ ...gatewayLabels(c.gateway), kind: c.kind }, c.n);
}

/** Drops every per-Gateway series of a deleted Gateway (keeps label sets from piling up). */
export function forgetGateway(metrics: GantryMetrics, gateway: string): void {
  const labels = gatewayLabels(gateway);
  for (const m of [metrics.xdsPushes, metrics.xdsBytes, metrics.xdsAcks, metrics.xdsNacks, metrics.snapshotResources]) m.removeMatching(labels);
  metrics.connectedEnvoys.removeMatching(labels);
}
