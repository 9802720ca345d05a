// ClusterIR -> envoy.config.cluster.v3.Cluster: discovery (cluster-discovery.ts), load balancing,
// outlier detection and circuit breakers (cluster-policies.ts), the health check (health-check.ts),
// TLS (upstream-tls.ts); encoded through shared templates (ClusterEncoder).
import type { ClusterIR } from '@gantry/ir';
import { Cluster } from '@gantry/envoy-xds-proto/generated/envoy/config/cluster/v3/cluster';
import { HttpProtocolOptions } from '@gantry/envoy-xds-proto/generated/envoy/extensions/upstreams/http/v3/http_protocol_options';
import { packAny } from '@gantry/envoy-xds-proto/any';
import { discoveryFields } from './cluster-discovery.js';
import { circuitBreakers, loadBalancerFields, outlierDetection } from './cluster-policies.js';
import { healthCheck } from './health-check.js';
import { durationMs, type DeepPartial } from './proto.js';
import { tlsFields } from './upstream-tls.js';
import { encodeMessage, sharedWriter } from './wire.js';

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const HTTP_PROTOCOL_OPTIONS_KEY = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

export function buildCluster(cluster: ClusterIR): Cluster {
  const msg: DeepPartial<Cluster> = {
    name: cluster.name,
    ...discoveryFields(cluster),
    connectTimeout: durationMs(cluster.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS),
    ...loadBalancerFields(cluster.loadBalancer),
    typedExtensionProtocolOptions:
      cluster.protocol === 'h2c'
        ? {
            [HTTP_PROTOCOL_OPTIONS_KEY]: packAny(
              HttpProtocolOptions.fromPartial({
                upstreamProtocolOptions: {
                  $case: 'explicitHttpConfig',
                  explicitHttpConfig: { protocolConfig: { $case: 'http2ProtocolOptions', http2ProtocolOptions: {} } },
                },
              }),
            ),
          }
        : {},
    ...tlsFields(cluster),
  };
  if (cluster.healthCheck !== undefined) msg.healthChecks = [healthCheck(cluster.healthCheck, cluster.protocol)];
  if (cluster.outlierDetection !== undefined) msg.outlierDetection = outlierDetection(cluster.outlierDetection);
  if (cluster.circuitBreakers !== undefined) msg.circuitBreakers = circuitBreakers(cluster.circuitBreakers);
  return Cluster.fromPartial(msg);
}

/** A value templates are told apart by: compared with `===`, so a primitive. */
export type KeyPart = string | number | boolean | undefined;

/** How one ClusterIR field reaches the encoding. */
export type ClusterFieldRole<V> =
  /** Written by ClusterEncoder.encode itself, ahead of the template (only `name` is). */
  | { readonly inTemplate: false }
  /** Encoded in the shared template, so templates are keyed on `part(value)`. */
  | { readonly inTemplate: true; readonly part: (value: V) => KeyPart };

/**
 * Every field of ClusterIR, optional ones included, and how it reaches the bytes. The mapped type
 * makes a field added to ClusterIR fail to compile until it is given a role here; the test in
 * cluster.test.ts checks that each role is right (a field whose change changes the encoding
 * changes the key; cached bytes equal uncached ones). An object-valued field needs a `part` that
 * covers everything in it that is encoded.
 */
export const CLUSTER_FIELDS: { readonly [K in keyof Required<ClusterIR>]: ClusterFieldRole<ClusterIR[K]> } = {
  name: { inTemplate: false },
  protocol: { inTemplate: true, part: (protocol) => protocol },
  connectTimeoutMs: { inTemplate: true, part: (ms) => ms },
  // Clusters with hosts of their own are never templated (ClusterEncoder.encode): their load
  // assignment repeats the name. The part still covers the hosts, so the key stays complete.
  discovery: { inTemplate: true, part: objectPart },
  loadBalancer: { inTemplate: true, part: objectPart },
  healthCheck: { inTemplate: true, part: objectPart },
  outlierDetection: { inTemplate: true, part: objectPart },
  circuitBreakers: { inTemplate: true, part: objectPart },
  tls: { inTemplate: true, part: objectPart },
};

/**
 * The part of an object-valued field: undefined (the common case, free) or its JSON. JSON keeps
 * every value that is encoded; objects that encode alike but print differently (key order, a key
 * set to undefined) only get templates of their own.
 */
function objectPart(value: object | undefined): KeyPart {
  return value === undefined ? undefined : JSON.stringify(value);
}

type PartReader = (c: ClusterIR) => KeyPart;

function templateReaders(): PartReader[] {
  const readers: PartReader[] = [];
  const add = <K extends keyof ClusterIR>(field: K): void => {
    const role: ClusterFieldRole<ClusterIR[K]> = CLUSTER_FIELDS[field];
    if (role.inTemplate) readers.push((c) => role.part(c[field]));
  };
  for (const field of Object.keys(CLUSTER_FIELDS) as (keyof ClusterIR)[]) add(field);
  return readers;
}

/** Readers of the template's key parts, in table order. */
const TEMPLATE_PARTS: readonly PartReader[] = templateReaders();

/** The key parts of the template a cluster's encoding uses (exported for tests). */
export function templateKey(c: ClusterIR): KeyPart[] {
  return TEMPLATE_PARTS.map((read) => read(c));
}

function sameParts(c: ClusterIR, parts: readonly KeyPart[]): boolean {
  let i = 0;
  for (const read of TEMPLATE_PARTS) if (read(c) !== parts[i++]) return false;
  return true;
}

/** An injective string for a list of parts: strings are length-prefixed, nothing else holds `|`. */
function keyString(parts: readonly KeyPart[]): string {
  let key = '';
  for (const p of parts) key += typeof p === 'string' ? `s${p.length}:${p}|` : `${typeof p}:${String(p)}|`;
  return key;
}

/** The encoding of everything but the fields ClusterEncoder.encode writes itself (`name`). */
export function clusterTemplate(c: ClusterIR): Uint8Array {
  return encodeMessage(Cluster.encode, buildCluster({ ...c, name: '' }));
}

/** Templates kept at most; without policies a gateway uses a handful (protocol x timeout). */
const MAX_TEMPLATES = 4096;

/**
 * Each cluster is encoded as its name field followed by the shared encoding of everything else
 * (a message is the concatenation of its fields, in any order), keyed on every other field
 * (CLUSTER_FIELDS). The bytes equal a full encode of `buildCluster(c)` (tested).
 */
export class ClusterEncoder {
  private readonly templates = new Map<string, Uint8Array>();
  /** The template used last: consecutive clusters nearly always share it (no key string to build). */
  private last: { readonly parts: readonly KeyPart[]; readonly template: Uint8Array } | undefined;

  encode(c: ClusterIR): Uint8Array {
    // Hosts of its own: the name is also inside the load assignment, so nothing is shared.
    if (c.discovery !== undefined) return encodeMessage(Cluster.encode, buildCluster(c));
    const last = this.last;
    const template = last !== undefined && sameParts(c, last.parts) ? last.template : this.lookUp(c);
    const w = sharedWriter();
    if (c.name !== '') w.uint32(10).string(c.name);
    return w.raw(template).finish();
  }

  private lookUp(c: ClusterIR): Uint8Array {
    const parts = templateKey(c);
    const key = keyString(parts);
    let template = this.templates.get(key);
    if (template === undefined) {
      template = clusterTemplate(c);
      // Policies make templates as varied as the clusters that have them, and edits make new
      // ones: start over rather than keep every one ever seen (they are rebuilt on demand).
      if (this.templates.size >= MAX_TEMPLATES) this.templates.clear();
      this.templates.set(key, template);
    }
    this.last = { parts, template };
    return template;
  }
}
