// The ADS server's view of connected Envoys as JSON: Maps become objects, times become ISO
// strings, and NACK text is redacted once more (it can quote the rejected resource).
import { redactSecrets, type EnvoyStatus } from '@gantry/xds';

export interface EnvoyJson {
  readonly gateway: string;
  readonly nodeId: string;
  readonly streamId: number;
  readonly transport: string;
  readonly connectedAt: string;
  /** Snapshot version whose whole rollout this Envoy ACKed (0: none yet). */
  readonly syncedVersion: number;
  /** Short type name → what it ACKed. */
  readonly acked: Readonly<Record<string, { readonly version: string; readonly snapshotVersion: number }>>;
  readonly lastNack?: { readonly type: string; readonly version: string; readonly code: number; readonly message: string; readonly at: string };
}

function shortType(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('.') + 1);
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : '';
}

export function envoyToJson(e: EnvoyStatus): EnvoyJson {
  const acked: Record<string, { version: string; snapshotVersion: number }> = {};
  for (const [typeUrl, state] of [...e.acked].sort(([a], [b]) => (a < b ? -1 : 1))) {
    acked[shortType(typeUrl)] = { version: state.version, snapshotVersion: state.snapshotVersion };
  }
  return {
    gateway: e.gatewayKey,
    nodeId: e.nodeId,
    streamId: e.streamId,
    transport: e.transport,
    connectedAt: iso(e.connectedAt),
    syncedVersion: e.syncedVersion,
    acked,
    ...(e.lastNack
      ? {
          lastNack: {
            type: shortType(e.lastNack.typeUrl),
            version: e.lastNack.version,
            code: e.lastNack.code,
            message: redactSecrets(e.lastNack.message),
            at: iso(e.lastNack.at),
          },
        }
      : {}),
  };
}
