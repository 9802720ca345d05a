// What Envoy refuses, checked per object before it can reach Envoy. A value Envoy would reject
// makes it refuse the whole resource (a route table, a listener), and with it every other route
// of the Gateway: each check here lets the object that carries the value be reported and left out
// instead. The bounds are Envoy's own (protobuf field types, its proto validation rules) or,
// where tighter, the Gateway API CRD's, so that file modes refuse what the API server would.
import { createRequire } from 'node:module';
import { quoteValue } from '@gantry/api';

export const UINT32_MAX = 0xffffffff;
export const INT32_MAX = 0x7fffffff;

/** Why `n` does not fit a protobuf uint32 (UInt32Value), or undefined. */
export function uint32Error(n: unknown, what: string): string | undefined {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > UINT32_MAX) return `${what} ${describeNumber(n)} is out of range (0 to ${UINT32_MAX})`;
  return undefined;
}

/** Why `n` is not an integer in [min, max], or undefined. */
export function intRangeError(n: unknown, min: number, max: number, what: string): string | undefined {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) return `${what} ${describeNumber(n)} is out of range (${min} to ${max})`;
  return undefined;
}

function describeNumber(n: unknown): string {
  return typeof n === 'number' ? String(n) : typeof n === 'string' ? quoteValue(n, 20) : typeof n;
}

/** RFC 7230 token: what the Gateway API CRD allows in a header name (Envoy: no NUL, CR, LF; not empty). */
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;
export const MAX_HEADER_NAME = 256;
export const MAX_HEADER_VALUE = 4096;

export function headerNameError(name: unknown, what = 'header name'): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return `${what} must not be empty`;
  if (name.length > MAX_HEADER_NAME) return `${what} is longer than ${MAX_HEADER_NAME} characters`;
  if (!HEADER_NAME.test(name)) return `${what} ${quoteValue(name)} has a character not allowed in a header name`;
  return undefined;
}

/** Envoy refuses NUL, CR and LF in header values (they would split the header). */
const HEADER_VALUE_FORBIDDEN = /[\0\r\n]/;

export function headerValueError(value: unknown, what = 'header value'): string | undefined {
  if (typeof value !== 'string') return `${what} must be a string`;
  if (value.length > MAX_HEADER_VALUE) return `${what} is longer than ${MAX_HEADER_VALUE} characters`;
  if (HEADER_VALUE_FORBIDDEN.test(value)) return `${what} contains a NUL, CR or LF character`;
  return undefined;
}

/** RFC 1123 DNS name, lower case, optionally `*.`-prefixed (the Gateway API Hostname type). */
const HOSTNAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const PRECISE_HOSTNAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A Hostname (wildcard allowed) or, with `precise`, a PreciseHostname. Upper case is accepted (lowered later). */
export function hostnameError(h: unknown, what = 'hostname', precise = false): string | undefined {
  if (typeof h !== 'string' || h.length === 0) return `${what} must not be empty`;
  if (h.length > 253) return `${what} is longer than 253 characters`;
  const lower = h.toLowerCase();
  if (!(precise ? PRECISE_HOSTNAME : HOSTNAME).test(lower)) {
    return `${what} ${quoteValue(h)} is not a valid ${precise ? 'DNS name' : 'hostname (a DNS name, optionally starting with *.)'}`;
  }
  return undefined;
}

/** An absolute path as the CRD allows it in matches and modifiers: printable URL characters only. */
const PATH = /^\/(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})*$/;
export const MAX_PATH = 1024;

export function pathError(p: unknown, what = 'path'): string | undefined {
  if (typeof p !== 'string') return `${what} must be a string`;
  if (p.length > MAX_PATH) return `${what} is longer than ${MAX_PATH} characters`;
  if (!PATH.test(p)) return `${what} ${quoteValue(p)} must start with / and hold only URL path characters`;
  return undefined;
}

// ---- regular expressions: RE2, the engine Envoy uses ------------------------------------------

interface WrappedRE2 {
  ok(): boolean;
  error(): string;
  delete?(): void;
}
type WrappedRE2Constructor = new (pattern: string, ignoreCase: boolean, multiline: boolean, dotAll: boolean) => WrappedRE2;

let re2: WrappedRE2Constructor | undefined;

/**
 * Google's RE2 compiled to WebAssembly (npm `re2-wasm`, pinned; no compiler needed to install).
 * Its low-level class takes RE2 syntax as is: the package's RegExp-like wrapper would first
 * rewrite JavaScript-only escapes (`\cA`, `\u0041`) into RE2 ones, accepting what Envoy refuses.
 */
function engine(): WrappedRE2Constructor {
  if (re2 === undefined) {
    const require = createRequire(import.meta.url);
    re2 = (require('re2-wasm/build/wasm/re2.js') as { WrappedRE2: WrappedRE2Constructor }).WrappedRE2;
  }
  return re2;
}

export const MAX_REGEX = 1024;

/** Why RE2 (as Envoy runs it) would reject the expression, or undefined when it compiles. */
export function re2Error(expr: string): string | undefined {
  if (expr.length > MAX_REGEX) return `longer than ${MAX_REGEX} characters`;
  if (expr.includes('\0')) return 'contains a NUL character';
  // Envoy's RE2 names groups `(?P<name>...)` and, since 2023, `(?<name>...)`: the bundled build
  // only knows the first spelling.
  const pattern = expr.replace(/(^|[^\\])((?:\\\\)*)\(\?<(?![=!])/g, '$1$2(?P<');
  const RE2 = engine();
  const compiled = new RE2(pattern, false, false, false);
  try {
    if (!compiled.ok()) return `not a valid RE2 regular expression (${compiled.error()})`;
  } finally {
    compiled.delete?.();
  }
  return undefined;
}

// ---- addresses ----

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** IPv4 dotted quad, or IPv6 (hex groups and colons, at most one `::`, optional embedded IPv4). */
export function isIP(addr: string): boolean {
  if (IPV4.test(addr)) return true;
  if (!addr.includes(':') || !/^[0-9a-f:.]+$/.test(addr)) return false;
  const halves = addr.split('::');
  if (halves.length > 2) return false;
  const groups = halves.flatMap((h) => (h === '' ? [] : h.split(':')));
  const last = groups[groups.length - 1];
  const v4 = last !== undefined && last.includes('.');
  if (v4 && !IPV4.test(last)) return false;
  const hex = v4 ? groups.slice(0, -1) : groups;
  if (!hex.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return false;
  const count = hex.length + (v4 ? 2 : 0);
  return halves.length === 2 ? count < 8 : count === 8;
}
