export { CORE_KINDS, apiVersionOf, collectionPath, objectPath, objectKey, type KindRef } from './kinds.js';
export { silentLogger, type Logger, type LogFields } from './logger.js';
export type { KubeObjectLike, ObjectMetaLike, Json, JsonObject } from './objects.js';
export { isJsonObject } from './objects.js';
export { Backoff, DEFAULT_BACKOFF, jittered, type BackoffOptions } from './backoff.js';
export { stripObject, stripToMetadata, deepFreeze, LAST_APPLIED_ANNOTATION } from './strip.js';
export { KubeApiError, errorFromResponse, requestJson, requestOk, type RequestOptions, type JsonResponse } from './rest.js';
export {
  ResilientWatch,
  isGone,
  type ResilientWatchOptions,
  type WatchEvent,
  type WatchEventType,
  type WatchListener,
  type WatchStats,
} from './resilient-watch.js';
export {
  ObjectStore,
  sameObjectVersion,
  deepEqual,
  type StoreSnapshot,
  type ChangeListener,
  type KindArg,
  type ObjectStoreOptions,
} from './object-store.js';
export { applyMergePatch, mergePatchChanges } from './merge-patch.js';
export {
  patchStatus,
  updateStatusWithRetry,
  MERGE_PATCH,
  type PatchStatusResult,
  type PatchStatusOptions,
  type UpdateStatusResult,
  type UpdateStatusOptions,
  type CurrentObject,
} from './status.js';
export { LeaderElector, microTime, type LeaderElectorOptions, type LeaderElectorEvents, type LeaseRecord } from './leader-election.js';
export { APPLY_PATCH, serverSideApply, deleteIfUnchanged, type ApplyOptions, type GuardedDeleteResult } from './apply.js';
export {
  KubeClientConfig,
  KubeconfigError,
  loadKubeconfig,
  resolveKubeconfig,
  inClusterConfig,
  parseExecCredential,
  SERVICE_ACCOUNT_DIR,
  type KubeAccess,
  type KubeconfigDocument,
  type ResolvedKubeconfig,
  type ResolvedCluster,
  type ResolvedUser,
  type ExecConfig,
  type ExecCredentialStatus,
  type LoadOptions,
} from './kubeconfig.js';
