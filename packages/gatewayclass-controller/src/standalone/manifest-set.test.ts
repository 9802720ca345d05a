import { describe, expect, it } from '@jest/globals';
import type { KubeObject } from '@gantry/api';
import { ManifestSet, type ObjectChange } from './manifest-set.js';
import { SnapshotStore } from './snapshot-store.js';

const route = (name: string, host = 'a.example'): KubeObject => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name, namespace: 'default' },
  spec: { hostnames: [host] },
});
const service = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: {} });
const short = (changes: readonly ObjectChange[]): string[] =>
  changes.map((c) => `${c.before === undefined ? '+' : c.after === undefined ? '-' : '~'}${c.key}`);

describe('ManifestSet', () => {
  it('hands on added, replaced and removed objects, and keeps the identity of equal ones', () => {
    const set = new ManifestSet();
    const a = route('a');
    set.setFile('f.yaml', [a, route('b')]);
    expect(short(set.flush())).toEqual(['+HTTPRoute/default/a', '+HTTPRoute/default/b']);
    set.setFile('f.yaml', [route('a'), route('b', 'b.example'), route('c')]);
    const changes = set.flush();
    expect(short(changes)).toEqual(['~HTTPRoute/default/b', '+HTTPRoute/default/c']);
    set.setFile('f.yaml', [route('a')]);
    expect(short(set.flush())).toEqual(['-HTTPRoute/default/b', '-HTTPRoute/default/c']);
    set.setFile('f.yaml', undefined);
    expect(set.flush()).toEqual([{ key: 'HTTPRoute/default/a', before: a, after: undefined }]);
  });

  it('nets changes over a batch: a renamed file, or an object moved between files, changes nothing', () => {
    const set = new ManifestSet();
    set.setFile('a.yaml', [route('a'), service('s')]);
    set.flush();
    set.setFile('a.yaml', undefined);
    set.setFile('b.yaml', [route('a'), service('s')]);
    expect(set.flush()).toEqual([]);
    set.setFile('b.yaml', [route('a')]);
    set.setFile('c.yaml', [service('s')]);
    expect(set.flush()).toEqual([]);
  });

  it('uses the first file (by path) of an object defined twice, and the other when that one goes', () => {
    const set = new ManifestSet();
    set.setFile('b.yaml', [route('a', 'from-b')]);
    set.flush();
    set.setFile('a.yaml', [route('a', 'from-a')]);
    expect(set.flush().map((c) => (c.after?.['spec'] as { hostnames: string[] }).hostnames)).toEqual([['from-a']]);
    expect(set.duplicatesOf('HTTPRoute/default/a')).toEqual(['b.yaml']);
    set.setFile('a.yaml', undefined);
    expect(set.flush().map((c) => (c.after?.['spec'] as { hostnames: string[] }).hostnames)).toEqual([['from-b']]);
    expect(set.duplicatesOf('HTTPRoute/default/a')).toEqual([]);
  });

  it('follows an object defined in three files as they come and go, in path order', () => {
    const set = new ManifestSet();
    const hosts = (): string[][] => set.flush().map((c) => (c.after?.['spec'] as { hostnames: string[] }).hostnames);
    set.setFile('c.yaml', [route('a', 'from-c')]);
    set.setFile('a.yaml', [route('a', 'from-a')]);
    set.setFile('b.yaml', [route('a', 'from-b')]);
    expect(hosts()).toEqual([['from-a']]);
    expect(set.duplicatesOf('HTTPRoute/default/a')).toEqual(['b.yaml', 'c.yaml']);
    set.setFile('b.yaml', undefined);
    expect(hosts()).toEqual([]);
    expect(set.duplicatesOf('HTTPRoute/default/a')).toEqual(['c.yaml']);
    set.setFile('a.yaml', undefined);
    expect(hosts()).toEqual([['from-c']]);
    expect(set.duplicatesOf('HTTPRoute/default/a')).toEqual([]);
    set.setFile('b.yaml', [route('a', 'from-b')]);
    expect(hosts()).toEqual([['from-b']]);
    expect(set.duplicatesOf('HTTPRoute/default/a')).toEqual(['c.yaml']);
    set.setFile('b.yaml', undefined);
    set.setFile('c.yaml', undefined);
    expect(set.flush().map((c) => c.after)).toEqual([undefined]);
  });
});

describe('SnapshotStore', () => {
  it('keeps each field array while its kind is unchanged, and objects in place when replaced', () => {
    const set = new ManifestSet();
    const store = new SnapshotStore();
    set.setFile('f.yaml', [route('a'), route('b'), service('s')]);
    store.apply(set.flush());
    const s1 = store.toSnapshot();
    expect(s1.httpRoutes.map((r) => r.metadata.name)).toEqual(['a', 'b']);
    expect(store.toSnapshot()).toBe(s1);
    set.setFile('f.yaml', [route('a', 'changed'), route('b'), service('s')]);
    store.apply(set.flush());
    const s2 = store.toSnapshot();
    expect(s2.services).toBe(s1.services);
    expect(s2.httpRoutes).not.toBe(s1.httpRoutes);
    expect(s2.httpRoutes.map((r) => r.spec?.hostnames?.[0])).toEqual(['changed', 'a.example']);
    expect(s2.httpRoutes[1]).toBe(s1.httpRoutes[1]);
  });
});
