// The backend kinds a route may reference. A new kind: its module under backends/, one line here
// (and, for a kind of ours, its entry in @gantry/api's kind table).
import { backendKindKey, type BackendResolver, type BackendResolvers } from './backend.js';
import { serviceResolver } from './service.js';
import { upstreamResolver } from './upstream/resolver.js';
import { virtualDestinationResolver } from './virtual-destination/resolver.js';

const BUILT_IN: readonly BackendResolver[] = [serviceResolver, upstreamResolver, virtualDestinationResolver];

export const DEFAULT_BACKEND_RESOLVERS: BackendResolvers = new Map(BUILT_IN.map((r) => [backendKindKey(r.group, r.kind), r]));
