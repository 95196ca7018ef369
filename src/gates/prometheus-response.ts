import { z } from 'zod';

/**
 * The JSON envelope of Prometheus's HTTP API (`/api/v1/query`), as documented at
 * https://prometheus.io/docs/prometheus/latest/querying/api/#format-overview. Thanos Query and Mimir answer in the
 * same shape.
 */

/**
 * A sample value as Prometheus writes it: a decimal string, or `NaN`, `+Inf`, `-Inf`. Kept as text so evidence is
 * JSON-safe and says exactly what Prometheus said; {@link sampleNumber} turns it into a number.
 */
export const SampleText = z
  .string()
  .regex(
    /^(?:NaN|[+-]?Inf|[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)$/,
    'a Prometheus float: decimal, NaN, +Inf or -Inf',
  );
export type SampleText = z.infer<typeof SampleText>;

/** `[<unix seconds>, "<value>"]`. */
export const SamplePair = z.tuple([z.number(), SampleText]);
export type SamplePair = z.infer<typeof SamplePair>;

export const Labels = z.record(z.string(), z.string());
export type Labels = z.infer<typeof Labels>;

/**
 * One series of an instant vector. A native-histogram sample carries `histogram` instead of `value`; gates cannot
 * compare it with a threshold, but the answer is still well-formed.
 */
export const VectorSample = z.object({
  metric: Labels,
  value: SamplePair.optional(),
  histogram: z.tuple([z.number(), z.unknown()]).optional(),
});
export type VectorSample = z.infer<typeof VectorSample>;

export const MatrixSeries = z.object({
  metric: Labels,
  values: z.array(SamplePair).optional(),
  histograms: z.array(z.tuple([z.number(), z.unknown()])).optional(),
});
export type MatrixSeries = z.infer<typeof MatrixSeries>;

export const QueryData = z.discriminatedUnion('resultType', [
  z.object({ resultType: z.literal('vector'), result: z.array(VectorSample) }),
  z.object({ resultType: z.literal('scalar'), result: SamplePair }),
  z.object({ resultType: z.literal('matrix'), result: z.array(MatrixSeries) }),
  z.object({ resultType: z.literal('string'), result: z.tuple([z.number(), z.string()]) }),
]);
export type QueryData = z.infer<typeof QueryData>;

/**
 * The error types Prometheus names (`promql/parser`, `web/api/v1`). Others may appear (Thanos, newer versions), so
 * the schema accepts any string and this list only documents the usual ones.
 */
export const KNOWN_ERROR_TYPES = [
  'bad_data',
  'timeout',
  'canceled',
  'execution',
  'internal',
  'unavailable',
  'not_found',
  'not_acceptable',
] as const;

export const PrometheusSuccess = z.object({
  status: z.literal('success'),
  data: QueryData,
  warnings: z.array(z.string()).optional(),
  /** Prometheus 3 adds informational notes (e.g. "metric might not be a counter"); they do not taint a result. */
  infos: z.array(z.string()).optional(),
});
export type PrometheusSuccess = z.infer<typeof PrometheusSuccess>;

export const PrometheusFailure = z.object({
  status: z.literal('error'),
  errorType: z.string(),
  error: z.string(),
  warnings: z.array(z.string()).optional(),
});
export type PrometheusFailure = z.infer<typeof PrometheusFailure>;

export const PrometheusResponse = z.discriminatedUnion('status', [PrometheusSuccess, PrometheusFailure]);
export type PrometheusResponse = z.infer<typeof PrometheusResponse>;

/**
 * `"1.5"` → 1.5, `"+Inf"` → Infinity, `"NaN"` → NaN. `Number()` alone reads `+Inf` as NaN, hence this helper.
 */
export function sampleNumber(text: SampleText): number {
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  return Number(text);
}
