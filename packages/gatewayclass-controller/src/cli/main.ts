#!/usr/bin/env node
// The `gantry` binary: one entry point, one subcommand per mode.
import { parseArgs } from 'node:util';
import { UsageError, parsePort } from './args.js';
import { TRANSLATE_OUTPUTS, runTranslate, type TranslateOutput } from './translate.js';
import { GANTRY_VERSION } from '../version.js';

const USAGE = `Usage:
  gantry controller [--kubeconfig PATH] [--xds-address HOST:PORT] [--xds-advertise HOST:PORT]
                   [--admin-address HOST:PORT] [--debug-address HOST:PORT|off]
                   [--leader-elect] [--no-deploy] [--log-level LEVEL]
                   [--namespace NS] [--disable-kubernetes-destinations]
                   [--xds-ca-secret NAME | --xds-insecure]
                   [--discovery [--discovery-namespace-selector SEL] [--discovery-service-selector SEL]]
                   [--remote-cluster NAME=KUBECONFIG ...] [--remote-cluster-stale-after DURATION]
  gantry discovery-cleanup [--kubeconfig PATH] [--namespace NS]
  gantry version
  gantry COMMAND --help
  gantry translate -f FILE|DIR [-f ...] [--gateway NS/NAME] --output xds|status|bootstrap|ir
                   [--listen-address ADDR] [--admin-port PORT] [--namespace NS]
  gantry standalone --dir DIR [--listen-address ADDR] [--xds-port PORT] [--admin-port PORT]
                   [--envoy PATH] [--log-level LEVEL] [--namespace NS]

  --namespace NS   the install namespace (controller: its own, POD_NAMESPACE; else gantry-system):
                   Upstreams there may name Services in any namespace
  --disable-kubernetes-destinations
                   (every mode) refuse backendRefs to Services: routes must name Upstreams
  --discovery      (leader) an Upstream in the install namespace for each port of each Service
                   in scope; SEL: a label selector, \`key=value,...\` or JSON {matchLabels, matchExpressions}
  --admin-address  (controller) /healthz, /readyz, /metrics (default 0.0.0.0:9091)
  --debug-address  (controller) /debug/... and PUT /debug/log-level (default 127.0.0.1:9092; off: none)
  --xds-ca-secret NAME
                   (controller) xDS over mTLS with the CA in Secret NS/NAME (tls.crt, tls.key;
                   created if missing; default gantry-xds-ca): each Envoy must present a client
                   certificate naming its Gateway (the deployer issues them)
  --xds-insecure   (controller) plaintext, unauthenticated xDS (anyone reaching the port gets any
                   Gateway's config, TLS keys included); standalone mode is always plaintext on loopback
  --remote-cluster NAME=KUBECONFIG
                   (controller, repeatable) also watch another cluster's Services, EndpointSlices
                   and Pods (metadata only), read only, for VirtualDestinations; NAME: a DNS label
  --remote-cluster-stale-after DURATION
                   (controller) how long a remote cluster whose API server is lost keeps its last
                   known endpoints before they are dropped (Unreachable); e.g. 90s, 5m (default 5m)
  discovery-cleanup
                   delete the Upstreams discovery created in NS (what turning discovery off does)
`;


const COMMANDS: readonly string[] = ['controller', 'discovery-cleanup', 'translate', 'standalone', 'version'];

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // Help of a command: the usage (every command's flags are in it), exit 0.
  if (command !== undefined && COMMANDS.includes(command) && rest.some((a) => a === '--help' || a === '-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  switch (command) {
    case 'version':
    case '--version':
      process.stdout.write(`gantry ${GANTRY_VERSION} (Node.js ${process.version})\n`);
      return 0;
    case 'translate':
      return translateCommand(rest);
    case 'controller': {
      const { controllerCommand } = await import('./controller-command.js');
      return controllerCommand(rest);
    }
    case 'discovery-cleanup': {
      const { discoveryCleanupCommand } = await import('./discovery-cleanup-command.js');
      return discoveryCleanupCommand(rest);
    }
    case 'standalone': {
      const { standaloneCommand } = await import('./standalone-command.js');
      return standaloneCommand(rest);
    }
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

async function translateCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      file: { type: 'string', short: 'f', multiple: true },
      gateway: { type: 'string' },
      output: { type: 'string', short: 'o', default: 'xds' },
      'listen-address': { type: 'string', default: '0.0.0.0' },
      'admin-port': { type: 'string', default: '19000' },
      namespace: { type: 'string', default: 'gantry-system' },
      'disable-kubernetes-destinations': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const output = values.output as TranslateOutput;
  if (!TRANSLATE_OUTPUTS.includes(output)) throw new UsageError(`--output must be one of ${TRANSLATE_OUTPUTS.join(', ')}`);
  if (!values.file?.length) throw new UsageError('translate needs at least one -f FILE');
  const result = await runTranslate({
    files: values.file,
    gateway: values.gateway,
    output,
    listenAddress: values['listen-address'],
    adminPort: parsePort(values['admin-port'], '--admin-port'),
    installNamespace: values.namespace,
    disableKubernetesDestinations: values['disable-kubernetes-destinations'],
  });
  if (!result.ok) {
    process.stderr.write(`gantry translate: ${result.stderr}\n`);
    return 1;
  }
  process.stdout.write(result.stdout);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    const code = (err as { code?: unknown }).code;
    if (err instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`gantry: ${(err as Error).message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`gantry: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
