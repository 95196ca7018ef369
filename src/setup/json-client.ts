import type { z } from 'zod';
import { errorMessage } from '../errors/index.js';

/** A non-2xx answer: its status and whatever message the host put in the body. */
export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly method: string,
    readonly url: string,
    readonly detail: string,
  ) {
    super(`${method} ${url} answered ${status}${detail ? `: ${detail}` : ''}`);
    this.name = 'HttpStatusError';
  }
}

/** No HTTP answer at all (refused, DNS, TLS, timeout). */
export class UnreachableError extends Error {
  constructor(
    readonly url: string,
    reason: string,
  ) {
    super(`cannot reach ${url}: ${reason}`);
    this.name = 'UnreachableError';
  }
}

/** A 2xx answer whose body is not the documented shape. */
export class UnexpectedAnswerError extends Error {
  constructor(url: string, issues: string) {
    super(`${url} answered in an unexpected shape: ${issues}`);
    this.name = 'UnexpectedAnswerError';
  }
}

export interface JsonAnswer<T> {
  readonly status: number;
  readonly data: T;
  readonly headers: Headers;
}

export interface JsonClientOptions {
  /** Prefix of every path, without a trailing slash. */
  readonly baseUrl: string;
  /** Sent with every request; a function is asked each time (a token that changes, such as a GitHub App's). */
  readonly headers?: Readonly<Record<string, string>> | (() => Promise<Readonly<Record<string, string>>>);
  readonly timeoutMs?: number;
}

export interface JsonClient {
  readonly baseUrl: string;
  /** Sends one request and validates a 2xx body with `schema`; throws the errors above otherwise. */
  request<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S,
    body?: unknown,
  ): Promise<JsonAnswer<z.infer<S>>>;
}

/**
 * A small JSON client for the set-up commands, made per use: every answer passes a zod schema, every failure is
 * one of three typed errors so a caller can turn it into advice.
 *
 * @example
 * const gitea = createJsonClient({ baseUrl: `${url}/api/v1`, headers: { Authorization: `token ${token}` } });
 * const { data } = await gitea.request('GET', '/user', GiteaUser);
 */
export function createJsonClient(options: JsonClientOptions): JsonClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  return {
    baseUrl,
    async request(method, path, schema, body) {
      const url = `${baseUrl}${path}`;
      const headers = typeof options.headers === 'function' ? await options.headers() : options.headers;
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers: {
            Accept: 'application/json',
            ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
            ...headers,
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        });
      } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        throw new UnreachableError(url, cause?.code ?? cause?.message ?? errorMessage(error));
      }
      const text = await response.text();
      let parsed: unknown = undefined;
      if (text.trim() !== '') {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = text;
        }
      }
      if (!response.ok) throw new HttpStatusError(response.status, method, url, messageOf(parsed));
      const result = schema.safeParse(parsed);
      if (!result.success) {
        throw new UnexpectedAnswerError(
          url,
          result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '),
        );
      }
      return { status: response.status, data: result.data, headers: response.headers };
    },
  };
}

function messageOf(body: unknown): string {
  if (typeof body === 'string') return body.slice(0, 200);
  if (typeof body === 'object' && body !== null) {
    const record = body as Record<string, unknown>;
    if (typeof record.message === 'string') return record.message;
    const errors = record.errors;
    if (Array.isArray(errors) && typeof (errors[0] as { message?: unknown })?.message === 'string') {
      return (errors[0] as { message: string }).message;
    }
  }
  return '';
}
