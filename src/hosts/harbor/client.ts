import type { z } from 'zod';
import type { Config } from '../../config/index.js';
import { PermanentError, TransientError, type HttpFailure } from '../../errors/index.js';

export interface HarborAnswer<T> {
  readonly status: number;
  readonly data: T;
  readonly headers: Headers;
}

/** Harbor's API below `/api/v2.0`: the one client promobot's Harbor calls (hook setup, doctor) go through. */
export interface HarborClient {
  readonly baseUrl: string;
  /**
   * Sends one request and validates a 2xx body with `schema`. A failure is a TransientError (no answer, 5xx, 429)
   * or a PermanentError, carrying its `http` side (status, URL, Harbor's message).
   */
  request<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S,
    body?: unknown,
  ): Promise<HarborAnswer<z.infer<S>>>;
}

export interface HarborClientOptions {
  /** Harbor's root URL. */
  readonly url: string;
  /** A user or robot account, sent as Basic auth; anonymous without. */
  readonly auth?: { username: string; password: string } | undefined;
  /** Deadline of one request; 10 s unless told. */
  readonly timeoutMs?: number | undefined;
}

/**
 * The Harbor client. Project paths are names, not ids (`X-Is-Resource-Name: true`).
 *
 * @example
 * const harbor = createHarborClient({ url: config.harbor.url, auth: { username, password } });
 * await harbor.request('GET', '/ping', z.unknown());
 */
export function createHarborClient(options: HarborClientOptions): HarborClient {
  const baseUrl = `${options.url.replace(/\/+$/, '')}/api/v2.0`;
  const authorization =
    options.auth === undefined
      ? {}
      : {
          Authorization: `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}`,
        };
  return {
    baseUrl,
    async request(method, path, schema, body) {
      const url = `${baseUrl}${path}`;
      const failure = (status: number | undefined, detail: string): HttpFailure => ({
        method,
        url,
        status,
        detail,
      });
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers: {
            Accept: 'application/json',
            'X-Is-Resource-Name': 'true',
            ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
            ...authorization,
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        });
      } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        const reason = cause?.code ?? cause?.message ?? (error as Error).message;
        throw new TransientError(`cannot reach ${url}: ${reason}`, {
          cause: error,
          http: failure(undefined, reason),
        });
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
      if (!response.ok) {
        const detail = messageOf(parsed);
        const message = `${method} ${url} answered ${response.status}${detail ? `: ${detail}` : ''}`;
        const http = failure(response.status, detail);
        throw response.status >= 500 || response.status === 429
          ? new TransientError(message, { http })
          : new PermanentError(message, { http });
      }
      const result = schema.safeParse(parsed);
      if (!result.success) {
        const detail = result.error.issues
          .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
          .join('; ');
        throw new PermanentError(`${url} answered in an unexpected shape: ${detail}`, {
          http: failure(response.status, detail),
        });
      }
      return { status: response.status, data: result.data, headers: response.headers };
    },
  };
}

/** The Harbor client of the configuration (anonymous without HARBOR_USERNAME/PASSWORD), or undefined without HARBOR_URL. */
export function harborClientFor(config: Config, timeoutMs?: number): HarborClient | undefined {
  const { url, username, password } = config.harbor;
  if (url === undefined) return undefined;
  const auth = username !== undefined && password !== undefined ? { username, password } : undefined;
  return createHarborClient({ url, auth, timeoutMs });
}

/** Harbor's error body: `{"errors":[{"code","message"}]}`, or a plain text. */
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
