// The node agent: Node registration, the Pods bound to it run as processes in their own network
// namespaces, the kubelet endpoint for logs, LoadBalancer/ClusterIP Services, and binding of
// unscheduled Pods. start() brings it all up; stop() takes everything down again, leaving no
// process, namespace, interface or address behind.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { ensureHostTools } from './host-tools.js';
import type { Logger } from './kube.js';
import { KubeletServer, type LogLookup } from './logs/kubelet-server.js';
import { Ipam, parseCidr } from './net/cidr.js';
import { bridgeOwnedByLiveAgent, claimBridge, forgetDeadOwner, releaseBridge } from './net/bridge-owner.js';
import { HostNetwork } from './net/host-network.js';
import { NodeRegistration, nodeLabels } from './node/node-registration.js';
import { ApiObjectSource } from './pods/api-object-source.js';
import { PodBinder } from './pods/binder.js';
import { KUBELET_BACKOFF, type RestartBackoff } from './pods/container-runner.js';
import type { ImageBinary } from './pods/images.js';
import { PodManager } from './pods/pod-manager.js';
import { sweepHostPaths, type PodWorker } from './pods/pod-worker.js';
import { ServiceProxier } from './services/service-proxier.js';
import { createServingCert } from './tls/serving-cert.js';

export interface AgentOptions {
  readonly kubeConfig: KubeConfig;
  readonly nodeName: string;
  /** Pod directories, logs, the serving certificate, network.env. */
  readonly stateDir: string;
  /** Bridge name; also prefixes the agent's network namespaces. */
  readonly bridge: string;
  readonly podCidr: string;
  readonly lbCidr: string;
  readonly kubeletPort: number;
  readonly clusterIPs: boolean;
  /**
   * What the kubelet and kube-proxy give Pods for in-cluster clients: `default/kubernetes` served
   * on its ClusterIP (forwarded to the kubeconfig's API server) and KUBERNETES_SERVICE_HOST/PORT
   * in every container. Off by default.
   */
  readonly apiService?: boolean;
  /**
   * Every container (but hostNetwork ones) gets an /etc/hosts naming the served ClusterIPs
   * `<svc>.<ns>.svc[.cluster.local]`, a stand-in for cluster DNS, and an /etc/resolv.conf whose
   * only nameserver is the Pod's own loopback: Pods cannot reach the host's nameserver (the host
   * does not forward for them), and a query that is refused at once lets resolvers that ask for
   * AAAA first (Envoy's AUTO) fall back to the hosts file without waiting for timeouts. Off by
   * default.
   */
  readonly serviceHosts?: boolean;
  readonly bindPods: boolean;
  readonly caCertFile?: string;
  readonly caKeyFile?: string;
  readonly images: readonly ImageBinary[];
  readonly backoff?: RestartBackoff;
  /** Upper bound of a Pod's grace period when the agent itself stops. */
  readonly shutdownGraceMs?: number;
  readonly retryMs?: number;
  readonly leaseRenewMs?: number;
  readonly log: Logger;
}

export const DEFAULTS = Object.freeze({
  nodeName: 'gantry-node',
  bridge: 'gantry0',
  podCidr: '10.244.0.0/16',
  lbCidr: '10.245.0.0/24',
  kubeletPort: 10250,
});

export class NodeAgent {
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly opts: AgentOptions,
    readonly network: HostNetwork,
    readonly pods: PodManager,
    readonly services: ServiceProxier,
    private readonly registration: NodeRegistration,
    private readonly kubelet: KubeletServer,
    private readonly binder: PodBinder | undefined,
  ) {}

  get nodeIP(): string {
    return this.network.gateway;
  }

  static async start(opts: AgentOptions): Promise<NodeAgent> {
    const log = opts.log;
    await ensureHostTools(log);
    const podCidr = parseCidr(opts.podCidr);
    const lbCidr = parseCidr(opts.lbCidr);
    const network = new HostNetwork(opts.bridge, podCidr, log, [lbCidr]);
    const nodeIP = network.gateway;
    const podsDir = join(opts.stateDir, 'pods');
    await claimBridge(opts.bridge);
    await mkdir(opts.stateDir, { recursive: true, mode: 0o700 });
    // An earlier run's Pods died with it (their processes, by their parent-death signal).
    await sweepHostPaths(podsDir);
    await rm(podsDir, { recursive: true, force: true });

    const cleanups: (() => Promise<void>)[] = [() => releaseBridge(opts.bridge), () => network.tearDown()];
    try {
      await network.setUp();
      const labels = nodeLabels(opts.nodeName);
      const hostsFile = opts.serviceHosts ? join(opts.stateDir, 'hosts') : undefined;
      const resolvConf = opts.serviceHosts ? join(opts.stateDir, 'resolv.conf') : undefined;
      if (resolvConf) {
        await writeFile(resolvConf, '# Written by the gantry node agent: no DNS server for Pods here; Service names are in /etc/hosts.\nnameserver 127.0.0.1\noptions timeout:1 attempts:1\n', { mode: 0o644 });
      }
      const apiServer = opts.apiService ? apiServerEndpoint(opts.kubeConfig) : undefined;
      const services = new ServiceProxier(opts.kubeConfig, {
        network,
        lbIpam: new Ipam(lbCidr),
        clusterIPs: opts.clusterIPs,
        ...(apiServer ? { apiServer } : {}),
        ...(hostsFile ? { hostsFile } : {}),
        log,
      });
      const pods = new PodManager(
        opts.kubeConfig,
        {
          network,
          ipam: new Ipam(podCidr, new Set([nodeIP])),
          podsDir,
          nodeName: opts.nodeName,
          nodeIP,
          nodeCpuCores: os.cpus().length,
          nodeMemoryBytes: os.totalmem(),
          images: opts.images,
          source: new ApiObjectSource(opts.kubeConfig),
          backoff: opts.backoff ?? KUBELET_BACKOFF,
          log,
          retryMs: opts.retryMs ?? 2000,
          ...(apiServer ? { serviceEnv: () => services.kubernetesServiceEnv() } : {}),
          ...(hostsFile ? { hostsFile } : {}),
          ...(resolvConf ? { resolvConf } : {}),
        },
        log,
      );
      const lookup: LogLookup = (ns, podName, containerName, previous) => {
        const worker = pods.find(ns, podName);
        if (!worker) return { status: 404, error: `pod ${ns}/${podName} not found on this node` };
        const runner = worker.container(containerName);
        if (!runner) return { status: 404, error: `container ${containerName} is not valid for pod ${podName}` };
        const path = runner.logPath(previous);
        if (!path) return { status: 400, error: `previous terminated container "${containerName}" in pod "${podName}" not found` };
        return { path, isLive: () => runner.isLogLive(path) };
      };
      const cert = await createServingCert({
        dir: join(opts.stateDir, 'tls'),
        nodeName: opts.nodeName,
        nodeIP,
        ...(opts.caCertFile ? { caCertFile: opts.caCertFile } : {}),
        ...(opts.caKeyFile ? { caKeyFile: opts.caKeyFile } : {}),
      });
      const kubelet = new KubeletServer(cert, lookup, log);
      const kubeletPort = await kubelet.listen(nodeIP, opts.kubeletPort);
      cleanups.push(() => kubelet.close());
      // For scripts (cluster-up): where the host is on the bridge, before the Node says Ready.
      await writeFile(
        join(opts.stateDir, 'network.env'),
        `NODE_NAME=${opts.nodeName}\nNODE_IP=${nodeIP}\nBRIDGE=${opts.bridge}\nPOD_CIDR=${opts.podCidr}\nLB_CIDR=${opts.lbCidr}\nKUBELET_PORT=${kubeletPort}\n`,
      );

      const registration = new NodeRegistration(opts.kubeConfig, {
        nodeName: opts.nodeName,
        nodeIP,
        kubeletPort,
        podCidr: opts.podCidr,
        labels,
        ...(opts.leaseRenewMs ? { leaseRenewMs: opts.leaseRenewMs } : {}),
        log,
      });
      await registration.start();
      cleanups.push(() => registration.stop());

      await services.start();
      cleanups.push(() => services.stop());
      await pods.start();
      cleanups.push(() => pods.stop(opts.shutdownGraceMs ?? 10_000));
      let binder: PodBinder | undefined;
      if (opts.bindPods) {
        binder = new PodBinder(opts.kubeConfig, opts.nodeName, labels, log);
        await binder.start();
      }
      log.info('node agent ready', { node: opts.nodeName, nodeIP, kubeletPort, podCidr: opts.podCidr, lbCidr: opts.lbCidr });
      return new NodeAgent(opts, network, pods, services, registration, kubelet, binder);
    } catch (err) {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
      throw err;
    }
  }

  /** The worker of a Pod on this node (tests, logs). */
  pod(namespace: string, name: string): PodWorker | undefined {
    return this.pods.find(namespace, name);
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const log = this.opts.log;
      log.info('node agent stopping');
      const step = async (what: string, fn: () => Promise<void>): Promise<void> => {
        await fn().catch((err: unknown) => log.warn(`stop: ${what} failed`, { error: err instanceof Error ? err.message : String(err) }));
      };
      if (this.binder) await step('binder', () => this.binder?.stop() ?? Promise.resolve());
      await step('pods', () => this.pods.stop(this.opts.shutdownGraceMs ?? 10_000));
      await step('services', () => this.services.stop());
      await step('node status', () => this.registration.stop());
      await step('kubelet endpoint', () => this.kubelet.close());
      await step('network', () => this.network.tearDown());
      await step('bridge ownership', () => releaseBridge(this.opts.bridge));
      await rm(join(this.opts.stateDir, 'pods'), { recursive: true, force: true });
      log.info('node agent stopped');
    })();
    return this.stopping;
  }
}

/** The API server of the kubeconfig as an address to forward to (a name is resolved by connect). */
function apiServerEndpoint(kc: KubeConfig): { ip: string; port: number } {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('apiService: the kubeconfig has no current cluster');
  const url = new URL(server);
  const port = url.port ? Number(url.port) : url.protocol === 'http:' ? 80 : 443;
  return { ip: url.hostname.replace(/^\[(.*)\]$/, '$1'), port };
}

/** What `cleanup` does after an agent that could not stop itself: namespaces, bridge, Pod files. */
export async function cleanUpAfterAgent(stateDir: string, bridge: string, podCidr: string, lbCidr: string, log: Logger): Promise<void> {
  const owner = await bridgeOwnedByLiveAgent(bridge);
  if (owner !== undefined) throw new Error(`bridge ${bridge} still belongs to a running node agent (pid ${owner}); stop it first`);
  const network = new HostNetwork(bridge, parseCidr(podCidr), log, [parseCidr(lbCidr)]);
  await network.tearDown();
  await sweepHostPaths(join(stateDir, 'pods'));
  await rm(join(stateDir, 'pods'), { recursive: true, force: true });
  await forgetDeadOwner(bridge);
}
