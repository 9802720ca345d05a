// RouteOption (gateway.gantry.dev/v1alpha1) → RuleOptions. The API server already refused what
// its CEL rules catch; this checks the same again (manifest files, objects stored before a rule
// existed), so nothing Envoy would reject reaches it: a bad RouteOption is an error value, shown
// in its own status and, where an ExtensionRef names it, in the route's ResolvedRefs.
import { corsIR } from '../core/cors.js';
import type { CorsIR, FaultIR, HeaderModifierIR, HeaderValueIR, PathModifierIR, RetryIR } from '@gantry/ir';
import {
  GANTRY_API_GROUP,
  HEADER_NAME_PATTERN,
  RETRY_ON_CONDITIONS,
  ROUTE_OPTION_KIND,
  type HeaderValueOption,
  type KubeObject,
  type RouteOptions,
  type RouteOptionSpec,
} from '@gantry/api';
import { parseDurationMs } from '../core/duration.js';
import { hashPoliciesIR } from '../core/hash-policies.js';
import { Invalid, invalid } from '../core/invalid.js';
import type { Mutable } from '../core/memory.js';
import { re2Error } from '../core/envoy-limits.js';
import { Reason } from '../status/conditions.js';
import type { PolicyResolution, RoutePolicy, RuleOptions } from './policy.js';

const HEADER_NAME = new RegExp(HEADER_NAME_PATTERN);
const BAD_VALUE = /[\r\n\0]/;
const HOSTNAME = /^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*(:[0-9]{1,5})?$/;
const RETRY_ON = new Set(RETRY_ON_CONDITIONS);

export const ROUTE_OPTION_POLICY: RoutePolicy = {
  group: GANTRY_API_GROUP,
  kind: ROUTE_OPTION_KIND,
  resolve(policy: KubeObject): PolicyResolution {
    const spec = policy.spec as RouteOptionSpec | undefined;
    const r = routeOptions(spec?.options ?? {});
    if (r instanceof Invalid) return { ok: false, reason: Reason.Invalid, message: `RouteOption ${policy.metadata.name} is invalid: ${r.message}` };
    return { ok: true, options: r };
  },
};

/** The options, checked, as IR pieces. */
export function routeOptions(o: RouteOptions): RuleOptions | Invalid {
  const out: Mutable<RuleOptions> = {};
  if (o.prefixRewrite !== undefined && o.regexRewrite !== undefined) return invalid('at most one of prefixRewrite and regexRewrite may be set');
  if (o.prefixRewrite !== undefined) {
    if (typeof o.prefixRewrite !== 'string' || !o.prefixRewrite.startsWith('/') || /[\r\n\0?#]/.test(o.prefixRewrite)) {
      return invalid(`prefixRewrite ${JSON.stringify(o.prefixRewrite)} must be a path starting with /`);
    }
    // Like ReplacePrefixMatch: "/xyz/" and "/xyz" behave the same, as do "/" and "".
    const value = o.prefixRewrite.replace(/\/+$/, '');
    out.pathRewrite = { type: 'ReplacePrefixMatch', value };
  }
  if (o.regexRewrite !== undefined) {
    const { pattern, substitution } = o.regexRewrite;
    if (typeof pattern !== 'string' || pattern === '') return invalid('regexRewrite.pattern is required');
    const err = re2Error(pattern);
    if (err) return invalid(`regexRewrite.pattern: ${err}`);
    if (typeof substitution !== 'string' || BAD_VALUE.test(substitution)) return invalid('regexRewrite.substitution must be a string without CR, LF or NUL');
    const rw: PathModifierIR = { type: 'RegexReplace', value: pattern, substitution };
    out.pathRewrite = rw;
  }
  if (o.hostRewrite !== undefined && o.autoHostRewrite === true) return invalid('at most one of hostRewrite and autoHostRewrite may be set');
  if (o.hostRewrite !== undefined) {
    if (typeof o.hostRewrite !== 'string' || !HOSTNAME.test(o.hostRewrite)) return invalid(`hostRewrite ${JSON.stringify(o.hostRewrite)} is not a hostname`);
    out.hostRewrite = { hostname: o.hostRewrite.toLowerCase() };
  } else if (o.autoHostRewrite === true) out.hostRewrite = { auto: true };
  if (o.timeout !== undefined) {
    const ms = duration(o.timeout, 'timeout', false);
    if (ms instanceof Invalid) return ms;
    out.timeouts = { requestMs: ms };
  }
  if (o.idleTimeout !== undefined) {
    const ms = duration(o.idleTimeout, 'idleTimeout', true);
    if (ms instanceof Invalid) return ms;
    out.idleTimeoutMs = ms;
  }
  if (o.retries !== undefined) {
    const r = retries(o.retries);
    if (r instanceof Invalid) return r;
    out.retry = r;
  }
  if (o.headerManipulation !== undefined) {
    const h = o.headerManipulation;
    const req = headers(h.requestHeadersToAdd, h.requestHeadersToRemove, 'request');
    if (req instanceof Invalid) return req;
    const res = headers(h.responseHeadersToAdd, h.responseHeadersToRemove, 'response');
    if (res instanceof Invalid) return res;
    if (req) out.requestHeaders = req;
    if (res) out.responseHeaders = res;
  }
  if (o.cors !== undefined) {
    const c = cors(o.cors);
    if (c instanceof Invalid) return c;
    out.cors = c;
  }
  if (o.faults !== undefined) {
    const f = faults(o.faults);
    if (f instanceof Invalid) return f;
    out.faults = f;
  }
  if (o.lbHash !== undefined) {
    const hp = hashPoliciesIR(o.lbHash.hashPolicies, 'lbHash.hashPolicies');
    if (hp instanceof Invalid) return hp;
    if (!hp) return invalid('lbHash.hashPolicies needs at least one policy');
    for (const p of hp) if (p.type === 'header' && !HEADER_NAME.test(p.name)) return invalid(`lbHash: header name ${JSON.stringify(p.name)} is invalid`);
    out.hashPolicies = hp;
  }
  if (o.directResponse !== undefined) {
    const { status, body } = o.directResponse;
    if (!(Number.isInteger(status) && status >= 200 && status <= 599)) return invalid(`directResponse.status ${status} must be 200-599`);
    if (body !== undefined && typeof body !== 'string') return invalid('directResponse.body must be a string');
    out.directResponse = body !== undefined && body !== '' ? { kind: 'directResponse', status, body } : { kind: 'directResponse', status };
  }
  return out;
}

function duration(text: unknown, field: string, positive: boolean): number | Invalid {
  const ms = typeof text === 'string' ? parseDurationMs(text) : undefined;
  if (ms === undefined) return invalid(`${field} ${JSON.stringify(text)} is not a valid duration`);
  if (positive && ms <= 0) return invalid(`${field} must be greater than 0`);
  return ms;
}

function retries(r: NonNullable<RouteOptions['retries']>): RetryIR | Invalid {
  const out: Mutable<RetryIR> = {};
  if (r.retryOn !== undefined) {
    const on = String(r.retryOn).split(',').map((c) => c.trim());
    const bad = on.filter((c) => !RETRY_ON.has(c));
    if (bad.length > 0) return invalid(`retries.retryOn: unknown condition(s) ${bad.join(', ')}`);
    out.on = on;
  }
  if (r.numRetries !== undefined) {
    if (!(Number.isInteger(r.numRetries) && r.numRetries >= 0 && r.numRetries <= 100)) return invalid(`retries.numRetries ${r.numRetries} must be 0-100`);
    out.attempts = r.numRetries;
  }
  if (r.perTryTimeout !== undefined) {
    const ms = duration(r.perTryTimeout, 'retries.perTryTimeout', true);
    if (ms instanceof Invalid) return ms;
    out.perTryTimeoutMs = ms;
  }
  if (r.retriableStatusCodes !== undefined && r.retriableStatusCodes.length > 0) {
    for (const c of r.retriableStatusCodes) if (!(Number.isInteger(c) && c >= 100 && c <= 599)) return invalid(`retries.retriableStatusCodes: ${c} is not a status code`);
    out.codes = [...r.retriableStatusCodes];
  }
  return out;
}

function headerName(name: unknown, where: string, request: boolean): string | Invalid {
  if (typeof name !== 'string' || !HEADER_NAME.test(name)) return invalid(`${where}: ${JSON.stringify(name)} is not a valid header name (no ':' pseudo-headers, CR, LF or spaces)`);
  if (request && name.toLowerCase() === 'host') return invalid(`${where}: the host header cannot be modified here; use hostRewrite`);
  return name;
}

function headers(add: readonly HeaderValueOption[] | undefined, remove: readonly string[] | undefined, which: 'request' | 'response'): HeaderModifierIR | undefined | Invalid {
  const request = which === 'request';
  const set: HeaderValueIR[] = [];
  const appended: HeaderValueIR[] = [];
  for (const [i, h] of (add ?? []).entries()) {
    const where = `headerManipulation.${which}HeadersToAdd[${i}]`;
    const name = headerName(h.header?.key, where, request);
    if (name instanceof Invalid) return name;
    const value = h.header?.value;
    if (typeof value !== 'string' || BAD_VALUE.test(value)) return invalid(`${where}: the value must be a string without CR, LF or NUL`);
    (h.append === false ? set : appended).push({ name: name.toLowerCase(), value });
  }
  const removed: string[] = [];
  for (const [i, n] of (remove ?? []).entries()) {
    const name = headerName(n, `headerManipulation.${which}HeadersToRemove[${i}]`, request);
    if (name instanceof Invalid) return name;
    removed.push(name.toLowerCase());
  }
  if (set.length + appended.length + removed.length === 0) return undefined;
  return {
    ...(set.length > 0 ? { set } : {}),
    ...(appended.length > 0 ? { add: appended } : {}),
    ...(removed.length > 0 ? { remove: removed } : {}),
  };
}

function cors(c: NonNullable<RouteOptions['cors']>): CorsIR | Invalid {
  for (const h of [...(c.allowHeaders ?? []), ...(c.exposeHeaders ?? [])]) {
    if (!HEADER_NAME.test(h)) return invalid(`cors: ${JSON.stringify(h)} is not a valid header name`);
  }
  let maxAgeSeconds = 5;
  if (c.maxAge !== undefined) {
    const ms = duration(c.maxAge, 'cors.maxAge', false);
    if (ms instanceof Invalid) return ms;
    maxAgeSeconds = Math.floor(ms / 1000);
  }
  return corsIR(c, maxAgeSeconds);
}

function percent(p: unknown, where: string): number | Invalid {
  if (p === undefined) return 100;
  if (typeof p !== 'number' || !(p >= 0 && p <= 100)) return invalid(`${where} ${String(p)} must be 0-100`);
  return p;
}

function faults(f: NonNullable<RouteOptions['faults']>): FaultIR | Invalid {
  if (f.abort === undefined && f.delay === undefined) return invalid('faults needs abort or delay');
  const out: Mutable<FaultIR> = {};
  if (f.abort !== undefined) {
    const p = percent(f.abort.percentage, 'faults.abort.percentage');
    if (p instanceof Invalid) return p;
    const status = f.abort.httpStatus;
    if (!(Number.isInteger(status) && status >= 200 && status <= 599)) return invalid(`faults.abort.httpStatus ${status} must be 200-599`);
    out.abort = { percent: p, status };
  }
  if (f.delay !== undefined) {
    const p = percent(f.delay.percentage, 'faults.delay.percentage');
    if (p instanceof Invalid) return p;
    const ms = duration(f.delay.fixedDelay, 'faults.delay.fixedDelay', true);
    if (ms instanceof Invalid) return ms;
    out.delay = { percent: p, fixedDelayMs: ms };
  }
  return out;
}
