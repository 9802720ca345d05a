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
  const errors: string[] = [];
  check(value, schema, path, [], errors);
  return errors;
}

// The walk keeps the path as a stack of keys and indices and spells it out only for a problem:
// a valid manifest (the usual case, thousands of them at a cold start) builds no path strings.
type Segment = string | number;

function spell(root: string, at: readonly Segment[]): string {
  let out = root;
  for (const s of at) out += typeof s === 'number' ? `[${s}]` : `.${s}`;
  return out;
}

function check(value: unknown, schema: Schema, root: string, at: Segment[], errors: string[]): void {
  if (value === undefined || value === null) return;
  switch (schema.type) {
    case 'any':
      return;
    case 'string':
      if (typeof value !== 'string') errors.push(`${spell(root, at)}: expected a string, got ${describe(value)}`);
      else if (schema.enum && !schema.enum.includes(value)) {
        errors.push(`${spell(root, at)}: unsupported value ${quoteValue(value)}, expected one of ${schema.enum.join(', ')}`);
      }
      return;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) errors.push(`${spell(root, at)}: expected an integer, got ${describe(value)}`);
      else if (schema.min !== undefined && value < schema.min) errors.push(`${spell(root, at)}: ${value} is below the minimum ${schema.min}`);
      else if (schema.max !== undefined && value > schema.max) errors.push(`${spell(root, at)}: ${value} is above the maximum ${schema.max}`);
      return;
    case 'number':
      if (typeof value !== 'number') errors.push(`${spell(root, at)}: expected a number, got ${describe(value)}`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') errors.push(`${spell(root, at)}: expected true or false, got ${describe(value)}`);
      return;
    case 'array':
      if (!Array.isArray(value)) {
        errors.push(`${spell(root, at)}: expected a list, got ${describe(value)}`);
        return;
      }
      for (let i = 0; i < value.length; i++) {
        at.push(i);
        check(value[i], schema.items, root, at, errors);
        at.pop();
      }
      return;
    case 'map':
      if (!isRecord(value)) {
        errors.push(`${spell(root, at)}: expected a mapping, got ${describe(value)}`);
        return;
      }
      for (const k in value) {
        if (!Object.prototype.hasOwnProperty.call(value, k)) continue;
        at.push(k);
        check(value[k], schema.values, root, at, errors);
        at.pop();
      }
      return;
    case 'object': {
      if (!isRecord(value)) {
        errors.push(`${spell(root, at)}: expected a mapping, got ${describe(value)}`);
        return;
      }
      for (const req of schema.required ?? []) {
        if (value[req] === undefined || value[req] === null) errors.push(`${spell(root, at)}.${req}: required field is missing`);
      }
      for (const k in value) {
        if (!Object.prototype.hasOwnProperty.call(value, k)) continue;
        const sub = Object.prototype.hasOwnProperty.call(schema.properties, k) ? schema.properties[k] : undefined;
        at.push(k);
        if (sub === undefined) errors.push(`${spell(root, at)}: unknown field`);
        else check(value[k], sub, root, at, errors);
        at.pop();
      }
      return;
    }
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (isRecord(value)) return 'a mapping';
  if (typeof value === 'string') {
    return value.length <= 64 && !/[\r\n]/.test(value) ? `string ${quoteValue(value)}` : `a string of ${value.length} characters`;
  }
  // String(), not JSON: 1e400 is Infinity, which JSON would print as null.
  return `${typeof value} ${String(value)}`;
}

/**
 * A user's string inside an error message: bounded, and never a private key (the value may be a
 * Secret's data in the wrong field). Errors name fields; they echo values only when short.
 */
export function quoteValue(value: string, limit = 64): string {
  if (value.includes('PRIVATE KEY')) return '<redacted>';
  const shown = value.length > limit ? `${value.slice(0, limit)}…` : value;
  return JSON.stringify(shown);
}
