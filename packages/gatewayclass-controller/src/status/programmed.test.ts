import { describe, expect, it } from '@jest/globals';
import { AdsServer, SnapshotCache, TypeUrl } from '@gantry/xds';
import type { Condition, GatewayStatus } from '@gantry/api';
import type { StatusReport } from '@gantry/translator';
import { dataPlaneOutcome, resolveProgrammed, watchDataPlane, type DataPlaneOutcome, type DataPlaneView } from './programmed.js';

const PENDING: Condition = { type: 'Programmed', status: 'Unknown', reason: 'Pending', message: 'Waiting for the data plane to acknowledge the configuration', observedGeneration: 2 };
const ACCEPTED: Condition = { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Gateway is valid', observedGeneration: 2 };
const INVALID_LISTENER: Condition = { type: 'Programmed', status: 'False', reason: 'Invalid', message: 'Listener is not valid', observedGeneration: 2 };

function report(): StatusReport {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    namespace: 'infra',
    name: 'gw',
    generation: 2,
    status: {
      conditions: [ACCEPTED, PENDING],
      listeners: [
        { name: 'http', supportedKinds: [], attachedRoutes: 1, conditions: [ACCEPTED, PENDING] },
        { name: 'bad', supportedKinds: [], attachedRoutes: 0, conditions: [INVALID_LISTENER] },
      ],
    },
  };
}

function programmedOf(r: StatusReport): [string, string, string][] {
  const s = r.status as GatewayStatus;
  const places: [string, readonly Condition[] | undefined][] = [['gateway', s.conditions], ...(s.listeners ?? []).map((l): [string, Condition[]] => [l.name, l.conditions])];
  return places.map(([where, cs]) => {
    const c = cs?.find((x) => x.type === 'Programmed');
    return [where, `${c?.status}/${c?.reason}`, `${c?.observedGeneration}`];
  });
}

describe('resolveProgrammed', () => {
  const TRUE_BEFORE: Condition = { type: 'Programmed', status: 'True', reason: 'Programmed', message: 'ok', observedGeneration: 1, lastTransitionTime: '2026-01-01T00:00:00Z' };
  const current: GatewayStatus = {
    conditions: [ACCEPTED, TRUE_BEFORE],
    listeners: [{ name: 'http', supportedKinds: [], attachedRoutes: 1, conditions: [ACCEPTED, TRUE_BEFORE] }],
  };
  const cases: { name: string; outcome: DataPlaneOutcome; current?: GatewayStatus; want: [string, string, string][] }[] = [
    {
      name: 'acked: True/Programmed (the invalid listener stays False)',
      outcome: { state: 'acked' },
      want: [['gateway', 'True/Programmed', '2'], ['http', 'True/Programmed', '2'], ['bad', 'False/Invalid', '2']],
    },
    {
      name: 'rejected: False/Invalid',
      outcome: { state: 'rejected', message: 'Envoy n1 rejected the Listener configuration: boom' },
      want: [['gateway', 'False/Invalid', '2'], ['http', 'False/Invalid', '2'], ['bad', 'False/Invalid', '2']],
    },
    {
      name: 'pending without current status: stays Pending',
      outcome: { state: 'pending' },
      want: [['gateway', 'Unknown/Pending', '2'], ['http', 'Unknown/Pending', '2'], ['bad', 'False/Invalid', '2']],
    },
    {
      name: 'pending while already programmed: keeps the current True condition (old generation)',
      outcome: { state: 'pending' },
      current,
      want: [['gateway', 'True/Programmed', '1'], ['http', 'True/Programmed', '1'], ['bad', 'False/Invalid', '2']],
    },
    {
      name: 'pending, current not True: stays Pending',
      outcome: { state: 'pending' },
      current: { conditions: [ACCEPTED, PENDING] },
      want: [['gateway', 'Unknown/Pending', '2'], ['http', 'Unknown/Pending', '2'], ['bad', 'False/Invalid', '2']],
    },
  ];
  it.each(cases)('$name', ({ outcome, current, want }) => {
    expect(programmedOf(resolveProgrammed(report(), outcome, current))).toEqual(want);
  });

  it('carries the NACK message', () => {
    const r = resolveProgrammed(report(), { state: 'rejected', message: 'boom' });
    expect((r.status as GatewayStatus).conditions?.[1]?.message).toBe('boom');
  });

  it('leaves other kinds alone', () => {
    const route: StatusReport = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', namespace: 'a', name: 'r', status: { parents: [] } };
    expect(resolveProgrammed(route, { state: 'acked' })).toBe(route);
  });
});

describe('dataPlaneOutcome', () => {
  type Envoy = ReturnType<DataPlaneView['envoys']>[number];
  const view = (synced: boolean, envoys: Envoy[]): DataPlaneView => ({ isSynced: () => synced, envoys: () => envoys });
  const nack = (nodeId: string, message: string): Envoy => ({ nodeId, lastNack: { typeUrl: TypeUrl.Listener, message } });

  it.each([
    { name: 'no snapshot yet', v: view(true, []), version: undefined, want: { state: 'pending' } },
    { name: 'every Envoy synced', v: view(true, [{ nodeId: 'a', lastNack: undefined }]), version: 3, want: { state: 'acked' } },
    { name: 'waiting', v: view(false, [{ nodeId: 'a', lastNack: undefined }]), version: 3, want: { state: 'pending' } },
    { name: 'no Envoy connected', v: view(false, []), version: 3, want: { state: 'pending' } },
    {
      name: 'a NACK',
      v: view(false, [{ nodeId: 'b', lastNack: undefined }, nack('z', 'second'), nack('a', 'bad port')]),
      version: 3,
      want: { state: 'rejected', message: 'Envoy a rejected the Listener configuration (and 1 more Envoy(s)): bad port' },
    },
  ])('$name', ({ v, version, want }) => {
    expect(dataPlaneOutcome(v, 'infra/gw', version)).toEqual(want);
  });

  it('never lets a private key through', () => {
    const key = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----';
    const got = dataPlaneOutcome(view(false, [nack('a', `bad secret ${key}`)]), 'infra/gw', 1);
    expect(got.state).toBe('rejected');
    expect(JSON.stringify(got)).not.toContain('MIIEvQIBADANBg');
  });

  it('accepts the real AdsServer', () => {
    const server = new AdsServer({ cache: new SnapshotCache() });
    expect(dataPlaneOutcome(server, 'infra/gw', 1)).toEqual({ state: 'pending' });
  });
});

describe('watchDataPlane', () => {
  it('reports the Gateway on sync, NACK, connect and disconnect, until unsubscribed', () => {
    const server = new AdsServer({ cache: new SnapshotCache() });
    const seen: string[] = [];
    const stop = watchDataPlane(server, (gw) => seen.push(gw));
    server.emit('synced', 'a/gw', 'n1', 4);
    server.emit('nack', 'b/gw', TypeUrl.Listener, 'v1', 'n1', 'bad');
    server.emit('connect', 'c/gw', 'n2');
    server.emit('disconnect', 'd/gw', 'n2');
    server.emit('ack', 'e/gw', TypeUrl.Listener, 'v1', 'n1', 1);
    stop();
    server.emit('synced', 'a/gw', 'n1', 5);
    expect(seen).toEqual(['a/gw', 'b/gw', 'c/gw', 'd/gw']);
  });
});
