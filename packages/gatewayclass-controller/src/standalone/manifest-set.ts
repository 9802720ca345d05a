// The objects of a set of files, and what changed between two moments. Each file's last good
// objects are kept; a file read again is diffed against them, and an object equal to the one held
// keeps the held object's identity, so the incremental translator sees no change. Changes are
// netted per key over a batch of files: a file renamed or moved, or a route moved from one file
// to another, changes nothing.
import { deepEqual } from '@gantry/kube/object-store';
import type { KubeObject } from '@gantry/api';
import { objectKey } from '../manifests/load.js';

/** One object added (before undefined), replaced, or removed (after undefined). */
export interface ObjectChange {
  /** `kind/namespace/name`: the key the snapshot is unique by. */
  readonly key: string;
  readonly before: KubeObject | undefined;
  readonly after: KubeObject | undefined;
}


export class ManifestSet {
  /** Per file: its objects by key, in document order. */
  private readonly files = new Map<string, Map<string, KubeObject>>();
  /**
   * Per key: the file that defines it, or the files, sorted, when several do (the first one's
   * object wins). One file alone is kept as itself: an array per key was 1.6 MiB at 30,000 keys.
   */
  private readonly owners = new Map<string, string | string[]>();
  /** What the last flush published, by key. */
  private readonly published = new Map<string, KubeObject>();
  /** Keys touched since the last flush. */
  private touched = new Set<string>();

  /** The files that hold objects now. */
  fileNames(): IterableIterator<string> {
    return this.files.keys();
  }

  has(file: string): boolean {
    return this.files.has(file);
  }

  /** Files defining `key` besides the one whose object is used (duplicates). */
  duplicatesOf(key: string): readonly string[] {
    const owners = this.owners.get(key);
    return typeof owners === 'string' || owners === undefined ? [] : owners.slice(1);
  }

  /** The objects a file holds now under these keys. */
  heldIn(file: string, keys: ReadonlySet<string>): KubeObject[] {
    const held = this.files.get(file);
    return held ? [...keys].flatMap((k) => held.get(k) ?? []) : [];
  }

  /** Replaces a file's objects (undefined: the file is gone). Later duplicates in a file are dropped. */
  setFile(file: string, objects: readonly KubeObject[] | undefined): void {
    const old = this.files.get(file);
    if (objects === undefined) {
      if (!old) return;
      this.files.delete(file);
      for (const key of old.keys()) this.disown(key, file);
      return;
    }
    const next = new Map<string, KubeObject>();
    for (const o of objects) {
      const key = objectKey(o);
      if (next.has(key)) continue;
      const held = old?.get(key);
      next.set(key, held !== undefined && (held === o || deepEqual(held, o)) ? held : o);
    }
    this.files.set(file, next);
    if (old) {
      for (const [key, o] of old) {
        if (!next.has(key)) this.disown(key, file);
        else if (next.get(key) !== o) this.touched.add(key);
      }
    }
    for (const key of next.keys()) if (!old?.has(key)) this.own(key, file);
  }

  /** The net changes since the last flush, in the order the keys were touched. */
  flush(): ObjectChange[] {
    const changes: ObjectChange[] = [];
    for (const key of this.touched) {
      const before = this.published.get(key);
      const owners = this.owners.get(key);
      const winner = typeof owners === 'string' ? owners : owners?.[0];
      const winnerObjects = winner !== undefined ? this.files.get(winner) : undefined;
      let after = winnerObjects?.get(key);
      if (after !== undefined && before !== undefined && after !== before && deepEqual(before, after)) {
        // Equal to what was published (a file renamed, an object moved between files): keep it.
        winnerObjects!.set(key, before);
        after = before;
      }
      if (after === before) continue;
      if (after === undefined) this.published.delete(key);
      else this.published.set(key, after);
      changes.push({ key, before, after });
    }
    this.touched = new Set();
    return changes;
  }

  private own(key: string, file: string): void {
    this.touched.add(key);
    const owners = this.owners.get(key);
    if (owners === undefined || owners === file) {
      this.owners.set(key, file);
      return;
    }
    const list = typeof owners === 'string' ? [owners] : owners;
    if (list !== owners) this.owners.set(key, list);
    let i = 0;
    while (i < list.length && list[i]! < file) i++;
    list.splice(i, 0, file);
  }

  private disown(key: string, file: string): void {
    this.touched.add(key);
    const owners = this.owners.get(key);
    if (owners === undefined) return;
    if (typeof owners === 'string') {
      if (owners === file) this.owners.delete(key);
      return;
    }
    const i = owners.indexOf(file);
    if (i >= 0) owners.splice(i, 1);
    if (owners.length === 1) this.owners.set(key, owners[0]!);
    else if (owners.length === 0) this.owners.delete(key);
  }
}
