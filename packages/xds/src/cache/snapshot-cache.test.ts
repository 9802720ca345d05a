import { describe, it, expect } from '@jest/globals';
import { SnapshotCache, emptySnapshot, type CachedSnapshot } from './snapshot-cache.js';
import { TypeUrl, type EncodedResource, type XdsSnapshot } from '../resources.js';

function res(name: string, version: string): EncodedResource {
  return { name, version, bytes: new TextEncoder().encode(`${name}@${version}`) };
}

function withClusters(...clusters: EncodedResource[]): XdsSnapshot {
  return { ...emptySnapshot(), [TypeUrl.Cluster]: new Map(clusters.map((c) => [c.name, c])) };
}

describe('SnapshotCache', () => {
  it('stores, replaces and deletes per gateway with increasing versions', () => {
    const cache = new SnapshotCache();
    const v1 = cache.set('ns/a', withClusters(res('c1', '1')));
    const v2 = cache.set('ns/b', withClusters());
    const v3 = cache.set('ns/a', withClusters(res('c1', '2')));
    expect(v1).toBeLessThan(v2);
    expect(v2).toBeLessThan(v3);
    expect(cache.get('ns/a')?.version).toBe(v3);
    expect(cache.get('ns/a')?.snapshot[TypeUrl.Cluster].get('c1')?.version).toBe('2');
    expect(cache.keys().sort()).toEqual(['ns/a', 'ns/b']);
    expect(cache.delete('ns/a')).toBe(true);
    expect(cache.delete('ns/a')).toBe(false);
    expect(cache.get('ns/a')).toBeUndefined();
  });

  it('notifies subscribers of their gateway only, and stops after unsubscribe', () => {
    const cache = new SnapshotCache();
    const seen: (CachedSnapshot | undefined)[] = [];
    const off = cache.subscribe('ns/a', (e) => seen.push(e));
    cache.set('ns/b', emptySnapshot());
    const v = cache.set('ns/a', emptySnapshot());
    cache.delete('ns/a');
    expect(seen.map((e) => e?.version)).toEqual([v, undefined]);
    off();
    cache.set('ns/a', emptySnapshot());
    expect(seen).toHaveLength(2);
    expect(cache.listenerCount()).toBe(0);
  });

  it('latest value wins: a reader that looks late sees only the last snapshot', () => {
    const cache = new SnapshotCache();
    for (let i = 0; i < 5; i++) cache.set('ns/a', withClusters(res('c', String(i))));
    expect(cache.get('ns/a')?.snapshot[TypeUrl.Cluster].get('c')?.version).toBe('4');
  });

  it('answers changesSince from diffs, merging several steps', () => {
    const cache = new SnapshotCache();
    const a = res('a', '1');
    const b = res('b', '1');
    const v1 = cache.set('ns/g', withClusters(a, b));
    const v2 = cache.set('ns/g', withClusters(a, res('b', '2'))); // b changed
    cache.set('ns/g', withClusters(a, res('b', '2'), res('c', '1'))); // c added
    const v4 = cache.set('ns/g', withClusters(res('b', '2'), res('c', '1'))); // a removed
    expect([...(cache.changesSince('ns/g', v2, TypeUrl.Cluster) as Set<string>)].sort()).toEqual(['a', 'c']);
    expect([...(cache.changesSince('ns/g', v1, TypeUrl.Cluster) as Set<string>)].sort()).toEqual(['a', 'b', 'c']);
    expect((cache.changesSince('ns/g', v4, TypeUrl.Cluster) as Set<string>).size).toBe(0);
    expect((cache.changesSince('ns/g', v1, TypeUrl.Listener) as Set<string>).size).toBe(0);
    expect(cache.changesSince('ns/g', 0, TypeUrl.Cluster)).toBe('all');
  });

  it('uses a change hint instead of diffing, and skips identical resource sets', () => {
    const cache = new SnapshotCache();
    const base = withClusters(res('a', '1'), res('b', '1'));
    const v1 = cache.set('ns/g', base);
    // The hint is trusted: only 'b' is reported although the sets differ in 'a' too.
    cache.set('ns/g', withClusters(res('a', '9'), res('b', '2')), { [TypeUrl.Cluster]: ['b'] });
    expect([...(cache.changesSince('ns/g', v1, TypeUrl.Cluster) as Set<string>)]).toEqual(['b']);
    const same = cache.get('ns/g')!.snapshot;
    const v3 = cache.set('ns/g', { ...same });
    expect((cache.changesSince('ns/g', v3 - 1, TypeUrl.Cluster) as Set<string>).size).toBe(0);
  });

  it('reports "all" when the change log no longer reaches back, or after delete', () => {
    const cache = new SnapshotCache({ changeLogLength: 2 });
    const v1 = cache.set('ns/g', withClusters(res('a', '1')));
    cache.set('ns/g', withClusters(res('a', '2')));
    const v3 = cache.set('ns/g', withClusters(res('a', '3')));
    cache.set('ns/g', withClusters(res('a', '4')));
    expect(cache.changesSince('ns/g', v1, TypeUrl.Cluster)).toBe('all');
    expect(cache.changesSince('ns/g', v3, TypeUrl.Cluster)).toEqual(new Set(['a']));
    cache.delete('ns/g');
    cache.set('ns/g', withClusters(res('a', '5')));
    expect(cache.changesSince('ns/g', v3, TypeUrl.Cluster)).toBe('all');
  });
});
