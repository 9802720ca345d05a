// `gantry controller`: the control plane, in a cluster or with a kubeconfig.
import { parseArgs } from 'node:util';
import { CONTROLLER } from './commands.js';
import { KubeConfig } from '@kubernetes/client-node';
import { Controller } from '../controller/controller.js';
import { logger, setLogLevel } from '../log.js';
import { UsageError, parsePort, parseSelector, parseLogLevel } from './args.js';

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
  const kc = new KubeConfig();
  try {
    if (values.kubeconfig) kc.loadFromFile(values.kubeconfig);
    else kc.loadFromDefault();
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
