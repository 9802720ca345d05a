// The translator's input in standalone mode, kept up to date by changes rather than rebuilt from
// every object: each snapshot field keeps its array (the same array while its kind is unchanged,
// objects in a stable order), which is what lets the incremental translator skip unchanged kinds
// in O(1) and walk a changed one by identity. The controller's kube store plays this part there.
import { SNAPSHOT_FIELDS, kindSpec, type KubeObject, type Snapshot } from '@gantry/api';
import type { ObjectChange } from './manifest-set.js';

const OTHERS = 'others';

interface Field {
  readonly objects: Map<string, KubeObject>;
  array: readonly KubeObject[];
}

export class SnapshotStore {
  private readonly fields = new Map<string, Field>();
  private snapshot: Snapshot | undefined;

  constructor() {
    for (const f of [...Object.keys(SNAPSHOT_FIELDS), OTHERS]) this.fields.set(f, { objects: new Map(), array: [] });
  }

  /** Applies changes; a replaced object keeps its place, a new one goes last. */
  apply(changes: readonly ObjectChange[]): void {
    for (const c of changes) {
      const o = c.after ?? c.before;
      if (o === undefined) continue;
      const field = this.fields.get(kindSpec(o.kind)?.snapshot ?? OTHERS)!;
      if (c.after === undefined) field.objects.delete(c.key);
      else field.objects.set(c.key, c.after);
      field.array = STALE;
      this.snapshot = undefined;
    }
  }

  get size(): number {
    let n = 0;
    for (const f of this.fields.values()) n += f.objects.size;
    return n;
  }

  toSnapshot(): Snapshot {
    if (this.snapshot) return this.snapshot;
    const out: Record<string, readonly KubeObject[]> = {};
    for (const [name, field] of this.fields) {
      if (field.array === STALE) field.array = Object.freeze([...field.objects.values()]);
      out[name] = field.array;
    }
    this.snapshot = Object.freeze(out) as unknown as Snapshot;
    return this.snapshot;
  }
}

const STALE: readonly KubeObject[] = Object.freeze([]);
