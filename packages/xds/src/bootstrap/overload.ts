// The overload manager every Gantry Envoy starts with. Without a limit on active downstream
// connections, a flood of idle connections can exhaust file descriptors and memory before any
// request is refused; Envoy warns at startup when none is configured.
import type { Bootstrap } from '@gantry/envoy-xds-proto';
import { packAny } from '@gantry/envoy-xds-proto/any';
import { DownstreamConnectionsConfig } from '@gantry/envoy-xds-proto/generated/envoy/extensions/resource_monitors/downstream_connections/v3/downstream_connections';
import type { DeepPartial } from '../translator/proto.js';

/** Envoy's own name for the monitor that caps connections across all listeners. */
export const DOWNSTREAM_CONNECTIONS_MONITOR = 'envoy.resource_monitors.global_downstream_max_connections';

/** High enough never to bind a single Gateway's normal load; low enough to keep a flood finite. */
export const DEFAULT_MAX_DOWNSTREAM_CONNECTIONS = 50_000;

export function gantryOverloadManager(maxConnections = DEFAULT_MAX_DOWNSTREAM_CONNECTIONS): DeepPartial<Bootstrap>['overloadManager'] {
  const config = DownstreamConnectionsConfig.fromPartial({ maxActiveDownstreamConnections: maxConnections });
  return {
    resourceMonitors: [{ name: DOWNSTREAM_CONNECTIONS_MONITOR, configType: { $case: 'typedConfig', typedConfig: packAny(config) } }],
  };
}
