// HTTPRoute matches → IR matches, with the facts precedence orders them by.
import type { RouteMatchIR, StringMatchIR } from '@gantry/ir';
import type { HTTPRouteMatch } from '@gantry/api';
import { Invalid, invalid } from '../../core/invalid.js';
import { exact, type Mutable } from '../../core/memory.js';
import { headerNameError, headerValueError, pathError, re2Error } from '../../core/envoy-limits.js';
import { quoteValue } from '@gantry/api';
import type { CompiledMatch } from '../route-kind.js';

const NONE: StringMatchIR[] = [];
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

export function compileMatch(m: HTTPRouteMatch, index: number): CompiledMatch | Invalid {
  const type = m.path?.type ?? 'PathPrefix';
  let value = m.path?.value ?? '/';
  let pathRank: number;
  switch (type) {
    case 'Exact':
    case 'PathPrefix':
      if (!value.startsWith('/')) return invalid(`path ${quoteValue(value)} must start with /`);
      if (value.includes('//')) return invalid(`path ${quoteValue(value)} must not contain //`);
      {
        const err = pathError(value, 'path');
        if (err) return invalid(err);
      }
      if (type === 'PathPrefix') value = trimTrailingSlash(value) || '/';
      pathRank = type === 'Exact' ? 0 : 2;
      break;
    case 'RegularExpression': {
      const err = re2Error(value);
      if (err) return invalid(`path regular expression: ${err}`);
      pathRank = 1;
      break;
    }
    default:
      return invalid(`path match type ${type} is not supported`);
  }
  const headers = m.headers && m.headers.length > 0 ? stringMatches(m.headers, 'header', true) : NONE;
  if (headers instanceof Invalid) return headers;
  const queryParams = m.queryParams && m.queryParams.length > 0 ? stringMatches(m.queryParams, 'query parameter', false) : NONE;
  if (queryParams instanceof Invalid) return queryParams;
  if (m.method !== undefined && !METHODS.has(m.method)) return invalid(`method ${m.method} is not supported`);
  const match: Mutable<RouteMatchIR> = { path: { type: type as 'Exact' | 'PathPrefix' | 'RegularExpression', value } };
  if (headers.length > 0) match.headers = headers;
  if (queryParams.length > 0) match.queryParams = queryParams;
  if (m.method !== undefined) match.method = m.method;
  return {
    index,
    match,
    pathRank,
    pathLength: value.length,
    hasMethod: m.method !== undefined,
    headerCount: headers.length,
    queryCount: queryParams.length,
  };
}

/** Only the first entry of a name counts (the spec); header names compare case-insensitively. */
function stringMatches(items: readonly { type?: string; name: string; value: string }[], what: string, lowerCase: boolean): StringMatchIR[] | Invalid {
  const out: StringMatchIR[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    const nameErr = headerNameError(item.name, `${what} name`);
    if (nameErr) return invalid(nameErr);
    const name = lowerCase ? item.name.toLowerCase() : item.name;
    if (seen.has(name)) continue;
    seen.add(name);
    const type = item.type ?? 'Exact';
    if (type === 'RegularExpression') {
      const err = re2Error(item.value);
      if (err) return invalid(`${what} ${item.name} regular expression: ${err}`);
    } else if (type !== 'Exact') {
      return invalid(`${what} match type ${type} is not supported`);
    } else {
      const valueErr = headerValueError(item.value, `${what} ${item.name} value`);
      if (valueErr) return invalid(valueErr);
    }
    out.push({ name, type, value: item.value });
  }
  return exact(out);
}

export function trimTrailingSlash(p: string): string {
  let end = p.length;
  while (end > 0 && p.charCodeAt(end - 1) === 47 /* / */) end--;
  return p.slice(0, end);
}
