import type { RouteLayout } from './route-config.js';

export interface XdsTranslateOptions {
  /** Address every Envoy listener binds to. Default `0.0.0.0`. */
  readonly listenAddress?: string;
  /** How route tables are served: 'scoped' (the default: sharded over SRDS) or 'single'. */
  readonly routeLayout?: RouteLayout;
}

export const DEFAULT_LISTEN_ADDRESS = '0.0.0.0';
