export {
  Counter,
  DEFAULT_BUCKETS,
  Gauge,
  Histogram,
  PROMETHEUS_CONTENT_TYPE,
  Registry,
} from './registry.js';
export type { Collectable, HistogramOptions, HistogramValue, Labels, MetricOptions, MetricType, RegistryOptions } from './registry.js';
export { createGantryMetrics } from './gantry.js';
export type { GantryMetrics, StatusWriteOutcome, TranslationStage } from './gantry.js';
export { forgetGateway, instrumentAdsServer, recordEncodeFailures, recordSnapshotResources, typeLabel } from './ads.js';
export type { AdsEventSource } from './ads.js';
