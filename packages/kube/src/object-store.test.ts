import { describe, expect, it } from '@jest/globals';
import { GATEWAY_KINDS } from './testing/gateway-kinds.js';
import { CORE_KINDS } from './kinds.js';
import { ObjectStore } from './object-store.js';
import type { KubeObjectLike } from './objects.js';

function obj(name: string, rv: string, ns = 'default', extra: Partial<KubeObjectLike['metadata']> = {}): KubeObjectLike {
  return Object.freeze({ kind: 'Service', metadata: Object.freeze({ name, namespace: ns, resourceVersion: rv, ...extra }) });
}

describe('ObjectStore identity rules', () => {
  it('keeps an object whose resourceVersion did not change, replaces one that did', () => {
    const s = new ObjectStore();
    const a1 = obj('a', '1');
    expect(s.apply(CORE_KINDS.Service, { type: 'ADDED', object: a1 })).toBe(true);
    expect(s.apply(CORE_KINDS.Service, { type: 'MODIFIED', object: obj('a', '1') })).toBe(false);
    expect(s.get('Service', 'default', 'a')).toBe(a1);
    const a2 = obj('a', '2');
    expect(s.apply('Service', { type: 'MODIFIED', object: a2 })).toBe(true);
    expect(s.get('Service', 'default', 'a')).toBe(a2);
  });

  it('on RESYNC keeps unchanged objects, replaces changed ones, drops missing ones', () => {
    const s = new ObjectStore();
    const a = obj('a', '1');
    const b = obj('b', '1');
    const c = obj('c', '1');
    s.apply('Service', { type: 'RESYNC', objects: [a, b, c] });
    const before = s.list('Service');
    const b2 = obj('b', '5');
    const d = obj('d', '6');
    expect(s.apply('Service', { type: 'RESYNC', objects: [obj('a', '1'), b2, d] })).toBe(true);
    const after = s.list('Service');
    expect(after).not.toBe(before);
    expect(after.map((o) => o.metadata.name)).toEqual(['a', 'b', 'd']);
    expect(after[0]).toBe(a); // same identity: unchanged
    expect(after[1]).toBe(b2);
    expect(s.get('Service', 'default', 'c')).toBeUndefined();
  });

  it('a RESYNC scoped to a namespace leaves other namespaces alone', () => {
    const s = new ObjectStore();
    const other = obj('x', '1', 'other');
    s.apply('Service', { type: 'RESYNC', objects: [obj('a', '1', 'mine'), other] });
    expect(s.apply('Service', { type: 'RESYNC', objects: [obj('b', '1', 'mine')] }, 'mine')).toBe(true);
    expect(s.list('Service').map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual(['mine/b', 'other/x']);
    expect(s.get('Service', 'other', 'x')).toBe(other);
  });

  it('a RESYNC that changes nothing is no change at all', () => {
    const s = new ObjectStore();
    s.apply('Service', { type: 'RESYNC', objects: [obj('a', '1'), obj('b', '1')] });
    const list = s.list('Service');
    const version = s.version('Service');
    const kinds: string[][] = [];
    s.onChange((k) => kinds.push([...k]));
    expect(s.apply('Service', { type: 'RESYNC', objects: [obj('b', '1'), obj('a', '1')] })).toBe(false);
    expect(s.list('Service')).toBe(list);
    expect(s.version('Service')).toBe(version);
    expect(kinds).toEqual([]);
  });

  it('compares objects without a resourceVersion by value', () => {
    const s = new ObjectStore();
    const a = Object.freeze({ metadata: { name: 'a', namespace: 'x' }, spec: { v: 1 } });
    s.apply('Service', { type: 'ADDED', object: a });
    expect(s.apply('Service', { type: 'MODIFIED', object: { metadata: { name: 'a', namespace: 'x' }, spec: { v: 1 } } as KubeObjectLike })).toBe(false);
    expect(s.get('Service', 'x', 'a')).toBe(a);
    expect(s.apply('Service', { type: 'MODIFIED', object: { metadata: { name: 'a', namespace: 'x' }, spec: { v: 2 } } as KubeObjectLike })).toBe(true);
  });

  it('deletes by namespace/name, and ignores deletions of unknown objects', () => {
    const s = new ObjectStore();
    s.apply('Service', { type: 'ADDED', object: obj('a', '1') });
    expect(s.apply('Service', { type: 'DELETED', object: obj('zzz', '9') })).toBe(false);
    expect(s.apply('Service', { type: 'DELETED', object: obj('a', '2') })).toBe(true);
    expect(s.list('Service')).toEqual([]);
  });

  it('lists ordered by namespace/name, cluster-scoped objects by name', () => {
    const s = new ObjectStore();
    s.apply('Service', { type: 'RESYNC', objects: [obj('b', '1', 'ns2'), obj('z', '1', 'ns1'), obj('a', '1', 'ns2')] });
    expect(s.list('Service').map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual(['ns1/z', 'ns2/a', 'ns2/b']);
    expect(s.list('Nothing')).toEqual([]);
    expect(s.size('Service')).toBe(3);
    // values(): the same objects, unsorted.
    expect([...s.values('Service')].map((o) => o.metadata.name).sort()).toEqual(['a', 'b', 'z']);
    expect([...s.values('Nothing')]).toEqual([]);
  });
});

describe('ObjectStore notifications', () => {
  it('notifies each change with its kind, and a batch once with all its kinds', () => {
    const s = new ObjectStore();
    const seen: string[][] = [];
    const off = s.onChange((k) => seen.push([...k].sort()));
    s.apply('Service', { type: 'ADDED', object: obj('a', '1') });
    s.batch(() => {
      s.apply('Service', { type: 'ADDED', object: obj('b', '1') });
      s.apply('Secret', { type: 'ADDED', object: obj('c', '1') });
      s.apply('Service', { type: 'ADDED', object: obj('b', '1') }); // no change
      expect(seen.length).toBe(1);
    });
    expect(seen).toEqual([['Service'], ['Secret', 'Service']]);
    off();
    s.apply('Service', { type: 'ADDED', object: obj('x', '1') });
    expect(seen.length).toBe(2);
  });

  it('connects to a watch-shaped source', () => {
    const s = new ObjectStore();
    let cb: ((e: { type: 'ADDED'; object: KubeObjectLike }) => void) | undefined;
    s.connect({ kind: CORE_KINDS.Secret, onEvent: (f) => ((cb = f), () => {}) });
    cb?.({ type: 'ADDED', object: obj('tls', '3') });
    expect(s.get(CORE_KINDS.Secret, 'default', 'tls')?.metadata.resourceVersion).toBe('3');
  });
});

describe('ObjectStore indexes', () => {
  const OWNER = 'example.com/owner';
  function slice(name: string, svc: string | undefined, rv: string, ns = 'default'): KubeObjectLike {
    return { kind: 'EndpointSlice', metadata: { name, namespace: ns, resourceVersion: rv, labels: svc ? { [OWNER]: svc } : {} } };
  }
  /** The objects labelled as owned by `namespace/name` (a label index, as callers build them). */
  function owned(s: ObjectStore, namespace: string, name: string): readonly KubeObjectLike[] {
    s.addIndex('EndpointSlice', 'owner', (o) => {
      const owner = o.metadata.labels?.[OWNER];
      return owner ? [`${o.metadata.namespace}/${owner}`] : [];
    });
    return s.byIndex('EndpointSlice', 'owner', `${namespace}/${name}`);
  }

  it('finds objects by a label index and follows relabelling and deletion', () => {
    const s = new ObjectStore();
    s.apply('EndpointSlice', { type: 'RESYNC', objects: [slice('web-1', 'web', '1'), slice('web-2', 'web', '1'), slice('api-1', 'api', '1'), slice('web-x', 'web', '1', 'other')] });
    const web = owned(s, 'default', 'web');
    expect(web.map((o) => o.metadata.name)).toEqual(['web-1', 'web-2']);
    expect(owned(s, 'default', 'web')).toBe(web); // stable while unchanged
    const api = owned(s, 'default', 'api');
    s.apply('EndpointSlice', { type: 'MODIFIED', object: slice('web-2', 'api', '2') });
    expect(owned(s, 'default', 'web').map((o) => o.metadata.name)).toEqual(['web-1']);
    expect(owned(s, 'default', 'api').map((o) => o.metadata.name)).toEqual(['api-1', 'web-2']);
    expect(owned(s, 'default', 'api')).not.toBe(api);
    s.apply('EndpointSlice', { type: 'DELETED', object: slice('web-1', 'web', '3') });
    expect(owned(s, 'default', 'web')).toEqual([]);
    expect(owned(s, 'other', 'web').length).toBe(1);
  });

  it('keeps an untouched group stable when another changes', () => {
    const s = new ObjectStore();
    s.apply('EndpointSlice', { type: 'RESYNC', objects: [slice('a', 'a', '1'), slice('b', 'b', '1')] });
    const a = owned(s, 'default', 'a');
    s.apply('EndpointSlice', { type: 'MODIFIED', object: slice('b', 'b', '2') });
    expect(owned(s, 'default', 'a')).toBe(a);
  });

  it('indexes by namespace and by custom keys, built from existing content', () => {
    const s = new ObjectStore();
    s.apply('HTTPRoute', { type: 'RESYNC', objects: [obj('r1', '1', 'a'), obj('r2', '1', 'b'), obj('r3', '1', 'a')] });
    expect(s.inNamespace('HTTPRoute', 'a').map((o) => o.metadata.name)).toEqual(['r1', 'r3']);
    s.addIndex('HTTPRoute', 'initial', (o) => [o.metadata.name.slice(0, 1), o.metadata.name]);
    expect(s.byIndex('HTTPRoute', 'initial', 'r').length).toBe(3);
    expect(s.byIndex('HTTPRoute', 'initial', 'r2').map((o) => o.metadata.namespace)).toEqual(['b']);
    expect(() => s.byIndex('HTTPRoute', 'nope', 'x')).toThrow(/no index/);
  });
});

describe('ObjectStore.toSnapshot', () => {
  const FIELDS = { gateways: 'Gateway', httpRoutes: 'HTTPRoute', services: 'Service' };
  it('maps kinds to snapshot fields and keeps arrays and the snapshot stable while unchanged', () => {
    const s = new ObjectStore({ snapshotFields: FIELDS, otherKinds: ['Upstream'] });
    s.apply(GATEWAY_KINDS.Gateway, { type: 'ADDED', object: obj('gw', '1') });
    s.apply(CORE_KINDS.Service, { type: 'ADDED', object: obj('svc', '1') });
    const s1 = s.toSnapshot();
    expect(s1.gateways?.map((o) => o.metadata.name)).toEqual(['gw']);
    expect(s1.services?.length).toBe(1);
    expect(s1.httpRoutes).toEqual([]);
    expect(s1.others).toEqual([]);
    expect(s.toSnapshot()).toBe(s1);

    s.apply(CORE_KINDS.Service, { type: 'MODIFIED', object: obj('svc', '2') });
    const s2 = s.toSnapshot();
    expect(s2).not.toBe(s1);
    expect(s2.gateways).toBe(s1.gateways);
    expect(s2.others).toBe(s1.others);
    expect(s2.services).not.toBe(s1.services);

    s.apply('Upstream', { type: 'ADDED', object: obj('up', '1') });
    const s3 = s.toSnapshot();
    expect(s3.services).toBe(s2.services);
    expect(s3.others?.map((o) => o.metadata.name)).toEqual(['up']);
    // Kinds outside the snapshot do not invalidate it.
    s.apply(CORE_KINDS.Lease, { type: 'ADDED', object: obj('lease', '1') });
    expect(s.toSnapshot()).toBe(s3);
  });

  it('is frozen', () => {
    const s = new ObjectStore({ snapshotFields: FIELDS });
    const snap = s.toSnapshot();
    expect(Object.isFrozen(snap)).toBe(true);
    expect(Object.isFrozen(snap.gateways)).toBe(true);
  });
});
