import { z } from 'zod';
import { QueryData } from './prometheus-response.js';

/**
 * Why a query gave no usable answer. Every kind leaves a gate inconclusive; `retryable` tells a caller whether
 * asking again later may help (network, 5xx, timeouts) or not (a PromQL syntax error).
 */
export const QueryError = z.discriminatedUnion('kind', [
  /** Prometheus answered `status: "error"` (`bad_data`, `timeout`, `canceled`, `execution`, ...). */
  z.object({
    kind: z.literal('prometheus'),
    errorType: z.string(),
    message: z.string(),
    httpStatus: z.number().int(),
    retryable: z.boolean(),
  }),
  /** An HTTP status without a Prometheus error body: a proxy's 502, an auth gateway's 401. */
  z.object({
    kind: z.literal('http'),
    httpStatus: z.number().int(),
    message: z.string(),
    retryable: z.boolean(),
  }),
  /** No HTTP answer at all: connection refused, DNS, TLS. */
  z.object({ kind: z.literal('network'), message: z.string(), retryable: z.literal(true) }),
  /** Our own deadline passed, or the caller aborted. */
  z.object({ kind: z.literal('timeout'), message: z.string(), retryable: z.literal(true) }),
  /** A 2xx answer that is not the documented JSON. */
  z.object({ kind: z.literal('malformed'), message: z.string(), retryable: z.boolean() }),
]);
export type QueryError = z.infer<typeof QueryError>;

/** The outcome of one instant query: data (possibly with warnings) or a typed error. JSON-serialisable. */
export const QueryResult = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    data: QueryData,
    warnings: z.array(z.string()),
    infos: z.array(z.string()),
    durationMs: z.number(),
  }),
  z.object({
    ok: z.literal(false),
    error: QueryError,
    warnings: z.array(z.string()),
    durationMs: z.number(),
  }),
]);
export type QueryResult = z.infer<typeof QueryResult>;

/** One line for logs, evidence and PR comments. */
export function describeQueryError(error: QueryError): string {
  switch (error.kind) {
    case 'prometheus':
      return `Prometheus error ${error.errorType} (HTTP ${error.httpStatus}): ${error.message}`;
    case 'http':
      return `HTTP ${error.httpStatus}: ${error.message}`;
    case 'network':
      return `Prometheus unreachable: ${error.message}`;
    case 'timeout':
      return `query timed out: ${error.message}`;
    case 'malformed':
      return `unexpected answer: ${error.message}`;
  }
}
