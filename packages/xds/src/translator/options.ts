export interface XdsTranslateOptions {
  /** Address every Envoy listener binds to. Default `0.0.0.0`. */
  readonly listenAddress?: string;
}

export const DEFAULT_LISTEN_ADDRESS = '0.0.0.0';
