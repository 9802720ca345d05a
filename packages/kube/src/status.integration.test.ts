// Status writes against a real API server with the Gateway API CRDs: merge patches on the status
// subresource of Gateways, HTTPRoutes and a (cluster-scoped) GatewayClass, optimistic concurrency,
// and read-modify-write retried on conflict while "another controller" writes concurrently.
import { GATEWAY_KINDS } from './testing/gateway-kinds.js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { isJsonObject, type JsonObject } from './objects.js';
import { patchStatus, updateStatusWithRetry, type CurrentObject } from './status.js';
import { createNamespace, createObject, getObject, mergePatchObject } from './testing/api-helpers.js';
import { startControlPlane, type ControlPlane } from './testing/control-plane.js';

const NS = 'status';
const NOW = '2026-01-01T00:00:00Z';

type ConditionStatus = 'True' | 'False' | 'Unknown';

function condition(type: string, status: ConditionStatus, reason: string, generation = 1): JsonObject {
  return { type, status, reason, message: '', observedGeneration: generation, lastTransitionTime: NOW };
}

function parentStatus(controllerName: string, gateway: string, accepted: ConditionStatus): JsonObject {
  return {
    parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: gateway },
    controllerName,
    conditions: [condition('Accepted', accepted, accepted === 'True' ? 'Accepted' : 'NotAllowedByListeners')],
  };
}

const OURS = 'gantry.dev/gatewayclass-controller';
const THEIRS = 'example.com/other-controller';

interface Parent {
  controllerName: string;
  conditions: { status: string }[];
}

function parentsOf(obj: { status?: unknown }): Parent[] {
  const status = obj.status;
  return isJsonObject(status) && Array.isArray(status['parents']) ? (status['parents'] as unknown as Parent[]) : [];
}

/** Our status for a route: our entry replaced, everyone else's kept. */
function withOurParent(current: CurrentObject, accepted: ConditionStatus): object {
  const others = parentsOf(current).filter((p) => p.controllerName !== OURS);
  return { parents: [...others, parentStatus(OURS, 'gw', accepted)] };
}

describe('status patching against a real API server', () => {
  let cp: ControlPlane;
  let kc: KubeConfig;

  beforeAll(async () => {
    cp = await startControlPlane({ crds: true });
    kc = cp.kubeConfig;
    await createNamespace(kc, NS);
    await createObject(kc, GATEWAY_KINDS.GatewayClass, undefined, { metadata: { name: 'gantry' }, spec: { controllerName: OURS } });
    await createObject(kc, GATEWAY_KINDS.Gateway, NS, {
      metadata: { name: 'gw' },
      spec: { gatewayClassName: 'gantry', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
    });
    await createObject(kc, GATEWAY_KINDS.HTTPRoute, NS, {
      metadata: { name: 'route' },
      spec: { parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: [{ name: 'svc', port: 80 }] }] },
    });
  }, 180_000);

  afterAll(async () => {
    await cp?.stop();
  }, 60_000);

  it('merge-patches a Gateway status without touching spec or generation; keys merge, arrays replace', async () => {
    const before = await getObject(kc, GATEWAY_KINDS.Gateway, NS, 'gw');
    const conditions = [condition('Accepted', 'True', 'Accepted'), condition('Programmed', 'False', 'Pending')];
    expect(await patchStatus(kc, GATEWAY_KINDS.Gateway, NS, 'gw', { conditions })).toBe('patched');
    expect(await patchStatus(kc, GATEWAY_KINDS.Gateway, NS, 'gw', { addresses: [{ type: 'IPAddress', value: '10.1.2.3' }] })).toBe('patched');
    const after = await getObject(kc, GATEWAY_KINDS.Gateway, NS, 'gw');
    const status = after['status'] as { conditions: { type: string; status: string }[]; addresses: { value: string }[] };
    expect(status.conditions.map((c) => `${c.type}=${c.status}`)).toEqual(['Accepted=True', 'Programmed=False']);
    expect(status.addresses).toEqual([{ type: 'IPAddress', value: '10.1.2.3' }]);
    expect(after['spec']).toEqual(before['spec']);
    expect((after['metadata'] as JsonObject)['generation']).toBe((before['metadata'] as JsonObject)['generation']);

    // An array in a merge patch replaces the whole array.
    expect(await patchStatus(kc, GATEWAY_KINDS.Gateway, NS, 'gw', { conditions: [condition('Accepted', 'True', 'Accepted')] })).toBe('patched');
    const replaced = await getObject(kc, GATEWAY_KINDS.Gateway, NS, 'gw');
    expect((replaced['status'] as { conditions: unknown[] }).conditions.length).toBe(1);
  });

  it('detects a concurrent writer through resourceVersion (409), and reports a missing object', async () => {
    const current = await getObject(kc, GATEWAY_KINDS.Gateway, NS, 'gw');
    const rv = String((current['metadata'] as JsonObject)['resourceVersion']);
    await mergePatchObject(kc, GATEWAY_KINDS.Gateway, NS, 'gw', { metadata: { labels: { bumped: '1' } } }); // someone else
    const status = { conditions: [condition('Accepted', 'False', 'Invalid')] };
    expect(await patchStatus(kc, GATEWAY_KINDS.Gateway, NS, 'gw', status, { resourceVersion: rv })).toBe('conflict');
    const fresh = await getObject(kc, GATEWAY_KINDS.Gateway, NS, 'gw');
    const freshRv = String((fresh['metadata'] as JsonObject)['resourceVersion']);
    expect(await patchStatus(kc, GATEWAY_KINDS.Gateway, NS, 'gw', status, { resourceVersion: freshRv })).toBe('patched');
    expect(await patchStatus(kc, GATEWAY_KINDS.Gateway, NS, 'nope', status)).toBe('notfound');
  });

  it('writes a cluster-scoped GatewayClass status', async () => {
    const status = { conditions: [condition('Accepted', 'True', 'Accepted')], supportedFeatures: [{ name: 'Gateway' }, { name: 'HTTPRoute' }] };
    expect(await patchStatus(kc, GATEWAY_KINDS.GatewayClass, undefined, 'gantry', status)).toBe('patched');
    const gc = await getObject(kc, GATEWAY_KINDS.GatewayClass, undefined, 'gantry');
    expect((gc['status'] as { supportedFeatures: unknown[] }).supportedFeatures.length).toBe(2);
  });

  it('updateStatusWithRetry retries a conflict with a fresh read and keeps the other controller’s entry', async () => {
    let calls = 0;
    const write = (): Promise<string> =>
      updateStatusWithRetry(kc, GATEWAY_KINDS.HTTPRoute, NS, 'route', async (current) => {
        calls++;
        if (calls === 1) {
          // Between our read and our write, another controller writes its own parent status.
          expect(await patchStatus(kc, GATEWAY_KINDS.HTTPRoute, NS, 'route', { parents: [parentStatus(THEIRS, 'other-gw', 'True')] })).toBe('patched');
        }
        return withOurParent(current, 'True');
      });
    expect(await write()).toBe('written');
    expect(calls).toBe(2); // the first patch conflicted, the second started from a fresh read
    const route = await getObject(kc, GATEWAY_KINDS.HTTPRoute, NS, 'route');
    expect(parentsOf(route).map((p) => p.controllerName)).toEqual([THEIRS, OURS]);

    // The same status again: nothing to write, nothing sent.
    const rv = (route['metadata'] as JsonObject)['resourceVersion'];
    expect(await write()).toBe('unchanged');
    expect((await getObject(kc, GATEWAY_KINDS.HTTPRoute, NS, 'route'))['metadata']).toMatchObject({ resourceVersion: rv });
  });

  it('updateStatusWithRetry flips our entry only, skips when mutate returns undefined, reports a missing route', async () => {
    expect(await updateStatusWithRetry(kc, GATEWAY_KINDS.HTTPRoute, NS, 'route', (c) => withOurParent(c, 'False'))).toBe('written');
    const route = await getObject(kc, GATEWAY_KINDS.HTTPRoute, NS, 'route');
    expect(parentsOf(route).map((p) => `${p.controllerName}=${p.conditions[0]?.status}`)).toEqual([`${THEIRS}=True`, `${OURS}=False`]);
    expect(await updateStatusWithRetry(kc, GATEWAY_KINDS.HTTPRoute, NS, 'route', () => undefined)).toBe('unchanged');
    expect(await updateStatusWithRetry(kc, GATEWAY_KINDS.HTTPRoute, NS, 'nope', (c) => withOurParent(c, 'True'))).toBe('notfound');
  });

  it('updateStatusWithRetry starts from a known copy without reading, and falls back to a read when it is stale', async () => {
    const known = (await getObject(kc, GATEWAY_KINDS.HTTPRoute, NS, 'route')) as unknown as CurrentObject;
    const seen: CurrentObject[] = [];
    const flip = (to: ConditionStatus) => (current: CurrentObject) => {
      seen.push(current);
      return withOurParent(current, to);
    };
    // Current copy: one round, and mutate is handed that very copy (no GET in between).
    expect(await updateStatusWithRetry(kc, GATEWAY_KINDS.HTTPRoute, NS, 'route', flip('True'), { known })).toBe('written');
    expect(seen).toEqual([known]);
    expect(seen[0]).toBe(known);

    // The same copy is stale now (our own write moved the resourceVersion): 409, then a fresh read.
    seen.length = 0;
    expect(await updateStatusWithRetry(kc, GATEWAY_KINDS.HTTPRoute, NS, 'route', flip('Unknown'), { known })).toBe('written');
    expect(seen.length).toBe(2);
    expect(seen[0]).toBe(known);
    expect(seen[1]!.metadata.resourceVersion).not.toBe(known.metadata.resourceVersion);
    const route = await getObject(kc, GATEWAY_KINDS.HTTPRoute, NS, 'route');
    expect(parentsOf(route).map((p) => `${p.controllerName}=${p.conditions[0]?.status}`)).toEqual([`${THEIRS}=True`, `${OURS}=Unknown`]);
  });

  it('updateStatusWithRetry gives up after `attempts` rounds of conflicts', async () => {
    let calls = 0;
    const result = await updateStatusWithRetry(
      kc,
      GATEWAY_KINDS.HTTPRoute,
      NS,
      'route',
      async (current) => {
        calls++;
        await mergePatchObject(kc, GATEWAY_KINDS.HTTPRoute, NS, 'route', { metadata: { labels: { churn: String(calls) } } });
        return withOurParent(current, 'True');
      },
      { attempts: 3 },
    );
    expect(result).toBe('gave-up');
    expect(calls).toBe(3);
  });

  it('client-node 1.3 needs the merge-patch content type set explicitly for a CRD status patch', async () => {
    const api = kc.makeApiClient(CustomObjectsApi);
    const request = { group: 'gateway.networking.k8s.io', version: 'v1', namespace: NS, plural: 'gateways', name: 'gw' };
    const body = { status: { conditions: [condition('Accepted', 'True', 'Accepted')] } };
    // Its default Content-Type for patches is application/json-patch+json: an object is refused.
    await expect(api.patchNamespacedCustomObjectStatus({ ...request, body })).rejects.toThrow();
    const patched = await api.patchNamespacedCustomObjectStatus({ ...request, body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    expect(isJsonObject(patched) && isJsonObject(patched['status'])).toBe(true);
  });
});
