// A node agent for integration tests, in the test process, on a bridge and address ranges of its
// own (so tests in parallel, and a cluster from `npm run cluster:up`, never share anything), with
// short restart back-off. Needs root and iproute2; `canRunAgent()` says whether this machine can.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeConfig } from '@kubernetes/client-node';
import { NodeAgent } from '../agent.js';
import { run, succeeds } from '../exec.js';
import type { Logger } from '../kube.js';
import { echoBasicImage, envoyImage, type ImageBinary } from '../pods/images.js';

export interface TestAgent {
  readonly agent: NodeAgent;
  readonly bridge: string;
  readonly podCidr: string;
  readonly lbCidr: string;
  readonly stateDir: string;
  /** Stops the agent and removes its state dir. Safe to call twice. */
  stop(): Promise<void>;
}

export async function canRunAgent(): Promise<{ ok: true } | { ok: false; why: string }> {
  if (process.getuid?.() !== 0) return { ok: false, why: 'not root' };
  if (!(await succeeds('ip', ['-V']))) return { ok: false, why: 'no iproute2 (ip)' };
  return { ok: true };
}

const repoRoot = findRepoRoot(dirname(fileURLToPath(import.meta.url)));

function lastLineOf(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', [join(repoRoot, 'hack', script)], { maxBuffer: 8 * 1024 * 1024 }, (err, stdout) => {
      if (err) reject(new Error(`${script} failed: ${err.message.split('\n')[0]}`));
      else resolve(stdout.trim().split('\n').at(-1) ?? '');
    });
  });
}

/** echo-basic and Envoy, from the environment (hack/test.sh exports them) or the installers' caches. */
export async function localImages(): Promise<ImageBinary[]> {
  const echo = process.env['GANTRY_ECHO_BASIC'] ?? (await lastLineOf('install-gateway-api.sh'));
  const envoy = process.env['GANTRY_ENVOY'] ?? (await lastLineOf('install-envoy.sh'));
  return [echoBasicImage(echo), envoyImage(envoy)];
}

/** A /24 (and a /28 for LoadBalancers) under 10.250/10.251 that nothing on this machine routes yet. */
async function freeRanges(): Promise<{ n: number; podCidr: string; lbCidr: string }> {
  const routes = await run('ip', ['-o', 'route', 'show']);
  const links = await run('ip', ['-o', 'link', 'show']);
  for (let i = 0; i < 50; i++) {
    const n = 1 + Math.floor(Math.random() * 250);
    if (routes.includes(`10.250.${n}.`) || routes.includes(`10.251.${n}.`) || links.includes(`gnt${n}:`)) continue;
    return { n, podCidr: `10.250.${n}.0/24`, lbCidr: `10.251.${n}.0/28` };
  }
  throw new Error('no free test range under 10.250.0.0/16');
}

export interface TestAgentOptions {
  readonly pkiDir?: string;
  readonly log: Logger;
  readonly nodeName?: string;
  /** AgentOptions.apiService and serviceHosts (default off). */
  readonly apiService?: boolean;
  readonly serviceHosts?: boolean;
  readonly images?: readonly ImageBinary[];
}

export async function startTestAgent(kc: KubeConfig, opts: TestAgentOptions): Promise<TestAgent> {
  const { n, podCidr, lbCidr } = await freeRanges();
  const bridge = `gnt${n}`;
  const stateDir = await mkdtemp(join(tmpdir(), 'gantry-node-agent-'));
  const pki = opts.pkiDir && existsSync(join(opts.pkiDir, 'ca.key')) ? { caCertFile: join(opts.pkiDir, 'ca.crt'), caKeyFile: join(opts.pkiDir, 'ca.key') } : {};
  let agent: NodeAgent;
  try {
    agent = await NodeAgent.start({
      kubeConfig: kc,
      nodeName: opts.nodeName ?? 'gantry-test-node',
      stateDir,
      bridge,
      podCidr,
      lbCidr,
      kubeletPort: 10250,
      clusterIPs: true,
      apiService: opts.apiService ?? false,
      serviceHosts: opts.serviceHosts ?? false,
      bindPods: true,
      ...pki,
      images: [...(opts.images ?? []), ...(await localImages())],
      backoff: { initialMs: 300, maxMs: 2000, resetAfterMs: 60_000 },
      shutdownGraceMs: 5000,
      retryMs: 300,
      log: opts.log,
    });
  } catch (err) {
    await rm(stateDir, { recursive: true, force: true });
    throw err;
  }
  let stopped: Promise<void> | undefined;
  return {
    agent,
    bridge,
    podCidr,
    lbCidr,
    stateDir,
    stop: () =>
      (stopped ??= (async () => {
        await agent.stop();
        await rm(stateDir, { recursive: true, force: true });
      })()),
  };
}

function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'hack', 'cluster-up.sh'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no hack/cluster-up.sh above ${start}`);
  }
}
