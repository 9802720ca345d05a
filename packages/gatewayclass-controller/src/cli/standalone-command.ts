// `gantry standalone --dir DIR`: no Kubernetes. Serves the manifests of a directory to local Envoys.
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { resolveEnvoyPath } from '../envoy/process.js';
import { logger, setLogLevel } from '../log.js';
import { DirectorySource } from '../standalone/directory-source.js';
import { StandaloneRuntime } from '../standalone/runtime.js';
import { parsePort, parseLogLevel } from './args.js';

/** The bundled example, served when no --dir is given. */
export const BUNDLED_EXAMPLE = fileURLToPath(new URL('../../examples/quickstart', import.meta.url));

export async function standaloneCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      dir: { type: 'string', default: BUNDLED_EXAMPLE },
      'listen-address': { type: 'string', default: '127.0.0.1' },
      'xds-port': { type: 'string', default: '18000' },
      'admin-port': { type: 'string', default: '19000' },
      envoy: { type: 'string' },
      'envoy-log-level': { type: 'string', default: 'warn' },
      'log-level': { type: 'string', default: 'info' },
      sotw: { type: 'boolean', default: false },
      namespace: { type: 'string', default: 'gantry-system' },
      'disable-kubernetes-destinations': { type: 'boolean', default: false },
    },
    strict: true,
  });
  setLogLevel(parseLogLevel(values['log-level']));
  const log = logger('standalone');
  const runtime = new StandaloneRuntime({
    envoyPath: resolveEnvoyPath(values.envoy),
    listenAddress: values['listen-address'],
    xdsPort: parsePort(values['xds-port'], '--xds-port'),
    adminPortBase: parsePort(values['admin-port'], '--admin-port'),
    envoyLogLevel: values['envoy-log-level'],
    sotw: values.sotw,
    installNamespace: values.namespace,
    disableKubernetesDestinations: values['disable-kubernetes-destinations'],
  });
  await runtime.start();

  // Runs are serialised by the runtime: changes that arrive during one are translated together next.
  let last: Promise<unknown> = Promise.resolve();
  const source = new DirectorySource({
    dir: values.dir,
    log,
    onChanges: (changes) => {
      last = runtime.update(changes).catch((err: unknown) => {
        log.error('apply failed', { error: err instanceof Error ? err.message : String(err) });
      });
    },
  });
  await source.start();

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  log.info('stopping');
  source.stop();
  await last;
  await runtime.stop();
  return 0;
}
