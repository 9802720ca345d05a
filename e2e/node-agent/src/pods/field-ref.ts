// The downward API: a Pod's own fields by fieldPath (env valueFrom.fieldRef and downwardAPI
// volume items), and its resources by resourceFieldRef.
import type { Container, Pod, ResourceFieldSelector } from '../kube-types.js';
import { parseQuantity } from './quantity.js';

/** What only the node knows about a running Pod. */
export interface PodRuntimeFacts {
  readonly podIP: string;
  readonly hostIP: string;
  readonly nodeName: string;
  /** Node allocatable, the default for a resource without a limit. */
  readonly nodeCpuCores: number;
  readonly nodeMemoryBytes: number;
}

/** The value of a fieldRef, or an error message for a path the API does not offer. */
export function fieldPathValue(pod: Pod, fieldPath: string, facts: PodRuntimeFacts): { value: string } | { error: string } {
  const meta = pod.metadata;
  const keyed = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (keyed) {
    const map = keyed[1] === 'labels' ? meta.labels : meta.annotations;
    return { value: map?.[keyed[2] ?? ''] ?? '' };
  }
  switch (fieldPath) {
    case 'metadata.name':
      return { value: meta.name };
    case 'metadata.namespace':
      return { value: meta.namespace ?? '' };
    case 'metadata.uid':
      return { value: meta.uid ?? '' };
    case 'metadata.labels':
      return { value: formatMap(meta.labels) };
    case 'metadata.annotations':
      return { value: formatMap(meta.annotations) };
    case 'spec.nodeName':
      return { value: pod.spec.nodeName ?? facts.nodeName };
    case 'spec.serviceAccountName':
      return { value: pod.spec.serviceAccountName ?? '' };
    case 'status.podIP':
    case 'status.podIPs':
      return { value: facts.podIP };
    case 'status.hostIP':
    case 'status.hostIPs':
      return { value: facts.hostIP };
    default:
      return { error: `unsupported fieldPath ${fieldPath}` };
  }
}

/** `key="value"` lines, sorted: the downward API's format for whole label/annotation maps. */
function formatMap(map: Readonly<Record<string, string>> | undefined): string {
  return Object.keys(map ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(map?.[k] ?? '')}`)
    .join('\n');
}

/** limits.cpu, requests.memory, ...: the container's value, the node's when no limit is set. */
export function resourceFieldValue(
  pod: Pod,
  container: Container | undefined,
  ref: ResourceFieldSelector,
  facts: PodRuntimeFacts,
): { value: string } | { error: string } {
  const target = ref.containerName ? pod.spec.containers.find((c) => c.name === ref.containerName) : container;
  if (!target) return { error: `no container ${ref.containerName ?? ''} for resourceFieldRef` };
  const [kind, resource] = ref.resource.split('.', 2);
  if ((kind !== 'limits' && kind !== 'requests') || resource === undefined) return { error: `unsupported resource ${ref.resource}` };
  const declared = parseQuantity(target.resources?.[kind]?.[resource]);
  const fallback = resource === 'cpu' ? facts.nodeCpuCores : resource === 'memory' ? facts.nodeMemoryBytes : 0;
  const amount = declared ?? (kind === 'limits' ? fallback : 0);
  const divisor = parseQuantity(ref.divisor ?? 1) || 1;
  return { value: String(Math.ceil(amount / divisor)) };
}
