// The minimal shape this package relies on. Consumers bring their own richer types (the
// controller's Gateway, HTTPRoute, ...), which are structurally compatible.

export interface ObjectMetaLike {
  readonly name: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly generation?: number;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface KubeObjectLike {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: ObjectMetaLike;
}

/** A JSON value as decoded from the API server. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Narrows a decoded object to one with a name in its metadata; undefined when it is not. */
export function asKubeObject(value: unknown): (KubeObjectLike & JsonObject) | undefined {
  if (!isJsonObject(value)) return undefined;
  const meta = value['metadata'];
  if (!isJsonObject(meta) || typeof meta['name'] !== 'string') return undefined;
  return value as KubeObjectLike & JsonObject;
}
