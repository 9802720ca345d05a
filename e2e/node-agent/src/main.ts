#!/usr/bin/env node
// gantry-node-agent: run (default) or clean up after a crashed run.
//
//   node dist/main.js --kubeconfig FILE --state-dir DIR [--ca-dir PKI] [--echo-basic BIN] [--envoy BIN]
//                     [--node-name gantry-node] [--bridge gantry0] [--pod-cidr 10.244.0.0/16]
//                     [--lb-cidr 10.245.0.0/24] [--kubelet-port 10250] [--image SUBSTRING=BIN]...
//                     [--gantry-controller MAIN_JS] [--api-service] [--service-hosts]
//                     [--no-cluster-ips] [--no-bind] [--restart-backoff-ms 10000] [--log-level info]
//   node dist/main.js cleanup --state-dir DIR [--bridge gantry0] [--pod-cidr 10.244.0.0/16] [--lb-cidr 10.245.0.0/24]
//
// SIGTERM/SIGINT stop it cleanly: Pods stopped, namespaces, bridge and addresses removed.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { cleanUpAfterAgent, DEFAULTS, NodeAgent } from './agent.js';
import { describeError, isLogLevel, jsonLineLogger } from './log.js';
import { KUBELET_BACKOFF } from './pods/container-runner.js';
import { corednsStandInImage, customImage, echoBasicImage, envoyImage, gantryControllerImage, type ImageBinary } from './pods/images.js';

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      kubeconfig: { type: 'string' },
      'state-dir': { type: 'string' },
      'node-name': { type: 'string', default: DEFAULTS.nodeName },
      bridge: { type: 'string', default: DEFAULTS.bridge },
      'pod-cidr': { type: 'string', default: DEFAULTS.podCidr },
      'lb-cidr': { type: 'string', default: DEFAULTS.lbCidr },
      'kubelet-port': { type: 'string', default: String(DEFAULTS.kubeletPort) },
      'ca-dir': { type: 'string' },
      'echo-basic': { type: 'string' },
      envoy: { type: 'string' },
      'gantry-controller': { type: 'string' },
      'api-service': { type: 'boolean', default: false },
      'service-hosts': { type: 'boolean', default: false },
      image: { type: 'string', multiple: true, default: [] },
      'no-cluster-ips': { type: 'boolean', default: false },
      'no-bind': { type: 'boolean', default: false },
      'restart-backoff-ms': { type: 'string', default: String(KUBELET_BACKOFF.initialMs) },
      'log-level': { type: 'string', default: 'info' },
    },
  });
  const level = values['log-level'] ?? 'info';
  const log = jsonLineLogger(isLogLevel(level) ? level : 'info');
  const stateDir = values['state-dir'];
  if (!stateDir) throw new Error('--state-dir is required');

  if (positionals[0] === 'cleanup') {
    await cleanUpAfterAgent(resolve(stateDir), values.bridge ?? DEFAULTS.bridge, values['pod-cidr'] ?? DEFAULTS.podCidr, values['lb-cidr'] ?? DEFAULTS.lbCidr, log);
    return 0;
  }
  if (positionals.length > 0) throw new Error(`unknown command ${positionals[0]}`);

  const kubeconfig = values.kubeconfig ?? process.env['KUBECONFIG'];
  if (!kubeconfig) throw new Error('--kubeconfig (or KUBECONFIG) is required');
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);

  const images: ImageBinary[] = [];
  for (const spec of values.image ?? []) {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw new Error(`--image wants SUBSTRING=PATH, got ${spec}`);
    images.push(customImage(spec.slice(0, eq), resolve(spec.slice(eq + 1))));
  }
  const echoBasic = values['echo-basic'] ?? process.env['GANTRY_ECHO_BASIC'];
  const envoy = values.envoy ?? process.env['GANTRY_ENVOY'];
  if (echoBasic) images.push(echoBasicImage(resolve(echoBasic)));
  else log.warn('no echo-basic binary (--echo-basic): its image runs as a placeholder');
  if (envoy) images.push(envoyImage(resolve(envoy)));
  else log.warn('no envoy binary (--envoy): its image runs as a placeholder');
  images.push(corednsStandInImage(fileURLToPath(new URL('./stand-ins/dns-echo.js', import.meta.url))));
  const gantryMain = values['gantry-controller'];
  if (gantryMain) images.push(gantryControllerImage(resolve(gantryMain)));

  const caDir = values['ca-dir'];
  const ca = caDir && existsSync(join(caDir, 'ca.key')) ? { caCertFile: join(caDir, 'ca.crt'), caKeyFile: join(caDir, 'ca.key') } : {};
  const initialMs = Number(values['restart-backoff-ms']);
  const agent = await NodeAgent.start({
    kubeConfig: kc,
    nodeName: values['node-name'] ?? DEFAULTS.nodeName,
    stateDir: resolve(stateDir),
    bridge: values.bridge ?? DEFAULTS.bridge,
    podCidr: values['pod-cidr'] ?? DEFAULTS.podCidr,
    lbCidr: values['lb-cidr'] ?? DEFAULTS.lbCidr,
    kubeletPort: Number(values['kubelet-port']),
    clusterIPs: !values['no-cluster-ips'],
    apiService: values['api-service'] ?? false,
    serviceHosts: values['service-hosts'] ?? false,
    bindPods: !values['no-bind'],
    ...ca,
    images,
    backoff: { ...KUBELET_BACKOFF, initialMs: Number.isFinite(initialMs) && initialMs > 0 ? initialMs : KUBELET_BACKOFF.initialMs },
    log,
  });
  await new Promise<void>((resolveStop) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      log.info('signal received', { signal });
      resolveStop();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
  await agent.stop();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`gantry-node-agent: ${describeError(err)}\n`);
    process.exit(1);
  },
);
