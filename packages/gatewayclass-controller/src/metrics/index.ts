export {
  Counter,
  DEFAULT_BUCKETS,
  Gauge,
  Histogram,
  PROMETHEUS_CONTENT_TYPE,
  Registry,
  escapeHelp,
  escapeLabelValue,
  formatValue,
} from './registry.js';
export type { Collectable, HistogramOptions, HistogramValue, Labels, MetricOptions, MetricType } from './registry.js';
export { createGantryMetrics } from './gantry.js';
export type { GantryMetrics, StatusWriteOutcome, TranslationStage } from './gantry.js';
export { forgetGateway, instrumentAdsServer, recordSnapshotResources, typeLabel } from './ads.js';
export type { AdsEventSource } from './ads.js';
