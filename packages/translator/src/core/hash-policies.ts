// Hash policies (what a consistent-hash load balancer hashes on), as Upstreams and RouteOptions
// write them → IR. Shared by the Upstream backend kind and the RouteOption policy.
import type { HashPolicyIR } from '@gantry/ir';
import type { HashPolicy } from '@gantry/api';
import { parseDurationMs } from './duration.js';
import { Invalid, invalid } from './invalid.js';
import type { Mutable } from './memory.js';

/** `where` names the list in messages, e.g. `spec.loadBalancer.ringHash.hashPolicies`. */
export function hashPoliciesIR(list: readonly HashPolicy[] | undefined, where: string): HashPolicyIR[] | undefined | Invalid {
  if (!list || list.length === 0) return undefined;
  const out: HashPolicyIR[] = [];
  for (let i = 0; i < list.length; i++) {
    const p = list[i];
    if (!p) continue;
    const at = `${where}[${i}]`;
    const set = (['header', 'cookie', 'sourceIP', 'queryParameter'] as const).filter((k) => p[k] !== undefined);
    if (set.length !== 1) return invalid(`${at}: set exactly one of header, cookie, sourceIP or queryParameter`);
    const terminal = p.terminal === true ? { terminal: true } : {};
    if (p.header) out.push({ type: 'header', name: p.header.name.toLowerCase(), ...terminal });
    else if (p.queryParameter) out.push({ type: 'queryParameter', name: p.queryParameter.name, ...terminal });
    else if (p.sourceIP) out.push({ type: 'sourceIP', ...terminal });
    else if (p.cookie) {
      const cookie: Mutable<Extract<HashPolicyIR, { type: 'cookie' }>> = { type: 'cookie', name: p.cookie.name };
      if (p.cookie.ttl !== undefined) {
        const ms = parseDurationMs(p.cookie.ttl);
        if (ms === undefined) return invalid(`${at}.cookie.ttl ${p.cookie.ttl} is not a valid duration`);
        cookie.ttlMs = ms;
      }
      if (p.cookie.path !== undefined) cookie.path = p.cookie.path;
      out.push({ ...cookie, ...terminal });
    }
  }
  return out;
}
