// Runtime settings every Gantry Envoy starts with (a static layer), plus the admin layer so that
// operators can still change runtime values through the admin API.
import type { Bootstrap } from '@gantry/envoy-xds-proto';
import type { DeepPartial } from '../translator/proto.js';

/**
 * Envoy refuses any regex whose RE2 program is larger than 100 instructions unless told
 * otherwise, and one refused regex makes it NACK the whole route table. The gateway translator
 * validates regexes against RE2's syntax and repetition limits; RE2's own memory budget (8 MiB
 * by default, which Envoy keeps) already bounds every program it compiles, far below this value.
 */
export const RE2_MAX_PROGRAM_SIZE = 1_000_000;

export function gantryRuntime(): DeepPartial<Bootstrap>['layeredRuntime'] {
  return {
    layers: [
      { name: 'gantry', layerSpecifier: { $case: 'staticLayer', staticLayer: { 're2.max_program_size.error_level': RE2_MAX_PROGRAM_SIZE } } },
      { name: 'admin', layerSpecifier: { $case: 'adminLayer', adminLayer: {} } },
    ],
  };
}
