import { describe, expect, it } from '@jest/globals';
import type { Pod } from '../kube-types.js';
import type { ContainerStatus } from './container-runner.js';
import { buildPodStatus, podPhase, type PodView } from './pod-status.js';

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-01T00:01:00.000Z';

function cs(name: string, state: ContainerStatus['state'], extra: Partial<ContainerStatus> = {}): ContainerStatus {
  return { name, image: 'img', imageID: 'id', restartCount: 0, started: 'running' in state, ready: false, state, lastState: {}, ...extra };
}

const pod: Pod = { metadata: { name: 'p', namespace: 'ns', uid: 'u' }, spec: { containers: [{ name: 'a' }, { name: 'b' }] } };

function view(v: Partial<PodView>): PodView {
  return { pod, podIP: '10.244.0.5', hostIP: '10.244.0.1', startTime: T0, sandboxReady: true, initialized: true, initFailed: false, initStatuses: [], statuses: [], now: T1, ...v };
}

const running = { running: { startedAt: T0 } };

describe('pod status', () => {
  it('computes the phase', () => {
    expect(podPhase(view({ sandboxReady: false }))).toBe('Pending');
    expect(podPhase(view({ initialized: false }))).toBe('Pending');
    expect(podPhase(view({ initFailed: true }))).toBe('Failed');
    expect(podPhase(view({ statuses: [cs('a', running), cs('b', { waiting: { reason: 'ContainerCreating' } })] }))).toBe('Pending');
    const crashed = cs('b', { waiting: { reason: 'CrashLoopBackOff' } }, { restartCount: 2 });
    expect(podPhase(view({ statuses: [cs('a', running), crashed] }))).toBe('Running');
    const ok = { terminated: { exitCode: 0, reason: 'Completed', startedAt: T0, finishedAt: T1 } };
    const bad = { terminated: { exitCode: 2, reason: 'Error', startedAt: T0, finishedAt: T1 } };
    expect(podPhase(view({ statuses: [cs('a', ok), cs('b', ok)] }))).toBe('Succeeded');
    expect(podPhase(view({ statuses: [cs('a', ok), cs('b', bad)] }))).toBe('Failed');
  });

  it('reports readiness conditions, addresses and sorted container statuses; keeps others\' conditions and unchanged transition times', () => {
    const statuses = [cs('b', running, { ready: false }), cs('a', running, { ready: true })];
    const current = [
      { type: 'PodScheduled', status: 'True' as const, lastTransitionTime: T0 },
      { type: 'Ready', status: 'False' as const, lastTransitionTime: T0 },
      { type: 'example.com/gate', status: 'True' as const },
    ];
    const s = buildPodStatus(view({ statuses }), current);
    expect(s.phase).toBe('Running');
    expect(s.podIPs).toEqual([{ ip: '10.244.0.5' }]);
    expect(s.hostIPs).toEqual([{ ip: '10.244.0.1' }]);
    expect(s.containerStatuses.map((c) => c.name)).toEqual(['a', 'b']);
    const ready = s.conditions.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [b]', lastTransitionTime: T0 });
    expect(s.conditions.find((c) => c.type === 'PodScheduled')?.lastTransitionTime).toBe(T0);
    expect(s.conditions.find((c) => c.type === 'Initialized')).toMatchObject({ status: 'True', lastTransitionTime: T1 });
    expect(s.conditions.find((c) => c.type === 'example.com/gate')).toEqual({ type: 'example.com/gate', status: 'True' });

    const allReady = buildPodStatus(view({ statuses: statuses.map((c) => ({ ...c, ready: true })) }), current);
    expect(allReady.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', lastTransitionTime: T1 });
  });

  it('holds Ready back for an unmet readiness gate', () => {
    const gated: Pod = { ...pod, spec: { ...pod.spec, readinessGates: [{ conditionType: 'example.com/lb' }] } };
    const s = buildPodStatus(view({ pod: gated, statuses: [cs('a', running, { ready: true }), cs('b', running, { ready: true })] }), []);
    expect(s.conditions.find((c) => c.type === 'ContainersReady')?.status).toBe('True');
    expect(s.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'ReadinessGatesNotReady' });
  });
});
