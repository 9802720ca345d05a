// Names and labels of the objects created for a Gateway (GEP-1762, "In Cluster Gateway
// Deployments"): every object is named `<gateway>-<gatewayclass>` and carries the well-known
// `gateway.networking.k8s.io/gateway-name` label.
import { createHash } from 'node:crypto';

/** The spec's well-known label; its value follows GEP-1762's truncation rule. */
export const GATEWAY_NAME_LABEL = 'gateway.networking.k8s.io/gateway-name';
export const APP_NAME_LABEL = 'app.kubernetes.io/name';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const APP_NAME = 'gantry-envoy';
export const MANAGED_BY = 'gantry';
/** Pod template annotation: a digest of the bootstrap, so a changed bootstrap rolls the Pods. */
export const BOOTSTRAP_HASH_ANNOTATION = 'gateway.gantry.dev/bootstrap-hash';

/**
 * Label selector (string form, for list/watch) that matches every object the deployer creates,
 * in any namespace. The controller watches it and re-reconciles the owning Gateway on any change,
 * which is how manual drift gets reverted.
 */
export const OWNED_OBJECT_SELECTOR = `${APP_NAME_LABEL}=${APP_NAME},${MANAGED_BY_LABEL}=${MANAGED_BY}`;

const MAX_LABEL_VALUE = 63;
const MAX_DNS_LABEL = 63;
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/**
 * GEP-1762: the Gateway name itself when it fits a label value (63 characters); otherwise its
 * first 20 characters, `-`, and the SHA-1 (hex) of the rest of the name.
 */
export function gatewayNameLabelValue(gatewayName: string): string {
  if (gatewayName.length <= MAX_LABEL_VALUE) return gatewayName;
  const rest = gatewayName.slice(20);
  return `${gatewayName.slice(0, 20)}-${createHash('sha1').update(rest).digest('hex')}`;
}

/**
 * The name of the ServiceAccount, ConfigMap, Deployment and Service of a Gateway:
 * `<gateway>-<gatewayclass>` (GEP-1762) when that is a valid DNS-1035 label (the strictest rule
 * of the four kinds: a Service name). Otherwise the name is made valid (characters outside
 * [a-z0-9-] become `-`, a `gw-` prefix when it would not start with a letter), cut to fit 63
 * characters, and suffixed with 8 hex digits of the SHA-256 of the unmodified name, so two
 * Gateways whose names only differ in the part that was cut or rewritten never collide.
 */
export function infrastructureName(gatewayName: string, gatewayClassName: string): string {
  const wanted = `${gatewayName}-${gatewayClassName}`;
  if (wanted.length <= MAX_DNS_LABEL && DNS_1035_LABEL.test(wanted)) return wanted;
  let safe = wanted.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  if (!/^[a-z]/.test(safe)) safe = `gw-${safe}`;
  const suffix = createHash('sha256').update(wanted).digest('hex').slice(0, 8);
  const head = safe.slice(0, MAX_DNS_LABEL - suffix.length - 1).replace(/-+$/, '');
  return `${head}-${suffix}`;
}

/**
 * Labels that select the Pods of one Gateway. Fixed for the life of the Deployment (its
 * selector is immutable), so nothing configurable goes in here.
 */
export function selectorLabels(gatewayName: string): Record<string, string> {
  return {
    [APP_NAME_LABEL]: APP_NAME,
    [GATEWAY_NAME_LABEL]: gatewayNameLabelValue(gatewayName),
  };
}

/** The labels every created object carries, whatever the parameters say. */
export function fixedLabels(gatewayName: string): Record<string, string> {
  return { ...selectorLabels(gatewayName), [MANAGED_BY_LABEL]: MANAGED_BY };
}
