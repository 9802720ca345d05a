import { describe, expect, it } from '@jest/globals';
import { TypeUrl, type EncodedResource, type XdsSnapshot } from '@gantry/xds';
import { REPORT_ANNOTATION, combineDataPlane, localDataPlane, otherReports, reportLeaseName, snapshotDigest, type GatewayDataPlane } from './data-plane.js';

function snapshot(listeners: Record<string, string>): XdsSnapshot {
  const set = (entries: Record<string, string>) => new Map<string, EncodedResource>(Object.entries(entries).map(([name, version]) => [name, { name, version, bytes: new Uint8Array() }]));
  const out: Record<string, ReadonlyMap<string, EncodedResource>> = {};
  for (const t of Object.values(TypeUrl)) out[t] = set({});
  out[TypeUrl.Listener] = set(listeners);
  return out as unknown as XdsSnapshot;
}

describe('snapshotDigest', () => {
  it('depends on content only: same resources, same digest; a changed version, another', () => {
    expect(snapshotDigest(snapshot({ a: '1', b: '2' }))).toBe(snapshotDigest(snapshot({ b: '2', a: '1' })));
    expect(snapshotDigest(snapshot({ a: '1', b: '2' }))).not.toBe(snapshotDigest(snapshot({ a: '1', b: '3' })));
  });
});

describe('combineDataPlane', () => {
  const view = (digest: string, state: GatewayDataPlane['state'], message?: string): GatewayDataPlane => ({ digest, state, envoys: 1, ...(message ? { message } : {}) });

  it('is pending without Envoys or without a snapshot', () => {
    expect(combineDataPlane('d', [])).toEqual({ state: 'pending' });
    expect(combineDataPlane(undefined, [view('d', 'acked')])).toEqual({ state: 'pending' });
  });

  it('is acked only when every replica with Envoys ACKed this very snapshot', () => {
    expect(combineDataPlane('d', [view('d', 'acked'), view('d', 'acked')])).toEqual({ state: 'acked' });
    expect(combineDataPlane('d', [view('d', 'acked'), view('old', 'acked')])).toEqual({ state: 'pending' });
    expect(combineDataPlane('d', [view('d', 'acked'), view('d', 'pending')])).toEqual({ state: 'pending' });
  });

  it('is rejected by a NACK of this snapshot, not of another one', () => {
    expect(combineDataPlane('d', [view('d', 'acked'), view('d', 'rejected', 'Envoy x rejected')])).toEqual({ state: 'rejected', message: 'Envoy x rejected' });
    expect(combineDataPlane('d', [view('old', 'rejected', 'stale')])).toEqual({ state: 'pending' });
  });
});

describe('localDataPlane with a NACK guard', () => {
  const latest = snapshot({ a: '1', b: '2' });
  const served = snapshot({ a: '1' });
  const server = { envoys: () => [{ gatewayKey: 'ns/gw' }], isSynced: () => true } as unknown as Parameters<typeof localDataPlane>[0];
  const cache = { get: () => ({ version: 3, snapshot: served }) } as unknown as Parameters<typeof localDataPlane>[1];
  it('reports the digest of the pipeline snapshot, and an ACK of what was served with a listener withheld as a rejection naming it', () => {
    const guard = { gatewayState: () => ({ latest, probing: false, withheld: [{ gateway: 'ns/gw', typeUrl: TypeUrl.Listener, name: 'b', message: 'cannot bind', lastGood: false }] }) };
    const view = localDataPlane(server, cache, guard)['ns/gw'];
    expect(view?.digest).toBe(snapshotDigest(latest));
    expect(view?.state).toBe('rejected');
    expect(view?.message).toBe("Envoy rejected part of this Gateway's configuration (the rest is served): Listener b: cannot bind");
  });
  it('is pending while a bisection is still trying halves, and acked when nothing is withheld', () => {
    expect(localDataPlane(server, cache, { gatewayState: () => ({ latest, probing: true, withheld: [] }) })['ns/gw']?.state).toBe('pending');
    expect(localDataPlane(server, cache, { gatewayState: () => ({ latest: served, probing: false, withheld: [] }) })['ns/gw']?.state).toBe('acked');
  });
});

describe('otherReports', () => {
  const lease = (holder: string, renewTime: string, report: string) => ({ metadata: { name: holder, annotations: { [REPORT_ANNOTATION]: report } }, spec: { holderIdentity: holder, renewTime } });
  const now = Date.parse('2025-01-01T00:00:10Z');

  it("keeps fresh reports of other replicas, drops its own, stale and unreadable ones", () => {
    const leases = [
      lease('self', '2025-01-01T00:00:09.000000Z', '{"a/b":{"digest":"d","state":"acked","envoys":1}}'),
      lease('fresh', '2025-01-01T00:00:08.000000Z', '{"a/b":{"digest":"d","state":"acked","envoys":2}}'),
      lease('stale', '2025-01-01T00:00:01.000000Z', '{"a/b":{"digest":"d","state":"rejected","envoys":1}}'),
      lease('garbled', '2025-01-01T00:00:09.000000Z', '{not json'),
    ];
    expect(otherReports(leases, 'self', now, 5000)).toEqual([{ 'a/b': { digest: 'd', state: 'acked', envoys: 2 } }]);
  });
});

describe('reportLeaseName', () => {
  it('is a valid object name for any identity', () => {
    expect(reportLeaseName('gantry-controller', 'gantry-7d9f-abcde')).toBe('gantry-controller-dp-gantry-7d9f-abcde');
    const long = reportLeaseName('gantry-controller', `Host_${'x'.repeat(80)}`);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });
});
