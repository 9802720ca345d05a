// Envoy JSON of a snapshot, for people (`gantry translate --output xds`) and golden files.
import { REDACTED } from '@gantry/ir';
import { Cluster } from '@gantry/envoy-xds-proto/generated/envoy/config/cluster/v3/cluster';
import { ClusterLoadAssignment } from '@gantry/envoy-xds-proto/generated/envoy/config/endpoint/v3/endpoint';
import { Listener } from '@gantry/envoy-xds-proto/generated/envoy/config/listener/v3/listener';
import { RouteConfiguration } from '@gantry/envoy-xds-proto/generated/envoy/config/route/v3/route';
import { Secret } from '@gantry/envoy-xds-proto/generated/envoy/extensions/transport_sockets/tls/v3/secret';
import { toEnvoyJson } from '@gantry/envoy-xds-proto/any';
import type { JsonObject, JsonValue } from '@gantry/envoy-xds-proto';
import { ScopedRouteConfiguration } from '@gantry/envoy-xds-proto/generated/envoy/config/route/v3/scoped_route';
import { TypeUrl, type XdsSnapshot } from '../resources.js';

export interface EnvoyJsonOptions {
  /** Replace private keys with "<redacted>" (default true). Only a bootstrap needs the real key. */
  readonly redactSecrets?: boolean;
}

/** The order resources are printed in: how a reader follows a request. */
export const JSON_TYPE_ORDER: readonly TypeUrl[] = [
  TypeUrl.Listener,
  TypeUrl.RouteConfiguration,
  TypeUrl.ScopedRouteConfiguration,
  TypeUrl.Cluster,
  TypeUrl.ClusterLoadAssignment,
  TypeUrl.Secret,
];

function asObject(value: JsonValue): JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('expected a JSON object');
  return value;
}

/** Decodes one encoded resource of the given type into its Envoy JSON (with "@type"). */
export function resourceToEnvoyJson(typeUrl: TypeUrl, bytes: Uint8Array, opts: EnvoyJsonOptions = {}): JsonObject {
  let json: JsonValue;
  switch (typeUrl) {
    case TypeUrl.Listener:
      json = toEnvoyJson(Listener.decode(bytes));
      break;
    case TypeUrl.RouteConfiguration:
      json = toEnvoyJson(RouteConfiguration.decode(bytes));
      break;
    case TypeUrl.ScopedRouteConfiguration:
      json = toEnvoyJson(ScopedRouteConfiguration.decode(bytes));
      break;
    case TypeUrl.Cluster:
      json = toEnvoyJson(Cluster.decode(bytes));
      break;
    case TypeUrl.ClusterLoadAssignment:
      json = toEnvoyJson(ClusterLoadAssignment.decode(bytes));
      break;
    case TypeUrl.Secret: {
      const secret = Secret.decode(bytes);
      if ((opts.redactSecrets ?? true) && secret.type?.$case === 'tlsCertificate' && secret.type.tlsCertificate.privateKey) {
        secret.type.tlsCertificate.privateKey = { ...secret.type.tlsCertificate.privateKey, specifier: { $case: 'inlineString', inlineString: REDACTED } };
      }
      json = toEnvoyJson(secret);
      break;
    }
  }
  return { '@type': typeUrl, ...asObject(json) };
}

/** Every resource as Envoy JSON: by type (JSON_TYPE_ORDER), then by name. */
export function snapshotToEnvoyJson(snapshot: XdsSnapshot, opts: EnvoyJsonOptions = {}): JsonObject[] {
  const out: JsonObject[] = [];
  for (const typeUrl of JSON_TYPE_ORDER) {
    const resources = [...snapshot[typeUrl].values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const r of resources) out.push(resourceToEnvoyJson(typeUrl, r.bytes, opts));
  }
  return out;
}
