// `gantry controller`: the control plane, in a cluster or with a kubeconfig.
import { parseArgs } from 'node:util';
import { CONTROLLER } from './commands.js';
import { KubeClientConfig } from '@gantry/kube';
import { Controller } from '../controller/controller.js';
import { logger, setLogLevel } from '../log.js';
import { UsageError, parseDuration, parsePort, parseRemoteCluster, parseSelector, parseLogLevel } from './args.js';
import { DEFAULT_STALE_AFTER_MS, remoteClusterNameError, type RemoteClusterConfig } from '../controller/remote-clusters.js';

function hostPort(value: string, flag: string): { host: string; port: number } {
  const i = value.lastIndexOf(':');
  if (i <= 0) throw new UsageError(`${flag}: "${value}" is not HOST:PORT`);
  return { host: value.slice(0, i).replace(/^\[(.*)\]$/, '$1'), port: parsePort(value.slice(i + 1), flag) };
}

export async function controllerCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: CONTROLLER.options, strict: true });
  setLogLevel(parseLogLevel(values['log-level']));
  const namespaceSelector = parseSelector(values['discovery-namespace-selector'], '--discovery-namespace-selector');
  const serviceSelector = parseSelector(values['discovery-service-selector'], '--discovery-service-selector');
  if (!values.discovery && (namespaceSelector || serviceSelector)) throw new UsageError('--discovery-namespace-selector and --discovery-service-selector need --discovery');
  // Remote clusters before the local kubeconfig: flag mistakes are reported first.
  const staleAfter = values['remote-cluster-stale-after'];
  const staleAfterMs = staleAfter === undefined ? DEFAULT_STALE_AFTER_MS : parseDuration(staleAfter, '--remote-cluster-stale-after');
  const remoteClusters = loadRemoteClusters(values['remote-cluster'] ?? []);
  if (staleAfter !== undefined && remoteClusters.length === 0) throw new UsageError('--remote-cluster-stale-after needs --remote-cluster');
  let kc: KubeClientConfig;
  try {
    kc = KubeClientConfig.load(values.kubeconfig ? { file: values.kubeconfig } : {});
  } catch (e) {
    throw new UsageError(`--kubeconfig: cannot load ${values.kubeconfig ?? 'the default kubeconfig'}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const deploy = values.deploy && !values['no-deploy'];
  if (deploy && !values['xds-advertise']) {
    throw new UsageError('--xds-advertise HOST:PORT (where Envoys reach this xDS server, e.g. the xDS Service) is needed unless --no-deploy');
  }
  const controller = new Controller({
    kubeConfig: kc,
    installNamespace: values.namespace,
    disableKubernetesDestinations: values['disable-kubernetes-destinations'],
    xdsBind: hostPort(values['xds-address'], '--xds-address'),
    ...(values['xds-advertise'] ? { xdsAdvertise: hostPort(values['xds-advertise'], '--xds-advertise') } : {}),
    admin: hostPort(values['admin-address'], '--admin-address'),
    // Debug views and the log level: loopback by default; "off" serves none.
    ...(values['debug-address'] === 'off' ? {} : { debug: hostPort(values['debug-address'], '--debug-address') }),
    // Authenticated xDS unless explicitly turned off (then the ADS server logs a warning).
    ...(values['xds-insecure'] ? {} : { xdsTls: { caSecretName: values['xds-ca-secret'] } }),
    ...(values['leader-elect'] ? {
      leaderElection: { namespace: values['leader-election-namespace'], name: values['leader-election-id'], identity: values.identity },
    } : {}),
    deploy,
    ...(values['envoy-image'] ? { envoyImage: values['envoy-image'] } : {}),
    ...(remoteClusters.length > 0 ? { remoteClusters: { clusters: remoteClusters, staleAfterMs } } : {}),
    ...(values.discovery ? { discovery: { scope: { ...(namespaceSelector ? { namespaceSelector } : {}), ...(serviceSelector ? { serviceSelector } : {}) } } } : {}),
  });
  await controller.start();
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  logger('controller').info('stopping');
  await controller.stop();
  return 0;
}

/** Each `--remote-cluster NAME=KUBECONFIG`, its kubeconfig loaded (a bad one is a usage error). */
function loadRemoteClusters(values: readonly string[]): RemoteClusterConfig[] {
  const out: RemoteClusterConfig[] = [];
  for (const value of values) {
    const { name, kubeconfig } = parseRemoteCluster(value);
    const problem = remoteClusterNameError(name);
    if (problem) throw new UsageError(`--remote-cluster: ${problem}`);
    if (out.some((c) => c.name === name)) throw new UsageError(`--remote-cluster: "${name}" is given twice`);
    let kc: KubeClientConfig;
    try {
      kc = KubeClientConfig.load({ file: kubeconfig });
    } catch (e) {
      throw new UsageError(`--remote-cluster ${name}: cannot load ${kubeconfig}: ${e instanceof Error ? e.message : String(e)}`);
    }
    out.push({ name, kubeConfig: kc });
  }
  return out;
}
