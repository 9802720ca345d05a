// Where a Pod's ConfigMaps, Secrets and service account tokens come from: the API server in the
// agent, a map in unit tests.
import type { ConfigMap, Secret } from '../kube-types.js';

export interface TokenRequest {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly audience?: string;
  readonly expirationSeconds?: number;
  readonly podName: string;
  readonly podUid: string;
}

export interface ObjectSource {
  configMap(namespace: string, name: string): Promise<ConfigMap | undefined>;
  secret(namespace: string, name: string): Promise<Secret | undefined>;
  serviceAccountToken(request: TokenRequest): Promise<string>;
}

/** A referenced object or key is missing and not optional: the container cannot start yet. */
export class ContainerConfigError extends Error {
  override readonly name = 'ContainerConfigError';
}

/** Every key of a ConfigMap (data and binaryData) as file contents. */
export function configMapContents(cm: ConfigMap): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(cm.data ?? {})) out.set(k, Buffer.from(v, 'utf8'));
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) out.set(k, Buffer.from(v, 'base64'));
  return out;
}

export function secretContents(secret: Secret): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(secret.data ?? {})) out.set(k, Buffer.from(v, 'base64'));
  return out;
}

export function asText(contents: ReadonlyMap<string, Buffer>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of contents) out[k] = v.toString('utf8');
  return out;
}
