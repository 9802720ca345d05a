// Gateway API CORS filter as the Envoy CORS filter's per-route policy.
import type { CorsIR } from '@gantry/ir';
import type { CorsPolicy, StringMatcher } from '@gantry/envoy-xds-proto';
import { escapeRegex } from './path.js';
import type { DeepPartial } from './proto.js';

/**
 * `*` alone allows any origin; a `*` inside an origin's host is greedy to the left and may span
 * several labels (Gateway API HTTPCORSFilter), i.e. the regex `.*`.
 */
function originMatcher(origin: string): DeepPartial<StringMatcher> {
  if (!origin.includes('*')) return { matchPattern: { $case: 'exact', exact: origin } };
  const regex = origin.split('*').map(escapeRegex).join('.*');
  return { matchPattern: { $case: 'safeRegex', safeRegex: { regex } } };
}

export function corsPolicy(cors: CorsIR): DeepPartial<CorsPolicy> {
  return {
    allowOriginStringMatch: cors.allowOrigins.map(originMatcher),
    allowMethods: (cors.allowMethods ?? []).join(','),
    allowHeaders: (cors.allowHeaders ?? []).join(','),
    exposeHeaders: (cors.exposeHeaders ?? []).join(','),
    maxAge: cors.maxAgeSeconds === undefined ? '' : String(cors.maxAgeSeconds),
    ...(cors.allowCredentials === true ? { allowCredentials: true } : {}),
    // Envoy answers preflights from origins that are not allowed itself (no CORS headers), rather
    // than passing them to the backend.
    forwardNotMatchingPreflights: false,
  };
}
