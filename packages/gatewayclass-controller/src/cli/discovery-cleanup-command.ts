// `gantry discovery-cleanup`: deletes the Upstreams discovery created in the install namespace
// (those with its label), and nothing else. The chart runs it as a hook Job when discovery is
// turned off; the controller's own ServiceAccount cannot delete Upstreams then.
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { removeDiscoveredUpstreams } from '@gantry/discovery';
import { logger, setLogLevel } from '../log.js';
import { parseLogLevel } from './args.js';

export async function discoveryCleanupCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      kubeconfig: { type: 'string' },
      namespace: { type: 'string', default: process.env.POD_NAMESPACE ?? 'gantry-system' },
      'log-level': { type: 'string', default: process.env.GANTRY_LOG_LEVEL ?? 'info' },
    },
    strict: true,
  });
  setLogLevel(parseLogLevel(values['log-level']));
  const kc = new KubeConfig();
  if (values.kubeconfig) kc.loadFromFile(values.kubeconfig);
  else kc.loadFromDefault();
  await removeDiscoveredUpstreams(kc, values.namespace, logger('discovery'));
  return 0;
}
