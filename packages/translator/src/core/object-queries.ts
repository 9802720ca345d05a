// Label-selector and targetRef queries over the snapshot, for the kinds that need them (a
// VirtualDestination selects Services by labels; a policy attaches to a route by targetRef).
// Each index is built the first time something asks, then kept up to date from the changes the
// translator diffs; nothing is built for kinds nobody queries. Queries are recorded as
// dependencies (see Dep.selection and Dep.targeting), so a change re-translates the readers.
import { selectorMatches, type KubeObject, type LabelSelector } from '@gantry/api';
import { Dep } from './lookups.js';
import { olderFirst } from './sorted.js';

/** What a targetRef names; namespace is the policy's own (policies attach within a namespace). */
export interface TargetRef {
  readonly group: string;
  readonly kind: string;
  readonly name: string;
  readonly sectionName?: string;
}

export interface Target {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

export function targetKey(t: Target): string {
  return `${t.group}/${t.kind}/${t.namespace}/${t.name}`;
}

/** The targetRefs of a policy object (`spec.targetRefs`, or the older single `spec.targetRef`). */
export function targetRefsOf(policy: KubeObject): readonly TargetRef[] {
  const spec = policy.spec as { targetRefs?: unknown; targetRef?: unknown } | undefined;
  const refs = Array.isArray(spec?.targetRefs) ? spec.targetRefs : spec?.targetRef !== undefined ? [spec.targetRef] : [];
  return refs.filter((r): r is TargetRef => typeof r === 'object' && r !== null && typeof (r as TargetRef).name === 'string' && typeof (r as TargetRef).kind === 'string');
}

const NONE: readonly KubeObject[] = [];

export class ObjectQueries {
  /** `group/kind` → namespace → key → object. */
  private readonly byNamespace = new Map<string, Map<string, Map<string, KubeObject>>>();
  /** `group/kind` of a policy → target key → policy key → policy. */
  private readonly byTarget = new Map<string, Map<string, Map<string, KubeObject>>>();

  /**
   * @param all every object of a `group/kind` the translator holds (to build an index on first use)
   */
  constructor(private readonly all: (groupKind: string) => Iterable<[string, KubeObject]>) {}

  /** Objects of the kind in the namespace whose labels match the selector, ordered by name. */
  select(group: string, kind: string, namespace: string, selector: LabelSelector): readonly KubeObject[] {
    const inNs = this.namespaceIndex(`${group}/${kind}`).get(namespace);
    if (!inNs) return NONE;
    const out: KubeObject[] = [];
    for (const o of inNs.values()) if (selectorMatches(selector, o.metadata.labels ?? {})) out.push(o);
    return out.sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
  }

  /** Policies of the kind whose targetRefs name the target, ordered by creation, then name. */
  targeting(policyGroup: string, policyKind: string, target: Target): readonly KubeObject[] {
    const found = this.targetIndex(`${policyGroup}/${policyKind}`).get(targetKey(target));
    if (!found) return NONE;
    return [...found.values()].sort(olderFirst);
  }

  /**
   * An object of `group/kind` changed (before/after undefined: absent). Adds the dependency keys
   * of the queries whose answers it can change to `changed`.
   */
  changed(group: string, kind: string, key: string, before: KubeObject | undefined, after: KubeObject | undefined, changed: Set<string>): void {
    // Nothing asked yet (the usual case, and every object of a first translation): no work.
    if (this.byNamespace.size === 0 && this.byTarget.size === 0) return;
    const gk = `${group}/${kind}`;
    const nsIndex = this.byNamespace.get(gk);
    if (nsIndex) {
      for (const o of [before, after]) {
        if (!o) continue;
        const ns = o.metadata.namespace ?? '';
        changed.add(Dep.selection(group, kind, ns));
      }
      if (before) nsIndex.get(before.metadata.namespace ?? '')?.delete(key);
      if (after) put(nsIndex, after.metadata.namespace ?? '', key, after);
    }
    const targetIndex = this.byTarget.get(gk);
    if (targetIndex) {
      for (const o of [before, after]) {
        if (!o) continue;
        for (const t of targetsOf(o)) changed.add(Dep.targeting(group, kind, t));
      }
      if (before) for (const t of targetsOf(before)) targetIndex.get(t)?.delete(key);
      if (after) for (const t of targetsOf(after)) put(targetIndex, t, key, after);
    }
  }

  private namespaceIndex(gk: string): Map<string, Map<string, KubeObject>> {
    let index = this.byNamespace.get(gk);
    if (!index) {
      index = new Map();
      for (const [key, o] of this.all(gk)) put(index, o.metadata.namespace ?? '', key, o);
      this.byNamespace.set(gk, index);
    }
    return index;
  }

  private targetIndex(gk: string): Map<string, Map<string, KubeObject>> {
    let index = this.byTarget.get(gk);
    if (!index) {
      index = new Map();
      for (const [key, o] of this.all(gk)) for (const t of targetsOf(o)) put(index, t, key, o);
      this.byTarget.set(gk, index);
    }
    return index;
  }
}

/** Target keys of a policy's targetRefs (in the policy's namespace; group defaults to ''). */
function targetsOf(policy: KubeObject): string[] {
  const ns = policy.metadata.namespace ?? 'default';
  return targetRefsOf(policy).map((r) => targetKey({ group: r.group ?? '', kind: r.kind, namespace: ns, name: r.name }));
}

function put(index: Map<string, Map<string, KubeObject>>, outer: string, key: string, o: KubeObject): void {
  let inner = index.get(outer);
  if (!inner) index.set(outer, (inner = new Map()));
  inner.set(key, o);
}
