// VirtualDestination (gateway.gantry.dev/v1alpha1): one name for the Services that carry some
// labels, in this cluster and in the remote clusters Gantry knows. An HTTPRoute routes to it with
// `backendRefs: [{group: gateway.gantry.dev, kind: VirtualDestination, name, port}]` and traffic
// goes straight to the ready pods of the selected Services (EDS); a label added to or removed from
// a Service moves traffic without a route edit. The shape follows Gloo Mesh's VirtualDestination
// (hosts, ports with a targetPort, ORed service selectors), with Upstreams in place of its
// external services and `selection: Oldest|All` for several Services in one cluster.
import type { CrdSource, OpenApiSchema } from '../crd.js';
import type { Condition, KubeObject } from '../meta.js';
import type { OutlierDetection } from './upstream.js';
import { CONDITION_SCHEMA, OUTLIER_DETECTION_SCHEMA } from './upstream.js';

export const VIRTUAL_DESTINATION_KIND = 'VirtualDestination';

/** The cluster name that means "the cluster Gantry runs in" in selectors and status. */
export const LOCAL_CLUSTER = 'local';

/** Most backing Services listed in status (the count is always complete). */
export const MAX_LISTED_BACKING_SERVICES = 32;

export type VirtualDestinationProtocol = 'HTTP' | 'HTTP2' | 'GRPC';

/** A backing Service's port, by its number (`port`) or its name. */
export interface PortSelector {
  number?: number;
  name?: string;
}

export interface VirtualDestinationPort {
  /** The port a backendRef names. */
  number: number;
  protocol: VirtualDestinationProtocol;
  /** The backing Services' port; default: the same number. */
  targetPort?: PortSelector;
}

/** Services (or Upstreams) that carry all these labels; selectors are ORed. */
export interface ServiceSelector {
  labels?: Record<string, string>;
  /** One object by name (with or without labels). */
  name?: string;
  /** Default: the VirtualDestination's namespace. */
  namespace?: string;
  /** Default (unset or ''): every cluster Gantry knows; `local`: this one. */
  cluster?: string;
}

export interface VirtualDestinationSpec {
  hosts?: string[];
  ports: VirtualDestinationPort[];
  services?: ServiceSelector[];
  /** Upstreams (by name or labels, in the VirtualDestination's namespace unless named) as extra backends. */
  upstreams?: ServiceSelector[];
  /** Several Services selected in one cluster: Oldest (the default) keeps the oldest; All keeps every one. */
  selection?: 'Oldest' | 'All';
  /** Send the first host as the Host header to the backends. */
  rewriteHost?: boolean;
  /** Across clusters: LocalFirst (the default: remote endpoints only when local ones fail) or Spread. */
  failover?: { policy?: 'LocalFirst' | 'Spread' };
  /** Passive health checking of the endpoints; across clusters a default applies so failover happens. */
  outlierDetection?: OutlierDetection;
}

export interface BackingServiceRef {
  cluster: string;
  namespace: string;
  name: string;
  port: number;
}

export interface VirtualDestinationStatus {
  /** Accepted, ResolvedRefs, and warnings (each its own condition type with a reason). */
  conditions?: Condition[];
  numSelectedBackingServices?: number;
  /** At most 32, sorted by cluster, namespace, name, port. */
  selectedBackingServices?: BackingServiceRef[];
  /** The hosts, comma-separated (what `kubectl get vd` prints). */
  hosts?: string;
  observedGeneration?: number;
}

export type VirtualDestination = KubeObject<VirtualDestinationSpec, VirtualDestinationStatus>;

// --- schema ----------------------------------------------------------------------------------

const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** Lowercase DNS name, no wildcard; the last label must not be all digits. */
export const VD_HOST_PATTERN = '^([a-z0-9]([-a-z0-9]*[a-z0-9])?\\.)*[a-z0-9]*[a-z]([-a-z0-9]*[a-z0-9])?$';

const LABELS: OpenApiSchema = {
  description: 'Labels the object must all carry.',
  type: 'object', maxProperties: 64, additionalProperties: { type: 'string', maxLength: 63 },
};

function selector(what: string, withCluster: boolean): OpenApiSchema {
  return {
    description: `Selects ${what} by labels and/or name; selectors are ORed.`,
    type: 'object',
    properties: {
      labels: LABELS,
      name: { description: `One ${what.replace(/s$/, '')} by name.`, type: 'string', minLength: 1, maxLength: 63, pattern: DNS_LABEL },
      namespace: { description: "Its namespace. Default: the VirtualDestination's namespace.", type: 'string', minLength: 1, maxLength: 63, pattern: DNS_LABEL },
      ...(withCluster ? {
        cluster: {
          description: "The cluster to select in: a remote cluster's name, or `local` for this one. Unset or empty: every cluster Gantry knows.",
          type: 'string', maxLength: 63,
        },
      } : {}),
    },
    'x-kubernetes-validations': [{ rule: 'has(self.labels) || has(self.name)', message: 'a selector needs labels or a name' }],
  };
}

export const VIRTUAL_DESTINATION_CRD: CrdSource = {
  comment: [
    'VirtualDestination: one name for the Services that carry some labels, in this cluster and',
    'in remote clusters; an HTTPRoute routes to it (backendRefs group gateway.gantry.dev, kind',
    'VirtualDestination) and traffic goes straight to the selected Services\' ready pods.',
  ],
  singular: 'virtualdestination',
  shortNames: ['vd'],
  categories: ['gantry'],
  printerColumns: [
    { name: 'Hosts', type: 'string', jsonPath: '.status.hosts', description: 'The hosts.' },
    { name: 'Backing Services', type: 'integer', jsonPath: '.status.numSelectedBackingServices', description: 'Services selected, in every cluster.' },
    { name: 'Accepted', type: 'string', jsonPath: '.status.conditions[?(@.type=="Accepted")].status' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
  description: 'A backend for HTTPRoutes (backendRefs with group gateway.gantry.dev, kind VirtualDestination): the Services selected by labels, across clusters.',
  specRequired: true,
  spec: {
    description: 'At least one of services or upstreams; at least one port.',
    type: 'object',
    required: ['ports'],
    properties: {
      hosts: {
        description: 'Names for the destination: reported, unique across VirtualDestinations, and sent as the Host header when rewriteHost is true. They create no listeners.',
        type: 'array', maxItems: 16,
        items: { type: 'string', minLength: 1, maxLength: 253, pattern: VD_HOST_PATTERN },
        'x-kubernetes-validations': [
          { rule: 'self.all(h, !h.contains("*"))', message: 'hosts must not contain wildcards' },
          { rule: 'self.all(h, self.exists_one(x, x == h))', message: 'hosts must be unique' },
        ],
      },
      ports: {
        description: 'The ports a backendRef may name, at least one.',
        type: 'array', minItems: 1, maxItems: 32,
        items: {
          type: 'object',
          required: ['number', 'protocol'],
          properties: {
            number: { description: 'The port number a backendRef names.', type: 'integer', format: 'int32', minimum: 1, maximum: 65535 },
            protocol: { description: 'How Envoy talks to the backends: HTTP (HTTP/1.1), HTTP2 or GRPC (HTTP/2 without TLS).', type: 'string', enum: ['HTTP', 'HTTP2', 'GRPC'] },
            targetPort: {
              description: "The backing Services' port, by its number (the Service port, not the pods') or its name. Default: number. A selected Service without it is skipped (with a warning).",
              type: 'object',
              properties: {
                number: { description: 'A Service port number.', type: 'integer', format: 'int32', minimum: 1, maximum: 65535 },
                name: { description: 'A Service port name.', type: 'string', minLength: 1, maxLength: 63 },
              },
              'x-kubernetes-validations': [{ rule: 'has(self.number) != has(self.name)', message: 'targetPort needs exactly one of number or name' }],
            },
          },
        },
        'x-kubernetes-validations': [{ rule: 'self.all(p, self.exists_one(x, x.number == p.number))', message: 'port numbers must be unique' }],
      },
      services: {
        description: 'The backing Services: a Service matching any selector is selected.',
        type: 'array', maxItems: 16,
        items: selector('Services', true),
      },
      upstreams: {
        description: 'Upstreams (gateway.gantry.dev) as extra backing destinations, by labels or name, in this cluster.',
        type: 'array', maxItems: 16,
        items: selector('Upstreams', false),
      },
      selection: {
        description: 'Several Services selected in one cluster: Oldest (default) keeps the oldest and warns; All keeps every one.',
        type: 'string', enum: ['Oldest', 'All'],
      },
      rewriteHost: { description: 'Send the first host as the Host header to the backends. Default false: the client\'s Host.', type: 'boolean' },
      failover: {
        description: 'Across clusters.',
        type: 'object',
        properties: {
          policy: {
            description: 'LocalFirst (default): this cluster\'s endpoints first, remote ones when they are gone or ejected. Spread: every cluster\'s endpoints alike.',
            type: 'string', enum: ['LocalFirst', 'Spread'],
          },
        },
      },
      outlierDetection: OUTLIER_DETECTION_SCHEMA,
    },
    'x-kubernetes-validations': [
      { rule: '(has(self.services) && size(self.services) > 0) || (has(self.upstreams) && size(self.upstreams) > 0)', message: 'at least one of services or upstreams must be set' },
      {
        rule: '(has(self.services) && size(self.services) > 0) || self.ports.all(p, !has(p.targetPort))',
        message: 'targetPort needs services selectors',
      },
      { rule: '!has(self.rewriteHost) || !self.rewriteHost || (has(self.hosts) && size(self.hosts) > 0)', message: 'rewriteHost needs hosts' },
    ],
  },
  status: {
    description: 'What Gantry made of the VirtualDestination.',
    type: 'object',
    properties: {
      conditions: {
        description: 'Accepted and ResolvedRefs, and warnings as conditions of their own (MultipleServicesSelected, HostConflict, RemoteClusters, ...).',
        type: 'array', maxItems: 8,
        'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'],
        items: CONDITION_SCHEMA,
      },
      numSelectedBackingServices: { description: 'Backing Services selected, in every cluster.', type: 'integer', format: 'int32', minimum: 0 },
      selectedBackingServices: {
        description: `The backing Services (at most ${MAX_LISTED_BACKING_SERVICES} listed).`,
        type: 'array', maxItems: MAX_LISTED_BACKING_SERVICES,
        items: {
          type: 'object',
          required: ['cluster', 'namespace', 'name', 'port'],
          properties: {
            cluster: { type: 'string', maxLength: 63 },
            namespace: { type: 'string', maxLength: 63 },
            name: { type: 'string', maxLength: 253 },
            port: { type: 'integer', format: 'int32', minimum: 1, maximum: 65535 },
          },
        },
      },
      hosts: { description: 'The hosts, comma-separated.', type: 'string', maxLength: 4096 },
      observedGeneration: { description: 'The generation the status describes.', type: 'integer', format: 'int64', minimum: 0 },
    },
  },
};
