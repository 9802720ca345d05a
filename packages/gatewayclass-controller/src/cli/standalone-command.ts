// `gantry standalone --dir DIR`: no Kubernetes. Serves the manifests of a directory to local Envoys.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { STANDALONE } from './commands.js';
import { resolveEnvoyPath } from '../envoy/process.js';
import { logger, setLogLevel } from '../log.js';
import { DirectorySource } from '../standalone/directory-source.js';
import { StandaloneRuntime } from '../standalone/runtime.js';
import { UsageError, parsePort, parseLogLevel } from './args.js';

/** The Envoy executable: a path, or a name looked up on PATH; undefined when there is none. */
function findExecutable(name: string): string | undefined {
  const candidates = name.includes('/') ? [name] : (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '').map((d) => join(d, name));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      if (statSync(c).isFile()) return c;
    } catch {
      // not this one
    }
  }
  return undefined;
}

/** The bundled example, served when no --dir is given. */
export const BUNDLED_EXAMPLE = fileURLToPath(new URL('../../examples/quickstart', import.meta.url));

export async function standaloneCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: STANDALONE.options, strict: true });
  const dir = values.dir ?? BUNDLED_EXAMPLE;
  setLogLevel(parseLogLevel(values['log-level']));
  // Both checked before anything starts: a missing one used to mean a stack trace, or a process
  // that said "envoy started" and then ran on without any.
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new UsageError(`--dir: ${dir} is not a directory`);
  const wanted = resolveEnvoyPath(values.envoy);
  const envoyPath = findExecutable(wanted);
  if (envoyPath === undefined) {
    throw new UsageError(`no Envoy executable "${wanted}"${wanted.includes('/') ? '' : ' on PATH'}: pass --envoy PATH or set GANTRY_ENVOY (bash hack/install-envoy.sh installs one)`);
  }
  const log = logger('standalone');
  const runtime = new StandaloneRuntime({
    envoyPath,
    listenAddress: values['listen-address'],
    xdsPort: parsePort(values['xds-port'], '--xds-port'),
    adminPortBase: parsePort(values['admin-port'], '--admin-port'),
    envoyLogLevel: values['envoy-log-level'],
    sotw: values.sotw,
    allClusterStats: values['all-cluster-stats'],
    installNamespace: values.namespace,
    disableKubernetesDestinations: values['disable-kubernetes-destinations'],
  });
  await runtime.start();

  // Runs are serialised by the runtime: changes that arrive during one are translated together next.
  let last: Promise<unknown> = Promise.resolve();
  const source = new DirectorySource({
    dir,
    log,
    onChanges: (changes) => {
      last = runtime.update(changes).catch((err: unknown) => {
        log.error('apply failed', { error: err instanceof Error ? err.message : String(err) });
      });
    },
    // A large directory: its Envoy creates the clusters read so far while the rest is read.
    onPartial: (changes) => {
      last = runtime.preload(changes).catch((err: unknown) => {
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
  // A second signal, or a stop that takes too long, ends at once (Envoys are killed on exit).
  const force = (): never => process.exit(1);
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
  setTimeout(force, 8000).unref();
  source.stop();
  await Promise.race([last, new Promise((r) => setTimeout(r, 2000).unref())]);
  await runtime.stop();
  return 0;
}
