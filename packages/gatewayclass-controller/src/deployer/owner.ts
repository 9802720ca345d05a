// From a created object back to its Gateway, for the controller's watch on owned objects: any
// change to one of them (manual drift, deletion) re-reconciles the Gateway that controls it.
import type { V1ObjectMeta } from '@kubernetes/client-node';
import { GATEWAY_API_GROUP } from '@gantry/api';

export function owningGateway(metadata: V1ObjectMeta | undefined): { namespace: string; name: string; uid: string } | undefined {
  if (!metadata?.namespace) return undefined;
  const owner = (metadata.ownerReferences ?? []).find(
    (o) => o.controller === true && o.kind === 'Gateway' && o.apiVersion.split('/')[0] === GATEWAY_API_GROUP,
  );
  return owner ? { namespace: metadata.namespace, name: owner.name, uid: owner.uid } : undefined;
}
