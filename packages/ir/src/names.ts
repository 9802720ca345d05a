// Stable, readable names for Envoy resources. Every stage derives names through these helpers so
// that a name seen in an Envoy config dump leads straight back to the object that produced it.

export function gatewayKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export function listenerName(protocol: 'HTTP' | 'HTTPS', port: number): string {
  return `${protocol.toLowerCase()}-${port}`;
}

/** HTTP ports share one route table; each HTTPS Gateway listener gets its own. */
export function routeConfigName(protocol: 'HTTP' | 'HTTPS', port: number, gatewayListener?: string): string {
  const base = listenerName(protocol, port);
  return protocol === 'HTTPS' && gatewayListener !== undefined ? `${base}/${gatewayListener}` : base;
}

export function virtualHostName(routeConfig: string, hostname: string): string {
  return `${routeConfig}/${hostname}`;
}

export function serviceClusterName(namespace: string, service: string, port: number): string {
  return `kube/${namespace}/${service}/${port}`;
}

export function upstreamClusterName(namespace: string, upstream: string): string {
  return `upstream/${namespace}/${upstream}`;
}

export function virtualDestinationClusterName(namespace: string, name: string, port: number): string {
  return `vd/${namespace}/${name}/${port}`;
}

export function secretName(namespace: string, name: string): string {
  return `secret/${namespace}/${name}`;
}

export function routeName(kind: string, namespace: string, name: string, rule: number, match: number): string {
  return `${kind.toLowerCase()}/${namespace}/${name}/rule/${rule}/match/${match}`;
}
