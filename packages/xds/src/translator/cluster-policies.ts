// ClusterIR load balancer, outlier detection and circuit breakers -> their Cluster fields.
// Absent IR fields write nothing, so Envoy's defaults apply.
import type { CircuitBreakersIR, LoadBalancerIR, OutlierDetectionIR } from '@gantry/ir';
import { Cluster_LbPolicy } from '@gantry/envoy-xds-proto/generated/envoy/config/cluster/v3/cluster';
import type { CircuitBreakers, Cluster, OutlierDetection } from '@gantry/envoy-xds-proto';
import { RoutingPriority } from '@gantry/envoy-xds-proto/generated/envoy/config/core/v3/base';
import { durationMs, type DeepPartial } from './proto.js';

/** lb_policy and its lb_config. Absent: ROUND_ROBIN, as every cluster had before the IR named one. */
export function loadBalancerFields(lb: LoadBalancerIR | undefined): DeepPartial<Cluster> {
  switch (lb?.type) {
    case undefined:
    case 'roundRobin':
      return { lbPolicy: Cluster_LbPolicy.ROUND_ROBIN };
    case 'random':
      return { lbPolicy: Cluster_LbPolicy.RANDOM };
    case 'leastRequest':
      return {
        lbPolicy: Cluster_LbPolicy.LEAST_REQUEST,
        ...(lb.choiceCount === undefined ? {} : { lbConfig: { $case: 'leastRequestLbConfig', leastRequestLbConfig: { choiceCount: lb.choiceCount } } }),
      };
    case 'ringHash':
      return lb.minimumRingSize === undefined && lb.maximumRingSize === undefined
        ? { lbPolicy: Cluster_LbPolicy.RING_HASH }
        : {
            lbPolicy: Cluster_LbPolicy.RING_HASH,
            lbConfig: { $case: 'ringHashLbConfig', ringHashLbConfig: { minimumRingSize: lb.minimumRingSize, maximumRingSize: lb.maximumRingSize } },
          };
    case 'maglev':
      return {
        lbPolicy: Cluster_LbPolicy.MAGLEV,
        ...(lb.tableSize === undefined ? {} : { lbConfig: { $case: 'maglevLbConfig', maglevLbConfig: { tableSize: lb.tableSize } } }),
      };
  }
}

export function outlierDetection(o: OutlierDetectionIR): DeepPartial<OutlierDetection> {
  const out: DeepPartial<OutlierDetection> = {};
  if (o.consecutive5xx !== undefined) out.consecutive5xx = o.consecutive5xx;
  if (o.intervalMs !== undefined) out.interval = durationMs(o.intervalMs);
  if (o.baseEjectionTimeMs !== undefined) out.baseEjectionTime = durationMs(o.baseEjectionTimeMs);
  if (o.maxEjectionPercent !== undefined) out.maxEjectionPercent = o.maxEjectionPercent;
  return out;
}

/** One threshold set, for the default priority (Gantry routes nothing at high priority). */
export function circuitBreakers(cb: CircuitBreakersIR): DeepPartial<CircuitBreakers> {
  return {
    thresholds: [
      {
        priority: RoutingPriority.DEFAULT,
        maxConnections: cb.maxConnections,
        maxPendingRequests: cb.maxPendingRequests,
        maxRequests: cb.maxRequests,
        maxRetries: cb.maxRetries,
      },
    ],
  };
}
