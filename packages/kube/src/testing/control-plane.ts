// A real, throwaway Kubernetes control plane for integration tests: a fresh
// etcd + kube-apiserver (and optionally kube-controller-manager) per call, on
// free loopback ports, in a temporary state dir. It drives the same scripts as
// `npm run cluster:up` / `cluster:down` (hack/cluster-up.sh, hack/lib/*.sh),
// so certificates, flags and CRD installation exist in one place only.
//
// Processes are found by pid only. If the test process dies without calling
// stop(), a watcher started by cluster-up.sh (GANTRY_CLUSTER_OWNER_PID) stops
// them and removes the state dir.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';

export interface ControlPlaneOptions {
  /** Also run kube-controller-manager (garbage collector, deployments, service accounts...). Default false. */
  controllerManager?: boolean;
  /** Install the Gateway API v1.6.1 experimental CRDs and charts/gantry-crds. Default false. */
  crds?: boolean;
  /** The Service range (GANTRY_CLUSTER_SERVICE_CIDR). Default 10.96.0.0/16. */
  serviceCidr?: string;
}

export interface ControlPlane {
  /** Absolute path of an admin (system:masters) kubeconfig with embedded certificates. */
  kubeconfigPath: string;
  kubeConfig: KubeConfig;
  /** The API server URL, https://127.0.0.1:<port>. */
  server: string;
  /** The kubectl of the same release, for tests that check what a user sees. */
  kubectl: string;
  /**
   * kubectl's flags for this control plane: its kubeconfig, and a discovery cache of its own.
   * kubectl keys the shared cache by host and port, and a later control plane on a reused loopback
   * port would otherwise be read with an earlier one's kinds (`kubectl get <category>` then names
   * a kind this API server has never had).
   */
  kubectlArgs: readonly string[];
  /** State dir: pki/, etcd/, logs/<component>.log, <component>.pid. Removed by stop(). */
  stateDir: string;
  /** Stops kube-apiserver only (etcd keeps the data). */
  stopApiServer(): Promise<void>;
  /** Starts kube-apiserver again on the same etcd and port; resolves once /readyz is ok. */
  startApiServer(): Promise<void>;
  /** Stops every process it started and removes the state dir. Safe to call twice. */
  stop(): Promise<void>;
}

interface Artefacts {
  kubeBinDir: string;
  etcd: string;
  gatewayApiCrds: string;
}

const repoRoot = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
const clusterUp = join(repoRoot, 'hack', 'cluster-up.sh');
const clusterDown = join(repoRoot, 'hack', 'cluster-down.sh');

// The installers are cache hits after their first run, but still cost a
// process each: resolve once per process.
let artefacts: Promise<Artefacts> | undefined;

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  artefacts ??= resolveArtefacts();
  const installed = await artefacts.catch((error: unknown) => {
    artefacts = undefined; // let the next caller retry
    throw error;
  });
  const stateDir = await mkdtemp(join(tmpdir(), 'gantry-control-plane-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GANTRY_CLUSTER_DIR: stateDir,
    GANTRY_CLUSTER_CONTROLLER_MANAGER: options.controllerManager ? '1' : '0',
    // Tests that need Pods run their own agent (e2e/node-agent's test-agent): a shared bridge
    // between parallel control planes would not do.
    GANTRY_CLUSTER_NODE_AGENT: '0',
    GANTRY_CLUSTER_ETCD_NO_FSYNC: '1',
    GANTRY_CLUSTER_OWNER_PID: String(process.pid),
    GANTRY_KUBE_BIN_DIR: installed.kubeBinDir,
    GANTRY_ETCD: installed.etcd,
    GANTRY_GATEWAY_API_CRDS: installed.gatewayApiCrds,
    GANTRY_CLUSTER_SERVICE_CIDR: options.serviceCidr ?? '10.96.0.0/16',
    GANTRY_CLUSTER_INSTALL: 'local',
  };
  delete env.GANTRY_CLUSTER_APISERVER_PORT; // always a free port here

  const down = (...args: string[]): Promise<unknown> => run(clusterDown, args, env);
  let kubeconfigPath: string;
  try {
    const output = await run(clusterUp, [], { ...env, GANTRY_CLUSTER_CRDS: options.crds ? '1' : '0' });
    kubeconfigPath = parseKubeconfigLine(output);
  } catch (error) {
    await down('--purge').catch(() => undefined);
    await rm(stateDir, { recursive: true, force: true });
    throw error;
  }

  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  const server = kubeConfig.getCurrentCluster()?.server;
  if (!server) throw new Error(`no server in ${kubeconfigPath}`);

  let stopped: Promise<void> | undefined;
  return {
    kubeconfigPath,
    kubeConfig,
    server,
    kubectl: join(installed.kubeBinDir, 'kubectl'),
    kubectlArgs: ['--kubeconfig', kubeconfigPath, '--cache-dir', join(stateDir, 'kubectl-cache')],
    stateDir,
    stopApiServer: async () => {
      await down('--only', 'kube-apiserver');
    },
    startApiServer: async () => {
      // CRDs live in etcd; a restart needs none installed again.
      await run(clusterUp, [], { ...env, GANTRY_CLUSTER_CRDS: '0' });
    },
    stop: () => {
      stopped ??= (async () => {
        await down('--purge');
        await rm(stateDir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

// hack/test.sh exports what it installed; otherwise ask the installers.
async function resolveArtefacts(): Promise<Artefacts> {
  const hack = join(repoRoot, 'hack');
  const env = process.env;
  const [kubeBinDir, etcd, gatewayApiCrds] = await Promise.all([
    env.GANTRY_KUBE_BIN_DIR ?? run(join(hack, 'install-kube.sh'), [], env).then(lastLine),
    env.GANTRY_ETCD ?? run(join(hack, 'install-etcd.sh'), [], env).then(lastLine),
    // install-gateway-api.sh prints the CRD dir, then echo-basic's path.
    env.GANTRY_GATEWAY_API_CRDS ??
      run(join(hack, 'install-gateway-api.sh'), [], env).then((out) => lines(out).at(-2) ?? ''),
  ]);
  return { kubeBinDir, etcd, gatewayApiCrds };
}

/** Runs a hack/ script; resolves with its stdout, rejects with the tail of its stderr. */
function run(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', [script, ...args], { env, cwd: repoRoot, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const tail = lines(stderr).slice(-25).join('\n');
        reject(new Error(`${script} ${args.join(' ')} failed (${error.message.split('\n')[0]}):\n${tail}`));
      } else {
        resolve(stdout);
      }
    });
  });
}

function parseKubeconfigLine(stdout: string): string {
  const last = lastLine(stdout);
  const prefix = 'KUBECONFIG=';
  if (!last.startsWith(prefix)) throw new Error(`cluster-up.sh printed no KUBECONFIG line: ${last}`);
  return last.slice(prefix.length);
}

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line.length > 0);
}

function lastLine(text: string): string {
  return lines(text).at(-1) ?? '';
}

// Works from src/ and dist/ alike: the first ancestor holding hack/cluster-up.sh.
function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'hack', 'cluster-up.sh'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no hack/cluster-up.sh above ${start}`);
  }
}
