export { jsonEqual } from './equality.js';
export { MAX_CONDITION_MESSAGE, mergeConditions } from './conditions.js';
export type { ConditionMergeOptions } from './conditions.js';
export {
  mergeGatewayClassStatus,
  mergeGatewayStatus,
  mergeHTTPRouteStatus,
  mergeReport,
  normalizeParentRef,
  parentRefKey,
  reportKey,
  reportKeyPriority,
} from './merge.js';
export type { GatewayMergeOptions, MergeOptions, ObjectStatus, ReportMergeOptions, RouteMergeOptions } from './merge.js';
export { dataPlaneOutcome, resolveProgrammed, watchDataPlane } from './programmed.js';
export type { DataPlaneEvents, DataPlaneOutcome, DataPlaneView } from './programmed.js';
export { StatusBatcher, realScheduler } from './batcher.js';
export type { BatcherStats, HoldPolicy, Scheduler, StatusBatcherOptions } from './batcher.js';
