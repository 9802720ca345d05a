import { describe, expect, it } from '@jest/globals';
import { goldenCases } from '../translator/testing/index.js';
import { translateXds } from '../translator/translator.js';
import { adsBootstrap, CLUSTER_EDS_BOOKKEEPING_STATS, XDS_CLUSTER_NAME } from './ads.js';
import { NODE_GATEWAY_METADATA_KEY } from './node.js';
import { DEFAULT_MAX_DOWNSTREAM_CONNECTIONS, DOWNSTREAM_CONNECTIONS_MONITOR } from './overload.js';
import { staticBootstrap } from './static.js';

describe('adsBootstrap', () => {
  const b = adsBootstrap({ gatewayKey: 'ns/gw', nodeId: 'gw-7d9f', xdsHost: '10.96.0.10', xdsPort: 18000, adminPort: 19001 });

  it('names the Gateway in the node metadata', () => {
    expect(b['node']).toEqual({ id: 'gw-7d9f', cluster: 'gantry', metadata: { [NODE_GATEWAY_METADATA_KEY]: 'ns/gw' } });
  });

  it('fetches listeners and clusters over one delta ADS stream', () => {
    expect(b['dynamicResources']).toEqual({
      ldsConfig: { ads: {}, resourceApiVersion: 'V3' },
      cdsConfig: { ads: {}, resourceApiVersion: 'V3' },
      adsConfig: {
        apiType: 'DELTA_GRPC',
        transportApiVersion: 'V3',
        grpcServices: [{ envoyGrpc: { clusterName: XDS_CLUSTER_NAME } }],
        setNodeOnFirstMessageOnly: true,
      },
    });
    expect(JSON.stringify(adsBootstrap({ gatewayKey: 'ns/gw', nodeId: 'n', xdsHost: 'x', xdsPort: 1, sotw: true }))).toContain('"apiType":"GRPC"');
  });

  it('creates cluster stats on first use only when asked to', () => {
    expect(b['deferredStatOptions']).toBeUndefined();
    const deferred = adsBootstrap({ gatewayKey: 'ns/gw', nodeId: 'n', xdsHost: '127.0.0.1', xdsPort: 1, deferredClusterStats: true });
    expect(deferred['deferredStatOptions']).toEqual({ enableDeferredCreationStats: true });
  });

  it('leaves out the cluster stats that stay zero and each cluster\'s EDS bookkeeping only when asked to', () => {
    expect(b['statsConfig']).toBeUndefined();
    const trimmed = adsBootstrap({ gatewayKey: 'ns/gw', nodeId: 'n', xdsHost: '127.0.0.1', xdsPort: 1, trimClusterStats: true });
    expect(trimmed['statsConfig']).toEqual({
      statsMatcher: {
        exclusionList: {
          patterns: [
            { contains: '.lb_subsets_' },
            { contains: '.lb_zone_' },
            { contains: '.lb_recalculate_zone_structures' },
            { contains: '.circuit_breakers.high.' },
            { safeRegex: { regex: CLUSTER_EDS_BOOKKEEPING_STATS } },
          ],
        },
      },
    });
  });

  it('the EDS bookkeeping pattern takes a cluster\'s subscription stats and leaves those of CDS, LDS, RDS and traffic', () => {
    const bookkeeping = new RegExp(CLUSTER_EDS_BOOKKEEPING_STATS);
    for (const name of ['update_attempt', 'update_success', 'update_rejected', 'update_duration', 'update_time', 'version', 'version_text', 'init_fetch_timeout', 'warming_state', 'assignment_stale', 'assignment_use_cached']) {
      expect(bookkeeping.test(`cluster.kube/default/echo-v1/80.${name}`)).toBe(true);
      expect(bookkeeping.test(`cluster.upstream/gantry-system/api.example.com.${name}`)).toBe(true);
    }
    for (const kept of [
      'cluster_manager.cds.update_success', 'cluster_manager.cds.version', 'listener_manager.lds.update_rejected',
      'http.http-8080.rds.http-8080.version_text', 'server.version', 'cluster.kube/default/echo-v1/80.membership_healthy',
      'cluster.kube/default/echo-v1/80.upstream_rq_completed', 'cluster.kube/default/echo-v1/80.circuit_breakers.default.rq_open',
    ]) expect(bookkeeping.test(kept)).toBe(false);
  });

  it('caps active downstream connections (Envoy warns at startup without a cap)', () => {
    expect(b['overloadManager']).toEqual({
      resourceMonitors: [
        {
          name: DOWNSTREAM_CONNECTIONS_MONITOR,
          typedConfig: {
            '@type': 'type.googleapis.com/envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig',
            maxActiveDownstreamConnections: DEFAULT_MAX_DOWNSTREAM_CONNECTIONS,
          },
        },
      ],
    });
  });

  it('reaches the server over HTTP/2 from a static cluster (STRICT_DNS for a name)', () => {
    const json = JSON.stringify(b);
    expect(json).toContain('"type":"STATIC"');
    expect(json).toContain('"http2ProtocolOptions"');
    expect(JSON.stringify(adsBootstrap({ gatewayKey: 'ns/gw', nodeId: 'n', xdsHost: 'gantry.gantry-system.svc', xdsPort: 18000 }))).toContain(
      '"type":"STRICT_DNS"',
    );
    expect(b['admin']).toEqual({ address: { socketAddress: { address: '127.0.0.1', portValue: 19001 } } });
  });
});

describe('staticBootstrap', () => {
  it('inlines routes, endpoints and secrets (with the real key)', () => {
    const tls = goldenCases().find((c) => c.ir.secrets.length > 0)!;
    const json = JSON.stringify(staticBootstrap(translateXds(tls.ir, { routeLayout: 'single' }), { gatewayKey: tls.ir.key }));
    expect(json).not.toContain('"rds"');
    expect(json).not.toContain('"edsClusterConfig"');
    expect(json).not.toContain('"sdsConfig"');
    expect(json).toContain('"routeConfig"');
    // Scoped: each HCM lists its own table's scopes, each with its shard inline.
    const scoped = JSON.stringify(staticBootstrap(translateXds(tls.ir), { gatewayKey: tls.ir.key }));
    expect(scoped).toContain('"scopedRouteConfigurationsList"');
    expect(scoped).not.toContain('"scopedRds"');
    expect(scoped).not.toContain('"rds"');
    expect(json).toContain('"loadAssignment"');
    expect(json).toContain('PRIVATE KEY');
    expect(json).not.toContain('<redacted>');
  });

  it('caps active downstream connections like the ADS bootstrap', () => {
    const b = staticBootstrap(translateXds(goldenCases()[0]!.ir));
    expect(JSON.stringify(b['overloadManager'])).toContain(DOWNSTREAM_CONNECTIONS_MONITOR);
  });
});
