import { describe, expect, it } from '@jest/globals';
import type { KubeObjectLike } from '@gantry/kube';
import { translationUnchanged } from './sources.js';
import { changedFields } from './status-writer.js';

function route(over: { generation?: number; resourceVersion?: string; labels?: Record<string, string>; spec?: unknown; status?: unknown } = {}): KubeObjectLike {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute',
    metadata: {
      name: 'r', namespace: 'apps', uid: 'u1', generation: over.generation ?? 1, resourceVersion: over.resourceVersion ?? '10',
      ...(over.labels ? { labels: over.labels } : {}),
    },
    spec: over.spec ?? { parentRefs: [{ name: 'gw' }] },
    ...(over.status !== undefined ? { status: over.status } : {}),
  } as KubeObjectLike;
}

describe('translationUnchanged', () => {
  it('a status write (new resourceVersion and status, same generation) changes nothing translation reads', () => {
    expect(translationUnchanged(route(), route({ resourceVersion: '11', status: { parents: [] } }))).toBe(true);
  });
  it('a new generation, new labels or a changed spec without generations do', () => {
    expect(translationUnchanged(route(), route({ generation: 2, resourceVersion: '11' }))).toBe(false);
    expect(translationUnchanged(route(), route({ resourceVersion: '11', labels: { a: 'b' } }))).toBe(false);
    const noGen = (spec: unknown): KubeObjectLike => {
      const r = route({ spec }) as unknown as { metadata: Record<string, unknown> };
      const { generation: _g, ...metadata } = r.metadata;
      return { ...r, metadata } as unknown as KubeObjectLike;
    };
    expect(translationUnchanged(noGen({ a: 1 }), noGen({ a: 2 }))).toBe(false);
    expect(translationUnchanged(noGen({ a: 1 }), noGen({ a: 1 }))).toBe(true);
  });
});

describe('changedFields (the status merge patch)', () => {
  it('carries only the top-level fields that changed, and null for those removed', () => {
    const current = { conditions: [{ type: 'Accepted', status: 'True' }], listeners: [{ name: 'http', attachedRoutes: 1 }], addresses: [{ value: '10.0.0.1' }] };
    expect(changedFields(current, { conditions: current.conditions, listeners: [{ name: 'http', attachedRoutes: 2 }] }))
      .toEqual({ listeners: [{ name: 'http', attachedRoutes: 2 }], addresses: null });
    expect(changedFields(current, current)).toEqual({});
    expect(changedFields(undefined, { parents: [] })).toEqual({ parents: [] });
  });
});
