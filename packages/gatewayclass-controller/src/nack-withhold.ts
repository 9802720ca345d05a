// What the controller and standalone do when Envoy rejects a route table: the route its NACK
// names is withheld (answered 500, its match kept, reported on its route) so that the Gateway's
// other changes go on being applied; it is tried again once its object changes.
import { TypeUrl, nackedRouteName, type SnapshotCache } from '@gantry/xds';
import type { Pipeline } from './pipeline.js';

/** The route withheld for this NACK, or undefined (another type, no route named, already withheld). */
export function withholdNackedRoute(pipeline: Pipeline, cache: SnapshotCache, gateway: string, typeUrl: string, message: string): string | undefined {
  if (typeUrl !== TypeUrl.RouteConfiguration) return undefined;
  const tables = cache.get(gateway)?.snapshot[TypeUrl.RouteConfiguration];
  const route = tables === undefined ? undefined : nackedRouteName(tables, message);
  if (route === undefined || !pipeline.withholdRoute(gateway, route, message)) return undefined;
  return route;
}
