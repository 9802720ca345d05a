// The host tools the agent drives. iproute2 may be missing on a fresh machine: it is installed
// from Debian when absent (the agent runs as root anyway). The others come with util-linux,
// procps and openssl, which cluster-up already ensures.
import { run, succeeds } from './exec.js';
import type { Logger } from './kube.js';

const REQUIRED: readonly (readonly [command: string, debianPackage: string])[] = [
  ['ip', 'iproute2'],
  ['nsenter', 'util-linux'],
  ['unshare', 'util-linux'],
  ['setpriv', 'util-linux'],
  ['mount', 'mount'],
  ['sysctl', 'procps'],
  ['openssl', 'openssl'],
];

async function has(command: string): Promise<boolean> {
  return succeeds('sh', ['-c', `command -v ${command}`]);
}

export async function ensureHostTools(log: Logger): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the node agent must run as root (network namespaces, bridges, mounts)');
  const missing: string[] = [];
  for (const [command, pkg] of REQUIRED) if (!(await has(command)) && !missing.includes(pkg)) missing.push(pkg);
  if (missing.length === 0) return;
  log.info('installing missing host tools', { packages: missing });
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update', '-qq'], { env, timeoutMs: 300_000 });
  await run('apt-get', ['install', '-y', '-qq', ...missing], { env, timeoutMs: 600_000 });
  for (const [command] of REQUIRED) if (!(await has(command))) throw new Error(`${command} is still missing`);
}
