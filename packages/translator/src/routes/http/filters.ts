// The HTTPRoute filter table: one entry per filter type, saying how the filter's configuration is
// checked and what it does to its rule (and, for the types the spec allows there, to a
// backendRef). A new filter type is one entry here. Filters that reference other objects
// (RequestMirror's backend, ExtensionRef's policy) are resolved afterwards, in rules.ts.
import { corsIR } from '../../core/cors.js';
import type { CorsIR, ForwardActionIR, HeaderModifierIR, PathModifierIR } from '@gantry/ir';
import type { HTTPCORSFilter, HTTPHeaderFilter, HTTPPathModifier, HTTPRouteFilter } from '@gantry/api';
import { Invalid, invalid } from '../../core/invalid.js';
import type { Mutable } from '../../core/memory.js';
import { Reason } from '../../status/conditions.js';
import type { RuleOptions } from '../../policies/policy.js';
import type { CompiledMatch, RedirectTemplate } from '../route-kind.js';
import { trimTrailingSlash } from './matches.js';
import { hostnameError, pathError } from '../../core/envoy-limits.js';
import { headerModifier, headerModifierError } from '../header-modifier.js';

/** A rule's matches and filters, checked; references not yet resolved. */
export interface RuleStructure extends RuleOptions {
  readonly matches: readonly CompiledMatch[];
  readonly redirect?: RedirectTemplate;
  /** Per backendRef, only when some backendRef has filters. */
  readonly backendFilters?: readonly BackendFilters[];
}

export interface BackendFilters {
  requestHeaders?: HeaderModifierIR;
  responseHeaders?: HeaderModifierIR;
}

export interface HTTPFilter {
  /** The spec allows it at most once per rule. */
  readonly once: boolean;
  /** Checks the filter's configuration and records what it does in the rule. */
  compile(f: HTTPRouteFilter, rule: Mutable<RuleStructure>): Invalid | undefined;
  /** What it does on a backendRef; absent: not allowed there. */
  onBackendRef?(f: HTTPRouteFilter, out: BackendFilters): Invalid | undefined;
}

const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);

export const HTTP_FILTERS: Readonly<Record<string, HTTPFilter>> = {
  RequestHeaderModifier: {
    once: true,
    compile: (f, rule) => headers(f, f.requestHeaderModifier, (h) => (rule.requestHeaders = h)),
    onBackendRef: (f, out) => headers(f, f.requestHeaderModifier, (h) => (out.requestHeaders = h)),
  },
  ResponseHeaderModifier: {
    once: true,
    compile: (f, rule) => headers(f, f.responseHeaderModifier, (h) => (rule.responseHeaders = h)),
    onBackendRef: (f, out) => headers(f, f.responseHeaderModifier, (h) => (out.responseHeaders = h)),
  },
  RequestRedirect: {
    once: true,
    compile(f, rule) {
      if (!f.requestRedirect) return noConfiguration(f);
      const r = redirectTemplate(f.requestRedirect, rule.matches);
      if (r instanceof Invalid) return r;
      rule.redirect = r;
      return undefined;
    },
  },
  URLRewrite: {
    once: true,
    compile(f, rule) {
      if (!f.urlRewrite) return noConfiguration(f);
      const r = rewrite(f.urlRewrite, rule.matches);
      if (r instanceof Invalid) return r;
      if (r?.path) rule.pathRewrite = r.path;
      if (r?.hostname) rule.hostRewrite = { hostname: r.hostname };
      return undefined;
    },
  },
  CORS: {
    once: true,
    compile(f, rule) {
      if (!f.cors) return noConfiguration(f);
      rule.cors = corsPolicy(f.cors);
      return undefined;
    },
  },
  RequestMirror: {
    once: false,
    compile(f) {
      if (!f.requestMirror) return noConfiguration(f);
      const p = mirrorPercent(f.requestMirror);
      return p instanceof Invalid ? p : undefined;
    },
  },
  ExtensionRef: {
    once: false,
    compile: (f) => (f.extensionRef ? undefined : noConfiguration(f)),
  },
  ExternalAuth: {
    once: false,
    compile: () => invalid('ExternalAuth filters are not supported'),
  },
};

/** The table's entry for a filter type (own entries only: types come from user input). */
export function httpFilter(type: string): HTTPFilter | undefined {
  return Object.prototype.hasOwnProperty.call(HTTP_FILTERS, type) ? HTTP_FILTERS[type] : undefined;
}

function noConfiguration(f: HTTPRouteFilter): Invalid {
  return invalid(`filter ${f.type} has no configuration`);
}

function headers(f: HTTPRouteFilter, config: HTTPHeaderFilter | undefined, set: (h: HeaderModifierIR | undefined) => void): Invalid | undefined {
  if (config === undefined || config === null) return noConfiguration(f);
  const problem = headerModifierError(config, f.type);
  if (problem) return invalid(problem);
  set(headerModifier(config));
  return undefined;
}


function pathModifier(m: HTTPPathModifier, matches: readonly CompiledMatch[]): PathModifierIR | Invalid {
  switch (m.type) {
    case 'ReplaceFullPath': {
      if (m.replaceFullPath === undefined) return invalid('ReplaceFullPath needs replaceFullPath');
      const err = pathError(m.replaceFullPath, 'replaceFullPath');
      if (err) return invalid(err);
      return { type: 'ReplaceFullPath', value: m.replaceFullPath };
    }
    case 'ReplacePrefixMatch': {
      if (m.replacePrefixMatch === undefined) return invalid('ReplacePrefixMatch needs replacePrefixMatch');
      const err = m.replacePrefixMatch === '' ? undefined : pathError(m.replacePrefixMatch, 'replacePrefixMatch');
      if (err) return invalid(err);
      if (matches.some((x) => x.match.path.type !== 'PathPrefix')) {
        return invalid('ReplacePrefixMatch can only be used with PathPrefix matches');
      }
      // "/xyz/" and "/xyz" behave the same, as do "/" and "": keep the form without the slash.
      return { type: 'ReplacePrefixMatch', value: trimTrailingSlash(m.replacePrefixMatch) };
    }
    default:
      return invalid(`path modifier type ${m.type} is not supported`);
  }
}

function redirectTemplate(r: NonNullable<HTTPRouteFilter['requestRedirect']>, matches: readonly CompiledMatch[]): RedirectTemplate | Invalid {
  if (r.scheme !== undefined && r.scheme !== 'http' && r.scheme !== 'https') return invalid(`redirect scheme ${r.scheme} is not supported`);
  const statusCode = r.statusCode ?? 302;
  if (!REDIRECT_CODES.has(statusCode)) return invalid(`redirect status code ${statusCode} is not supported`);
  if (r.port !== undefined && !(Number.isInteger(r.port) && r.port > 0 && r.port < 65536)) return invalid(`redirect port ${r.port} is invalid`);
  if (r.hostname) {
    const err = hostnameError(r.hostname, 'redirect hostname', true);
    if (err) return invalid(err);
  }
  const path = r.path ? pathModifier(r.path, matches) : undefined;
  if (path instanceof Invalid) return path;
  return {
    kind: 'redirectTemplate',
    ...(r.scheme ? { scheme: r.scheme } : {}),
    ...(r.hostname ? { hostname: r.hostname.toLowerCase() } : {}),
    ...(r.port !== undefined ? { port: r.port } : {}),
    ...(path ? { path } : {}),
    statusCode,
  };
}

function rewrite(r: NonNullable<HTTPRouteFilter['urlRewrite']>, matches: readonly CompiledMatch[]): ForwardActionIR['urlRewrite'] | Invalid {
  if (r.hostname) {
    const err = hostnameError(r.hostname, 'rewrite hostname', true);
    if (err) return invalid(err);
  }
  const path = r.path ? pathModifier(r.path, matches) : undefined;
  if (path instanceof Invalid) return path;
  if (!r.hostname && !path) return undefined;
  return { ...(r.hostname ? { hostname: r.hostname.toLowerCase() } : {}), ...(path ? { path } : {}) };
}

/** The spec's default Access-Control-Max-Age is 5 seconds. */
function corsPolicy(c: HTTPCORSFilter): CorsIR {
  return corsIR(c, c.maxAge !== undefined && c.maxAge > 0 ? c.maxAge : 5);
}

/** Percent of requests mirrored (undefined = all). */
export function mirrorPercent(m: NonNullable<HTTPRouteFilter['requestMirror']>): number | undefined | Invalid {
  if (m.percent !== undefined && m.fraction !== undefined) return invalid('RequestMirror takes percent or fraction, not both');
  if (m.percent !== undefined) {
    if (!(m.percent >= 0 && m.percent <= 100)) return invalid(`RequestMirror percent ${m.percent} is out of range`);
    return m.percent;
  }
  if (m.fraction !== undefined) {
    const den = m.fraction.denominator ?? 100;
    if (!(den > 0) || !(m.fraction.numerator >= 0) || m.fraction.numerator > den) {
      return invalid(`RequestMirror fraction ${m.fraction.numerator}/${den} is invalid`);
    }
    return (m.fraction.numerator * 100) / den;
  }
  return undefined;
}

/** The filters of one backendRef, checked against the table. */
export function backendRefFilters(name: string, filters: readonly HTTPRouteFilter[]): BackendFilters | Invalid {
  const out: BackendFilters = {};
  const seen = new Set<string>();
  for (const f of filters) {
    if (seen.has(f.type)) return invalid(`backendRef ${name}: ${f.type} filter may appear only once`, Reason.IncompatibleFilters);
    seen.add(f.type);
    const onBackendRef = httpFilter(f.type)?.onBackendRef;
    if (!onBackendRef) return invalid(`backendRef ${name}: filter type ${f.type} is not supported on backendRefs`);
    const problem = onBackendRef(f, out);
    if (problem) return problem;
  }
  if (out.requestHeaders === undefined) delete out.requestHeaders;
  if (out.responseHeaders === undefined) delete out.responseHeaders;
  return out;
}
