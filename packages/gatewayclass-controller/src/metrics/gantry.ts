// The metrics Gantry exposes, defined once. Every component gets this object and records into it;
// the admin server prints its registry.
import { Counter, Gauge, Histogram, Registry } from './registry.js';
import { GANTRY_VERSION } from '../version.js';

export type TranslationStage = 'gateway' | 'xds';
export type StatusWriteOutcome = 'written' | 'unchanged' | 'conflict' | 'notfound' | 'error';

export interface GantryMetrics {
  readonly registry: Registry;
  /** Always 1; its labels say which build runs (version, Node.js version). */
  readonly buildInfo: Gauge<'version' | 'node_version'>;
  /** Seconds one translation stage took (stage: gateway | xds). */
  readonly translationDuration: Histogram<'stage'>;
  readonly translations: Counter<'result'>;
  /**
   * Seconds from the first object change a Gateway's new configuration contains to every Envoy of
   * the Gateway having ACKed it (Programmed=True). Leader only.
   */
  readonly configPropagation: Histogram;
  /** xDS responses written, per Gateway and resource type (short name: Listener, Cluster, ...). */
  readonly xdsPushes: Counter<'namespace' | 'name' | 'type'>;
  readonly xdsBytes: Counter<'namespace' | 'name' | 'type'>;
  readonly xdsAcks: Counter<'namespace' | 'name' | 'type'>;
  readonly xdsNacks: Counter<'namespace' | 'name' | 'type'>;
  readonly connectedEnvoys: Gauge<'namespace' | 'name'>;
  /**
   * xDS streams refused, by reason (no-gateway, no-certificate, wrong-gateway). No Gateway label:
   * the Gateway a refused client names is whatever it chose to send.
   */
  readonly xdsRefusedStreams: Counter<'reason'>;
  readonly snapshotResources: Gauge<'namespace' | 'name' | 'type'>;
  /** Objects of a Gateway the xds translator could not encode (left out or answered 500), per kind. */
  readonly encodeFailures: Gauge<'namespace' | 'name' | 'kind'>;
  readonly statusWrites: Counter<'kind' | 'outcome'>;
  readonly watchRestarts: Counter<'kind'>;
  /** 1 while this replica holds the leader lease. */
  readonly leader: Gauge;
  /** Discovery (leader only): Upstreams it wants, its writes by result, names it left to a user's Upstream. */
  readonly discoveredUpstreams: Gauge;
  readonly discoveryApplies: Counter<'result'>;
  readonly discoveryDeletes: Counter<'result'>;
  readonly discoverySkippedClashes: Counter;
  /** Remote clusters (--remote-cluster): 0 Synced, 1 Stale, 2 Unreachable. */
  readonly remoteClusterState: Gauge<'cluster'>;
  /** State changes of remote clusters, by the state entered. */
  readonly remoteClusterTransitions: Counter<'cluster' | 'state'>;
  /** Objects held per remote cluster and kind (Service, EndpointSlice, Pod), read at scrape time. */
  readonly remoteClusterObjects: Gauge<'cluster' | 'kind'>;
  /** Watch streams of remote clusters re-established, per cluster and kind. */
  readonly remoteClusterWatchRestarts: Counter<'cluster' | 'kind'>;
}

export function createGantryMetrics(registry = new Registry()): GantryMetrics {
  const buildInfo = registry.gauge({ name: 'gantry_build_info', help: 'Always 1; labels: the Gantry version and the Node.js version running it.', labelNames: ['version', 'node_version'] });
  buildInfo.set({ version: GANTRY_VERSION, node_version: process.version }, 1);
  return {
    registry,
    buildInfo,
    translationDuration: registry.histogram({
      name: 'gantry_translation_duration_seconds',
      help: 'Time one translation stage took (gateway: snapshot to IR; xds: IR to Envoy resources).',
      labelNames: ['stage'],
    }),
    translations: registry.counter({ name: 'gantry_translations_total', help: 'Translation runs of the pipeline; result: ok, or error (the last good configuration kept serving).', labelNames: ['result'] }),
    configPropagation: registry.histogram({
      name: 'gantry_config_propagation_seconds',
      help: "Time from an object change to every Envoy of the affected Gateway having ACKed the configuration that contains it (Programmed).",
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    }),
    xdsPushes: registry.counter({
      name: 'gantry_xds_pushes_total',
      help: 'xDS responses written to Envoys, per Gateway and resource type.',
      labelNames: ['namespace', 'name', 'type'],
    }),
    xdsBytes: registry.counter({
      name: 'gantry_xds_bytes_total',
      help: 'Bytes of the xDS responses written to Envoys (encoded DiscoveryResponses), per Gateway and resource type.',
      labelNames: ['namespace', 'name', 'type'],
    }),
    xdsAcks: registry.counter({
      name: 'gantry_xds_acks_total',
      help: 'xDS responses Envoys acknowledged, per Gateway and resource type.',
      labelNames: ['namespace', 'name', 'type'],
    }),
    xdsNacks: registry.counter({
      name: 'gantry_xds_nacks_total',
      help: 'xDS responses Envoys rejected (NACK), per Gateway and resource type.',
      labelNames: ['namespace', 'name', 'type'],
    }),
    xdsRefusedStreams: registry.counter({
      name: 'gantry_xds_streams_refused_total',
      help: 'xDS streams refused before anything was sent (no Gateway named, no valid client certificate, or a certificate of another Gateway).',
      labelNames: ['reason'],
    }),
    connectedEnvoys: registry.gauge({
      name: 'gantry_xds_connected_envoys',
      help: 'Envoys connected over ADS, per Gateway.',
      labelNames: ['namespace', 'name'],
    }),
    snapshotResources: registry.gauge({
      name: 'gantry_xds_snapshot_resources',
      help: 'Resources in the current xDS snapshot, per Gateway and resource type.',
      labelNames: ['namespace', 'name', 'type'],
    }),
    encodeFailures: registry.gauge({
      name: 'gantry_xds_encode_failures',
      help: 'Objects of a Gateway that could not be encoded for Envoy (each left out, or a route answering 500; the rest is served), per kind.',
      labelNames: ['namespace', 'name', 'kind'],
    }),
    statusWrites: registry.counter({
      name: 'gantry_status_writes_total',
      help: 'Status writes, per object kind and outcome (written, unchanged, conflict, notfound, error).',
      labelNames: ['kind', 'outcome'],
    }),
    watchRestarts: registry.counter({
      name: 'gantry_watch_restarts_total',
      help: 'Watches restarted after an error or a stale stream, per kind.',
      labelNames: ['kind'],
    }),
    leader: registry.gauge({ name: 'gantry_leader', help: '1 while this replica is the leader, else 0.' }),
    discoveredUpstreams: registry.gauge({ name: 'gantry_discovery_upstreams', help: 'Upstreams discovery wants (one per port of each Service in scope).' }),
    discoveryApplies: registry.counter({
      name: 'gantry_discovery_applies_total',
      help: 'Server-side applies of discovered Upstreams, by result (created, updated, failed).',
      labelNames: ['result'],
    }),
    discoveryDeletes: registry.counter({
      name: 'gantry_discovery_deletes_total',
      help: 'Deletions of discovered Upstreams, by result (deleted, gone, changed, failed).',
      labelNames: ['result'],
    }),
    discoverySkippedClashes: registry.counter({
      name: 'gantry_discovery_skipped_clashes_total',
      help: 'Passes in which a name discovery wants was held by an Upstream it did not create (left alone).',
    }),
    remoteClusterState: registry.gauge({
      name: 'gantry_remote_cluster_state',
      help: 'State of each remote cluster: 0 Synced, 1 Stale (connection lost, last known objects kept), 2 Unreachable (objects dropped).',
      labelNames: ['cluster'],
    }),
    remoteClusterTransitions: registry.counter({
      name: 'gantry_remote_cluster_transitions_total',
      help: 'State changes of remote clusters, by the state entered (Synced, Stale, Unreachable).',
      labelNames: ['cluster', 'state'],
    }),
    remoteClusterObjects: registry.gauge({
      name: 'gantry_remote_cluster_objects',
      help: 'Objects held per remote cluster and kind (Service, EndpointSlice, Pod).',
      labelNames: ['cluster', 'kind'],
    }),
    remoteClusterWatchRestarts: registry.counter({
      name: 'gantry_remote_cluster_watch_restarts_total',
      help: 'Watch streams of remote clusters re-established after an error or a stale stream, per cluster and kind.',
      labelNames: ['cluster', 'kind'],
    }),
  };
}
