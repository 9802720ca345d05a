// LeaderElector against a real API server: one leader among candidates, takeover after a crash
// (measured), immediate takeover after a release, and stepping down when renewals cannot reach
// the API server — before anyone else can take over.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { KubeConfig } from '@kubernetes/client-node';
import { CORE_KINDS } from './kinds.js';
import { LeaderElector, type LeaderElectorOptions } from './leader-election.js';
import { isJsonObject } from './objects.js';
import { createNamespace, getObject, kubeConfigVia, recordingLogger, waitFor } from './testing/api-helpers.js';
import { startControlPlane, type ControlPlane } from './testing/control-plane.js';
import { startTcpProxy, type TcpProxy } from './testing/tcp-proxy.js';

const NS = 'gantry-system';
const TIMING = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 } as const;

interface Spec {
  holderIdentity?: string;
  leaseTransitions?: number;
  leaseDurationSeconds?: number;
}

async function leaseSpec(kc: KubeConfig, name: string): Promise<Spec> {
  const lease = await getObject(kc, CORE_KINDS.Lease, NS, name);
  return (isJsonObject(lease['spec']) ? lease['spec'] : {}) as Spec;
}

/** Resolves with the time of the next emission of `event`. */
function next(e: LeaderElector, event: 'started-leading' | 'stopped-leading'): Promise<number> {
  return new Promise((resolve) => e.once(event, () => resolve(Date.now())));
}

describe('LeaderElector against a real API server', () => {
  let cp: ControlPlane;
  let kc: KubeConfig;
  let proxy: TcpProxy;
  const electors: LeaderElector[] = [];

  const elector = (identity: string, name: string, over: Partial<LeaderElectorOptions> = {}, via?: KubeConfig): LeaderElector => {
    const e = new LeaderElector(via ?? kc, { namespace: NS, name, identity, ...TIMING, logger: recordingLogger(`[${identity}]`), ...over });
    electors.push(e);
    return e;
  };

  beforeAll(async () => {
    cp = await startControlPlane();
    kc = cp.kubeConfig;
    await createNamespace(kc, NS);
    proxy = await startTcpProxy(Number(new URL(cp.server).port));
  }, 180_000);

  afterAll(async () => {
    await Promise.all(electors.map((e) => e.stop({ release: false })));
    await proxy?.close();
    await cp?.stop();
  }, 60_000);

  it('one candidate leads; after it crashes the other takes over once the lease expires', async () => {
    const a = elector('a', 'crash');
    const b = elector('b', 'crash');
    const aLeads = next(a, 'started-leading');
    a.start();
    await aLeads;
    const seenByB: string[] = [];
    b.on('new-leader', (id) => seenByB.push(id));
    const bLeads = next(b, 'started-leading');
    b.start();
    await new Promise((r) => setTimeout(r, 2 * TIMING.leaseDurationMs)); // longer than a lease: A keeps renewing
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    expect(seenByB).toEqual(['a']);
    expect((await leaseSpec(kc, 'crash')).holderIdentity).toBe('a');

    const crashedAt = Date.now();
    await a.stop({ release: false }); // as if the process died: the lease is left to expire
    const takeover = (await bLeads) - crashedAt;
    console.info(`takeover after a crash: ${takeover} ms (lease ${TIMING.leaseDurationMs} ms, retry ${TIMING.retryPeriodMs} ms)`);
    // Never before the lease could have expired (A renewed at most a retry period before dying),
    // and within a lease plus a couple of polls.
    expect(takeover).toBeGreaterThanOrEqual(TIMING.leaseDurationMs - TIMING.retryPeriodMs);
    expect(takeover).toBeLessThanOrEqual(TIMING.leaseDurationMs + 3 * TIMING.retryPeriodMs + 500);
    expect(b.isLeader()).toBe(true);
    const spec = await leaseSpec(kc, 'crash');
    expect(spec.holderIdentity).toBe('b');
    expect(spec.leaseTransitions).toBe(1);
    expect(spec.leaseDurationSeconds).toBe(3);
    expect(seenByB).toEqual(['a', 'b']);
  }, 60_000);

  it('a leader that stops releases the lease, and a candidate takes it at once', async () => {
    const c = elector('c', 'release');
    const d = elector('d', 'release');
    const cLeads = next(c, 'started-leading');
    c.start();
    await cLeads;
    d.start();
    await new Promise((r) => setTimeout(r, TIMING.retryPeriodMs * 2));
    const dLeads = next(d, 'started-leading');
    const cStops = next(c, 'stopped-leading');
    const stoppedAt = Date.now();
    await c.stop();
    await cStops;
    expect(c.isLeader()).toBe(false);
    const takeover = (await dLeads) - stoppedAt;
    console.info(`takeover after a release: ${takeover} ms`);
    expect(takeover).toBeLessThan(TIMING.retryPeriodMs * 1.2 + 800);
  }, 30_000);

  it('a leader cut off from the API server steps down within its renew deadline, before a successor starts', async () => {
    const viaProxy = kubeConfigVia(kc, `https://127.0.0.1:${proxy.port}`);
    const e = elector('e', 'partition', {}, viaProxy);
    const f = elector('f', 'partition');
    const eLeads = next(e, 'started-leading');
    e.start();
    await eLeads;
    f.start();
    await new Promise((r) => setTimeout(r, TIMING.retryPeriodMs * 2));
    expect(e.isLeader()).toBe(true);

    const eStops = next(e, 'stopped-leading');
    const fLeads = next(f, 'started-leading');
    const cutAt = Date.now();
    proxy.setMode('stall'); // requests hang: the worst case for a renew loop
    const stepDown = (await eStops) - cutAt;
    expect(e.isLeader()).toBe(false);
    const takeover = (await fLeads) - cutAt;
    console.info(`partitioned leader stepped down after ${stepDown} ms; successor led after ${takeover} ms`);
    expect(stepDown).toBeLessThanOrEqual(TIMING.renewDeadlineMs + 100);
    expect(takeover).toBeGreaterThan(stepDown); // never two leaders
    expect(takeover).toBeGreaterThanOrEqual(TIMING.leaseDurationMs - TIMING.retryPeriodMs);

    // Reconnected, the old leader stays a follower while the new one renews.
    proxy.setMode('forward');
    await new Promise((r) => setTimeout(r, TIMING.leaseDurationMs));
    expect(e.isLeader()).toBe(false);
    expect(f.isLeader()).toBe(true);
    await waitFor('e to observe f', () => e.leader === 'f');
  }, 60_000);

  it('refuses timings client-go would refuse', () => {
    expect(() => new LeaderElector(kc, { namespace: NS, name: 'x', identity: 'x', leaseDurationMs: 1000, renewDeadlineMs: 2000 })).toThrow();
    expect(() => new LeaderElector(kc, { namespace: NS, name: 'x', identity: '' })).toThrow();
  });
});
