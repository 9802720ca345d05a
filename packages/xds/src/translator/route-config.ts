// RouteConfiguration and VirtualHost bytes assembled from cached parts (see wire.ts).
//
//   RouteConfiguration = name (1) + virtual_hosts (2)*      VirtualHost = name (1) + domains (2)* + routes (3)*
//
// Only these fields are ever set on the two messages, so the assembled bytes are exactly what a
// full encode of the same message would produce (tested in route-config.test.ts).
import type { RouteIR } from '@gantry/ir';
import { Route } from '@gantry/envoy-xds-proto';
import { hashBytes, hashParts, type ContentHash } from './hash.js';
import { buildRoute, type ListenerContext } from './route.js';
import { frameField, frameParts, stringField, utf8Bytes } from './wire.js';

/** An encoded field entry (tag + length + message) with the hash of its bytes' content. */
export interface EncodedPart {
  readonly framed: Uint8Array;
  readonly hash: ContentHash;
}

const VIRTUAL_HOST_ROUTES = 3;
const ROUTE_CONFIGURATION_VIRTUAL_HOSTS = 2;

export function encodeRoutePart(route: RouteIR, listener: ListenerContext): EncodedPart {
  const framed = frameField(VIRTUAL_HOST_ROUTES, Route.encode(buildRoute(route, listener)).finish());
  return { framed, hash: hashBytes(framed) };
}

export function encodeVirtualHostPart(name: string, domains: readonly string[], routes: readonly EncodedPart[]): EncodedPart {
  const header: Uint8Array[] = [stringField(1, name)];
  for (const d of domains) header.push(frameField(2, utf8Bytes(d)));
  const parts = header.concat(routes.map((r) => r.framed));
  const headerHash = hashParts(header.map((h) => hashBytes(h)));
  return {
    framed: frameParts(ROUTE_CONFIGURATION_VIRTUAL_HOSTS, parts),
    hash: hashParts([headerHash, ...routes.map((r) => r.hash)], VIRTUAL_HOST_ROUTES),
  };
}

export function encodeRouteConfiguration(name: string, virtualHosts: readonly EncodedPart[]): { bytes: Uint8Array; hash: ContentHash } {
  const nameField = stringField(1, name);
  let length = nameField.length;
  for (const v of virtualHosts) length += v.framed.length;
  const bytes = new Uint8Array(length);
  bytes.set(nameField, 0);
  let at = nameField.length;
  for (const v of virtualHosts) {
    bytes.set(v.framed, at);
    at += v.framed.length;
  }
  return { bytes, hash: hashParts([hashBytes(nameField), ...virtualHosts.map((v) => v.hash)], ROUTE_CONFIGURATION_VIRTUAL_HOSTS) };
}
