// Which Services discovery makes Upstreams for: those in namespaces the namespace selector picks
// and matching the Service selector (both optional: everything), never kube-system or kube-public
// unless the namespace selector names them, never ExternalName Services (they have no endpoints
// to address directly). A Service's annotation has the last word: "false" opts it out, "true" opts
// it in where the selectors would skip it.
import { selectorMatches, type LabelSelector, type Service } from '@gantry/api';

export const ENABLED_ANNOTATION = 'discovery.gantry.dev/enabled';
export const SYSTEM_NAMESPACES: readonly string[] = ['kube-system', 'kube-public'];
const NAME_LABEL = 'kubernetes.io/metadata.name';

export interface DiscoveryScope {
  readonly namespaceSelector?: LabelSelector;
  readonly serviceSelector?: LabelSelector;
}

/** Whether the selector names this namespace through its kubernetes.io/metadata.name label. */
function namesNamespace(selector: LabelSelector | undefined, namespace: string): boolean {
  if (!selector) return false;
  if (selector.matchLabels?.[NAME_LABEL] === namespace) return true;
  return (selector.matchExpressions ?? []).some((e) => e.key === NAME_LABEL && e.operator === 'In' && (e.values ?? []).includes(namespace));
}

export function inScope(service: Service, namespaceLabels: Readonly<Record<string, string>>, scope: DiscoveryScope): boolean {
  if (service.spec?.type === 'ExternalName') return false;
  const annotation = service.metadata.annotations?.[ENABLED_ANNOTATION];
  if (annotation === 'false') return false;
  if (annotation === 'true') return true;
  const namespace = service.metadata.namespace ?? 'default';
  if (SYSTEM_NAMESPACES.includes(namespace) && !namesNamespace(scope.namespaceSelector, namespace)) return false;
  if (scope.namespaceSelector && !selectorMatches(scope.namespaceSelector, { ...namespaceLabels, [NAME_LABEL]: namespace })) return false;
  if (scope.serviceSelector && !selectorMatches(scope.serviceSelector, service.metadata.labels ?? {})) return false;
  return true;
}
