// RouteIR -> envoy.config.route.v3.Route.
import type {
  DirectResponseActionIR,
  FaultIR,
  ForwardActionIR,
  ListenerProtocol,
  RedirectActionIR,
  RetryIR,
  RouteIR,
  RouteMatchIR,
  StringMatchIR,
  TimeoutsIR,
  WeightedBackendIR,
} from '@gantry/ir';
import { CorsPolicy } from '@gantry/envoy-xds-proto/generated/envoy/extensions/filters/http/cors/v3/cors';
import { FractionalPercent_DenominatorType } from '@gantry/envoy-xds-proto/generated/envoy/type/v3/percent';
import { HTTPFault } from '@gantry/envoy-xds-proto/generated/envoy/extensions/filters/http/fault/v3/fault';
import { RedirectAction_RedirectResponseCode, Route } from '@gantry/envoy-xds-proto/generated/envoy/config/route/v3/route_components';
import { packAny } from '@gantry/envoy-xds-proto/any';
import { RouteAction_ClusterNotFoundResponseCode } from '@gantry/envoy-xds-proto/generated/envoy/config/route/v3/route_components';
import type {
  DirectResponseAction,
  HeaderMatcher,
  QueryParameterMatcher,
  RedirectAction,
  RetryPolicy,
  RouteAction,
  RouteAction_RequestMirrorPolicy,
  RouteMatch,
  StringMatcher,
  WeightedCluster_ClusterWeight,
} from '@gantry/envoy-xds-proto';
import { corsPolicy } from './cors.js';
import { hashPolicies } from './hash-policy.js';
import { headerMutations, hostHeaderSet } from './headers.js';
import { CORS_FILTER, FAULT_FILTER } from './http-filters.js';
import { UPGRADE_GUARD_FILTER, upgradeGuardOff } from './route-scopes.js';
import { envoyPathMatch, fullPathRegex, pathRewrite } from './path.js';
import { durationMs, type DeepPartial } from './proto.js';

/** What a route's encoding may depend on besides the RouteIR: only redirects use it. */
export interface ListenerContext {
  readonly protocol: ListenerProtocol;
  readonly port: number;
  /** The table is served scoped: a route allowing upgrades turns the upgrade guard off (route-scopes.ts). */
  readonly scoped?: boolean;
}

/** Whether a route's encoding differs between the scoped and the single layout. */
export function dependsOnLayout(route: RouteIR): boolean {
  return route.action.kind === 'forward' && route.action.websocket === true;
}

/**
 * A route whose Envoy form depends on the listener it is served on: a redirect that leaves its
 * scheme or port to be derived from the listener (the gateway translator normally resolves both),
 * or whose port is its scheme's default (written out or not per listener: redirectAction).
 */
export function dependsOnListener(route: RouteIR): boolean {
  if (route.action.kind !== 'redirect') return false;
  const { scheme, port } = route.action;
  // Unset ones come from the listener; a default port is written out or not depending on it.
  return scheme === undefined || port === undefined || (route.action.hostname === undefined && WELL_KNOWN_PORTS.get(scheme) === port);
}

/**
 * The cluster that receives the share of requests meant for unresolvable backendRefs. It never
 * exists, so Envoy answers those requests with the route's cluster_not_found_response_code (500).
 */
export const INVALID_BACKEND_CLUSTER = 'gantry/invalid-backend';

export function buildRoute(route: RouteIR, listener: ListenerContext): Route {
  const requestHeaders = headerMutations(route.requestHeaders);
  const responseHeaders = headerMutations(route.responseHeaders);
  const msg: DeepPartial<Route> = {
    name: route.name,
    match: routeMatch(route.match),
    requestHeadersToAdd: requestHeaders.add,
    requestHeadersToRemove: requestHeaders.remove,
    responseHeadersToAdd: responseHeaders.add,
    responseHeadersToRemove: responseHeaders.remove,
  };
  const action = route.action;
  switch (action.kind) {
    case 'forward':
      msg.action = { $case: 'route', route: routeAction(route, action) };
      break;
    case 'redirect':
      msg.action = { $case: 'redirect', redirect: redirectAction(route, action, listener) };
      break;
    case 'directResponse':
      msg.action = { $case: 'directResponse', directResponse: directResponse(action) };
      break;
  }
  const guard = listener.scoped === true && dependsOnLayout(route);
  if (route.cors !== undefined || route.faults !== undefined || guard) {
    const perFilter: Record<string, ReturnType<typeof packAny>> = {};
    if (route.cors !== undefined) perFilter[CORS_FILTER] = packAny(CorsPolicy.fromPartial(corsPolicy(route.cors)));
    if (route.faults !== undefined) perFilter[FAULT_FILTER] = packAny(HTTPFault.fromPartial(httpFault(route.faults)));
    if (guard) perFilter[UPGRADE_GUARD_FILTER] = upgradeGuardOff();
    msg.typedPerFilterConfig = perFilter;
  }
  return Route.fromPartial(msg);
}

// ---- match ----

function stringMatcher(m: StringMatchIR): DeepPartial<StringMatcher> {
  return m.type === 'Exact'
    ? { matchPattern: { $case: 'exact', exact: m.value } }
    : { matchPattern: { $case: 'safeRegex', safeRegex: { regex: m.value } } };
}

function routeMatch(match: RouteMatchIR): DeepPartial<RouteMatch> {
  const path = envoyPathMatch(match.path);
  const out: DeepPartial<RouteMatch> = {};
  switch (path.kind) {
    case 'prefix':
      out.pathSpecifier = { $case: 'prefix', prefix: path.value };
      break;
    case 'pathSeparatedPrefix':
      out.pathSpecifier = { $case: 'pathSeparatedPrefix', pathSeparatedPrefix: path.value };
      break;
    case 'path':
      out.pathSpecifier = { $case: 'path', path: path.value };
      break;
    case 'regex':
      out.pathSpecifier = { $case: 'safeRegex', safeRegex: { regex: path.value } };
      break;
  }
  const headers: DeepPartial<HeaderMatcher>[] = (match.headers ?? []).map((h) => ({
    name: h.name,
    headerMatchSpecifier: { $case: 'stringMatch', stringMatch: stringMatcher(h) },
  }));
  if (match.method !== undefined) {
    headers.push({
      name: ':method',
      headerMatchSpecifier: { $case: 'stringMatch', stringMatch: { matchPattern: { $case: 'exact', exact: match.method } } },
    });
  }
  out.headers = headers;
  out.queryParameters = (match.queryParams ?? []).map(
    (q): DeepPartial<QueryParameterMatcher> => ({
      name: q.name,
      queryParameterMatchSpecifier: { $case: 'stringMatch', stringMatch: stringMatcher(q) },
    }),
  );
  return out;
}

// ---- forward ----

function routeAction(route: RouteIR, action: ForwardActionIR): DeepPartial<RouteAction> {
  const out: DeepPartial<RouteAction> = {
    // Requests for a backend whose cluster does not exist get 500, as the Gateway API requires
    // for invalid backends (Envoy's default would be 503).
    clusterNotFoundResponseCode: RouteAction_ClusterNotFoundResponseCode.INTERNAL_SERVER_ERROR,
  };
  const perBackendHeaders = action.backends.some((b) => b.requestHeaders !== undefined || b.responseHeaders !== undefined || b.hostRewrite !== undefined);
  const invalidWeight = action.invalidBackendWeight ?? 0;
  if (action.backends.length === 1 && !perBackendHeaders && invalidWeight <= 0) {
    out.clusterSpecifier = { $case: 'cluster', cluster: action.backends[0]!.cluster };
  } else {
    const clusters = action.backends.map(clusterWeight);
    if (invalidWeight > 0) clusters.push({ name: INVALID_BACKEND_CLUSTER, weight: invalidWeight });
    out.clusterSpecifier = { $case: 'weightedClusters', weightedClusters: { clusters } };
  }

  const hostRewrite = action.urlRewrite?.hostname ?? hostHeaderSet(route.requestHeaders);
  if (action.urlRewrite?.autoHostname === true) out.hostRewriteSpecifier = { $case: 'autoHostRewrite', autoHostRewrite: true };
  else if (hostRewrite !== undefined) out.hostRewriteSpecifier = { $case: 'hostRewriteLiteral', hostRewriteLiteral: hostRewrite };

  const rewritePath = action.urlRewrite?.path;
  if (rewritePath !== undefined) {
    const rewrite = pathRewrite(rewritePath, route.match.path);
    if (rewrite?.kind === 'prefix') out.prefixRewrite = rewrite.replacement;
    else if (rewrite?.kind === 'regex') out.regexRewrite = { pattern: { regex: rewrite.pattern }, substitution: rewrite.substitution };
    else if (rewrite?.kind === 'full') {
      const { pattern, substitution } = fullPathRegex(rewrite.path);
      out.regexRewrite = { pattern: { regex: pattern }, substitution };
    }
  }

  Object.assign(out, timeoutsAndRetries(action.timeouts, action.retry));

  if (action.mirrors !== undefined && action.mirrors.length > 0) {
    out.requestMirrorPolicies = action.mirrors.map((m): DeepPartial<RouteAction_RequestMirrorPolicy> => {
      const policy: DeepPartial<RouteAction_RequestMirrorPolicy> = {
        cluster: m.cluster,
        // A mirror is a copy of the request: same Host, not Envoy's default "<host>-shadow".
        disableShadowHostSuffixAppend: true,
      };
      if (m.percent !== undefined && m.percent < 100) {
        policy.runtimeFraction = {
          defaultValue: {
            numerator: Math.max(0, Math.round(m.percent * 10_000)),
            denominator: FractionalPercent_DenominatorType.MILLION,
          },
        };
      }
      return policy;
    });
  }

  if (action.websocket === true) out.upgradeConfigs = [{ upgradeType: 'websocket', enabled: true }];
  if (action.hashPolicies !== undefined && action.hashPolicies.length > 0) out.hashPolicy = hashPolicies(action.hashPolicies);
  return out;
}

function clusterWeight(b: WeightedBackendIR): DeepPartial<WeightedCluster_ClusterWeight> {
  const req = headerMutations(b.requestHeaders);
  const res = headerMutations(b.responseHeaders);
  return {
    name: b.cluster,
    weight: b.weight,
    requestHeadersToAdd: req.add,
    requestHeadersToRemove: req.remove,
    responseHeadersToAdd: res.add,
    responseHeadersToRemove: res.remove,
    ...(b.hostRewrite !== undefined ? { hostRewriteSpecifier: { $case: 'hostRewriteLiteral' as const, hostRewriteLiteral: b.hostRewrite } } : {}),
  };
}

/**
 * Gateway API timeouts and retries:
 * - `request` is the route timeout (0 disables it).
 * - `backendRequest` bounds each attempt (per_try_timeout). Without a `request` timeout it is
 *   also the route timeout when there are no retries; with retries the route timeout is disabled
 *   so that every attempt gets its full budget (attempts and backoff still bound the total).
 * - `retry.attempts` is the number of retries (Gateway API: "times ... should be retried"), so it
 *   maps to num_retries unchanged; unset leaves Envoy's default (1). Connection failures, resets
 *   and refused streams are retried whenever a retry is configured (the spec says SHOULD:
 *   HTTPRouteRetryConnectionError), as is an attempt cut by the per-try timeout (Envoy's `reset`
 *   covers it: HTTPRouteRetryBackendTimeout), and
 *   `codes` add retriable status codes. `backoff` is the base interval of Envoy's exponential
 *   backoff (its cap defaults to 10x).
 */
function timeoutsAndRetries(t: TimeoutsIR | undefined, retry: RetryIR | undefined): DeepPartial<RouteAction> {
  const out: DeepPartial<RouteAction> = {};
  if (t?.idleMs !== undefined) out.idleTimeout = durationMs(t.idleMs);
  const backend = retry?.perTryTimeoutMs ?? t?.backendRequestMs;
  if (t?.requestMs !== undefined) out.timeout = durationMs(t.requestMs);
  else if (backend !== undefined) out.timeout = durationMs(retry === undefined ? backend : 0);

  const perTry = backend !== undefined && backend > 0 && (retry !== undefined || t?.requestMs !== undefined);
  if (retry === undefined && !perTry) return out;

  const policy: DeepPartial<RetryPolicy> = {};
  if (retry !== undefined) {
    const codes = retry.codes ?? [];
    const on = retry.on !== undefined ? [...retry.on] : ['connect-failure', 'refused-stream', 'reset'];
    if (codes.length > 0 && !on.includes('retriable-status-codes')) on.push('retriable-status-codes');
    policy.retryOn = on.join(',');
    policy.retriableStatusCodes = [...codes];
    if (retry.attempts !== undefined) policy.numRetries = retry.attempts;
    if (retry.backoffMs !== undefined && retry.backoffMs > 0) policy.retryBackOff = { baseInterval: durationMs(retry.backoffMs) };
  } else {
    // Only a per-attempt timeout: one attempt, no retries.
    policy.numRetries = 0;
  }
  if (perTry) policy.perTryTimeout = durationMs(backend);
  out.retryPolicy = policy;
  return out;
}

/** A share in percent as Envoy's FractionalPercent (per million, so fractions survive). */
function fraction(percent: number): { numerator: number; denominator: FractionalPercent_DenominatorType } {
  return { numerator: Math.max(0, Math.round(percent * 10_000)), denominator: FractionalPercent_DenominatorType.MILLION };
}

function httpFault(f: FaultIR): DeepPartial<HTTPFault> {
  const out: DeepPartial<HTTPFault> = {};
  if (f.abort !== undefined) out.abort = { errorType: { $case: 'httpStatus', httpStatus: f.abort.status }, percentage: fraction(f.abort.percent) };
  if (f.delay !== undefined) out.delay = { faultDelaySecifier: { $case: 'fixedDelay', fixedDelay: durationMs(f.delay.fixedDelayMs) }, percentage: fraction(f.delay.percent) };
  return out;
}

// ---- redirect ----

const REDIRECT_CODES: ReadonlyMap<number, RedirectAction_RedirectResponseCode> = new Map([
  [301, RedirectAction_RedirectResponseCode.MOVED_PERMANENTLY],
  [302, RedirectAction_RedirectResponseCode.FOUND],
  [303, RedirectAction_RedirectResponseCode.SEE_OTHER],
  [307, RedirectAction_RedirectResponseCode.TEMPORARY_REDIRECT],
  [308, RedirectAction_RedirectResponseCode.PERMANENT_REDIRECT],
]);

const WELL_KNOWN_PORTS: ReadonlyMap<string, number> = new Map([
  ['http', 80],
  ['https', 443],
]);

/**
 * Gateway API redirect ports: an explicit port wins; else the well-known port of an explicit
 * scheme; else the listener's port. A port that is the default for the Location's scheme is left
 * out of the Location, unless the Location keeps the request's host on a listener whose port is
 * not its protocol's default: Host keeps the client's port (no strip_*_host_port) and Envoy copies
 * it into the Location when port_redirect is unset, so on port 8080 (clients send `Host: foo:8080`)
 * an https redirect says `:443` rather than carry `:8080` over.
 */
function redirectAction(route: RouteIR, action: RedirectActionIR, listener: ListenerContext): DeepPartial<RedirectAction> {
  const out: DeepPartial<RedirectAction> = {
    responseCode: REDIRECT_CODES.get(action.statusCode) ?? RedirectAction_RedirectResponseCode.FOUND,
  };
  if (action.scheme !== undefined) out.schemeRewriteSpecifier = { $case: 'schemeRedirect', schemeRedirect: action.scheme };
  if (action.hostname !== undefined) out.hostRedirect = action.hostname;

  const scheme = action.scheme ?? (listener.protocol === 'HTTPS' ? 'https' : 'http');
  const port =
    action.port ?? (action.scheme !== undefined ? (WELL_KNOWN_PORTS.get(action.scheme) ?? listener.port) : listener.port);
  const listenerScheme = listener.protocol === 'HTTPS' ? 'https' : 'http';
  const hostMayCarryPort = action.hostname === undefined && WELL_KNOWN_PORTS.get(listenerScheme) !== listener.port;
  if (WELL_KNOWN_PORTS.get(scheme) !== port || hostMayCarryPort) out.portRedirect = port;

  if (action.path !== undefined) {
    const rewrite = pathRewrite(action.path, route.match.path);
    if (rewrite?.kind === 'full') out.pathRewriteSpecifier = { $case: 'pathRedirect', pathRedirect: rewrite.path };
    else if (rewrite?.kind === 'prefix') out.pathRewriteSpecifier = { $case: 'prefixRewrite', prefixRewrite: rewrite.replacement };
    else if (rewrite?.kind === 'regex') {
      out.pathRewriteSpecifier = {
        $case: 'regexRewrite',
        regexRewrite: { pattern: { regex: rewrite.pattern }, substitution: rewrite.substitution },
      };
    }
  }
  return out;
}

function directResponse(action: DirectResponseActionIR): DeepPartial<DirectResponseAction> {
  return action.body === undefined
    ? { status: action.status }
    : { status: action.status, body: { specifier: { $case: 'inlineString', inlineString: action.body } } };
}
