#!/usr/bin/env node
// The `gantry` binary: one entry point, one subcommand per mode.
import { parseArgs } from 'node:util';
import { UsageError, parsePort } from './args.js';
import { COMMANDS, COMPLETION, TRANSLATE, VERSION, bashCompletion, commandHelp, commandSpec, overallUsage, zshCompletion, type CommandSpec } from './commands.js';
import { OUTPUT_FORMATS, TRANSLATE_OUTPUTS, runTranslate, type OutputFormat, type TranslateOutput } from './translate.js';
import { yamlModule } from '../manifests/yaml-lazy.js';
import { GANTRY_VERSION } from '../version.js';

const COMMAND_NAMES: readonly string[] = COMMANDS.map((c) => c.name);

/** Set while a command runs: a usage error prints that command's help. */
let current: CommandSpec | undefined;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const spec = command !== undefined ? commandSpec(command) : undefined;
  // Help of a command: its usage, flags and exit codes; exit 0.
  if (spec !== undefined && rest.some((a) => a === '--help' || a === '-h')) {
    process.stdout.write(commandHelp(spec));
    return 0;
  }
  current = spec;
  switch (command) {
    case 'version':
      return versionCommand(rest);
    case '--version':
      process.stdout.write(versionText());
      return 0;
    case 'completion':
      return completionCommand(rest);
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
    case 'help': {
      // `gantry help COMMAND` is `gantry COMMAND --help`.
      const of = command === 'help' && rest[0] !== undefined ? commandSpec(rest[0]) : undefined;
      if (command === 'help' && rest[0] !== undefined && of === undefined) throw new UsageError(`unknown command "${rest[0]}" (commands: ${COMMAND_NAMES.join(', ')})`);
      process.stdout.write(of !== undefined ? commandHelp(of) : overallUsage());
      return command === undefined ? 2 : 0;
    }
    default:
      throw new UsageError(`unknown command "${command}" (commands: ${COMMAND_NAMES.join(', ')})`);
  }
}

function versionText(): string {
  return `gantry ${GANTRY_VERSION} (Node.js ${process.version})\n`;
}

function versionCommand(args: string[]): number {
  const { values } = parseArgs({ args, options: VERSION.options, strict: true });
  const info = { gantry: GANTRY_VERSION, node: process.version };
  switch (values.output) {
    case 'text': process.stdout.write(versionText()); return 0;
    case 'json': process.stdout.write(`${JSON.stringify(info, null, 2)}\n`); return 0;
    case 'yaml': process.stdout.write(yamlModule().stringify(info)); return 0;
    default: throw new UsageError(`--output: "${values.output}" is not one of text, json, yaml`);
  }
}

function completionCommand(args: string[]): number {
  const { positionals } = parseArgs({ args, options: COMPLETION.options, strict: true, allowPositionals: true });
  const [shell, ...extra] = positionals;
  if (shell === undefined || extra.length > 0) throw new UsageError('completion takes one argument: bash or zsh');
  if (shell === 'bash') process.stdout.write(bashCompletion());
  else if (shell === 'zsh') process.stdout.write(zshCompletion());
  else throw new UsageError(`completion: "${shell}" is not a supported shell (bash, zsh)`);
  return 0;
}

async function translateCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: TRANSLATE.options, strict: true });
  const { output, format } = translateOutput(values.output ?? []);
  if (!values.file?.length) throw new UsageError('translate needs at least one -f FILE|DIR|-');
  const result = await runTranslate({
    files: values.file,
    gateway: values.gateway,
    output,
    format,
    listenAddress: values['listen-address'],
    adminPort: parsePort(values['admin-port'], '--admin-port'),
    installNamespace: values.namespace,
    disableKubernetesDestinations: values['disable-kubernetes-destinations'],
  });
  for (const w of result.warnings) process.stderr.write(`gantry translate: warning: ${w}\n`);
  if (!result.ok) {
    process.stderr.write(`gantry translate: ${result.stderr}\n`);
    return result.usage === true ? 2 : 1;
  }
  process.stdout.write(result.stdout);
  // Refused objects: said, and the exit code says so, though the rest was translated.
  if (result.refused !== undefined) {
    process.stderr.write(`gantry translate: ${result.refused}\n`);
    return 1;
  }
  return 0;
}

/** `-o` given up to twice: what to print (xds, status, bootstrap, ir) and/or the format (json, yaml). */
function translateOutput(values: readonly string[]): { output: TranslateOutput; format?: OutputFormat } {
  let output: TranslateOutput | undefined;
  let format: OutputFormat | undefined;
  for (const v of values) {
    if ((TRANSLATE_OUTPUTS as readonly string[]).includes(v)) {
      if (output !== undefined && output !== v) throw new UsageError(`--output: "${output}" and "${v}" both say what to print; give one`);
      output = v as TranslateOutput;
    } else if ((OUTPUT_FORMATS as readonly string[]).includes(v)) {
      if (format !== undefined && format !== v) throw new UsageError(`--output: "${format}" and "${v}" are both formats; give one`);
      format = v as OutputFormat;
    } else {
      throw new UsageError(`--output must be one of ${TRANSLATE_OUTPUTS.join(', ')} (what to print) or ${OUTPUT_FORMATS.join(', ')} (the format); got "${v}"`);
    }
  }
  return { output: output ?? 'xds', ...(format !== undefined ? { format } : {}) };
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    const code = (err as { code?: unknown }).code;
    const help = current !== undefined ? `\`gantry ${current.name} --help\` lists its flags.` : '`gantry --help` lists the commands.';
    if (err instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`gantry: ${(err as Error).message}\n${help}\n`);
      process.exitCode = 2;
    } else {
      // Never a stack trace for users; GANTRY_DEBUG=1 shows one for a bug report.
      const stack = process.env.GANTRY_DEBUG === '1' && err instanceof Error ? `\n${err.stack ?? ''}` : '';
      process.stderr.write(`gantry: ${err instanceof Error ? err.message : String(err)}${stack}\n`);
      process.exitCode = 1;
    }
  },
);
