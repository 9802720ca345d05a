// The command table: every `gantry` command with its flags and their help. Parsing (node:util
// parseArgs takes each command's `options` as they are), `gantry COMMAND --help`, the overall usage
// and the shell completion scripts all derive from it, so a flag cannot exist without its help.
// Kept free of heavy imports: `--help` and `completion` load nothing else.
import { hostname } from 'node:os';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  readonly default?: string | boolean;
  /** Placeholder of the value in the help (string options). */
  readonly value?: string;
  readonly help: string;
  /** Values offered by shell completion (and, where `strictChoices`, the only ones accepted). */
  readonly choices?: readonly string[];
  /** What shell completion offers for the value. */
  readonly complete?: 'file' | 'dir';
  /** Not listed in help or completion (kept for old scripts). */
  readonly hidden?: boolean;
}

export interface CommandSpec<O extends Readonly<Record<string, OptionSpec>> = Readonly<Record<string, OptionSpec>>> {
  readonly name: string;
  readonly summary: string;
  /** Lines after the flag list: details, examples. */
  readonly details?: string;
  readonly options: O;
  /** Positional arguments (help text), e.g. `bash|zsh`. */
  readonly positionals?: { readonly usage: string; readonly choices: readonly string[] };
}

function command<const O extends Readonly<Record<string, OptionSpec>>>(spec: CommandSpec<O>): CommandSpec<O> {
  return spec;
}

const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] as const;

const logLevel = (fallback: string) => ({
  type: 'string', value: 'LEVEL', default: fallback, choices: LOG_LEVELS,
  help: 'log level: error, warn, info, http, verbose, debug, silly (logs are JSON lines on stderr)',
} as const);
const namespaceOption = (fallback: string, help: string) => ({ type: 'string', value: 'NS', default: fallback, help } as const);
const disableKubernetesDestinations = {
  type: 'boolean', default: false,
  help: 'refuse backendRefs to Services: routes must name Upstreams',
} as const;

export const CONTROLLER = command({
  name: 'controller',
  summary: 'the control plane: watches the cluster, serves xDS to Envoys, deploys them, writes status',
  options: {
    kubeconfig: { type: 'string', value: 'PATH', complete: 'file', help: 'kubeconfig to use (default: in-cluster, then $KUBECONFIG, then ~/.kube/config)' },
    'xds-address': { type: 'string', value: 'HOST:PORT', default: '0.0.0.0:18000', help: 'where the ADS (xDS) server listens' },
    'xds-advertise': { type: 'string', value: 'HOST:PORT', help: 'where deployed Envoys reach the xDS server, e.g. the xDS Service (needed unless --no-deploy)' },
    'admin-address': { type: 'string', value: 'HOST:PORT', default: '0.0.0.0:9091', help: '/healthz, /readyz, /metrics (what the kubelet and Prometheus reach)' },
    'debug-address': { type: 'string', value: 'HOST:PORT|off', default: '127.0.0.1:9092', help: '/debug/... and GET/PUT /debug/log-level; off: none' },
    'xds-ca-secret': { type: 'string', value: 'NAME', default: 'gantry-xds-ca', help: 'xDS over mTLS with the CA in Secret NS/NAME (tls.crt, tls.key; created if missing): each Envoy must present a client certificate naming its Gateway (the deployer issues them)' },
    'xds-insecure': { type: 'boolean', default: false, help: 'plaintext, unauthenticated xDS: anyone reaching the port gets any Gateway\'s config, TLS keys included' },
    'leader-elect': { type: 'boolean', default: false, help: 'elect one leader among replicas (a Lease); only the leader writes status and deploys' },
    namespace: namespaceOption(process.env.POD_NAMESPACE ?? 'gantry-system', 'the install namespace ($POD_NAMESPACE): Upstreams there may name Services in any namespace'),
    'leader-election-namespace': { type: 'string', value: 'NS', default: process.env.POD_NAMESPACE ?? 'gantry-system', help: 'namespace of the leader Lease' },
    'leader-election-id': { type: 'string', value: 'NAME', default: 'gantry-controller', help: 'name of the leader Lease' },
    identity: { type: 'string', value: 'ID', default: process.env.POD_NAME ?? hostname(), help: 'this replica\'s identity in the Lease ($POD_NAME, else the host name)' },
    deploy: { type: 'boolean', default: true, hidden: true, help: 'deploy an Envoy per Gateway (the default)' },
    'no-deploy': { type: 'boolean', default: false, help: 'do not deploy Envoys: run your own, each with a bootstrap naming its Gateway' },
    'envoy-image': { type: 'string', value: 'IMAGE', help: 'the Envoy image the deployer uses unless GatewayParameters names one' },
    'log-level': logLevel(process.env.GANTRY_LOG_LEVEL ?? 'info'),
    discovery: { type: 'boolean', default: false, help: '(leader) an Upstream in the install namespace for each port of each Service in scope' },
    'discovery-namespace-selector': { type: 'string', value: 'SEL', help: 'with --discovery: namespaces in scope, `key=value,...` or JSON {matchLabels, matchExpressions}' },
    'discovery-service-selector': { type: 'string', value: 'SEL', help: 'with --discovery: Services in scope, same forms' },
    'disable-kubernetes-destinations': disableKubernetesDestinations,
    'remote-cluster': {
      type: 'string', multiple: true, value: 'NAME=KUBECONFIG',
      help: 'also watch another cluster\'s Services, EndpointSlices and Pods (metadata only), read only, for VirtualDestinations; NAME: a DNS label; repeatable',
    },
    'remote-cluster-stale-after': {
      type: 'string', value: 'DURATION',
      help: 'how long a remote cluster whose API server is lost keeps its last known endpoints before they are dropped (Unreachable), e.g. 90s, 5m (default 5m)',
    },
  },
});

export const DISCOVERY_CLEANUP = command({
  name: 'discovery-cleanup',
  summary: 'delete the Upstreams discovery created in the install namespace (what turning discovery off does)',
  options: {
    kubeconfig: { type: 'string', value: 'PATH', complete: 'file', help: 'kubeconfig to use (default: in-cluster, then $KUBECONFIG, then ~/.kube/config)' },
    namespace: namespaceOption(process.env.POD_NAMESPACE ?? 'gantry-system', 'the install namespace ($POD_NAMESPACE)'),
    'log-level': logLevel(process.env.GANTRY_LOG_LEVEL ?? 'info'),
  },
});

export const TRANSLATE = command({
  name: 'translate',
  summary: 'offline: translate manifest files and print Envoy xDS, status, the IR or a static Envoy bootstrap',
  options: {
    file: {
      type: 'string', short: 'f', multiple: true, value: 'FILE|DIR|-', complete: 'file',
      help: 'manifests: a YAML/JSON file, a directory (its files; a kustomization\'s resources), or - for standard input; repeatable',
    },
    output: {
      type: 'string', short: 'o', multiple: true, value: 'WHAT|FORMAT',
      choices: ['xds', 'status', 'bootstrap', 'ir', 'json', 'yaml'],
      help: 'what to print: xds (default), status, bootstrap, ir; and/or the format: json, yaml (default: json for xds and bootstrap, yaml for status and ir); e.g. -o status -o json',
    },
    gateway: { type: 'string', value: 'NS/NAME', help: 'only this Gateway (xds, ir; bootstrap needs one)' },
    'listen-address': { type: 'string', value: 'ADDR', default: '0.0.0.0', help: 'the address listeners bind to' },
    'admin-port': { type: 'string', value: 'PORT', default: '19000', help: 'Envoy admin port in --output bootstrap' },
    namespace: namespaceOption('gantry-system', 'the install namespace: Upstreams there may name Services in any namespace'),
    'disable-kubernetes-destinations': disableKubernetesDestinations,
  },
  details: `Objects of kinds Gantry does not handle are ignored with a warning on stderr (the output is
unchanged). A kustomization directory contributes its resources: files and directories (patches
and generators are not applied: \`kubectl kustomize DIR | gantry translate -f -\` for those).
A \`kind: List\` contributes its items.

Examples:
  gantry translate -f examples/quickstart -o status
  kubectl kustomize overlays/prod | gantry translate -f - --gateway prod/web -o yaml
  gantry translate -f gw.yaml -o bootstrap --listen-address 127.0.0.1 > bootstrap.json && envoy -c bootstrap.json`,
});

export const STANDALONE = command({
  name: 'standalone',
  summary: 'no Kubernetes: serve the manifests of a directory to local Envoys it starts (one per Gateway)',
  options: {
    dir: { type: 'string', value: 'DIR', complete: 'dir', help: 'the manifests, watched for changes (default: the bundled quickstart example)' },
    'listen-address': { type: 'string', value: 'ADDR', default: '127.0.0.1', help: 'the address listeners bind to' },
    'xds-port': { type: 'string', value: 'PORT', default: '18000', help: 'the ADS server\'s port (plaintext, loopback)' },
    'admin-port': { type: 'string', value: 'PORT', default: '19000', help: 'the first Envoy admin port (one per Gateway, counting up)' },
    envoy: { type: 'string', value: 'PATH', complete: 'file', help: 'the Envoy executable (default: $GANTRY_ENVOY, else envoy on PATH)' },
    'envoy-log-level': { type: 'string', value: 'LEVEL', default: 'warn', choices: ['trace', 'debug', 'info', 'warning', 'warn', 'error', 'critical', 'off'], help: 'Envoy\'s own log level' },
    'log-level': logLevel('info'),
    sotw: { type: 'boolean', default: false, help: 'state-of-the-world xDS instead of incremental (delta)' },
    'all-cluster-stats': { type: 'boolean', default: false, help: 'keep every per-cluster stat of the Envoys (by default the ones that stay zero and each cluster\'s EDS bookkeeping are left out: most of an Envoy\'s start with thousands of clusters)' },
    namespace: namespaceOption('gantry-system', 'the install namespace: Upstreams there may name Services in any namespace'),
    'disable-kubernetes-destinations': disableKubernetesDestinations,
  },
});

export const VERSION = command({
  name: 'version',
  summary: 'print the version of gantry and of Node.js',
  options: {
    output: { type: 'string', short: 'o', value: 'FORMAT', choices: ['text', 'json', 'yaml'], default: 'text', help: 'text, json or yaml' },
  },
});

export const COMPLETION = command({
  name: 'completion',
  summary: 'print a shell completion script',
  options: {},
  positionals: { usage: 'bash|zsh', choices: ['bash', 'zsh'] },
  details: `Load it in the current shell, or install it:
  source <(gantry completion bash)          # bash; or: gantry completion bash > /etc/bash_completion.d/gantry
  source <(gantry completion zsh)           # zsh;  or: gantry completion zsh > "\${fpath[1]}/_gantry"`,
});

export const COMMANDS: readonly CommandSpec[] = [CONTROLLER, DISCOVERY_CLEANUP, TRANSLATE, STANDALONE, VERSION, COMPLETION];

export function commandSpec(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}

export const EXIT_CODES = `Exit codes:
  0  success
  1  the command ran and failed: invalid manifests (each error names the file, line, document
     and field), no Gateway to print, a runtime error
  2  the command was called wrongly: unknown command or flag, a bad flag value, a missing file,
     directory, kubeconfig or Envoy executable`;

function visible(spec: CommandSpec): [string, OptionSpec][] {
  return Object.entries(spec.options).filter(([, o]) => o.hidden !== true);
}

function flagText(name: string, o: OptionSpec): string {
  const long = `--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
  return o.short !== undefined ? `-${o.short}, ${long}` : `    ${long}`;
}

function wrap(text: string, width: number, indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines.join(`\n${indent}`);
}

/** `gantry COMMAND --help`. */
export function commandHelp(spec: CommandSpec): string {
  const opts = visible(spec);
  const positional = spec.positionals ? ` ${spec.positionals.usage}` : '';
  const out = [`Usage: gantry ${spec.name}${positional}${opts.length > 0 ? ' [flags]' : ''}`, '', wrap(spec.summary, 96, ''), ''];
  if (opts.length > 0) {
    out.push('Flags:');
    const indent = ' '.repeat(4);
    for (const [name, o] of opts) {
      const dflt = typeof o.default === 'string' ? ` (default ${o.default})` : '';
      out.push(`  ${flagText(name, o)}`);
      out.push(`${indent}    ${wrap(`${o.help}${dflt}`, 92, `${indent}    `)}`);
    }
    out.push('  -h, --help');
    out.push('        this help');
    out.push('');
  }
  if (spec.details !== undefined) out.push(spec.details, '');
  out.push(EXIT_CODES, '');
  return out.join('\n');
}

/** `gantry --help`: the commands, one line each. */
export function overallUsage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: gantry COMMAND [flags]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    '`gantry COMMAND --help` lists the flags of a command. `gantry --version` prints the version.',
    '',
    EXIT_CODES,
    '',
  ].join('\n');
}

/** Every flag of a command as completion words (`--name`, `-x`). */
function flagWords(spec: CommandSpec): string[] {
  const words: string[] = [];
  for (const [name, o] of visible(spec)) {
    words.push(`--${name}`);
    if (o.short !== undefined) words.push(`-${o.short}`);
  }
  words.push('--help');
  return words;
}

/** `gantry completion bash`. */
export function bashCompletion(): string {
  const cases: string[] = [];
  const valueCases: string[] = [];
  for (const spec of COMMANDS) {
    const words = spec.positionals ? [...spec.positionals.choices, ...flagWords(spec)] : flagWords(spec);
    cases.push(`    ${spec.name}) opts="${words.join(' ')}" ;;`);
    for (const [name, o] of visible(spec)) {
      if (o.type !== 'string') continue;
      const flags = [`--${name}`, ...(o.short !== undefined ? [`-${o.short}`] : [])].map((f) => `${spec.name}:${f}`).join('|');
      const action = o.choices !== undefined
        ? `COMPREPLY=( $(compgen -W "${o.choices.join(' ')}" -- "$cur") ); return 0 ;;`
        : o.complete === 'dir'
          ? 'COMPREPLY=( $(compgen -d -- "$cur") ); return 0 ;;'
          : o.complete === 'file'
            ? 'COMPREPLY=( $(compgen -f -- "$cur") ); return 0 ;;'
            : 'return 0 ;;';
      valueCases.push(`    ${flags}) ${action}`);
    }
  }
  return `# bash completion for gantry (generated by \`gantry completion bash\`)
_gantry() {
  local cur prev cmd opts
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=( $(compgen -W "${COMMANDS.map((c) => c.name).join(' ')} --help --version" -- "$cur") )
    return 0
  fi
  cmd="\${COMP_WORDS[1]}"
  case "$cmd:$prev" in
${valueCases.join('\n')}
  esac
  case "$cmd" in
${cases.join('\n')}
    *) opts="" ;;
  esac
  COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
}
complete -F _gantry gantry
`;
}

function zshQuote(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/'/g, `'\\''`).replace(/\[/g, '\\[').replace(/\]/g, '\\]').replace(/:/g, '\\:');
}

/** `gantry completion zsh`. */
export function zshCompletion(): string {
  const functions: string[] = [];
  for (const spec of COMMANDS) {
    const args: string[] = [];
    for (const [name, o] of visible(spec)) {
      const help = zshQuote(o.help.split(/[:;(]/)[0]!.trim());
      const action = o.type === 'boolean'
        ? ''
        : `:${(o.value ?? 'value').toLowerCase()}:${o.choices !== undefined ? `(${o.choices.join(' ')})` : o.complete === 'dir' ? '_files -/' : o.complete === 'file' ? '_files' : ' '}`;
      const repeat = o.multiple === true ? '*' : '';
      if (o.short !== undefined) args.push(`    '${repeat}'{-${o.short},--${name}}'[${help}]${action}'`);
      else args.push(`    '${repeat}--${name}[${help}]${action}'`);
    }
    args.push(`    '(- *)'{-h,--help}'[show help]'`);
    if (spec.positionals) args.push(`    '1:shell:(${spec.positionals.choices.join(' ')})'`);
    functions.push(`_gantry_${spec.name.replace(/-/g, '_')}() {\n  _arguments -s \\\n${args.join(' \\\n')}\n}`);
  }
  const commandList = COMMANDS.map((c) => `    '${c.name}:${zshQuote(c.summary.split(/[:;(]/)[0]!.trim())}'`).join('\n');
  return `#compdef gantry
# zsh completion for gantry (generated by \`gantry completion zsh\`)
${functions.join('\n\n')}

_gantry() {
  local -a commands
  commands=(
${commandList}
  )
  if (( CURRENT == 2 )); then
    _describe -t commands 'gantry command' commands
    return
  fi
  local fn="_gantry_\${words[2]//-/_}"
  if (( $+functions[$fn] )); then
    shift words; (( CURRENT-- ))
    $fn
  fi
}

if [[ "$funcstack[1]" = "_gantry" ]]; then
  _gantry "$@"
else
  compdef _gantry gantry
fi
`;
}
