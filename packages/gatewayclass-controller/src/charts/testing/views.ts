// Typed views of the rendered objects the chart tests look into, and RBAC rules flattened into
// one line per (API group, resource, resource name) so a rule set compares as a sorted list.
import type { Manifest } from './helm.js';

export interface PolicyRule {
  readonly apiGroups?: readonly string[];
  readonly resources?: readonly string[];
  readonly resourceNames?: readonly string[];
  readonly nonResourceURLs?: readonly string[];
  readonly verbs: readonly string[];
}

export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: { readonly fieldRef?: { readonly fieldPath: string } };
}

export interface Probe {
  readonly httpGet?: { readonly path: string; readonly port: string | number };
}

export interface Container {
  readonly name: string;
  readonly image: string;
  readonly imagePullPolicy?: string;
  readonly args?: readonly string[];
  readonly env?: readonly EnvVar[];
  readonly ports?: readonly { readonly name?: string; readonly containerPort: number }[];
  readonly resources?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly securityContext?: Readonly<Record<string, unknown>>;
  readonly livenessProbe?: Probe;
  readonly readinessProbe?: Probe;
}

export interface PodSpec {
  readonly serviceAccountName?: string;
  readonly containers: readonly Container[];
  readonly securityContext?: Readonly<Record<string, unknown>>;
  readonly nodeSelector?: Readonly<Record<string, string>>;
  readonly tolerations?: readonly unknown[];
  readonly affinity?: Readonly<Record<string, unknown>>;
  readonly imagePullSecrets?: readonly { readonly name: string }[];
}

export interface DeploymentView {
  readonly replicas: number;
  readonly selector: Readonly<Record<string, string>>;
  readonly podLabels: Readonly<Record<string, string>>;
  readonly pod: PodSpec;
  readonly container: Container;
}

export interface ServicePort {
  readonly name?: string;
  readonly port: number;
  readonly targetPort?: string | number;
  readonly appProtocol?: string;
  readonly protocol?: string;
}

export function rulesOf(role: Manifest): readonly PolicyRule[] {
  return (role['rules'] ?? []) as readonly PolicyRule[];
}

/**
 * `group/resource verbs` per line (`core` for the empty group, `[name]` when restricted by
 * resourceNames), verbs sorted, lines sorted and merged across rules.
 */
export function grants(rules: readonly PolicyRule[]): string[] {
  const byTarget = new Map<string, Set<string>>();
  for (const rule of rules) {
    if (rule.nonResourceURLs?.length) throw new Error('nonResourceURLs are not expected in Gantry roles');
    const names = rule.resourceNames?.length ? rule.resourceNames : [undefined];
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        for (const name of names) {
          const key = `${group === '' ? 'core' : group}/${resource}${name === undefined ? '' : `[${name}]`}`;
          const verbs = byTarget.get(key) ?? new Set<string>();
          for (const verb of rule.verbs) verbs.add(verb);
          byTarget.set(key, verbs);
        }
      }
    }
  }
  return [...byTarget].map(([key, verbs]) => `${key} ${[...verbs].sort().join(',')}`).sort();
}

export function deploymentView(deployment: Manifest): DeploymentView {
  const spec = deployment['spec'] as {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
  const container = spec.template.spec.containers[0];
  if (!container) throw new Error('the Deployment has no container');
  return { replicas: spec.replicas, selector: spec.selector.matchLabels, podLabels: spec.template.metadata.labels, pod: spec.template.spec, container };
}

export function servicePorts(service: Manifest): readonly ServicePort[] {
  return (service['spec'] as { ports: ServicePort[] }).ports;
}

/** The value of `--flag=value` among args (undefined when absent). */
export function flagValue(args: readonly string[], flag: string): string | undefined {
  const prefix = `${flag}=`;
  const hit = args.filter((a) => a.startsWith(prefix)).at(-1);
  return hit?.slice(prefix.length);
}
