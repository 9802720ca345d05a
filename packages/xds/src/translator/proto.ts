// Shorthands for building Envoy messages as partial literals (ts-proto's fromPartial fills
// defaults, so literals only name what differs from them).
import { ApiVersion } from '@gantry/envoy-xds-proto/generated/envoy/config/core/v3/config_source';
import type { ConfigSource, Duration } from '@gantry/envoy-xds-proto';
import type { DeepPartial } from '@gantry/envoy-xds-proto/generated/typeRegistry';

export type { DeepPartial };

/** Resources fetched over the same ADS stream as the one that named them. */
export const ADS_CONFIG_SOURCE: DeepPartial<ConfigSource> = {
  configSourceSpecifier: { $case: 'ads', ads: {} },
  resourceApiVersion: ApiVersion.V3,
};

export function durationMs(ms: number): DeepPartial<Duration> {
  const whole = Math.floor(ms);
  return { seconds: Math.floor(whole / 1000), nanos: (whole % 1000) * 1_000_000 };
}
