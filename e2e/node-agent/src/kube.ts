// What the agent uses of @gantry/kube, in one place (some of it lives outside the package index).
export { CORE_KINDS as KINDS, objectPath, collectionPath, requestJson, requestOk, KubeApiError, ResilientWatch, ObjectStore, updateStatusWithRetry, patchStatus, MERGE_PATCH, SERVICE_NAME_LABEL, Backoff } from '@gantry/kube';
export type { Logger, LogFields, Json, JsonObject, KindRef, WatchEvent, KubeObjectLike, CurrentObject } from '@gantry/kube';
export { errorFromResponse } from '@gantry/kube/rest';
export { isJsonObject } from '@gantry/kube/objects';
