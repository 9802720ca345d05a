// The Node object and its heartbeats: registered (or adopted) at start with capacity, addresses
// and the kubelet endpoint the API server proxies logs through; a Lease in kube-node-lease
// renewed every few seconds (what the node lifecycle controller watches); status with
// heartbeat times posted on a slower beat.
//
// Addresses: only InternalIP, the bridge's gateway address. The API server picks the first
// address by its preferred type order, which starts with Hostname; a Hostname entry would send
// it to DNS for a name nobody serves.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import { describeError } from '../log.js';
import { CORE_KINDS, objectPath, requestJson, errorFromResponse, patchStatus, type Logger } from '../kube.js';
import { NODE } from '../kube-types.js';

export interface NodeRegistrationOptions {
  readonly nodeName: string;
  readonly nodeIP: string;
  readonly kubeletPort: number;
  readonly podCidr: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly leaseRenewMs?: number;
  readonly statusUpdateMs?: number;
  readonly log: Logger;
}

export const LEASE_DURATION_SECONDS = 40;
const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const AGENT_VERSION = 'gantry-node-agent/0.1.0';

export function nodeLabels(nodeName: string): Record<string, string> {
  return {
    'kubernetes.io/hostname': nodeName,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': os.arch() === 'x64' ? 'amd64' : os.arch(),
    'beta.kubernetes.io/os': 'linux',
    'beta.kubernetes.io/arch': os.arch() === 'x64' ? 'amd64' : os.arch(),
  };
}

export class NodeRegistration {
  private leaseTimer: NodeJS.Timeout | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private readonly bootID = readBootId();
  private kubeletVersion = 'v0.0.0';
  private ready = true;
  /** When each condition last changed status (heartbeats alone are no transition). */
  private readonly transitions = new Map<string, { status: string; at: string }>();

  constructor(
    private readonly kc: KubeConfig,
    private readonly opts: NodeRegistrationOptions,
  ) {}

  async start(): Promise<void> {
    this.kubeletVersion = await this.serverVersion();
    await this.register();
    await this.postStatus();
    await this.renewLease();
    this.leaseTimer = setInterval(() => void this.renewLease(), this.opts.leaseRenewMs ?? 10_000);
    this.statusTimer = setInterval(() => void this.postStatus(), this.opts.statusUpdateMs ?? 30_000);
  }

  /** Stops the heartbeats and reports NotReady (the agent's Pods are gone with it). */
  async stop(): Promise<void> {
    clearInterval(this.leaseTimer);
    clearInterval(this.statusTimer);
    this.ready = false;
    await this.postStatus();
  }

  private async serverVersion(): Promise<string> {
    const r = await requestJson(this.kc, '/version').catch(() => undefined);
    const body = r?.body as { gitVersion?: unknown } | undefined;
    return typeof body?.gitVersion === 'string' ? body.gitVersion : 'v0.0.0';
  }

  private async register(): Promise<void> {
    const { nodeName, podCidr, labels } = this.opts;
    const body = { apiVersion: 'v1', kind: 'Node', metadata: { name: nodeName, labels }, spec: { podCIDR: podCidr, podCIDRs: [podCidr] } };
    const created = await requestJson(this.kc, '/api/v1/nodes', { method: 'POST', body });
    if (created.status === 201) {
      this.opts.log.info('node registered', { node: nodeName });
      return;
    }
    if (created.status !== 409) throw errorFromResponse(created.status, created.body, `register node ${nodeName}`);
    // Adopt the existing Node (an earlier run): our labels, and no taints left from its absence
    // other than those the node lifecycle controller manages itself.
    const r = await requestJson(this.kc, objectPath(NODE, undefined, nodeName), {
      method: 'PATCH',
      body: { metadata: { labels } },
      contentType: 'application/merge-patch+json',
    });
    if (r.status !== 200) throw errorFromResponse(r.status, r.body, `update node ${nodeName}`);
    this.opts.log.info('node adopted', { node: nodeName });
  }

  private nodeStatus(): object {
    const now = new Date().toISOString();
    const memKi = `${Math.floor(os.totalmem() / 1024)}Ki`;
    const resources = { cpu: String(os.cpus().length), memory: memKi, pods: '110', 'ephemeral-storage': '100Gi' };
    const condition = (type: string, status: string, reason: string, message: string): object => {
      const before = this.transitions.get(type);
      const at = before?.status === status ? before.at : now;
      this.transitions.set(type, { status, at });
      return { type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: at };
    };
    return {
      capacity: resources,
      allocatable: resources,
      conditions: [
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        this.ready
          ? condition('Ready', 'True', 'KubeletReady', 'gantry node agent is posting ready status')
          : condition('Ready', 'False', 'KubeletNotReady', 'gantry node agent stopped'),
      ],
      addresses: [{ type: 'InternalIP', address: this.opts.nodeIP }],
      daemonEndpoints: { kubeletEndpoint: { Port: this.opts.kubeletPort } },
      nodeInfo: {
        machineID: this.bootID.replace(/-/g, ''),
        systemUUID: this.bootID,
        bootID: this.bootID,
        kernelVersion: os.release(),
        osImage: osImage(),
        containerRuntimeVersion: 'gantry://0.1.0',
        kubeletVersion: this.kubeletVersion,
        kubeProxyVersion: this.kubeletVersion,
        operatingSystem: 'linux',
        architecture: os.arch() === 'x64' ? 'amd64' : os.arch(),
      },
    };
  }

  private async postStatus(): Promise<void> {
    try {
      const outcome = await patchStatus(this.kc, NODE, undefined, this.opts.nodeName, this.nodeStatus(), { fieldManager: 'gantry-node-agent' });
      if (outcome === 'notfound' && this.ready) await this.register(); // someone deleted the Node
    } catch (err) {
      this.opts.log.warn('node status update failed', { error: describeError(err) });
    }
  }

  private async renewLease(): Promise<void> {
    const path = objectPath(CORE_KINDS.Lease, NODE_LEASE_NAMESPACE, this.opts.nodeName);
    const now = new Date().toISOString().replace('Z', '000Z'); // MicroTime: microseconds
    try {
      const spec = { holderIdentity: this.opts.nodeName, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: now };
      const r = await requestJson(this.kc, path, { method: 'PATCH', body: { spec }, contentType: 'application/merge-patch+json' });
      if (r.status === 404) {
        const created = await requestJson(this.kc, `/apis/coordination.k8s.io/v1/namespaces/${NODE_LEASE_NAMESPACE}/leases`, {
          method: 'POST',
          body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.opts.nodeName }, spec: { ...spec, acquireTime: now } },
        });
        if (created.status !== 201 && created.status !== 409) throw errorFromResponse(created.status, created.body, 'create node lease');
      } else if (r.status !== 200) {
        throw errorFromResponse(r.status, r.body, 'renew node lease');
      }
    } catch (err) {
      this.opts.log.warn('node lease renewal failed', { error: describeError(err) });
    }
  }
}

function readBootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return randomUUID();
  }
}

function osImage(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    return m?.[1] ?? 'Linux';
  } catch {
    return 'Linux';
  }
}
