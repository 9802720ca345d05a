// GRPCRoute matches → IR matches. A method match is a match on the request path
// `/<service>/<method>`: both given and Exact → an exact path; only the service → the path prefix
// `/<service>` (whole segments); otherwise a regular expression with `[^/]+` for what is absent.
// Precedence follows the spec's order (service characters, then method characters, then header
// matches) through the path rank and length the route tables sort by.
import type { RouteMatchIR, StringMatchIR } from '@gantry/ir';
import type { GRPCRouteMatch, HTTPHeaderMatch } from '@gantry/api';
import { Invalid, invalid } from '../../core/invalid.js';
import { exact, type Mutable } from '../../core/memory.js';
import { re2Error } from '../../core/envoy-limits.js';
import type { CompiledMatch } from '../route-kind.js';

const NONE: StringMatchIR[] = [];
/** What the CRD allows in an Exact service and method (checked again: files skip the CRD). */
const SERVICE = /^[A-Za-z_][A-Za-z_0-9]*(\.[A-Za-z_][A-Za-z_0-9]*)*$/;
const METHOD = /^[A-Za-z_][A-Za-z_0-9]*$/;

export function compileGRPCMatch(m: GRPCRouteMatch, index: number): CompiledMatch | Invalid {
  const headers = m.headers && m.headers.length > 0 ? headerMatches(m.headers) : NONE;
  if (headers instanceof Invalid) return headers;
  const path = pathOf(m);
  if (path instanceof Invalid) return path;
  const match: Mutable<RouteMatchIR> = { path: path.path };
  if (headers.length > 0) match.headers = headers;
  return { index, match, pathRank: path.rank, pathLength: path.length, hasMethod: false, headerCount: headers.length, queryCount: 0 };
}

interface PathOf {
  readonly path: RouteMatchIR['path'];
  readonly rank: number;
  /** Characters of service, then of method, matched (the spec's precedence): service × 1024 + method. */
  readonly length: number;
}

const ANY_PATH: PathOf = { path: { type: 'PathPrefix', value: '/' }, rank: 2, length: 0 };

function pathOf(m: GRPCRouteMatch): PathOf | Invalid {
  const method = m.method;
  if (!method) return ANY_PATH;
  const type = method.type ?? 'Exact';
  const service = method.service || undefined;
  const name = method.method || undefined;
  if (service === undefined && name === undefined) {
    return invalid('a method match needs a service or a method');
  }
  const length = (service?.length ?? 0) * 1024 + (name?.length ?? 0);
  switch (type) {
    case 'Exact':
      if (service !== undefined && !SERVICE.test(service)) return invalid(`gRPC service ${service} is not a valid name`);
      if (name !== undefined && !METHOD.test(name)) return invalid(`gRPC method ${name} is not a valid name`);
      if (service !== undefined && name !== undefined) return { path: { type: 'Exact', value: `/${service}/${name}` }, rank: 0, length };
      if (service !== undefined) return { path: { type: 'PathPrefix', value: `/${service}` }, rank: 0, length };
      return { path: { type: 'RegularExpression', value: `/[^/]+/${name as string}` }, rank: 0, length };
    case 'RegularExpression': {
      for (const [what, v] of [['service', service], ['method', name]] as const) {
        if (v === undefined) continue;
        const err = re2Error(v);
        if (err) return invalid(`gRPC ${what} regular expression: ${err}`);
      }
      return { path: { type: 'RegularExpression', value: `/${service ?? '[^/]+'}/${name ?? '[^/]+'}` }, rank: 1, length };
    }
    default:
      return invalid(`method match type ${type} is not supported`);
  }
}

/** Only the first entry of a name counts (the spec); names compare case-insensitively. */
function headerMatches(items: readonly HTTPHeaderMatch[]): StringMatchIR[] | Invalid {
  const out: StringMatchIR[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    const name = item.name.toLowerCase();
    if (seen.has(name)) continue;
    seen.add(name);
    const type = item.type ?? 'Exact';
    if (type === 'RegularExpression') {
      const err = re2Error(item.value);
      if (err) return invalid(`header ${item.name} regular expression: ${err}`);
    } else if (type !== 'Exact') {
      return invalid(`header match type ${type} is not supported`);
    }
    out.push({ name, type, value: item.value });
  }
  return exact(out);
}
