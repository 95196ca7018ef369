import { PermanentError, TransientError, type HttpFailure as HttpAnswer } from '../errors/index.js';

export interface HttpFailure {
  /** `Gitea` or `GitHub`, for the message. */
  host: string;
  /** What the client was doing, e.g. `POST /repos/o/r/pulls`. */
  action: string;
  /** HTTP status, or undefined for a network failure. */
  status: number | undefined;
  /** The host's own message, when it sent one. */
  message: string;
  retryAfterMs?: number | undefined;
  /** The scope the action needs, named in the advice of a 401/403. */
  scope: string;
  /** The URL called, recorded on the error ({@link HttpFailure}); the action's path when not given. */
  url?: string;
  cause?: unknown;
}

/**
 * Sorts a failed host call into the two kinds promobot knows: network, 5xx and 429 may heal
 * ({@link TransientError}); everything else will not ({@link PermanentError}), and 401/403 say which scope is missing.
 */
export function httpError(failure: HttpFailure): TransientError | PermanentError {
  const { host, action, status, message, scope } = failure;
  const said = message ? `: ${message}` : '';
  const [method = '', path = ''] = action.split(' ');
  const http: HttpAnswer = { method, url: failure.url ?? path, status, detail: message };
  const base = { http, ...(failure.cause === undefined ? {} : { cause: failure.cause }) };
  if (status === undefined) {
    return new TransientError(`${host} could not be reached (${action})${said}`, base);
  }
  if (status >= 500 || status === 429) {
    return new TransientError(`${host} answered ${status} on ${action}${said}`, {
      ...base,
      ...(failure.retryAfterMs === undefined ? {} : { retryAfterMs: failure.retryAfterMs }),
    });
  }
  if (status === 401) {
    return new PermanentError(`${host} answered 401 on ${action}${said}`, {
      ...base,
      advice: `${host} did not accept the token: set a valid token; the token needs ${scope}`,
    });
  }
  if (status === 403) {
    return new PermanentError(`${host} answered 403 on ${action}${said}`, {
      ...base,
      advice: `${host} answered 403 on ${action}: the token needs ${scope}, and its user needs that access to the repository`,
    });
  }
  if (status === 404) {
    return new PermanentError(`${host} answered 404 on ${action}${said}`, {
      ...base,
      advice: `check that the repository exists and that the token's user can see it (the token needs ${scope})`,
    });
  }
  return new PermanentError(`${host} answered ${status} on ${action}${said}`, base);
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
