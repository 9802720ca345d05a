// "Programmed means programmed" with more than one replica. Every replica serves xDS, so a
// Gateway's Envoys may be connected to any of them, while only the leader writes status. Each
// replica therefore publishes what its own Envoys made of each Gateway's current snapshot (a
// data-plane report, in a Lease of its own next to the election Lease), and the leader combines
// those with its own view. Snapshots are compared by a digest of their content: replicas number
// their snapshots independently, but translate the same objects into the same resources.
import { createHash } from 'node:crypto';
import type { AdsServer, SnapshotCache, XdsSnapshot } from '@gantry/xds';
import { dataPlaneOutcome, type DataPlaneOutcome } from '../status/index.js';
import { partlyRejectedMessage, type WithheldResource } from '../nack-withhold.js';

/** What one replica's Envoys of one Gateway say about the snapshot with `digest`. */
export interface GatewayDataPlane {
  readonly digest: string;
  readonly state: DataPlaneOutcome['state'];
  readonly message?: string;
  readonly envoys: number;
}

/** Per Gateway key, for the Gateways with at least one Envoy connected to the replica. */
export type DataPlaneReport = Readonly<Record<string, GatewayDataPlane>>;

const digests = new WeakMap<XdsSnapshot, string>();

/** A digest of a snapshot's content (names and content hashes of every resource). */
export function snapshotDigest(snapshot: XdsSnapshot): string {
  let d = digests.get(snapshot);
  if (d === undefined) {
    const h = createHash('sha256');
    for (const type of Object.keys(snapshot).sort()) {
      const set = snapshot[type as keyof XdsSnapshot];
      for (const name of [...set.keys()].sort()) h.update(`${type}\0${name}\0${set.get(name)!.version}\n`);
    }
    d = h.digest('hex').slice(0, 32);
    digests.set(snapshot, d);
  }
  return d;
}

/** The part of the NACK guard a report reads. */
export interface GuardView {
  gatewayState(gatewayKey: string): { readonly latest: XdsSnapshot; readonly withheld: readonly WithheldResource[]; readonly probing: boolean } | undefined;
}

/**
 * This replica's own Envoys, per Gateway they serve. With a NACK guard, the digest is of the
 * pipeline's snapshot (the one every replica computes), not of what is served after withholding,
 * and an ACK of a snapshot with something withheld is reported as a rejection naming it.
 */
export function localDataPlane(server: Pick<AdsServer, 'envoys' | 'isSynced'>, cache: Pick<SnapshotCache, 'get'>, guard?: GuardView): DataPlaneReport {
  const counts = new Map<string, number>();
  for (const e of server.envoys()) counts.set(e.gatewayKey, (counts.get(e.gatewayKey) ?? 0) + 1);
  const out: Record<string, GatewayDataPlane> = {};
  for (const key of [...counts.keys()].sort()) {
    const entry = cache.get(key);
    if (entry === undefined) continue;
    const guarded = guard?.gatewayState(key);
    let o = dataPlaneOutcome(server, key, entry.version);
    if (guarded !== undefined && o.state === 'acked') {
      if (guarded.withheld.length > 0) o = { state: 'rejected', message: withheldMessage(guarded.withheld) };
      else if (guarded.probing) o = { state: 'pending' };
    }
    const digest = snapshotDigest(guarded?.latest ?? entry.snapshot);
    out[key] = { digest, state: o.state, ...(o.state === 'rejected' ? { message: o.message } : {}), envoys: counts.get(key)! };
  }
  return out;
}

function withheldMessage(withheld: readonly WithheldResource[]): string {
  return partlyRejectedMessage(withheld.map((w) => `${w.typeUrl.slice(w.typeUrl.lastIndexOf('.') + 1)} ${w.name}: ${w.message.slice(-300)}`));
}

/**
 * The verdict over every replica's Envoys of a Gateway for the snapshot with `digest` (the
 * leader's current one): rejected when an Envoy rejected this very snapshot, acked when every
 * replica with Envoys has them all on it, else pending (no Envoy anywhere, or a replica that has
 * not caught up with the same objects yet).
 */
export function combineDataPlane(digest: string | undefined, views: readonly GatewayDataPlane[]): DataPlaneOutcome {
  if (digest === undefined || views.length === 0) return { state: 'pending' };
  const rejected = views.find((v) => v.state === 'rejected' && v.digest === digest);
  if (rejected !== undefined) return { state: 'rejected', message: rejected.message ?? 'an Envoy rejected the configuration' };
  if (views.every((v) => v.state === 'acked' && v.digest === digest)) return { state: 'acked' };
  return { state: 'pending' };
}

// ---- the reports as Leases ------------------------------------------------------------------------

export const REPORT_LABEL = 'gantry.dev/data-plane-report';
export const REPORT_ANNOTATION = 'gantry.dev/data-plane';

/** The report Lease of a replica: `<election lease>-dp-<identity>`, a valid object name. */
export function reportLeaseName(electionLease: string, identity: string): string {
  const clean = identity.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  const name = `${electionLease}-dp-${clean}`;
  if (name.length <= 63 && clean !== '') return name;
  const hash = createHash('sha256').update(identity).digest('hex').slice(0, 10);
  return `${electionLease.slice(0, 40)}-dp-${clean.slice(0, 10)}-${hash}`.replace(/-+/g, '-');
}

export interface ReportLease {
  readonly metadata: { readonly name: string; readonly annotations?: Readonly<Record<string, string>> };
  readonly spec?: { readonly holderIdentity?: string; readonly renewTime?: string };
}

/**
 * The reports of the other replicas that are fresh (renewed within `staleAfterMs` of `now`):
 * a replica that died leaves its Lease behind, and its Envoys reconnect elsewhere.
 */
export function otherReports(leases: readonly ReportLease[], self: string, now: number, staleAfterMs: number): DataPlaneReport[] {
  const out: DataPlaneReport[] = [];
  for (const lease of leases) {
    if (lease.spec?.holderIdentity === self) continue;
    const renewed = Date.parse(lease.spec?.renewTime ?? '');
    if (!(now - renewed < staleAfterMs)) continue;
    const text = lease.metadata.annotations?.[REPORT_ANNOTATION];
    if (text === undefined) continue;
    try {
      const parsed = JSON.parse(text) as unknown;
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) out.push(parsed as DataPlaneReport);
    } catch {
      // A report nobody can read is no report.
    }
  }
  return out;
}
