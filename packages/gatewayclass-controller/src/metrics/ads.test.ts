import { describe, expect, it } from '@jest/globals';
import { AdsServer, SnapshotCache, TypeUrl, type GatewayCounters, type XdsSnapshot } from '@gantry/xds';
import { forgetGateway, instrumentAdsServer, recordSnapshotResources, typeLabel } from './ads.js';
import { createGantryMetrics } from './gantry.js';

/** The sample lines of one metric in the exposition. */
async function samples(metrics: ReturnType<typeof createGantryMetrics>, name: string): Promise<string[]> {
  return (await (await metrics.registry.expose())).split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

function counters(connected: number): GatewayCounters {
  return { connected, pushes: 0, resourcesPushed: 0, bytesPushed: 0, acks: 0, nacks: 0 };
}

describe('instrumentAdsServer', () => {
  it('counts pushes, ACKs and NACKs per Gateway and type from the server events', async () => {
    const server = new AdsServer({ cache: new SnapshotCache() });
    const metrics = createGantryMetrics();
    const detach = instrumentAdsServer(server, metrics);
    server.emit('push', 'ns/gw', 'node-1', TypeUrl.Cluster, 3, 0, 120);
    server.emit('push', 'ns/gw', 'node-1', TypeUrl.Cluster, 1, 0, 40);
    server.emit('push', 'ns/gw', 'node-1', TypeUrl.Listener, 1, 0, 80);
    server.emit('ack', 'ns/gw', TypeUrl.Cluster, 'v1', 'node-1', 1);
    server.emit('nack', 'ns/gw', TypeUrl.Listener, 'v1', 'node-1', 'bad listener');
    expect(await metrics.xdsPushes.get({ namespace: 'ns', name: 'gw', type: 'Cluster' })).toBe(2);
    expect(await metrics.xdsPushes.get({ namespace: 'ns', name: 'gw', type: 'Listener' })).toBe(1);
    expect(await metrics.xdsAcks.get({ namespace: 'ns', name: 'gw', type: 'Cluster' })).toBe(1);
    expect(await metrics.xdsNacks.get({ namespace: 'ns', name: 'gw', type: 'Listener' })).toBe(1);
    const text = (await metrics.registry.expose());
    expect(text).toContain('gantry_xds_pushes_total{namespace="ns",name="gw",type="Cluster"} 2\n');
    expect(text).toContain('gantry_xds_bytes_total{namespace="ns",name="gw",type="Cluster"} 160\n');
    expect(text).toContain('gantry_xds_nacks_total{namespace="ns",name="gw",type="Listener"} 1\n');

    detach();
    server.emit('push', 'ns/gw', 'node-1', TypeUrl.Cluster, 1, 0, 40);
    expect(await metrics.xdsPushes.get({ namespace: 'ns', name: 'gw', type: 'Cluster' })).toBe(2);
  });

  it('reads connected Envoys from the server counters at scrape time', async () => {
    const metrics = createGantryMetrics();
    const state = new Map<string, GatewayCounters>([['a/one', counters(2)]]);
    const source = { on: () => source, off: () => source, gatewayCounters: () => state };
    const detach = instrumentAdsServer(source, metrics);
    expect((await metrics.registry.expose())).toContain('gantry_xds_connected_envoys{namespace="a",name="one"} 2\n');
    state.set('a/one', counters(0));
    state.set('b/two', counters(1));
    const text = (await metrics.registry.expose());
    expect(text).toContain('gantry_xds_connected_envoys{namespace="a",name="one"} 0\n');
    expect(text).toContain('gantry_xds_connected_envoys{namespace="b",name="two"} 1\n');
    detach();
  });
});

describe('snapshot resource gauges', () => {
  const snapshot = (clusters: number): XdsSnapshot => {
    const set = (n: number) => new Map(Array.from({ length: n }, (_, i) => [`r${i}`, { name: `r${i}`, version: '1', bytes: new Uint8Array() }]));
    return {
      [TypeUrl.Listener]: set(1),
      [TypeUrl.RouteConfiguration]: set(1),
      [TypeUrl.ScopedRouteConfiguration]: set(0),
      [TypeUrl.Cluster]: set(clusters),
      [TypeUrl.ClusterLoadAssignment]: set(clusters),
      [TypeUrl.Secret]: set(0),
    };
  };

  it('sets one series per type, replaces them, and drops them with the Gateway', async () => {
    const metrics = createGantryMetrics();
    recordSnapshotResources(metrics, 'ns/gw', snapshot(3));
    expect(await metrics.snapshotResources.get({ namespace: 'ns', name: 'gw', type: 'Cluster' })).toBe(3);
    expect(await metrics.snapshotResources.get({ namespace: 'ns', name: 'gw', type: 'Secret' })).toBe(0);
    recordSnapshotResources(metrics, 'ns/gw', snapshot(5));
    expect(await metrics.snapshotResources.get({ namespace: 'ns', name: 'gw', type: 'ClusterLoadAssignment' })).toBe(5);
    recordSnapshotResources(metrics, 'ns/gw', undefined);
    expect(await samples(metrics, 'gantry_xds_snapshot_resources')).toEqual([]);
  });

  it('forgetGateway drops every per-Gateway series of that Gateway only', async () => {
    const metrics = createGantryMetrics();
    metrics.xdsPushes.inc({ namespace: 'ns', name: 'a', type: 'Cluster' });
    metrics.xdsPushes.inc({ namespace: 'ns', name: 'b', type: 'Cluster' });
    metrics.xdsNacks.inc({ namespace: 'ns', name: 'a', type: 'Cluster' });
    recordSnapshotResources(metrics, 'ns/a', snapshot(1));
    forgetGateway(metrics, 'ns/a');
    expect(await samples(metrics, 'gantry_xds_pushes_total')).toEqual(['gantry_xds_pushes_total{namespace="ns",name="b",type="Cluster"} 1']);
    expect(await samples(metrics, 'gantry_xds_nacks_total')).toEqual([]);
    expect(await samples(metrics, 'gantry_xds_snapshot_resources')).toEqual([]);
  });
});

describe('gantry metrics', () => {
  it('defines every metric with the gantry_ prefix', async () => {
    const text = (await createGantryMetrics().registry.expose());
    const names = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`).sort();
    expect(names).toEqual([
      'gantry_build_info gauge',
      'gantry_config_propagation_seconds histogram',
      'gantry_discovery_applies_total counter',
      'gantry_discovery_deletes_total counter',
      'gantry_discovery_skipped_clashes_total counter',
      'gantry_discovery_upstreams gauge',
      'gantry_leader gauge',
      'gantry_remote_cluster_objects gauge',
      'gantry_remote_cluster_state gauge',
      'gantry_remote_cluster_transitions_total counter',
      'gantry_remote_cluster_watch_restarts_total counter',
      'gantry_status_writes_total counter',
      'gantry_translation_duration_seconds histogram',
      'gantry_translations_total counter',
      'gantry_watch_restarts_total counter',
      'gantry_xds_acks_total counter',
      'gantry_xds_bytes_total counter',
      'gantry_xds_connected_envoys gauge',
      'gantry_xds_encode_failures gauge',
      'gantry_xds_nacks_total counter',
      'gantry_xds_pushes_total counter',
      'gantry_xds_snapshot_resources gauge',
      'gantry_xds_streams_refused_total counter',
    ]);
    expect(typeLabel(TypeUrl.Secret)).toBe('Secret');
  });
});
