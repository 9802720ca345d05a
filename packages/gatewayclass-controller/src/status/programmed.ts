// "Programmed means programmed": the translator reports Programmed=Unknown/Pending, and the
// data plane's answer for the snapshot containing the Gateway decides the rest. The rewrite
// itself is the translator's markProgrammed(); this module decides which answer applies.
import { redactSecrets } from '@gantry/xds';
import type { Condition, GatewayStatus, ListenerStatus } from '@gantry/api';
import { ConditionType, markProgrammed, Reason, type StatusReport } from '@gantry/translator';

export type DataPlaneOutcome =
  | { readonly state: 'acked' }
  | { readonly state: 'rejected'; readonly message: string }
  | { readonly state: 'pending' };

/** The part of AdsServer this reads (structural, so tests need no gRPC). */
export interface DataPlaneView {
  isSynced(gatewayKey: string, snapshotVersion: number): boolean;
  envoys(gatewayKey: string): readonly { readonly nodeId: string; readonly lastNack: { readonly typeUrl: string; readonly message: string } | undefined }[];
}

/**
 * What the Gateway's Envoys made of snapshot `snapshotVersion` (the cache version that contains
 * the reported Gateway): acked when every connected Envoy ACKed its whole rollout, rejected when
 * one holds a NACK no later ACK cleared, else pending (including: no snapshot, no Envoy yet).
 */
export function dataPlaneOutcome(view: DataPlaneView, gatewayKey: string, snapshotVersion: number | undefined): DataPlaneOutcome {
  if (snapshotVersion === undefined) return { state: 'pending' };
  if (view.isSynced(gatewayKey, snapshotVersion)) return { state: 'acked' };
  const rejecting = view
    .envoys(gatewayKey)
    .filter((e) => e.lastNack !== undefined)
    .sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
  const first = rejecting[0];
  if (first?.lastNack === undefined) return { state: 'pending' };
  const type = first.lastNack.typeUrl.slice(first.lastNack.typeUrl.lastIndexOf('.') + 1);
  const others = rejecting.length > 1 ? ` (and ${rejecting.length - 1} more Envoy(s))` : '';
  // The server already redacts NACK text; this is the last stop before status, so again.
  return { state: 'rejected', message: redactSecrets(`Envoy ${first.nodeId} rejected the ${type} configuration${others}: ${first.lastNack.message}`) };
}

function isPendingProgrammed(c: Condition): boolean {
  return c.type === ConditionType.Programmed && c.status === 'Unknown' && c.reason === Reason.Pending;
}

function keepTrueProgrammed(desired: readonly Condition[] | undefined, current: readonly Condition[] | undefined): Condition[] | undefined {
  if (!desired) return undefined;
  const programmed = Array.isArray(current) ? current.find((c) => c.type === ConditionType.Programmed && c.status === 'True') : undefined;
  return desired.map((c) => (programmed && isPendingProgrammed(c) ? programmed : c));
}

/**
 * The Gateway report with its Pending Programmed conditions resolved: True/Programmed when
 * acked, False/Invalid with the NACK message when rejected. While pending, a Gateway or listener
 * whose current status is Programmed=True keeps that condition as is (same observedGeneration):
 * a route change in flight does not un-program a serving Gateway, and it saves two writes per
 * change. Without `current`, pending leaves Unknown/Pending. Non-Gateway reports pass through.
 */
export function resolveProgrammed(report: StatusReport, outcome: DataPlaneOutcome, current?: GatewayStatus): StatusReport {
  if (report.kind !== 'Gateway') return report;
  if (outcome.state === 'acked') return markProgrammed(report, { acked: true });
  if (outcome.state === 'rejected') return markProgrammed(report, { acked: false, message: outcome.message });
  if (current === undefined) return report;
  const s = report.status as GatewayStatus;
  const currentListeners = new Map<string, ListenerStatus>(Array.isArray(current.listeners) ? current.listeners.map((l) => [l.name, l]) : []);
  const status: GatewayStatus = {
    ...s,
    ...(s.conditions ? { conditions: keepTrueProgrammed(s.conditions, current.conditions) } : {}),
    ...(s.listeners
      ? { listeners: s.listeners.map((l) => ({ ...l, conditions: keepTrueProgrammed(l.conditions, currentListeners.get(l.name)?.conditions) ?? [] })) }
      : {}),
  };
  return { ...report, status };
}

/** The ADS server events after which a Gateway's Programmed answer may differ. */
export interface DataPlaneEvents {
  on(event: 'synced' | 'nack' | 'connect' | 'disconnect', listener: (gatewayKey: string) => void): unknown;
  off(event: 'synced' | 'nack' | 'connect' | 'disconnect', listener: (gatewayKey: string) => void): unknown;
}

/**
 * Calls `changed(gatewayKey)` whenever an Envoy of a Gateway synced, NACKed, connected or left:
 * the status writer re-resolves Programmed for that Gateway then (and the batcher coalesces the
 * bursts of a rollout). Returns a function that unsubscribes.
 */
export function watchDataPlane(server: DataPlaneEvents, changed: (gatewayKey: string) => void): () => void {
  const listener = (gatewayKey: string): void => changed(gatewayKey);
  const events = ['synced', 'nack', 'connect', 'disconnect'] as const;
  for (const e of events) server.on(e, listener);
  return () => {
    for (const e of events) server.off(e, listener);
  };
}
