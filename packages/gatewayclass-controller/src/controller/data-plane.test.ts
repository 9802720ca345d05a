import { describe, expect, it } from '@jest/globals';
import { TypeUrl, type EncodedResource, type XdsSnapshot } from '@gantry/xds';
import { REPORT_ANNOTATION, combineDataPlane, otherReports, reportLeaseName, snapshotDigest, type GatewayDataPlane } from './data-plane.js';

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
