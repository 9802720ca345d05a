/**
 * An IR object the xds translator could not encode. The object is left out of (or, for a route,
 * answered 500 in) the snapshot; everything else is served. Names are the Envoy resource names
 * (a route's name leads back to its HTTPRoute rule).
 */
export interface XdsFailure {
  readonly kind: 'listener' | 'route' | 'cluster' | 'endpoints' | 'secret';
  readonly name: string;
  readonly message: string;
}
