// CORS as the IR takes it, from the fields Gateway API's CORS filter and RouteOption's cors share.
import type { CorsIR } from '@gantry/ir';

export interface CorsFields {
  readonly allowOrigins?: readonly string[];
  readonly allowCredentials?: boolean;
  readonly allowMethods?: readonly string[];
  readonly allowHeaders?: readonly string[];
  readonly exposeHeaders?: readonly string[];
}

/** Empty lists are left out (Envoy's defaults apply). */
export function corsIR(c: CorsFields, maxAgeSeconds: number): CorsIR {
  return {
    allowOrigins: [...(c.allowOrigins ?? [])],
    ...(c.allowCredentials !== undefined ? { allowCredentials: c.allowCredentials } : {}),
    ...(c.allowMethods && c.allowMethods.length > 0 ? { allowMethods: [...c.allowMethods] } : {}),
    ...(c.allowHeaders && c.allowHeaders.length > 0 ? { allowHeaders: [...c.allowHeaders] } : {}),
    ...(c.exposeHeaders && c.exposeHeaders.length > 0 ? { exposeHeaders: [...c.exposeHeaders] } : {}),
    maxAgeSeconds,
  };
}
