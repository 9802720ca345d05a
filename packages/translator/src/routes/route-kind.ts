// What a route kind is to the translator: where its objects come from, which listeners take it,
// and how its rules compile into the pieces the shared machinery (attachment, precedence, route
// tables, assembly) works with. Each kind lives in its own folder and is listed in registry.ts.
import type { CorsIR, DirectResponseActionIR, FaultIR, ForwardActionIR, HeaderModifierIR, PathModifierIR, RouteMatchIR } from '@gantry/ir';
import type { KubeObject, ParentReference, RouteParentKind, Snapshot } from '@gantry/api';
import type { BackendContext, BackendResolvers } from '../backends/backend.js';
import type { ClusterUse } from '../backends/backend.js';
import type { ExtensionRefPolicies, PolicyUse, TargetRefPolicy } from '../policies/policy.js';

export interface RouteKind<R extends RouteObject = RouteObject> {
  readonly group: string;
  readonly kind: RouteParentKind;
  /** `group/kind`, as listeners list the kinds they allow (see routeKindKey). */
  readonly key: string;
  /** Listener protocols that take this kind by default (and may list it in allowedRoutes.kinds). */
  readonly protocols: readonly string[];
  /** Its objects in a snapshot. */
  routes(snapshot: Snapshot): readonly R[];
  /** Its rules → IR pieces, independent of where the route attaches. */
  compile(route: R, ctx: BackendContext, tables: CompileTables): CompiledRules;
}

/** What every route kind has: parentRefs and hostnames (kinds without hostnames leave them out). */
export type RouteObject = KubeObject<{ parentRefs?: ParentReference[]; hostnames?: string[] }>;

export interface CompileTables {
  readonly backends: BackendResolvers;
  readonly extensionRefs: ExtensionRefPolicies;
  readonly targetRefs: readonly TargetRefPolicy[];
}

export interface CompiledMatch {
  readonly index: number;
  readonly match: RouteMatchIR;
  readonly pathRank: number;
  readonly pathLength: number;
  readonly hasMethod: boolean;
  readonly headerCount: number;
  readonly queryCount: number;
}

/** A redirect still needs the listener (scheme and port default from it). */
export interface RedirectTemplate {
  readonly kind: 'redirectTemplate';
  readonly scheme?: 'http' | 'https';
  readonly hostname?: string;
  readonly port?: number;
  readonly path?: PathModifierIR;
  readonly statusCode: number;
}

/** A rule's action: final (the IR itself), or a redirect template completed per listener. */
export type ActionTemplate = ForwardActionIR | DirectResponseActionIR | RedirectTemplate;

export interface CompiledRule {
  readonly index: number;
  readonly matches: readonly CompiledMatch[];
  readonly action: ActionTemplate;
  readonly requestHeaders?: HeaderModifierIR;
  readonly responseHeaders?: HeaderModifierIR;
  readonly cors?: CorsIR;
  readonly faults?: FaultIR;
}

export interface RuleProblem {
  readonly rule: number;
  readonly reason: string;
  readonly message: string;
}

export interface RefProblem {
  readonly reason: string;
  readonly message: string;
}

export interface CompiledRules {
  readonly rules: readonly CompiledRule[];
  /** Rules dropped as invalid. */
  readonly invalid: readonly RuleProblem[];
  /** References that could not be resolved (the rules stay; affected traffic gets 500). */
  readonly refProblems: readonly RefProblem[];
  /** Facts about references that did resolve, for the ResolvedRefs message (e.g. an ignored port). */
  readonly notes: readonly string[];
  /** Clusters the valid rules send traffic (or mirrored traffic) to. */
  readonly clusters: readonly ClusterUse[];
  /** What policies did to the rules (kinds without policies: an empty list). */
  readonly policyUses: readonly PolicyUse[];
}

/** `group/kind`, as listeners list the kinds they allow. */
export function routeKindKey(k: Pick<RouteKind, 'group' | 'kind'>): string {
  return `${k.group}/${k.kind}`;
}
