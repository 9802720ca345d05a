import type { RouteLayout } from './route-config.js';

export interface XdsTranslateOptions {
  /** Address every Envoy listener binds to. Default `0.0.0.0`. */
  readonly listenAddress?: string;
  /** How route tables are served: 'scoped' (the default: sharded over SRDS) or 'single'. */
  readonly routeLayout?: RouteLayout;
  /** An access log on every HTTP connection manager of the Gateway (Envoy's stdout). Default none. */
  readonly accessLog?: AccessLogOptions;
}

/** One line per request on Envoy's stdout: JSON with these fields, or a text format string. */
export type AccessLogOptions =
  | { readonly format: 'json'; readonly json: Readonly<Record<string, string>> }
  | { readonly format: 'text'; readonly text?: string };

/** Equal options give equal keys: what the listener memo compares. */
export function accessLogKey(a: AccessLogOptions | undefined): string {
  return a === undefined ? '' : JSON.stringify(a);
}

export const DEFAULT_LISTEN_ADDRESS = '0.0.0.0';
