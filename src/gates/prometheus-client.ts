import type { Logger } from '../logger/index.js';
import { scrubSecrets } from '../logger/index.js';
import { PrometheusResponse } from './prometheus-response.js';
import type { QueryError, QueryResult } from './query-result.js';

export interface PrometheusClientOptions {
  /** Base URL of Prometheus or Thanos Query, e.g. `http://prometheus:9090` or `https://thanos.example.com/prom`. */
  url: string;
  bearerToken?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  /** Sent with every request (a tenant header such as `X-Scope-OrgID`, a gateway key). */
  headers?: Record<string, string> | undefined;
  /** Deadline of one query, also sent to Prometheus as `timeout`. Default 10 s. */
  timeoutMs?: number | undefined;
  /**
   * Send `partial_response=false` (Thanos): a store that did not answer must fail the query instead of silently
   * shrinking the result, which would look like "fewer errors". Harmless for plain Prometheus, which ignores it.
   */
  partialResponse?: false | undefined;
  /** `POST` (default: long PromQL does not hit URL length limits) or `GET` (for read-only proxies). */
  method?: 'GET' | 'POST' | undefined;
  logger?: Logger | undefined;
}

export interface QueryOptions {
  /** Evaluation time; Prometheus's "now" when absent. */
  time?: Date | number | undefined;
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

export interface PrometheusClient {
  readonly url: string;
  /** Runs one instant query. Never rejects: every problem is a typed error in the result. */
  query(expr: string, options?: QueryOptions): Promise<QueryResult>;
}

/** Unix seconds with millisecond precision, as the API's `time` parameter takes them. */
export function unixSeconds(time: Date | number): string {
  const ms = time instanceof Date ? time.getTime() : time;
  return (ms / 1000).toFixed(3);
}

const RETRYABLE_ERROR_TYPES = new Set(['timeout', 'canceled', 'internal', 'unavailable']);

/**
 * A client for Prometheus's instant-query API (`/api/v1/query`), made per use.
 *
 * @example
 * const prometheus = createPrometheusClient({ url: config.prometheus.url, bearerToken: config.prometheus.bearerToken });
 * const result = await prometheus.query('sum(rate(chat_requests_total[5m]))', { time: Date.now() });
 * if (!result.ok) log.warn({ error: result.error }, 'gate query failed');
 */
export function createPrometheusClient(options: PrometheusClientOptions): PrometheusClient {
  const base = options.url.replace(/\/+$/, '');
  const endpoint = `${base}/api/v1/query`;
  const defaultTimeoutMs = options.timeoutMs ?? 10_000;
  const secrets = [options.bearerToken, options.password].filter((s): s is string => s !== undefined);

  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  if (options.bearerToken !== undefined) headers.Authorization = `Bearer ${options.bearerToken}`;
  else if (options.username !== undefined) {
    const pair = `${options.username}:${options.password ?? ''}`;
    headers.Authorization = `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
  }

  const query = async (expr: string, queryOptions: QueryOptions = {}): Promise<QueryResult> => {
    const timeoutMs = queryOptions.timeoutMs ?? defaultTimeoutMs;
    const params = new URLSearchParams({ query: expr, timeout: `${timeoutMs / 1000}s` });
    if (queryOptions.time !== undefined) params.set('time', unixSeconds(queryOptions.time));
    if (options.partialResponse === false) params.set('partial_response', 'false');

    const signals = [AbortSignal.timeout(timeoutMs)];
    if (queryOptions.signal) signals.push(queryOptions.signal);
    const started = performance.now();
    const elapsed = () => Math.round((performance.now() - started) * 1000) / 1000;

    let response: Response;
    let text: string;
    try {
      const init: RequestInit = { signal: AbortSignal.any(signals), headers: { ...headers } };
      let url = endpoint;
      if (options.method === 'GET') url = `${endpoint}?${params.toString()}`;
      else {
        init.method = 'POST';
        init.body = params;
      }
      response = await fetch(url, init);
      text = await response.text();
    } catch (error) {
      const failure = transportError(error, timeoutMs, secrets);
      options.logger?.debug({ expr, error: failure }, 'prometheus query failed');
      return { ok: false, error: failure, warnings: [], durationMs: elapsed() };
    }

    const result = interpret(response.status, text, secrets, elapsed());
    options.logger?.debug(
      { expr, status: response.status, ok: result.ok, durationMs: result.durationMs },
      'prometheus query',
    );
    return result;
  };

  return { url: base, query };
}

function interpret(status: number, text: string, secrets: string[], durationMs: number): QueryResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = json === undefined ? undefined : PrometheusResponse.safeParse(json);

  if (parsed?.success) {
    const body = parsed.data;
    if (body.status === 'success') {
      if (status >= 200 && status < 300) {
        return {
          ok: true,
          data: body.data,
          warnings: body.warnings ?? [],
          infos: body.infos ?? [],
          durationMs,
        };
      }
    } else {
      // Prometheus sends its typed errors with 400 (bad_data), 422 (execution) or 503 (timeout, canceled).
      return {
        ok: false,
        error: {
          kind: 'prometheus',
          errorType: body.errorType,
          message: scrubSecrets(body.error, secrets),
          httpStatus: status,
          retryable: RETRYABLE_ERROR_TYPES.has(body.errorType) || status >= 500,
        },
        warnings: body.warnings ?? [],
        durationMs,
      };
    }
  }

  const excerpt = scrubSecrets(text.slice(0, 200).replace(/\s+/g, ' ').trim(), secrets);
  if (status < 200 || status >= 300) {
    const error: QueryError = {
      kind: 'http',
      httpStatus: status,
      message: httpAdvice(status, excerpt),
      retryable: status >= 500 || status === 429,
    };
    return { ok: false, error, warnings: [], durationMs };
  }
  const why = parsed?.error
    ? parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')
    : 'not JSON';
  return {
    ok: false,
    error: { kind: 'malformed', message: `${why} (${excerpt || 'empty body'})`, retryable: false },
    warnings: [],
    durationMs,
  };
}

function httpAdvice(status: number, excerpt: string): string {
  const body = excerpt || 'no body';
  if (status === 401 || status === 403) {
    return `${body}; check PROMETHEUS_BEARER_TOKEN or PROMETHEUS_USERNAME/PROMETHEUS_PASSWORD`;
  }
  if (status === 404) return `${body}; is PROMETHEUS_URL the base URL of Prometheus (without /api/v1)?`;
  return body;
}

function transportError(error: unknown, timeoutMs: number, secrets: string[]): QueryError {
  const name = error instanceof Error ? error.name : '';
  if (name === 'TimeoutError')
    return { kind: 'timeout', message: `no answer within ${timeoutMs} ms`, retryable: true };
  if (name === 'AbortError') return { kind: 'timeout', message: 'the query was aborted', retryable: true };
  // undici hides the reason (ECONNREFUSED, ENOTFOUND, a TLS error) in `cause`.
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : '';
  const message = error instanceof Error ? error.message : String(error);
  return {
    kind: 'network',
    message: scrubSecrets(cause ? `${message}: ${cause}` : message, secrets),
    retryable: true,
  };
}
