// One Pod on this node, from admission to teardown: its directory, address and network
// namespace, its volumes, init containers in order, then its containers; and on deletion the
// reverse, leaving nothing of it behind.
import { mkdir, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from '@gantry/kube';
import { describeError } from '../log.js';
import type { Container, Pod } from '../kube-types.js';
import type { Ipam } from '../net/cidr.js';
import type { HostNetwork, PodNetwork } from '../net/host-network.js';
import { ContainerRunner, type ContainerStatus, type PreparedRun, type RestartBackoff } from './container-runner.js';
import { containerEnv, expandVars } from './env.js';
import type { PodRuntimeFacts } from './field-ref.js';
import { resolveCommand, type ImageBinary } from './images.js';
import { containerScript, mountRequests, planMounts } from './mounts.js';
import { ContainerConfigError, type ObjectSource } from './object-source.js';
import type { PodView } from './pod-status.js';
import { prepareVolumes, type VolumePaths } from './volumes.js';

/** What every Pod on the node shares. */
export interface NodeContext {
  readonly network: HostNetwork;
  readonly ipam: Ipam;
  /** Parent of the per-Pod directories. */
  readonly podsDir: string;
  readonly nodeName: string;
  readonly nodeIP: string;
  readonly nodeCpuCores: number;
  readonly nodeMemoryBytes: number;
  readonly images: readonly ImageBinary[];
  readonly source: ObjectSource;
  readonly backoff: RestartBackoff;
  readonly log: Logger;
  /** Retry delay for a sandbox or configuration that is not ready yet. */
  readonly retryMs: number;
  /** Variables every container gets before its own env (KUBERNETES_SERVICE_HOST/PORT). */
  readonly serviceEnv?: () => Readonly<Record<string, string>>;
  /** Mounted read-only on /etc/hosts unless the Pod uses the host network or mounts its own. */
  readonly hostsFile?: string;
  /** Likewise on /etc/resolv.conf. */
  readonly resolvConf?: string;
}

const HOST_PATHS_FILE = 'host-paths';

/** Removes the host mount points that Pods of an agent which is gone had made (see prepare()). */
export async function sweepHostPaths(podsDir: string): Promise<void> {
  const uids = await readdir(podsDir).catch(() => [] as string[]);
  for (const uid of uids) {
    const list = await readFile(join(podsDir, uid, HOST_PATHS_FILE), 'utf8').catch(() => '');
    for (const path of list.split('\n').filter((p) => p.startsWith('/')).reverse()) await removeCreatedPath(path);
  }
}

const CONTAINER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export class PodWorker {
  readonly uid: string;
  readonly key: string;
  readonly podDir: string;
  private podNetwork: PodNetwork | undefined;
  private podIP: string | undefined;
  private volumes: VolumePaths = new Map();
  private readonly startTime = new Date().toISOString();
  private sandboxReady = false;
  private initialized = false;
  private initFailed = false;
  private readonly initRunners: ContainerRunner[];
  private readonly runners: ContainerRunner[];
  private readonly hostDirs: string[] = [];
  private stopping = false;
  private setup: Promise<void> = Promise.resolve();
  private teardown: Promise<void> | undefined;

  constructor(
    private current: Pod,
    private readonly node: NodeContext,
    /** Called whenever the status may have changed. */
    private readonly onChange: (worker: PodWorker) => void,
  ) {
    this.uid = current.metadata.uid ?? '';
    this.key = `${current.metadata.namespace ?? 'default'}/${current.metadata.name}`;
    this.podDir = join(node.podsDir, this.uid);
    this.initRunners = (current.spec.initContainers ?? []).map((c) => this.runnerFor(c, true));
    this.runners = current.spec.containers.map((c) => this.runnerFor(c, false));
  }

  get pod(): Pod {
    return this.current;
  }

  /** Newer metadata (labels, deletion); the spec of a Pod does not change in ways we act on. */
  update(pod: Pod): void {
    this.current = pod;
  }

  start(): void {
    this.setup = this.run().catch((err: unknown) => {
      this.node.log.error('pod setup failed', { pod: this.key, error: describeError(err) });
    });
  }

  get terminating(): boolean {
    return this.stopping;
  }

  /** Stops every container (TERM, KILL after `graceMs`), then removes namespace, address and files. */
  terminate(graceMs: number): Promise<void> {
    this.stopping = true;
    this.teardown ??= (async () => {
      await Promise.all([...this.initRunners, ...this.runners].map((r) => r.stop(graceMs)));
      await this.setup;
      if (this.podNetwork) await this.node.network.deletePodNetwork(this.podNetwork.netnsName);
      if (this.podIP && !this.current.spec.hostNetwork) this.node.ipam.release(this.podIP);
      for (const dir of this.hostDirs.reverse()) await removeCreatedPath(dir);
      await rm(this.podDir, { recursive: true, force: true });
      this.node.log.info('pod stopped', { pod: this.key });
    })();
    return this.teardown;
  }

  container(name: string): ContainerRunner | undefined {
    return [...this.runners, ...this.initRunners].find((r) => r.name === name);
  }

  get netnsName(): string | undefined {
    return this.podNetwork?.netnsName;
  }

  /** Pids of running container processes. */
  pids(): number[] {
    return [...this.initRunners, ...this.runners].map((r) => r.pid).filter((p): p is number => p !== undefined);
  }

  view(now: Date = new Date()): PodView {
    return {
      pod: this.current,
      ...(this.podIP ? { podIP: this.podIP } : {}),
      hostIP: this.node.nodeIP,
      startTime: this.startTime,
      sandboxReady: this.sandboxReady,
      initialized: this.initialized,
      initFailed: this.initFailed,
      initStatuses: this.initRunners.map((r) => r.status()),
      statuses: this.runners.map((r): ContainerStatus => r.status()),
      now: now.toISOString(),
    };
  }

  private changed(): void {
    if (!this.stopping) this.onChange(this);
  }

  private async run(): Promise<void> {
    await mkdir(this.podDir, { recursive: true, mode: 0o700 });
    this.changed();
    if (!(await this.retrying('network', () => this.createNetwork()))) return;
    if (!(await this.retrying('volumes', () => this.createVolumes()))) return;
    this.sandboxReady = true;
    this.node.log.info('pod sandbox ready', { pod: this.key, podIP: this.podIP, netns: this.podNetwork?.netnsName });
    this.changed();
    for (const runner of this.initRunners) {
      runner.start();
      const exit = await runner.done;
      if (this.stopping) return;
      if (exit?.exitCode !== 0) {
        this.initFailed = true;
        this.changed();
        return;
      }
    }
    this.initialized = true;
    this.changed();
    for (const runner of this.runners) runner.start();
  }

  /** Repeats `step` until it works or the Pod is deleted; false when deleted first. */
  private async retrying(what: string, step: () => Promise<void>): Promise<boolean> {
    for (let attempt = 0; !this.stopping; attempt++) {
      try {
        await step();
        return !this.stopping;
      } catch (err) {
        const level = err instanceof ContainerConfigError || attempt > 0 ? 'info' : 'warn';
        this.node.log[level](`pod ${what} not ready; retrying`, { pod: this.key, error: describeError(err) });
        await new Promise((r) => setTimeout(r, this.node.retryMs));
      }
    }
    return false;
  }

  private async createNetwork(): Promise<void> {
    const spec = this.current.spec;
    if (spec.hostNetwork) {
      this.podIP = this.node.nodeIP;
      return;
    }
    this.podIP ??= this.node.ipam.allocate(this.uid);
    if (!this.podIP) throw new Error(`no free address in ${this.node.ipam.cidr.text}`);
    const name = this.node.network.namespaceName(this.current.metadata.namespace ?? 'default', this.current.metadata.name, this.uid);
    this.podNetwork = await this.node.network.createPodNetwork(name, this.podIP, spec.securityContext?.sysctls ?? []);
  }

  private async createVolumes(): Promise<void> {
    this.volumes = await prepareVolumes({ pod: this.current, podDir: this.podDir, facts: this.facts(), source: this.node.source, log: this.node.log });
  }

  private facts(): PodRuntimeFacts {
    return {
      podIP: this.podIP ?? '',
      hostIP: this.node.nodeIP,
      nodeName: this.node.nodeName,
      nodeCpuCores: this.node.nodeCpuCores,
      nodeMemoryBytes: this.node.nodeMemoryBytes,
    };
  }

  private runnerFor(container: Container, init: boolean): ContainerRunner {
    const spec = this.current.spec;
    return new ContainerRunner({
      container,
      podKey: this.key,
      init,
      restartPolicy: spec.restartPolicy ?? 'Always',
      backoff: this.node.backoff,
      graceMs: (spec.terminationGracePeriodSeconds ?? 30) * 1000,
      podIP: () => this.podIP ?? '',
      logDir: join(this.podDir, 'logs', container.name),
      prepare: () => this.prepare(container),
      onChange: () => this.changed(),
      log: this.node.log,
      configRetryMs: this.node.retryMs,
    });
  }

  /** Env, mounts and command line of one (re)start of `container`. */
  private async prepare(container: Container): Promise<PreparedRun> {
    const pod = this.current;
    const env = await containerEnv(pod, container, this.facts(), this.node.source);
    const resolved = resolveCommand(container, this.node.images);
    const lookup = (name: string): string | undefined => env.get(name);
    const argv = resolved.argv.map((a) => expandVars(a, lookup));

    const requests = mountRequests(container, this.volumes);
    if ('error' in requests) throw new ContainerConfigError(requests.error);
    for (const [source, target] of [
      [this.node.hostsFile, '/etc/hosts'],
      [this.node.resolvConf, '/etc/resolv.conf'],
    ] as const) {
      if (source && !pod.spec.hostNetwork && !requests.some((r) => r.target === target)) requests.push({ source, target, readOnly: true });
    }
    const plan = planMounts(requests);
    for (const d of plan.hostDirs) {
      if (!this.hostDirs.includes(d.path)) this.hostDirs.push(d.path);
      // Recorded before it exists: an agent killed from here on leaves `cleanup` a list to sweep.
      await writeFile(join(this.podDir, HOST_PATHS_FILE), `${this.hostDirs.join('\n')}\n`);
      await createPath(d.path, d.isFile);
    }
    for (const d of plan.volumeDirs) await createPath(d.path, d.isFile);
    const scratchDir = join(this.podDir, 'scratch', container.name);
    await mkdir(scratchDir, { recursive: true });
    const hostname = pod.spec.hostNetwork ? undefined : (pod.spec.hostname ?? pod.metadata.name);
    const workingDir = container.workingDir ?? resolved.workingDir;
    const script = containerScript({ plan, scratchDir, program: argv[0] ?? '', ...(hostname ? { hostname } : {}), ...(workingDir ? { workingDir } : {}) });
    const scriptPath = join(this.podDir, 'run', `${container.name}.sh`);
    await mkdir(dirname(scriptPath), { recursive: true });
    await writeFile(scriptPath, script, { mode: 0o700 });

    const inner = ['unshare', '--mount', '--uts', '--ipc', '--propagation', 'private', '--', 'bash', scriptPath, ...argv];
    const withNet = this.podNetwork ? ['nsenter', `--net=${this.podNetwork.netnsPath}`, '--', ...inner] : inner;
    const processEnv: Record<string, string> = { PATH: CONTAINER_PATH, HOME: '/root', ...(hostname ? { HOSTNAME: hostname } : {}), ...(this.node.serviceEnv?.() ?? {}) };
    for (const [k, v] of env) processEnv[k] = v;
    return {
      spec: { file: 'setpriv', args: ['--pdeathsig', 'KILL', '--', ...withNet], env: processEnv },
      env: processEnv,
      imageID: resolved.imageID,
    };
  }
}

async function createPath(path: string, isFile: boolean): Promise<void> {
  if (isFile) {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, '', { flag: 'a' });
  } else {
    await mkdir(path, { recursive: true });
  }
}

/** Removes a mount point the agent created on the host, only while it is still empty. */
async function removeCreatedPath(path: string): Promise<void> {
  await rmdir(path).catch(async () => {
    await rm(path, { force: true }).catch(() => undefined); // a file mount point, or not empty: keep
  });
}
