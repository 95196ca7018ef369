import type { z } from 'zod';
import { createLogThrottle, type Logger } from '../../../logger/index.js';
import { exponentialDelay, PermanentError, TransientError } from '../../../errors/index.js';
import { httpError, parseRetryAfter } from '../../../scm/http-error.js';
import { GiteaErrorBody } from './schema.js';
import { requiredScope } from './required-scope.js';

export interface RetryOptions {
  /** Attempts in all, the first included. */
  attempts: number;
  /** First backoff delay; doubles each time. */
  baseDelayMs: number;
  /** A Retry-After longer than this is not waited for here: the error goes to the caller (the queue waits). */
  maxWaitMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 3, baseDelayMs: 500, maxWaitMs: 10_000 };

export interface GiteaClientOptions {
  /** Gitea's root URL, e.g. `https://gitea.example.com` (the API is below `/api/v1`). */
  baseUrl: string;
  token: string;
  logger: Logger;
  fetch?: typeof fetch;
  retry?: Partial<RetryOptions>;
  /** A request that takes longer is abandoned and counts as a network failure (transient); 30 s unless told. */
  timeoutMs?: number;
}

/** `data` is the zod-parsed body for a 2xx with a schema, else the raw JSON (or undefined when empty). */
export interface GiteaResponse<T> {
  status: number;
  data: T;
  headers: Headers;
}

export interface RequestOptions<S extends z.ZodType> {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Parses a 2xx body; omit for answers without one. */
  schema?: S;
  /** Statuses answered to the caller as they are instead of thrown (404 for a lookup, 405 for a merge). */
  pass?: readonly number[];
  /** Not idempotent: a failure is thrown at once, for the caller to check what happened before writing again. */
  once?: boolean;
}

export interface GiteaClient {
  request<S extends z.ZodType>(
    method: string,
    path: string,
    options?: RequestOptions<S>,
  ): Promise<GiteaResponse<unknown>>;
  /** Every page of a list endpoint that takes `page`/`limit`. */
  paginate<S extends z.ZodType>(
    path: string,
    item: S,
    query?: Record<string, string | number | undefined>,
  ): Promise<z.infer<S>[]>;
  /** The error message a failed answer carried (Gitea: `{message}`, a raw error object, or nothing). */
  messageOf(data: unknown): string;
}

const PAGE_SIZE = 50;
/** The most pages of one list read: 50,000 entries. */
const MAX_PAGES = 1000;

/** A thin Gitea REST v1 client: token auth, bounded retries of transient failures, zod-parsed answers. */
export function createGiteaClient(options: GiteaClientOptions): GiteaClient {
  const apiBase = `${options.baseUrl.replace(/\/+$/, '')}/api/v1`;
  const doFetch = options.fetch ?? fetch;
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const logger = options.logger;
  const throttle = createLogThrottle();

  async function once(
    method: string,
    path: string,
    query: RequestOptions<z.ZodType>['query'],
    body: unknown,
  ) {
    const url = new URL(apiBase + path);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = {
      // Gitea's scheme word is case-sensitive: `token`, never `Token`.
      authorization: `token ${options.token}`,
      accept: 'application/json',
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await doFetch(url, {
      method,
      headers,
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let data: unknown = undefined;
    if (text.trim() !== '') {
      try {
        data = JSON.parse(text);
      } catch {
        data = { message: text.trim().slice(0, 300) };
      }
    }
    return { response, data };
  }

  function messageOf(data: unknown): string {
    const parsed = GiteaErrorBody.safeParse(data);
    if (parsed.success && parsed.data.message) return parsed.data.message;
    if (data === undefined || data === null) return '';
    return JSON.stringify(data).slice(0, 300);
  }

  const client: GiteaClient = {
    messageOf,
    async request(method, path, requestOptions = {}) {
      const action = `${method} ${path}`;
      const scope = requiredScope(method, path);
      for (let attempt = 1; ; attempt += 1) {
        let failure: TransientError | PermanentError;
        try {
          const { response, data } = await once(method, path, requestOptions.query, requestOptions.body);
          const status = response.status;
          if (status < 300 || requestOptions.pass?.includes(status)) {
            if (status >= 300 || !requestOptions.schema) return { status, data, headers: response.headers };
            const parsed = requestOptions.schema.safeParse(data);
            if (!parsed.success) {
              throw new PermanentError(`Gitea's answer to ${action} does not have the expected shape`, {
                cause: parsed.error,
                advice: 'promobot needs Gitea 1.24 or newer; report the Gitea version if it is newer',
                http: {
                  method,
                  url: apiBase + path,
                  status,
                  detail: parsed.error.issues
                    .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
                    .join('; '),
                },
              });
            }
            return { status, data: parsed.data, headers: response.headers };
          }
          failure = httpError({
            host: 'Gitea',
            action,
            status,
            message: messageOf(data),
            retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
            scope,
            url: apiBase + path,
          });
        } catch (error) {
          if (error instanceof PermanentError) throw error;
          failure = httpError({
            host: 'Gitea',
            action,
            status: undefined,
            message: networkReason(error),
            scope,
            url: apiBase + path,
            cause: error,
          });
        }
        if (!(failure instanceof TransientError) || attempt >= retry.attempts || requestOptions.once)
          throw failure;
        const backoff = exponentialDelay(attempt, { baseMs: retry.baseDelayMs });
        const wait = failure.retryAfterMs ?? backoff;
        if (wait > retry.maxWaitMs) throw failure;
        // A host that is down fails every path the same way: one line a minute per kind of failure.
        throttle.warn(
          logger,
          failure.message.split(action).join('…'),
          { action, attempt, waitMs: wait, err: failure.message },
          'gitea request failed, retrying',
        );
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    },

    async paginate(path, item, query = {}) {
      const all: z.infer<typeof item>[] = [];
      for (let page = 1; page <= MAX_PAGES; page += 1) {
        const { data, headers } = await client.request('GET', path, {
          query: { ...query, page, limit: PAGE_SIZE },
          schema: item.array(),
        });
        const items = (data ?? []) as z.infer<typeof item>[];
        all.push(...items);
        const total = Number(headers.get('x-total-count') ?? Number.NaN);
        if (items.length < PAGE_SIZE || (Number.isFinite(total) && all.length >= total)) return all;
      }
      // Never a short list passed off as the whole: a caller deciding from it (the global stops' rebuild) would
      // miss the newest entries.
      throw new PermanentError(
        `GET ${path} lists more than ${String(MAX_PAGES * PAGE_SIZE)} entries: more than promobot reads`,
      );
    },
  };
  return client;
}

/** Why a request had no answer: the system's code (ECONNREFUSED, ENOTFOUND, ...) where fetch names one. */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? String(error);
}
