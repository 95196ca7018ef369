import type { CounterSeries, HistogramSeries, MetricFamily } from '../support/prometheus.js';

/**
 * Two hours of chat-service and vLLM metrics, one namespace per situation a gate must judge. p95 values follow from
 * the bucket shares by histogram_quantile's linear interpolation.
 */

export const BUCKETS = [0.1, 0.25, 0.5, 1, 1.5, 2, 4, 8] as const;

/** p95 = 0.5 + 0.5 × (0.95 − 0.8) / (0.96 − 0.8) ≈ 0.97 s. */
const HEALTHY = { '0.1': 0.2, '0.25': 0.5, '0.5': 0.8, '1': 0.96, '1.5': 1, '2': 1, '4': 1, '8': 1 };
/** p95 = 1.0 s exactly: the 95 % rank sits on the `le="1"` bucket. */
const BASELINE = { '0.1': 0.2, '0.25': 0.5, '0.5': 0.7, '1': 0.95, '1.5': 1, '2': 1, '4': 1, '8': 1 };
/** p95 = 1 + 0.5 × (0.95 − 0.875) / (1 − 0.875) = 1.3 s: 30 % slower than BASELINE. */
const SLOWER = { '0.1': 0.2, '0.25': 0.5, '0.5': 0.7, '1': 0.875, '1.5': 1, '2': 1, '4': 1, '8': 1 };
/** p95 = 2 + 2 × (0.95 − 0.7) / (1 − 0.7) ≈ 3.67 s. */
const SLOW = { '0.1': 0.05, '0.25': 0.1, '0.5': 0.3, '1': 0.5, '1.5': 0.6, '2': 0.7, '4': 1, '8': 1 };

export const MODELS = ['llama-3-8b', 'qwen-2-7b'] as const;

interface Situation {
  namespace: string;
  /** Requests per second per model. */
  rps: number;
  /** Share of requests with status="error"; undefined: the error series never existed. */
  errorShare?: number;
  latency: (model: string) => Record<string, number>;
}

export const SITUATIONS: Situation[] = [
  { namespace: 'chat-staging', rps: 10, errorShare: 0.002, latency: () => HEALTHY },
  { namespace: 'chat-prod', rps: 10, errorShare: 0.002, latency: () => BASELINE },
  {
    namespace: 'chat-slow-one',
    rps: 10,
    errorShare: 0.002,
    latency: (model) => (model === 'qwen-2-7b' ? SLOW : HEALTHY),
  },
  { namespace: 'chat-no-errors', rps: 10, latency: () => HEALTHY },
  { namespace: 'chat-erroring', rps: 10, errorShare: 0.05, latency: () => HEALTHY },
  { namespace: 'chat-quiet', rps: 0.1, errorShare: 0, latency: () => HEALTHY },
  { namespace: 'chat-idle', rps: 0, errorShare: 0, latency: () => HEALTHY },
  { namespace: 'chat-slower', rps: 10, errorShare: 0.002, latency: () => SLOWER },
];

export function chatFamilies(situations: readonly Situation[] = SITUATIONS): MetricFamily[] {
  const requests: CounterSeries[] = [];
  const latency: HistogramSeries[] = [];
  for (const s of situations) {
    for (const model of MODELS) {
      const errorShare = s.errorShare ?? 0;
      requests.push({
        labels: { namespace: s.namespace, model, status: 'ok' },
        rate: s.rps * (1 - errorShare),
      });
      if (s.errorShare !== undefined) {
        requests.push({
          labels: { namespace: s.namespace, model, status: 'error' },
          rate: s.rps * errorShare,
        });
      }
      latency.push({
        labels: { namespace: s.namespace, model },
        perSecond: s.rps,
        cumulative: s.latency(model),
        mean: 0.4,
      });
    }
  }
  return [
    { type: 'counter', name: 'chat_requests', series: requests },
    { type: 'histogram', name: 'chat_first_token_latency_seconds', buckets: BUCKETS, series: latency },
  ];
}

/** vLLM's own metrics in `vllm-staging` (healthy, aborts only) and `vllm-failing` (5 % errors). */
export function vllmFamilies(): MetricFamily[] {
  const requests: CounterSeries[] = [];
  const latency: HistogramSeries[] = [];
  const models = ['meta-llama/Llama-3.1-8B-Instruct'];
  for (const [namespace, shares] of [
    ['vllm-staging', { stop: 0.9, length: 0.098, abort: 0.002 }],
    ['vllm-failing', { stop: 0.9, length: 0.05, error: 0.05 }],
  ] as const) {
    for (const model_name of models) {
      for (const [finished_reason, share] of Object.entries(shares)) {
        requests.push({ labels: { namespace, model_name, finished_reason }, rate: 5 * share });
      }
      latency.push({ labels: { namespace, model_name }, perSecond: 5, cumulative: HEALTHY, mean: 0.4 });
    }
  }
  return [
    { type: 'counter', name: 'vllm:request_success', series: requests },
    { type: 'histogram', name: 'vllm:time_to_first_token_seconds', buckets: BUCKETS, series: latency },
  ];
}
