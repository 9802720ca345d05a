// A structural schema for the manifests Gantry reads from files: enough to name the exact field
// that is malformed (wrong type, missing, unknown enum value) before the translator sees it. The
// translator then judges meaning (references, conflicts) and reports it in status, as on a cluster.

export type Schema =
  | { readonly type: 'string'; readonly enum?: readonly string[] }
  | { readonly type: 'integer'; readonly min?: number; readonly max?: number }
  | { readonly type: 'number' }
  | { readonly type: 'boolean' }
  | { readonly type: 'any' }
  | { readonly type: 'map'; readonly values: Schema }
  | { readonly type: 'array'; readonly items: Schema }
  | { readonly type: 'object'; readonly properties: Readonly<Record<string, Schema>>; readonly required?: readonly string[] };

export const str: Schema = { type: 'string' };
export const int = (min?: number, max?: number): Schema => ({ type: 'integer', min, max });
export const bool: Schema = { type: 'boolean' };
export const any: Schema = { type: 'any' };
export const strMap: Schema = { type: 'map', values: str };
export const strings: Schema = { type: 'array', items: str };
export const oneOf = (...values: string[]): Schema => ({ type: 'string', enum: values });
export const arr = (items: Schema): Schema => ({ type: 'array', items });
export const obj = (properties: Record<string, Schema>, required?: string[]): Schema => ({ type: 'object', properties, required });
export const port = int(1, 65535);

export const labelSelector = obj({
  matchLabels: strMap,
  matchExpressions: arr(obj({ key: str, operator: oneOf('In', 'NotIn', 'Exists', 'DoesNotExist'), values: strings }, ['key', 'operator'])),
});

const objectMeta = obj(
  {
    name: str, namespace: str, uid: str, generation: int(0), resourceVersion: str, creationTimestamp: str,
    labels: strMap, annotations: strMap, generateName: str, ownerReferences: arr(any), finalizers: strings,
    managedFields: arr(any), deletionTimestamp: str,
  },
  ['name'],
);

/** How a manifest of one kind is checked: its `spec`, or the fields it keeps at the top level. */
export interface ManifestSchema {
  readonly spec?: Schema;
  readonly top?: Readonly<Record<string, Schema>>;
}

export const OBJECT_META: Schema = objectMeta;

/** Problems with `value` against `schema`, each naming its field path (e.g. `spec.listeners[0].port`). */
export function checkSchema(value: unknown, schema: Schema, path: string): string[] {
  if (value === undefined || value === null) return [];
  switch (schema.type) {
    case 'any':
      return [];
    case 'string':
      if (typeof value !== 'string') return [`${path}: expected a string, got ${describe(value)}`];
      if (schema.enum && !schema.enum.includes(value)) {
        return [`${path}: unsupported value "${value}", expected one of ${schema.enum.join(', ')}`];
      }
      return [];
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return [`${path}: expected an integer, got ${describe(value)}`];
      if (schema.min !== undefined && value < schema.min) return [`${path}: ${value} is below the minimum ${schema.min}`];
      if (schema.max !== undefined && value > schema.max) return [`${path}: ${value} is above the maximum ${schema.max}`];
      return [];
    case 'number':
      return typeof value === 'number' ? [] : [`${path}: expected a number, got ${describe(value)}`];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${path}: expected true or false, got ${describe(value)}`];
    case 'array':
      if (!Array.isArray(value)) return [`${path}: expected a list, got ${describe(value)}`];
      return value.flatMap((item, i) => checkSchema(item, schema.items, `${path}[${i}]`));
    case 'map':
      if (!isRecord(value)) return [`${path}: expected a mapping, got ${describe(value)}`];
      return Object.entries(value).flatMap(([k, v]) => checkSchema(v, schema.values, `${path}.${k}`));
    case 'object': {
      if (!isRecord(value)) return [`${path}: expected a mapping, got ${describe(value)}`];
      const errors: string[] = [];
      for (const req of schema.required ?? []) {
        if (value[req] === undefined || value[req] === null) errors.push(`${path}.${req}: required field is missing`);
      }
      for (const [k, v] of Object.entries(value)) {
        const sub = schema.properties[k];
        if (sub === undefined) errors.push(`${path}.${k}: unknown field`);
        else errors.push(...checkSchema(v, sub, `${path}.${k}`));
      }
      return errors;
    }
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (isRecord(value)) return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}
