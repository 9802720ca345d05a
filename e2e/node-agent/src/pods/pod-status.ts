// A Pod's status as the kubelet reports it, computed from what the agent knows (pure, so it is
// tested without processes): phase, the conditions the kubelet owns, addresses and container
// statuses. Conditions owned by others (PodScheduled from the binding, readiness gates,
// DisruptionTarget) are kept as they are.
import type { Pod, PodCondition } from '../kube-types.js';
import type { ContainerStatus } from './container-runner.js';

export interface PodView {
  readonly pod: Pod;
  readonly podIP?: string;
  readonly hostIP: string;
  readonly startTime: string;
  /** Network namespace and volumes are in place. */
  readonly sandboxReady: boolean;
  /** Every init container completed. */
  readonly initialized: boolean;
  /** An init container failed and will not be retried (restartPolicy Never). */
  readonly initFailed: boolean;
  readonly initStatuses: readonly ContainerStatus[];
  readonly statuses: readonly ContainerStatus[];
  readonly now: string;
}

export interface PodStatusOut {
  readonly phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  readonly conditions: readonly PodCondition[];
  readonly hostIP: string;
  readonly hostIPs: readonly { readonly ip: string }[];
  readonly podIP?: string;
  readonly podIPs?: readonly { readonly ip: string }[];
  readonly startTime: string;
  readonly initContainerStatuses?: readonly ContainerStatus[];
  readonly containerStatuses: readonly ContainerStatus[];
}

const KUBELET_CONDITIONS = new Set(['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']);

export function podPhase(v: PodView): PodStatusOut['phase'] {
  if (v.initFailed) return 'Failed';
  if (!v.sandboxReady || !v.initialized) return 'Pending';
  const terminated = v.statuses.filter((s) => 'terminated' in s.state);
  if (v.statuses.length > 0 && terminated.length === v.statuses.length) {
    return terminated.every((s) => 'terminated' in s.state && s.state.terminated.exitCode === 0) ? 'Succeeded' : 'Failed';
  }
  const neverStarted = v.statuses.some((s) => 'waiting' in s.state && s.restartCount === 0 && !s.lastState.terminated);
  return neverStarted ? 'Pending' : 'Running';
}

export function buildPodStatus(v: PodView, current: readonly PodCondition[] = []): PodStatusOut {
  const phase = podPhase(v);
  const done = phase === 'Succeeded' || phase === 'Failed';
  const unready = v.statuses.filter((s) => !s.ready).map((s) => s.name);
  const containersReady = unready.length === 0 && !done;
  const gates = (v.pod.spec.readinessGates ?? []).map((g) => g.conditionType);
  const unmetGates = gates.filter((t) => current.find((c) => c.type === t)?.status !== 'True');
  const pendingInit = v.initStatuses.filter((s) => !('terminated' in s.state && s.state.terminated.exitCode === 0)).map((s) => s.name);

  const ours: PodCondition[] = [
    cond('PodReadyToStartContainers', v.sandboxReady),
    v.initialized ? cond('Initialized', true) : cond('Initialized', false, 'ContainersNotInitialized', `containers with incomplete status: [${pendingInit.join(' ')}]`),
    done
      ? cond('Ready', false, 'PodCompleted')
      : !containersReady
        ? cond('Ready', false, 'ContainersNotReady', `containers with unready status: [${unready.join(' ')}]`)
        : unmetGates.length > 0
          ? cond('Ready', false, 'ReadinessGatesNotReady', `corresponding condition of pod readiness gate "${unmetGates[0]}" does not exist.`)
          : cond('Ready', true),
    done
      ? cond('ContainersReady', false, 'PodCompleted')
      : containersReady
        ? cond('ContainersReady', true)
        : cond('ContainersReady', false, 'ContainersNotReady', `containers with unready status: [${unready.join(' ')}]`),
    cond('PodScheduled', true),
  ];
  // A condition keeps its lastTransitionTime while its status stays the same.
  const stamped = ours.map((c) => {
    const before = current.find((p) => p.type === c.type);
    return { ...c, lastProbeTime: null, lastTransitionTime: before?.status === c.status && before.lastTransitionTime ? before.lastTransitionTime : v.now };
  });
  const others = current.filter((c) => !KUBELET_CONDITIONS.has(c.type));

  const byName = (a: ContainerStatus, b: ContainerStatus): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return {
    phase,
    conditions: [...stamped, ...others],
    hostIP: v.hostIP,
    hostIPs: [{ ip: v.hostIP }],
    ...(v.podIP ? { podIP: v.podIP, podIPs: [{ ip: v.podIP }] } : {}),
    startTime: v.startTime,
    ...(v.initStatuses.length > 0 ? { initContainerStatuses: [...v.initStatuses] } : {}),
    containerStatuses: [...v.statuses].sort(byName),
  };
}

function cond(type: string, ok: boolean, reason?: string, message?: string): PodCondition {
  return { type, status: ok ? 'True' : 'False', ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}
