// Gantry's own CRDs, written once: each kind's table entry carries its OpenAPI schema, names and
// printer columns; hack/generate-crds.mjs turns them into the chart's YAML (checked by
// `npm run verify:generated`), and the manifest loader checks files against the same schema.
import { any, type Schema } from './schema.js';

/** A CEL rule the API server checks (`x-kubernetes-validations`); `message` is what `kubectl apply` prints. */
export interface ValidationRule {
  readonly rule: string;
  readonly message: string;
}

/** The subset of OpenAPI v3 (as apiextensions.k8s.io/v1 takes it) Gantry's CRDs use. */
export interface OpenApiSchema {
  readonly description?: string;
  readonly type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  readonly format?: string;
  readonly properties?: Readonly<Record<string, OpenApiSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: OpenApiSchema;
  readonly items?: OpenApiSchema;
  readonly enum?: readonly (string | number)[];
  readonly default?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly maxProperties?: number;
  readonly pattern?: string;
  readonly anyOf?: readonly OpenApiSchema[];
  readonly 'x-kubernetes-int-or-string'?: true;
  readonly 'x-kubernetes-preserve-unknown-fields'?: true;
  readonly 'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  readonly 'x-kubernetes-list-map-keys'?: readonly string[];
  readonly 'x-kubernetes-validations'?: readonly ValidationRule[];
}

export interface PrinterColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  readonly jsonPath: string;
  readonly description?: string;
  /** 1: shown only with `kubectl get -o wide`. */
  readonly priority?: number;
}

/** What a CRD says beyond the kind table's group, versions, plural and scope. */
export interface CrdSource {
  /** The YAML file's header comment, one line per entry. */
  readonly comment: readonly string[];
  readonly singular: string;
  readonly shortNames?: readonly string[];
  readonly categories?: readonly string[];
  readonly description: string;
  readonly spec: OpenApiSchema;
  /** An object without a spec is rejected (its spec's rules would not run otherwise). */
  readonly specRequired?: true;
  /** A status subresource with this schema. */
  readonly status?: OpenApiSchema;
  readonly printerColumns?: readonly PrinterColumn[];
}

interface CrdKind {
  readonly kind: string;
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly namespaced: boolean;
  readonly crd?: CrdSource;
}

/** The CustomResourceDefinition object of a kind of ours, as plain data. */
export function customResourceDefinition(k: CrdKind & { readonly crd: CrdSource }): Record<string, unknown> {
  const { crd } = k;
  const properties: Record<string, OpenApiSchema> = {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    spec: crd.spec,
    ...(crd.status ? { status: crd.status } : {}),
  };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${k.plural}.${k.group}`,
      labels: { 'app.kubernetes.io/name': 'gantry-crds', 'app.kubernetes.io/part-of': 'gantry' },
    },
    spec: {
      group: k.group,
      scope: k.namespaced ? 'Namespaced' : 'Cluster',
      names: {
        kind: k.kind,
        listKind: `${k.kind}List`,
        plural: k.plural,
        singular: crd.singular,
        ...(crd.shortNames ? { shortNames: crd.shortNames } : {}),
        ...(crd.categories ? { categories: crd.categories } : {}),
      },
      versions: [
        {
          name: k.version,
          served: true,
          storage: true,
          ...(crd.status ? { subresources: { status: {} } } : {}),
          ...(crd.printerColumns ? { additionalPrinterColumns: crd.printerColumns } : {}),
          schema: {
            openAPIV3Schema: { description: crd.description, type: 'object', ...(crd.specRequired ? { required: ['spec'] } : {}), properties },
          },
        },
      ],
    },
  };
}

/**
 * The structural check the manifest loader runs, from an OpenAPI schema: types, enums, integer
 * bounds, required and unknown fields. (CEL rules and patterns are the API server's job; files
 * get them through the translator's own validation.)
 */
export function manifestSchemaOf(s: OpenApiSchema): Schema {
  if (s['x-kubernetes-int-or-string'] || s['x-kubernetes-preserve-unknown-fields'] || s.anyOf) return any;
  switch (s.type) {
    case 'string':
      return s.enum ? { type: 'string', enum: s.enum.map(String) } : { type: 'string' };
    case 'integer':
      return { type: 'integer', min: s.minimum, max: s.maximum };
    case 'number':
      return { type: 'number' };
    case 'boolean':
      return { type: 'boolean' };
    case 'array':
      return { type: 'array', items: s.items ? manifestSchemaOf(s.items) : any };
    case 'object':
      if (s.properties) {
        const properties: Record<string, Schema> = {};
        for (const [name, sub] of Object.entries(s.properties)) properties[name] = manifestSchemaOf(sub);
        return { type: 'object', properties, required: s.required };
      }
      return { type: 'map', values: s.additionalProperties ? manifestSchemaOf(s.additionalProperties) : any };
    default:
      return any;
  }
}
