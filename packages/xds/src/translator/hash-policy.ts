// ForwardActionIR.hashPolicies -> RouteAction.hash_policy: what a ring-hash or Maglev cluster
// hashes a request on. Envoy tries the policies in order and combines the hashes of those that
// apply; a request none applies to is balanced at random. Other load balancers ignore them.
import type { HashPolicyIR } from '@gantry/ir';
import type { RouteAction_HashPolicy } from '@gantry/envoy-xds-proto/generated/envoy/config/route/v3/route_components';
import { durationMs, type DeepPartial } from './proto.js';

function hashPolicy(p: HashPolicyIR): DeepPartial<RouteAction_HashPolicy> {
  switch (p.type) {
    case 'header':
      return { policySpecifier: { $case: 'header', header: { headerName: p.name } } };
    case 'cookie':
      // With a ttl Envoy sets the cookie when the request has none (0: a session cookie), so
      // the client sticks from its first request on; without one it only reads it.
      return {
        policySpecifier: {
          $case: 'cookie',
          cookie: { name: p.name, path: p.path ?? '', ...(p.ttlMs === undefined ? {} : { ttl: durationMs(p.ttlMs) }) },
        },
      };
    case 'sourceIP':
      return { policySpecifier: { $case: 'connectionProperties', connectionProperties: { sourceIp: true } } };
    case 'queryParameter':
      return { policySpecifier: { $case: 'queryParameter', queryParameter: { name: p.name } } };
  }
}

export function hashPolicies(policies: readonly HashPolicyIR[]): DeepPartial<RouteAction_HashPolicy>[] {
  return policies.map((p) => (p.terminal ? { ...hashPolicy(p), terminal: true } : hashPolicy(p)));
}
