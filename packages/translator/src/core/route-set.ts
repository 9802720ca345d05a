// The routes of every registered route kind, diffed by identity like the other kinds. Route keys
// are `Kind/namespace/name`, so one dependency index and one translation table serve every kind.
import type { Snapshot } from '@gantry/api';
import type { RouteKind, RouteObject } from '../routes/route-kind.js';
import { IdentityIndex } from './identity-index.js';
import { flat } from './memory.js';

interface KindRoutes {
  readonly kind: RouteKind;
  readonly index: IdentityIndex<RouteObject>;
}

export class RouteSet {
  private readonly kinds: readonly KindRoutes[];
  private readonly byName = new Map<string, KindRoutes>();

  constructor(kinds: readonly RouteKind[]) {
    this.kinds = kinds.map((kind) => {
      const prefix = `${kind.kind}/`;
      const index = new IdentityIndex<RouteObject>((o) => flat(`${prefix}${o.metadata.namespace ?? 'default'}/${o.metadata.name}`));
      const entry = { kind, index };
      this.byName.set(kind.kind, entry);
      return entry;
    });
  }

  /** Brings every kind up to the snapshot; returns the keys of the routes that changed. */
  update(snapshot: Snapshot): Set<string> {
    const only = this.kinds.length === 1 ? this.kinds[0] : undefined;
    if (only) return only.index.update(only.kind.routes(snapshot));
    const changed = new Set<string>();
    for (const { kind, index } of this.kinds) for (const k of index.update(kind.routes(snapshot))) changed.add(k);
    return changed;
  }

  route(key: string): RouteObject | undefined {
    return this.of(key)?.index.get(key);
  }

  kindOf(key: string): RouteKind | undefined {
    return this.of(key)?.kind;
  }

  *entries(): IterableIterator<[string, RouteObject]> {
    for (const { index } of this.kinds) yield* index.entries();
  }

  private of(key: string): KindRoutes | undefined {
    // One kind (today's case): no key to take apart.
    if (this.kinds.length === 1) return this.kinds[0];
    return this.byName.get(key.slice(0, key.indexOf('/')));
  }
}
