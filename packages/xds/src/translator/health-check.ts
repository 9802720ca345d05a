// ClusterIR.healthCheck -> the cluster's one health_checks entry (Envoy runs every entry, so
// a second one would be a second checker, never a fallback).
import type { HealthCheckIR, UpstreamProtocol } from '@gantry/ir';
import type { HealthCheck, HealthCheck_Payload } from '@gantry/envoy-xds-proto/generated/envoy/config/core/v3/health_check';
import { CodecClientType } from '@gantry/envoy-xds-proto/generated/envoy/type/v3/http';
import { durationMs, type DeepPartial } from './proto.js';

/** Envoy's `text` payload is hex: the UTF-8 bytes of the IR's text. */
function textPayload(text: string): DeepPartial<HealthCheck_Payload> {
  return { payload: { $case: 'text', text: Buffer.from(text, 'utf8').toString('hex').toUpperCase() } };
}

function checker(hc: HealthCheckIR, protocol: UpstreamProtocol): DeepPartial<HealthCheck>['healthChecker'] {
  const check = hc.check;
  switch (check.type) {
    case 'http':
      return {
        $case: 'httpHealthCheck',
        httpHealthCheck: {
          host: check.host ?? '',
          path: check.path,
          // The IR's ranges include their end; Envoy's Int64Range excludes it.
          expectedStatuses: (check.expectedStatuses ?? []).map((r) => ({ start: r.start, end: r.end + 1 })),
          // An h2c upstream may not speak HTTP/1.1 at all: check it the way traffic reaches it.
          codecClientType: protocol === 'h2c' ? CodecClientType.HTTP2 : CodecClientType.HTTP1,
        },
      };
    case 'tcp':
      return {
        $case: 'tcpHealthCheck',
        tcpHealthCheck: {
          ...(check.send === undefined ? {} : { send: textPayload(check.send) }),
          receive: (check.receive ?? []).map(textPayload),
        },
      };
    case 'grpc':
      // gRPC checks always use HTTP/2 (validate() requires an h2c cluster).
      return { $case: 'grpcHealthCheck', grpcHealthCheck: { serviceName: check.serviceName ?? '' } };
  }
}

export function healthCheck(hc: HealthCheckIR, protocol: UpstreamProtocol): DeepPartial<HealthCheck> {
  const interval = durationMs(hc.intervalMs);
  return {
    timeout: durationMs(hc.timeoutMs),
    interval,
    // Envoy checks a cluster that has never carried traffic only every 60 s by default: a host
    // that dies before the first request would stay "healthy" for a minute. The interval is the
    // interval.
    noTrafficInterval: interval,
    unhealthyThreshold: hc.unhealthyThreshold,
    healthyThreshold: hc.healthyThreshold,
    healthChecker: checker(hc, protocol),
  };
}
