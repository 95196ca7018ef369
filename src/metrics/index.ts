export { createMetrics, type DeliveryOutcome, type JobOutcome, type Metrics } from './create-metrics.js';
