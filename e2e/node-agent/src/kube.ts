// What the agent uses of @gantry/kube, in one place (some of it lives outside the package index).
import { SERVICE_NAME_LABEL as SERVICE_LABEL } from '@gantry/api';
import type { KubeObjectLike as StoredObject, ObjectStore as Store } from '@gantry/kube';

export { CORE_KINDS, objectPath, collectionPath, requestJson, requestOk, KubeApiError, ResilientWatch, ObjectStore, updateStatusWithRetry, patchStatus, MERGE_PATCH, Backoff } from '@gantry/kube';
export { SERVICE_NAME_LABEL } from '@gantry/api';
export type { Logger, LogFields, Json, JsonObject, KindRef, WatchEvent, KubeObjectLike, CurrentObject } from '@gantry/kube';
export { errorFromResponse } from '@gantry/kube/rest';
export { isJsonObject } from '@gantry/kube/objects';

/** The EndpointSlices of a Service (by their `kubernetes.io/service-name` label). */
export function endpointSlicesOf<T extends StoredObject = StoredObject>(store: Store, namespace: string, service: string): readonly T[] {
  store.addIndex('EndpointSlice', 'service', (o) => {
    const svc = o.metadata.labels?.[SERVICE_LABEL];
    return svc ? [`${o.metadata.namespace ?? ''}/${svc}`] : [];
  });
  return store.byIndex<T>('EndpointSlice', 'service', `${namespace}/${service}`);
}
