// Scoped route tables: what makes a route change cost what changed, not the size of the table.
//
// Envoy rebuilds a whole RouteConfiguration (every virtual host, every route) whenever any part of
// it changes: with 10,000 routes that is ~1 MB and tens of milliseconds per change. So a Gateway's
// route table is served as shards, and each request is sent to the one shard that can answer it:
//
//   - The HTTP connection manager uses scoped routes (SRDS). A Lua filter, first in the chain and
//     the same for every configuration of the table, hashes the request's host (lowercased, port
//     stripped exactly as Envoy strips it for virtual host matching) to one of SCOPE_COUNT scope
//     keys, writes it into SCOPE_HEADER and clears the route cache: Envoy picks the scope whose key
//     matches and routes within that scope's RouteConfiguration.
//   - Every scope key always exists (SCOPE_COUNT ScopedRouteConfigurations per table), so no
//     request ever misses a scope: Envoy's scope lookup is an exact match with no fallback, which
//     is why the key is a hash of the host and not the host itself.
//   - A virtual host whose domains are all exact lives in the shards of its domains' hashes only;
//     one with a wildcard (`*.example.com`, `*`) lives in every shard. A shard therefore holds every
//     virtual host that can match any host hashing to it, and Envoy's virtual host selection inside
//     the shard (exact, then longest wildcard suffix, then `*`) is the one it makes on the whole table.
//   - The number of shards follows the table: one (the table itself, under its own name) until its
//     exact hosts hold enough routes to be worth splitting, then a power of two up to SCOPE_COUNT;
//     scope i reads shard i mod K. A change re-sends and Envoy rebuilds one shard.
import type { Any } from '@gantry/envoy-xds-proto';
import { Lua } from '@gantry/envoy-xds-proto/generated/envoy/extensions/filters/http/lua/v3/lua';
import { packAny } from '@gantry/envoy-xds-proto/any';
import { LuaPerRoute } from '@gantry/envoy-xds-proto/generated/envoy/extensions/filters/http/lua/v3/lua';
import { ScopedRouteConfiguration } from '@gantry/envoy-xds-proto/generated/envoy/config/route/v3/scoped_route';
import type { RouteConfigIR, VirtualHostIR } from '@gantry/ir';
import { encodeMessage, utf8Bytes } from './wire.js';

/** Scope keys per route table; the Lua filter hashes hosts into this many. */
export const SCOPE_COUNT = 64;
/** The request header the Lua filter writes the scope key into (removed before the request goes upstream). */
export const SCOPE_HEADER = 'x-gantry-route-scope';
/** A shard is split further while its exact hosts hold at least twice this many routes. */
export const SHARD_ROUTES = 64;

export const LUA_FILTER = 'envoy.filters.http.lua';
/**
 * Envoy decides whether a request may upgrade (websocket, CONNECT) when it creates the filter
 * chain, from the route it has then: none yet under scoped routes (the scope filter has not run),
 * and with no route Envoy lets the upgrade through. This second Lua filter, after the scope
 * filter, answers 403 to an upgrade (as Envoy does for a route that does not allow it) unless the
 * route now chosen turns it off (LuaPerRoute disabled: routes whose backend speaks websocket).
 */
export const UPGRADE_GUARD_FILTER = 'gantry.upgrade-guard';

/**
 * The scope a host falls in: a string hash the Lua filter computes the same way (31·h + byte,
 * modulo a prime below 2^31, exact in both languages' doubles). `host` is lowercased, without port.
 */
export function hostScope(host: string): number {
  let h = 0;
  const bytes = utf8Bytes(host);
  for (const b of bytes) h = (h * 31 + b) % 2147483647;
  return h % SCOPE_COUNT;
}

/** Whether a domain is matched exactly by Envoy (no `*` anywhere). */
function isExact(domain: string): boolean {
  return !domain.includes('*');
}

/** The scopes a virtual host answers in, or 'all' when a domain is a wildcard. */
export function virtualHostScopes(vh: VirtualHostIR): readonly number[] | 'all' {
  if (vh.domains.length === 0 || !vh.domains.every(isExact)) return 'all';
  return [...new Set(vh.domains.map((d) => hostScope(d.toLowerCase())))];
}

/**
 * How many shards a table is served as: 1 until its exact hosts hold 2·SHARD_ROUTES routes, then
 * the largest power of two with at least SHARD_ROUTES routes each, at most SCOPE_COUNT, and no more
 * than the copies of the wildcard hosts (in every shard) stay smaller than the exact part.
 */
export function shardCount(rc: RouteConfigIR, scopesOf: (vh: VirtualHostIR) => readonly number[] | 'all'): number {
  let exact = 0;
  let shared = 0;
  for (const vh of rc.virtualHosts) {
    if (scopesOf(vh) === 'all') shared += vh.routes.length;
    else exact += vh.routes.length;
  }
  let k = 1;
  while (k * 2 <= SCOPE_COUNT && exact / (k * 2) >= SHARD_ROUTES && k * 2 * shared <= exact) k *= 2;
  return k;
}

/** The RouteConfiguration name of shard `index` of `count` (the table's own name when it is whole). */
export function shardName(table: string, index: number, count: number): string {
  return count === 1 ? table : `${table}#${index}/${count}`;
}

export function scopeName(table: string, scope: number): string {
  return `${table}@${scope}`;
}

export function scopeKey(table: string, scope: number): string {
  return `${table}|${scope}`;
}

/** A scope's resource bytes: its name, its key and the shard it reads. */
export function encodeScope(name: string, key: string, routeConfigurationName: string): Uint8Array {
  return encodeMessage(
    ScopedRouteConfiguration.encode,
    ScopedRouteConfiguration.fromPartial({ name, routeConfigurationName, key: { fragments: [{ type: { $case: 'stringKey', stringKey: key } }] } }),
  );
}

/** A Lua string literal (route table names are plain ASCII; quotes and backslashes escaped). */
function luaString(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[^\x20-\x7e]/g, (c) => `\\${c.charCodeAt(0)}`)}"`;
}

/**
 * The Lua filter of a table: host -> scope key. Port stripping follows Envoy's
 * ignore_port_in_host_matching: from the last `:` unless a `]` (IPv6 literal) comes after it.
 */
export function scopeLua(table: string): string {
  return `-- Gantry: picks the route scope of ${table.replace(/[^A-Za-z0-9_./#@-]/g, '_')} from the request's host.
local PREFIX = ${luaString(scopeKey(table, 0).slice(0, -1))}
local HEADER = ${luaString(SCOPE_HEADER)}
local byte = string.byte
function envoy_on_request(handle)
  local headers = handle:headers()
  local host = headers:get(":authority") or ""
  local colon = host:match(".*():")
  if colon ~= nil then
    local bracket = host:match(".*()%]")
    if bracket == nil or bracket < colon then host = host:sub(1, colon - 1) end
  end
  host = host:lower()
  local h = 0
  for i = 1, #host do h = (h * 31 + byte(host, i)) % 2147483647 end
  headers:replace(HEADER, PREFIX .. (h % ${SCOPE_COUNT}))
  handle:clearRouteCache()
end
`;
}

const UPGRADE_GUARD_LUA = `-- Gantry: upgrades only where the route allows them (the route turns this filter off).
function envoy_on_request(handle)
  local headers = handle:headers()
  if headers:get("upgrade") ~= nil or headers:get(":method") == "CONNECT" then
    handle:respond({[":status"] = "403"}, "")
  end
end
`;

export function upgradeGuardConfig(): Any {
  return packAny(Lua.fromPartial({ defaultSourceCode: { specifier: { $case: 'inlineString', inlineString: UPGRADE_GUARD_LUA } } }));
}

/** A route's typed_per_filter_config entry that lets its upgrades through. */
export function upgradeGuardOff(): Any {
  return packAny(LuaPerRoute.fromPartial({ override: { $case: 'disabled', disabled: true } }));
}

/** The Lua filter's config. */
export function scopeLuaConfig(table: string): Any {
  return packAny(Lua.fromPartial({ defaultSourceCode: { specifier: { $case: 'inlineString', inlineString: scopeLua(table) } } }));
}
