// A VirtualDestination's own status: Accepted (its spec), ResolvedRefs (did its selectors find
// Services it may use), warnings as conditions of their own (Conflicted: a host an older
// VirtualDestination has; MultipleServicesSelected: Oldest kept one of several; ServicesSkipped:
// selected Services without the target port, Upstreams that cannot join; RemoteClusters: a remote
// cluster that is stale or unreachable), and the backing Services (count, and the first 32).
import {
  GANTRY_API_GROUP,
  MAX_LISTED_BACKING_SERVICES,
  VIRTUAL_DESTINATION_KIND,
  type Condition,
  type VirtualDestination,
  type VirtualDestinationStatus,
} from '@gantry/api';
import { condition, ConditionType, Reason } from '../../status/conditions.js';
import { olderFirst } from '../../core/sorted.js';
import type { StatusReport } from '../../status/reports.js';
import type { BackendStatusContext } from '../backend.js';
import { judgedVirtualDestination } from './resolver.js';

/** Condition types and reasons of VirtualDestination warnings. */
export const VirtualDestinationCondition = {
  MultipleServicesSelected: 'MultipleServicesSelected',
  ServicesSkipped: 'ServicesSkipped',
  RemoteClusters: 'RemoteClusters',
} as const;

export const VirtualDestinationReason = {
  HostConflict: 'HostConflict',
  OldestSelected: 'OldestSelected',
  BackendsSkipped: 'BackendsSkipped',
  UnknownCluster: 'UnknownCluster',
  AllSynced: 'AllSynced',
  ClusterStale: 'ClusterStale',
  ClusterUnreachable: 'ClusterUnreachable',
} as const;

/** Stands for "every VirtualDestination's hosts" in the per-translation memo. */
const HOST_OWNERS: object = {};

/** host → `namespace/name` of the oldest VirtualDestination that lists it. */
function hostOwners(ctx: BackendStatusContext): ReadonlyMap<string, string> {
  return ctx.lookups.memo(HOST_OWNERS, () => {
    const all = [...ctx.lookups.objectsOf(GANTRY_API_GROUP, VIRTUAL_DESTINATION_KIND)].sort(olderFirst);
    const owners = new Map<string, string>();
    for (const vd of all as readonly VirtualDestination[]) {
      const key = `${vd.metadata.namespace ?? 'default'}/${vd.metadata.name}`;
      for (const h of Array.isArray(vd.spec?.hosts) ? vd.spec.hosts : []) if (!owners.has(h)) owners.set(h, key);
    }
    return owners;
  });
}

export function reportVirtualDestination(vd: VirtualDestination, ctx: BackendStatusContext): StatusReport {
  const gen = vd.metadata.generation;
  const ns = vd.metadata.namespace ?? 'default';
  const verdict = judgedVirtualDestination(vd, ctx);
  const conditions: Condition[] = [];
  const status: VirtualDestinationStatus = {};
  const hosts = Array.isArray(vd.spec?.hosts) ? vd.spec.hosts : [];
  if (hosts.length > 0) status.hosts = hosts.join(',');
  if (!verdict.ok) {
    conditions.push(
      condition(ConditionType.Accepted, 'False', verdict.reason, verdict.message, gen),
      condition(ConditionType.ResolvedRefs, 'False', Reason.Invalid, 'Not resolved: the VirtualDestination is not accepted', gen),
    );
    status.numSelectedBackingServices = 0;
  } else {
    conditions.push(condition(ConditionType.Accepted, 'True', Reason.Accepted, 'VirtualDestination is valid', gen));
    const w = verdict.warnings;
    if (w.notPermitted.length > 0) {
      conditions.push(condition(ConditionType.ResolvedRefs, 'False', Reason.RefNotPermitted,
        `not permitted by any ReferenceGrant (from: VirtualDestination in ${ns}), left out: ${w.notPermitted.join(', ')}`, gen));
    } else if (w.unknownClusters.length > 0) {
      conditions.push(condition(ConditionType.ResolvedRefs, 'False', VirtualDestinationReason.UnknownCluster, `unknown cluster(s): ${w.unknownClusters.join(', ')}`, gen));
    } else if (verdict.count === 0) {
      conditions.push(condition(ConditionType.ResolvedRefs, 'False', Reason.BackendNotFound, 'no Service matches the selectors', gen));
    } else {
      conditions.push(condition(ConditionType.ResolvedRefs, 'True', Reason.ResolvedRefs, `${verdict.count} backing Service(s) selected`, gen));
    }
    const owners = hostOwners(ctx);
    const self = `${ns}/${vd.metadata.name}`;
    const taken = hosts.filter((h) => owners.get(h) !== undefined && owners.get(h) !== self);
    if (taken.length > 0) {
      conditions.push(condition(ConditionType.Conflicted, 'True', VirtualDestinationReason.HostConflict,
        taken.map((h) => `host ${h} is already used by VirtualDestination ${owners.get(h)}`).join('; '), gen));
    }
    if (w.multiple.length > 0) {
      conditions.push(condition(VirtualDestinationCondition.MultipleServicesSelected, 'True', VirtualDestinationReason.OldestSelected,
        `selection Oldest keeps one Service per cluster: ${w.multiple.join('; ')}`, gen));
    }
    if (w.skipped.length > 0) {
      conditions.push(condition(VirtualDestinationCondition.ServicesSkipped, 'True', VirtualDestinationReason.BackendsSkipped, w.skipped.join('; '), gen));
    }
    if (verdict.remotes.length > 0) {
      const stale = verdict.remotes.filter((r) => r.state === 'Stale').map((r) => r.name);
      const gone = verdict.remotes.filter((r) => r.state === 'Unreachable').map((r) => r.name);
      if (gone.length > 0) {
        conditions.push(condition(VirtualDestinationCondition.RemoteClusters, 'False', VirtualDestinationReason.ClusterUnreachable,
          `unreachable, contributing no endpoints: ${gone.join(', ')}${stale.length > 0 ? `; stale, last known endpoints kept: ${stale.join(', ')}` : ''}`, gen));
      } else if (stale.length > 0) {
        conditions.push(condition(VirtualDestinationCondition.RemoteClusters, 'False', VirtualDestinationReason.ClusterStale,
          `stale, last known endpoints kept: ${stale.join(', ')}`, gen));
      } else {
        conditions.push(condition(VirtualDestinationCondition.RemoteClusters, 'True', VirtualDestinationReason.AllSynced,
          `synced: ${verdict.remotes.map((r) => r.name).join(', ')}`, gen));
      }
    }
    status.numSelectedBackingServices = verdict.count;
    if (verdict.selected.length > 0) status.selectedBackingServices = verdict.selected.slice(0, MAX_LISTED_BACKING_SERVICES).map((r) => ({ ...r }));
  }
  status.conditions = conditions;
  return {
    apiVersion: vd.apiVersion,
    kind: 'VirtualDestination',
    namespace: ns,
    name: vd.metadata.name,
    ...(gen !== undefined ? { generation: gen } : {}),
    status,
  };
}
