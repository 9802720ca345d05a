// The implementations the cluster bench drives: Gantry (as cluster-up runs it) and, when it is
// installed on the same cluster, the peer (Envoy Gateway, never part of the product). The
// scenarios only see this interface: a GatewayClass, where a Gateway's Envoy Pods are, the
// controller's process, and (Gantry) its metrics.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findPids, fetchText } from './probe.js';

export interface Implementation {
  /** "gantry" or "envoy-gateway" (keys of results.json). */
  readonly name: string;
  readonly gatewayClass: string;
  /** Namespace and label selector of the Envoy Pods of Gateway `ns/gw`. */
  envoyPods(namespace: string, gateway: string): { namespace: string; selector: string };
  /** Envoy's Prometheus stats URL on a Pod address, if the implementation exposes one. */
  envoyStatsUrl(podIP: string): string | undefined;
  /** The controller's pid (for RSS and CPU), if it runs on this host. */
  controllerPid(): number | undefined;
  /** The controller's Prometheus text, if it can be had. */
  controllerMetrics(): Promise<string | undefined>;
}

export function gantry(clusterDir: string): Implementation {
  const env = (): Map<string, string> => new Map(
    readFileSync(join(clusterDir, 'gantry.env'), 'utf8').split('\n').filter((l) => l.includes('=')).map((l) => l.split('=', 2) as [string, string]),
  );
  return {
    name: 'gantry',
    gatewayClass: 'gantry',
    envoyPods: (namespace, gateway) => ({ namespace, selector: `gateway.networking.k8s.io/gateway-name=${gateway}` }),
    envoyStatsUrl: (podIP) => `http://${podIP}:19002/stats/prometheus`,
    controllerPid: () => {
      if (!existsSync(join(clusterDir, 'gantry-controller.pid'))) return undefined;
      try {
        return Number(readFileSync(join(clusterDir, 'gantry-controller.pid'), 'utf8').trim());
      } catch {
        return undefined;
      }
    },
    controllerMetrics: async () => {
      // Local install only: a controller run as a Pod (helm install) has no admin port here.
      if (!existsSync(join(clusterDir, 'gantry-controller.pid'))) return undefined;
      return fetchText(`http://127.0.0.1:${env().get('GANTRY_ADMIN_PORT')}/metrics`);
    },
  };
}

/** Envoy Gateway installed by hack/bench-peer.sh (its chart's Deployment run as a Pod by the node agent). */
export const EG_GATEWAY_CLASS = 'eg-bench';
export const EG_NAMESPACE = 'envoy-gateway-system';

export function envoyGateway(): Implementation {
  return {
    name: 'envoy-gateway',
    gatewayClass: EG_GATEWAY_CLASS,
    envoyPods: (namespace, gateway) => ({
      namespace: EG_NAMESPACE,
      selector: `gateway.envoyproxy.io/owning-gateway-name=${gateway},gateway.envoyproxy.io/owning-gateway-namespace=${namespace}`,
    }),
    envoyStatsUrl: (podIP) => `http://${podIP}:19001/stats/prometheus`,
    controllerPid: () => findPids(['envoy-gateway', 'server'])[0],
    controllerMetrics: async () => undefined,
  };
}
