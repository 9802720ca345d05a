export { SnapshotCache, emptySnapshot, type CachedSnapshot, type SnapshotListener, type SnapshotCacheOptions, type TypeChanges } from './snapshot-cache.js';
export { diffSnapshots, diffResourceSets, type ChangeHint, type SnapshotChanges } from './changes.js';
