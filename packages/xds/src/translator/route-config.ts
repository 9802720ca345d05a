// RouteConfiguration bytes assembled from cached parts (see wire.ts).
//
//   RouteConfiguration = name (1) + virtual_hosts (2)*
//   VirtualHost        = name (1) + domains (2)* + routes (3)*
//
// Only these fields are ever set on the two messages, so the assembled bytes are exactly what a
// full encode of the same message produces (tested). Both repeated fields are kept in chunks of
// consecutive entries: when a route changes, its route is encoded, its chunk of routes and its
// chunk of virtual hosts are re-concatenated, and the table is written with one copy of each
// chunk, whether it has one virtual host with 10,000 routes or 10,000 virtual hosts.
import { safeErrorMessage, type ListenerIR, type RouteConfigIR, type RouteIR, type VirtualHostIR } from '@gantry/ir';
import type { XdsFailure } from './failures.js';
import { Route } from '@gantry/envoy-xds-proto/generated/envoy/config/route/v3/route_components';
import type { EncodedResource } from '../resources.js';
import { hashBytes, hashParts, versionOf, type ContentHash } from './hash.js';
import { buildRoute, dependsOnLayout, dependsOnListener, type ListenerContext } from './route.js';
import { isSimpleRoute, writeSimpleRoute } from './route-fast.js';
import { SCOPE_COUNT, SCOPE_HEADER, encodeScope, scopeKey, scopeName, shardCount, shardName, virtualHostScopes } from './route-scopes.js';
import { allocBytes, concatBytes, encodeFramed, fieldPrefix, frameField, sharedWriter, stringField, utf8Bytes } from './wire.js';

/** Entries per chunk: small enough that re-concatenating one is cheap, large enough to be few. */
export const CHUNK_SIZE = 128;

const VIRTUAL_HOST_ROUTES = 3;
const ROUTE_CONFIGURATION_VIRTUAL_HOSTS = 2;

/** An encoded `routes` entry of a VirtualHost (tag + length + Route). */
export interface RoutePart {
  readonly framed: Uint8Array;
  readonly hash: ContentHash;
}

/** Consecutive entries of a repeated field: which IR objects, and the bytes to write for them. */
interface Chunk<T> {
  readonly items: readonly T[];
  readonly pieces: readonly Uint8Array[];
  readonly hash: ContentHash;
}

/**
 * An encoded `virtual_hosts` entry. A small host (at most CHUNK_SIZE routes, the usual case) is
 * one buffer; a large one is its prefix (tag, length, name, domains) and its route chunks.
 */
type VirtualHostEntry =
  | { readonly kind: 'small'; readonly ir: VirtualHostIR; readonly framed: Uint8Array; readonly hash: ContentHash; readonly listenerSpecific: boolean }
  | {
      readonly kind: 'large';
      readonly ir: VirtualHostIR;
      readonly prefix: Uint8Array;
      readonly routeChunks: readonly Chunk<RouteIR>[];
      readonly hash: ContentHash;
      readonly listenerSpecific: boolean;
    };

interface RouteTableEntry {
  readonly ir: RouteConfigIR;
  readonly virtualHosts: readonly VirtualHostEntry[];
  readonly chunks: readonly Chunk<VirtualHostEntry>[];
  readonly resource: EncodedResource;
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sumLength(pieces: readonly Uint8Array[]): number {
  let n = 0;
  for (const p of pieces) n += p.length;
  return n;
}

export function encodeRoutePart(route: RouteIR, listener: ListenerContext): RoutePart {
  let framed: Uint8Array;
  if (isSimpleRoute(route)) {
    const w = sharedWriter().uint32(VIRTUAL_HOST_ROUTES * 8 + 2).fork();
    writeSimpleRoute(route, w);
    framed = w.join().finish();
  } else {
    framed = encodeFramed(VIRTUAL_HOST_ROUTES, Route.encode, buildRoute(route, listener));
  }
  return { framed, hash: hashBytes(framed) };
}

/** The routes of a virtual host in chunks, reusing the previous chunk at a position when its routes are the same objects. */
function routeChunks(
  routes: readonly RouteIR[],
  previous: readonly Chunk<RouteIR>[] | undefined,
  part: (route: RouteIR) => RoutePart,
): Chunk<RouteIR>[] {
  const chunks: Chunk<RouteIR>[] = [];
  for (let start = 0, i = 0; start < routes.length; start += CHUNK_SIZE, i++) {
    const items = routes.slice(start, start + CHUNK_SIZE);
    const old = previous?.[i];
    if (old !== undefined && sameItems(old.items, items)) {
      chunks.push(old);
      continue;
    }
    const parts = items.map(part);
    chunks.push({ items, pieces: [concatBytes(parts.map((p) => p.framed))], hash: hashParts(parts.map((p) => p.hash)) });
  }
  return chunks;
}

function smallVirtualHost(vh: VirtualHostIR, parts: readonly RoutePart[]): VirtualHostEntry {
  const w = sharedWriter().uint32(ROUTE_CONFIGURATION_VIRTUAL_HOSTS * 8 + 2).fork();
  if (vh.name !== '') w.uint32(10).string(vh.name);
  for (const d of vh.domains) w.uint32(18).string(d);
  for (const p of parts) w.raw(p.framed);
  const framed = w.join().finish();
  return { kind: 'small', ir: vh, framed, hash: hashBytes(framed), listenerSpecific: vh.routes.some(dependsOnListener) };
}

function largeVirtualHost(vh: VirtualHostIR, routeChunks: readonly Chunk<RouteIR>[]): VirtualHostEntry {
  const header: Uint8Array[] = [stringField(1, vh.name)];
  for (const d of vh.domains) header.push(frameField(2, utf8Bytes(d)));
  const headerBytes = concatBytes(header);
  let length = headerBytes.length;
  for (const c of routeChunks) length += sumLength(c.pieces);
  return {
    kind: 'large',
    ir: vh,
    prefix: concatBytes([fieldPrefix(ROUTE_CONFIGURATION_VIRTUAL_HOSTS, length), headerBytes]),
    routeChunks,
    hash: hashParts([hashBytes(headerBytes), ...routeChunks.map((c) => c.hash)], VIRTUAL_HOST_ROUTES),
    listenerSpecific: vh.routes.some(dependsOnListener),
  };
}

/**
 * Virtual hosts in chunks: small hosts CHUNK_SIZE at a time, their bytes concatenated; a large
 * host is a chunk of its own whose pieces are its route chunks (never copied in between).
 */
function virtualHostChunks(entries: readonly VirtualHostEntry[], previous: readonly Chunk<VirtualHostEntry>[] | undefined): Chunk<VirtualHostEntry>[] {
  const chunks: Chunk<VirtualHostEntry>[] = [];
  const close = (items: VirtualHostEntry[]): void => {
    if (items.length === 0) return;
    const old = previous?.[chunks.length];
    if (old !== undefined && sameItems(old.items, items)) {
      chunks.push(old);
      return;
    }
    const first = items[0]!;
    const pieces =
      first.kind === 'large'
        ? [first.prefix, ...first.routeChunks.flatMap((c) => c.pieces)]
        : [concatBytes(items.map((e) => (e.kind === 'small' ? e.framed : new Uint8Array(0))))];
    chunks.push({ items, pieces, hash: hashParts(items.map((e) => e.hash)) });
  };
  let group: VirtualHostEntry[] = [];
  for (const e of entries) {
    if (e.kind === 'large') {
      close(group);
      group = [];
      close([e]);
    } else {
      group.push(e);
      if (group.length === CHUNK_SIZE) {
        close(group);
        group = [];
      }
    }
  }
  close(group);
  return chunks;
}

/**
 * RouteConfiguration.ignore_port_in_host_matching (field 14) = true, after the virtual hosts as a
 * plain encode writes it: `Host: foo.com:1234` matches the virtual host `foo.com` (Gateway API
 * hostnames have no port) while the backend still receives the Host header as the client sent it.
 */
const IGNORE_PORT_IN_HOST_MATCHING = Uint8Array.of((14 << 3) | 0, 1);

/** RouteConfiguration.request_headers_to_remove (field 8): the scope key stays inside Envoy. */
const REMOVE_SCOPE_HEADER = stringField(8, SCOPE_HEADER);

function routeTableResource(name: string, chunks: readonly Chunk<VirtualHostEntry>[], scoped: boolean): EncodedResource {
  const nameField = stringField(1, name);
  const trailer = scoped ? concatBytes([REMOVE_SCOPE_HEADER, IGNORE_PORT_IN_HOST_MATCHING]) : IGNORE_PORT_IN_HOST_MATCHING;
  let length = nameField.length + trailer.length;
  for (const c of chunks) length += sumLength(c.pieces);
  const bytes = allocBytes(length);
  bytes.set(nameField, 0);
  let at = nameField.length;
  for (const c of chunks) {
    for (const p of c.pieces) {
      bytes.set(p, at);
      at += p.length;
    }
  }
  bytes.set(trailer, at);
  const hash = hashParts([hashBytes(nameField), ...chunks.map((c) => c.hash), hashBytes(trailer)], ROUTE_CONFIGURATION_VIRTUAL_HOSTS);
  return { name, version: versionOf(hash), bytes };
}

/** How route tables are served: scoped (sharded over SRDS, see route-scopes.ts) or one RouteConfiguration each. */
export type RouteLayout = 'scoped' | 'single';
export const DEFAULT_ROUTE_LAYOUT: RouteLayout = 'scoped';

/** What the route tables of a Gateway are served as. */
export interface RouteTables {
  /** RouteConfigurations by name (a table's shards, or the table itself). */
  readonly routes: Map<string, EncodedResource>;
  /** ScopedRouteConfigurations by name (empty for the single layout). */
  readonly scopes: Map<string, EncodedResource>;
}

/** One route table as served: its shards (one when whole) and its scopes. */
interface TableEntry {
  readonly ir: RouteConfigIR;
  readonly layout: RouteLayout;
  readonly shards: readonly RouteTableEntry[];
  readonly scopes: readonly EncodedResource[];
}

/**
 * The scopes of a table in K shards: SCOPE_COUNT scopes the Lua filter picks from, and (K > 1)
 * one warm scope per shard, under a key the filter never writes. A warm scope makes Envoy load its
 * shard when the shard is new; the ADS rollout sends new scopes before changed ones, so a
 * re-shard has Envoy hold the new shards before any picked scope is re-pointed to them.
 */
function tableScopes(table: string, count: number): EncodedResource[] {
  const scope = (name: string, key: string, shard: string): EncodedResource => {
    const bytes = encodeScope(name, key, shard);
    return { name, version: versionOf(hashBytes(bytes)), bytes };
  };
  const out = Array.from({ length: SCOPE_COUNT }, (_, i) => scope(scopeName(table, i), scopeKey(table, i), shardName(table, i % count, count)));
  if (count > 1) {
    for (let k = 0; k < count; k++) out.push(scope(`${scopeName(table, k)}/warm-${count}`, `${scopeKey(table, k)}/warm-${count}`, shardName(table, k, count)));
  }
  return out;
}

/** A route's encoding for the listeners it depends on (redirects: scheme and port). */
interface ListenerVariant {
  readonly listener: string;
  readonly part: RoutePart;
}

/**
 * Encodes the route tables of a Gateway, remembering the current ones: a table whose IR object is
 * unchanged is reused as is; a changed one reuses every shard, virtual host and chunk that did not
 * change, so a one-route change re-assembles one shard.
 */
export class RouteTableEncoder {
  /** Routes whose encoding failed (an input no check caught): what failed, for logs, metrics and status. */
  readonly failures = new Map<RouteIR, XdsFailure>();
  /** A route that does not depend on its listener (nearly all) has one part, stored as is. */
  private readonly routes = new WeakMap<RouteIR, RoutePart | ListenerVariant[]>();
  private readonly hostScopes = new WeakMap<VirtualHostIR, readonly number[] | 'all'>();
  private current = new Map<string, TableEntry>();

  encode(listeners: readonly ListenerIR[], layout: RouteLayout = DEFAULT_ROUTE_LAYOUT): RouteTables {
    const routes = new Map<string, EncodedResource>();
    const scopes = new Map<string, EncodedResource>();
    const next = new Map<string, TableEntry>();
    for (const l of listeners) {
      const ctx: ListenerContext = { protocol: l.protocol, port: l.port, scoped: layout === 'scoped' };
      const key = `${l.protocol}:${l.port}:${layout}`;
      for (const chain of l.filterChains) {
        const rc = chain.routeConfig;
        const id = `${key}\u0000${rc.name}`;
        let entry = this.current.get(id);
        if (entry?.ir !== rc || entry.layout !== layout) entry = this.table(rc, entry?.layout === layout ? entry : undefined, ctx, key, layout);
        next.set(id, entry);
        for (const shard of entry.shards) routes.set(shard.ir.name, shard.resource);
        for (const scope of entry.scopes) scopes.set(scope.name, scope);
      }
    }
    this.current = next;
    return { routes, scopes };
  }

  private scopesOf = (vh: VirtualHostIR): readonly number[] | 'all' => {
    let scopes = this.hostScopes.get(vh);
    if (scopes === undefined) {
      scopes = virtualHostScopes(vh);
      this.hostScopes.set(vh, scopes);
    }
    return scopes;
  };

  private table(rc: RouteConfigIR, previous: TableEntry | undefined, ctx: ListenerContext, key: string, layout: RouteLayout): TableEntry {
    if (layout === 'single') {
      return { ir: rc, layout, shards: [this.routeTable(rc, previous?.shards[0], ctx, key, false, new Map())], scopes: [] };
    }
    const count = shardCount(rc, this.scopesOf);
    const members: VirtualHostIR[][] = Array.from({ length: count }, () => []);
    for (const vh of rc.virtualHosts) {
      const scopes = this.scopesOf(vh);
      if (scopes === 'all' || count === 1) {
        for (const m of members) m.push(vh);
        continue;
      }
      // A host whose domains fall in two shards is listed in both, once each.
      const shards = scopes.length === 1 ? [scopes[0]! % count] : new Set(scopes.map((s) => s % count));
      for (const k of shards) members[k]!.push(vh);
    }
    const sameCount = previous !== undefined && previous.shards.length === count;
    // A wildcard host is in every shard: encoded once for all of them.
    const built = new Map<VirtualHostIR, VirtualHostEntry>();
    const shards = members.map((virtualHosts, k) => {
      const old = sameCount ? previous.shards[k] : undefined;
      if (old !== undefined && sameItems(old.ir.virtualHosts, virtualHosts)) return old;
      const shard: RouteConfigIR = count === 1 ? rc : { name: shardName(rc.name, k, count), virtualHosts };
      return this.routeTable(shard, old, ctx, key, true, built);
    });
    const scopes = sameCount ? previous.scopes : tableScopes(rc.name, count);
    return { ir: rc, layout, shards, scopes };
  }

  private routeTable(
    rc: RouteConfigIR,
    previous: RouteTableEntry | undefined,
    ctx: ListenerContext,
    key: string,
    scoped: boolean,
    built: Map<VirtualHostIR, VirtualHostEntry>,
  ): RouteTableEntry {
    let byName: Map<string, VirtualHostEntry> | undefined;
    const virtualHosts = rc.virtualHosts.map((vh, i) => {
      const done = built.get(vh);
      if (done !== undefined) return done;
      const entry = this.virtualHost(vh, i, previous, () => (byName ??= new Map(previous!.virtualHosts.map((e) => [e.ir.name, e]))), ctx, key);
      built.set(vh, entry);
      return entry;
    });
    const chunks = virtualHostChunks(virtualHosts, previous?.chunks);
    return { ir: rc, virtualHosts, chunks, resource: routeTableResource(rc.name, chunks, scoped) };
  }

  private virtualHost(
    vh: VirtualHostIR,
    i: number,
    previous: RouteTableEntry | undefined,
    byName: () => Map<string, VirtualHostEntry>,
    ctx: ListenerContext,
    key: string,
  ): VirtualHostEntry {
    // The same host at the same position (the common edit), else the same host anywhere.
    let old = previous?.virtualHosts[i];
    if (old?.ir === vh) return old;
    if (previous !== undefined && old?.ir.name !== vh.name) {
      old = byName().get(vh.name);
      if (old?.ir === vh) return old;
    }
    const part = (r: RouteIR): RoutePart => this.routePart(r, ctx, key);
    if (vh.routes.length <= CHUNK_SIZE) return smallVirtualHost(vh, vh.routes.map(part));
    return largeVirtualHost(vh, routeChunks(vh.routes, old?.kind === 'large' ? old.routeChunks : undefined, part));
  }

  /**
   * A route that cannot be encoded (a value outside its protobuf field's range, say) must not stop
   * the whole route table, nor every other Gateway: it is answered 500 instead (as Gateway API asks
   * for an invalid rule, and so that traffic meant for it does not fall through to a less specific
   * route), or dropped when even its match cannot be encoded.
   */
  private encodeIsolated(r: RouteIR, ctx: ListenerContext): RoutePart {
    try {
      return encodeRoutePart(r, ctx);
    } catch (err) {
      this.failures.set(r, { kind: 'route', name: r.name, message: safeErrorMessage(err) });
      try {
        return encodeRoutePart({ name: r.name, match: r.match, action: { kind: 'directResponse', status: 500 } }, ctx);
      } catch {
        return { framed: new Uint8Array(0), hash: hashBytes(new Uint8Array(0)) };
      }
    }
  }

  /** A route's encoding: shared by every listener unless it depends on the listener (redirects). */
  private routePart(r: RouteIR, ctx: ListenerContext, key: string): RoutePart {
    const known = this.routes.get(r);
    if (known !== undefined && !Array.isArray(known)) return known;
    if (known !== undefined) for (const v of known) if (v.listener === key) return v.part;
    const part = this.encodeIsolated(r, ctx);
    if (!dependsOnListener(r) && !dependsOnLayout(r)) this.routes.set(r, part);
    else if (known === undefined) this.routes.set(r, [{ listener: key, part }]);
    else known.push({ listener: key, part });
    return part;
  }
}
