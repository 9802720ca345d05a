// Between the pipeline and the NACK guard in standalone mode. While the first load of a large
// directory is still being read, each Gateway's snapshot is published without its listeners and
// route tables: its Envoy creates the clusters (the longest part of its start with thousands of
// them) while the rest of the directory is read and translated, and serves nothing yet. The first
// snapshot after the load is published whole.
import { TypeUrl, type ResourceSet, type XdsSnapshot } from '@gantry/xds/resources';
import type { ChangeHint } from '@gantry/xds/cache/changes';
import type { SnapshotSink } from '../pipeline.js';

const NOTHING: ResourceSet = new Map();

/** What Envoy serves traffic with: held back while warming. */
const SERVING_TYPES: readonly TypeUrl[] = [TypeUrl.Listener, TypeUrl.RouteConfiguration, TypeUrl.ScopedRouteConfiguration];

export class WarmSink implements SnapshotSink {
  /** True while the input is known to be incomplete. */
  warming = false;
  /** Gateways whose last published snapshot had no listeners and routes: the whole snapshot. */
  private readonly partial = new Map<string, XdsSnapshot>();

  constructor(private readonly next: SnapshotSink) {}

  set(gatewayKey: string, snapshot: XdsSnapshot, hint?: ChangeHint): void {
    if (this.warming) {
      const held: Record<TypeUrl, ResourceSet> = { ...snapshot };
      for (const type of SERVING_TYPES) held[type] = NOTHING;
      let warmHint: ChangeHint | undefined;
      if (hint !== undefined) {
        // The held types are the same empty set every time: unchanged.
        const h: Partial<Record<TypeUrl, Iterable<string>>> = { ...hint };
        for (const type of SERVING_TYPES) delete h[type];
        warmHint = h;
      }
      this.partial.set(gatewayKey, snapshot);
      this.next.set(gatewayKey, held, warmHint);
      return;
    }
    // The translator's hint is relative to what it last produced, not to the held-back snapshot:
    // without a hint, the cache compares with what it has.
    if (this.partial.delete(gatewayKey)) this.next.set(gatewayKey, snapshot);
    else this.next.set(gatewayKey, snapshot, hint);
  }

  /**
   * Once the input is complete: publishes whole the snapshots still held back (of Gateways the
   * last run did not translate again).
   */
  release(): void {
    this.warming = false;
    for (const [gatewayKey, snapshot] of [...this.partial]) this.set(gatewayKey, snapshot);
  }

  delete(gatewayKey: string): void {
    this.partial.delete(gatewayKey);
    this.next.delete(gatewayKey);
  }
}
