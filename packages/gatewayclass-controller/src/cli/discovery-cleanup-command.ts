// `gantry discovery-cleanup`: deletes the Upstreams discovery created in the install namespace
// (those with its label), and nothing else. The chart runs it as a hook Job when discovery is
// turned off; the controller's own ServiceAccount cannot delete Upstreams then.
import { parseArgs } from 'node:util';
import { DISCOVERY_CLEANUP } from './commands.js';
import { KubeClientConfig } from '@gantry/kube';
import { removeDiscoveredUpstreams } from '@gantry/discovery';
import { logger, setLogLevel } from '../log.js';
import { UsageError, parseLogLevel } from './args.js';

export async function discoveryCleanupCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: DISCOVERY_CLEANUP.options, strict: true });
  setLogLevel(parseLogLevel(values['log-level']));
  let kc: KubeClientConfig;
  try {
    kc = KubeClientConfig.load(values.kubeconfig ? { file: values.kubeconfig } : {});
  } catch (e) {
    throw new UsageError(`--kubeconfig: cannot load ${values.kubeconfig ?? 'the default kubeconfig'}: ${e instanceof Error ? e.message : String(e)}`);
  }
  await removeDiscoveredUpstreams(kc, values.namespace, logger('discovery'));
  return 0;
}
