// Kubernetes label selectors (matchLabels AND matchExpressions), as used by
// allowedRoutes.namespaces.selector and discovery's namespace and Service selectors.
import type { LabelSelector } from './meta.js';

/** Why a selector cannot be evaluated, or undefined when it is well-formed. */
export function labelSelectorError(selector: LabelSelector): string | undefined {
  for (const e of selector.matchExpressions ?? []) {
    switch (e.operator) {
      case 'In':
      case 'NotIn':
        if (!e.values || e.values.length === 0) return `operator ${e.operator} on "${e.key}" needs values`;
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (e.values && e.values.length > 0) return `operator ${e.operator} on "${e.key}" takes no values`;
        break;
      default:
        return `unknown operator "${e.operator}"`;
    }
  }
  return undefined;
}

/** Whether the labels satisfy the selector. An empty selector selects everything. */
export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[k] !== v) return false;
  }
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const value = labels[e.key];
    switch (e.operator) {
      case 'In':
        if (!has || value === undefined || !(e.values ?? []).includes(value)) return false;
        break;
      case 'NotIn':
        if (has && value !== undefined && (e.values ?? []).includes(value)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}
