// Pod labels, for Upstreams whose `kube.selector` keeps only some of a Service's endpoints. An
// endpoint's Pod is its EndpointSlice targetRef (what Kubernetes writes); files without targetRefs
// may give Pods a status.podIP instead, matched against the endpoint's address in the same
// namespace. The controller watches Pods as metadata only, so a Pod's status updates arrive as new
// objects with the same labels: only a change of labels (or address) counts as a change.
import type { Endpoint, Pod, Snapshot } from '@gantry/api';
import { deepEqual } from './equality.js';
import { IdentityIndex } from './identity-index.js';
import { flat } from './memory.js';

const podKey = (p: Pod) => flat(`${p.metadata.namespace ?? 'default'}/${p.metadata.name}`);
const NO_LABELS: Readonly<Record<string, string>> = {};

export class PodIndex {
  private readonly pods = new IdentityIndex<Pod>(podKey);
  /** `namespace/ip` → Pod key, for Pods that carry status.podIP (manifest files). */
  private readonly byAddress = new Map<string, string>();

  /** Diffs the Pods; the namespaces where a Pod's labels or address changed go to `changedNamespaces`. */
  update(s: Snapshot, changedNamespaces: Set<string>): void {
    this.pods.updateEach(s.pods, (key, before, after) => {
      if (before && after && deepEqual(before.metadata.labels ?? NO_LABELS, after.metadata.labels ?? NO_LABELS) && addressOf(before) === addressOf(after)) return;
      const ns = key.slice(0, key.indexOf('/'));
      const beforeIp = before && addressOf(before);
      if (beforeIp !== undefined && this.byAddress.get(`${ns}/${beforeIp}`) === key) this.byAddress.delete(`${ns}/${beforeIp}`);
      const afterIp = after && addressOf(after);
      if (afterIp !== undefined) this.byAddress.set(`${ns}/${afterIp}`, key);
      changedNamespaces.add(ns);
    });
  }

  /** The labels of the Pod behind an endpoint of a slice in `namespace`; undefined: no known Pod. */
  labelsOf(namespace: string, endpoint: Endpoint): Readonly<Record<string, string>> | undefined {
    const ref = endpoint.targetRef;
    let key: string | undefined;
    if (ref?.name && (ref.kind ?? 'Pod') === 'Pod') key = `${ref.namespace || namespace}/${ref.name}`;
    else {
      const address = endpoint.addresses?.[0];
      key = address !== undefined ? this.byAddress.get(`${namespace}/${address}`) : undefined;
    }
    if (key === undefined) return undefined;
    const pod = this.pods.get(key);
    return pod ? (pod.metadata.labels ?? NO_LABELS) : undefined;
  }
}

function addressOf(p: Pod): string | undefined {
  return p.status?.podIP || p.status?.podIPs?.[0]?.ip || undefined;
}

/** An Upstream's pod selector, with a canonical key (`k=v,...`, sorted) to compare selectors by. */
export interface PodSelector {
  readonly key: string;
  readonly labels: Readonly<Record<string, string>>;
}

export function podSelector(labels: Readonly<Record<string, string>> | undefined): PodSelector | undefined {
  if (labels === undefined) return undefined;
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return undefined;
  return { key: keys.map((k) => `${k}=${labels[k]}`).join(','), labels };
}

/** Whether labels carry every label of the selector. */
export function selectorMatches(selector: PodSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const k in selector.labels) if (labels[k] !== selector.labels[k]) return false;
  return true;
}
