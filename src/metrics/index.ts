export {
  createMetrics,
  type DeliveryOutcome,
  type JobOutcome,
  type Metrics,
  type OpenPromotionFigure,
} from './create-metrics.js';
