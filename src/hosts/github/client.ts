import type { z } from 'zod';
import type { Config } from '../../config/index.js';
import { PermanentError, PromobotError } from '../../errors/index.js';
import { createLogger } from '../../logger/index.js';
import { httpError } from '../../scm/http-error.js';
import type { AppTokens } from './scm/app-auth.js';
import { createGitHubOctokit, type GitHubHostOptions } from './scm/create-github-host.js';
import { requiredPermission } from './scm/required-permission.js';

export interface GitHubAnswer<T> {
  readonly status: number;
  readonly data: T;
  readonly headers: Headers;
}

/**
 * GitHub's REST API for the set-up commands (hook and protection setup, doctor), over the octokit the
 * {@link createGitHubOctokit adapter} builds: one client per host.
 */
export interface GitHubClient {
  /** The App's installation tokens, when promobot runs as a GitHub App. */
  readonly app: AppTokens | undefined;
  /**
   * Sends one request (`path` below the API root, a query string allowed) and validates a 2xx body with `schema`.
   * A failure is a TransientError or PermanentError carrying its `http` side (status, URL, GitHub's message).
   */
  request<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S,
    body?: unknown,
  ): Promise<GitHubAnswer<z.infer<S>>>;
}

export interface GitHubClientOptions {
  /** REST API root, e.g. `https://api.github.com`. */
  readonly apiUrl: string;
  /** A token, or a GitHub App's credentials (the token is then the installation's). */
  readonly token?: string | undefined;
  readonly app?: GitHubHostOptions['app'];
  /** Deadline of one request; 10 s unless told. */
  readonly timeoutMs?: number | undefined;
}

interface OctokitFailure {
  status?: number;
  message?: string;
  response?: { data?: unknown };
}

/** GitHub's message in an error body: `message`, or the first of `errors`. */
function detailOf(failure: OctokitFailure): string {
  const body = failure.response?.data;
  if (typeof body === 'object' && body !== null) {
    const record = body as Record<string, unknown>;
    if (typeof record.message === 'string') return record.message;
  }
  if (typeof body === 'string') return body.slice(0, 200);
  return failure.message ?? '';
}

/**
 * The set-up commands' GitHub client. Set-up makes a handful of calls and reports each failure at once, so
 * nothing is retried here (the throttling plugin still paces writes and honours rate limits).
 *
 * @example
 * const github = createGitHubClient({ apiUrl: config.github.apiUrl, token: config.github.token });
 * const { data } = await github.request('GET', '/user', GitHubUser);
 */
export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const baseUrl = options.apiUrl.replace(/\/+$/, '');
  const common = { baseUrl, logger: createLogger({ level: 'silent' }), retry: { retries: 0 } };
  const { octokit, appTokens } = createGitHubOctokit(
    options.app === undefined ? { ...common, token: options.token ?? '' } : { ...common, app: options.app },
  );
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    app: appTokens,
    async request(method, path, schema, body) {
      const action = `${method} ${path.split('?')[0] ?? path}`;
      const url = `${baseUrl}${path}`;
      let answer: { status: number; data: unknown; headers: Record<string, unknown> };
      try {
        answer = await octokit.request(`${method} ${path}`, {
          ...(body === undefined ? {} : { data: body }),
          request: { signal: AbortSignal.timeout(timeoutMs) },
        });
      } catch (error) {
        // Already sorted (an App's installation token could not be made).
        if (error instanceof PromobotError) throw error;
        const failure = error as OctokitFailure;
        // No answer at all: octokit reports it as a 500 without a response.
        const status = failure.response === undefined ? undefined : failure.status;
        throw httpError({
          host: 'GitHub',
          action,
          status,
          message: status === undefined ? networkReason(error) : detailOf(failure),
          scope: requiredPermission(method, path.split('?')[0] ?? path),
          url,
          cause: error,
        });
      }
      const parsed = schema.safeParse(answer.data);
      if (!parsed.success) {
        const detail = parsed.error.issues
          .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
          .join('; ');
        throw new PermanentError(`GitHub's answer to ${action} does not have the expected shape: ${detail}`, {
          cause: parsed.error,
          http: { method, url, status: answer.status, detail },
        });
      }
      const headers = new Headers();
      for (const [name, value] of Object.entries(answer.headers)) {
        if (value !== undefined && value !== null) headers.set(name, String(value));
      }
      return { status: answer.status, data: parsed.data, headers };
    },
  };
}

/** The GitHub client the configuration allows (a token or an App), or undefined without credentials. */
export function githubClientFor(config: Config, timeoutMs?: number): GitHubClient | undefined {
  const { apiUrl, token, app } = config.github;
  if (app === undefined && token === undefined) return undefined;
  return createGitHubClient({ apiUrl, token, app, timeoutMs });
}

/** Why a request had no answer: the system's code (ECONNREFUSED, ENOTFOUND, ...) where fetch names one. */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string; cause?: { code?: string } } }).cause;
  return cause?.code ?? cause?.cause?.code ?? cause?.message ?? String((error as Error).message ?? error);
}
