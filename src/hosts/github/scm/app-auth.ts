import { createSign } from 'node:crypto';
import { Octokit } from '@octokit/rest';
import { z } from 'zod';
import { AccessError, PermanentError, TransientError } from '../../../errors/index.js';
import type { Logger } from '../../../logger/index.js';

/**
 * GitHub App authentication: the App signs a short JWT with its private key, trades it for an installation token
 * (one hour), and promobot acts as `<slug>[bot]` with that token. Tokens are refreshed `refreshMarginMs` before
 * they expire, so no call is made with one about to lapse.
 *
 * https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app
 * https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-an-installation-access-token-for-a-github-app
 */

export interface GitHubAppCredentials {
  /** The App's id (Settings → Developer settings → GitHub Apps → App ID). */
  appId: string;
  /** The App's private key, PEM. */
  privateKey: string;
  /** The installation on the organization that owns the deploy repos. */
  installationId: number;
}

const InstallationToken = z.object({
  token: z.string().min(1),
  expires_at: z.string(),
  permissions: z.record(z.string(), z.string()).optional(),
});
const AppIdentity = z.object({ slug: z.string().min(1) });

/** Refresh this long before an installation token expires. */
export const REFRESH_MARGIN_MS = 5 * 60_000;

/**
 * The App's JWT: RS256, `iat` 60 s in the past (clock drift, as GitHub advises), `exp` 9 minutes on (GitHub allows
 * at most 10), `iss` the App id.
 */
export function appJwt(appId: string, privateKey: string, nowMs: number): string {
  const now = Math.floor(nowMs / 1000);
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode({ iat: now - 60, exp: now + 540, iss: appId })}`;
  const signature = createSign('RSA-SHA256').update(unsigned).sign(privateKey).toString('base64url');
  return `${unsigned}.${signature}`;
}

/** Whether a token expiring at `expiresAtMs` must be replaced now. */
export function needsRefresh(expiresAtMs: number, nowMs: number, marginMs = REFRESH_MARGIN_MS): boolean {
  return expiresAtMs - nowMs <= marginMs;
}

export interface AppTokens {
  /** A live installation token, made or refreshed when needed. */
  token(): Promise<string>;
  /**
   * Forgets the current token (GitHub refused it), so the next call makes a new one. With `refused`, only when that
   * is still the current token: a token made meanwhile by another caller is kept.
   */
  invalidate(refused?: string): void;
  /** `<slug>[bot]`, the login the App's comments and commits carry, from `GET /app`. */
  login(): Promise<string>;
  /** What the installation may do (e.g. `{ contents: 'write' }`), as GitHub stated with the current token. */
  permissions(): Promise<Readonly<Record<string, string>>>;
}

/**
 * Installation tokens for one App installation, cached per instance (made per host, nothing at module level).
 * Concurrent callers share one refresh.
 */
export function createAppTokens(options: {
  baseUrl: string;
  app: GitHubAppCredentials;
  logger: Logger;
  now?: () => number;
  refreshMarginMs?: number;
}): AppTokens {
  const now = options.now ?? Date.now;
  const { appId, privateKey, installationId } = options.app;
  let current:
    { token: string; expiresAt: number; permissions: Readonly<Record<string, string>> } | undefined;
  let refreshing: Promise<string> | undefined;
  let slug: string | undefined;

  // The JWT runs on the wall clock: GitHub checks it against its own.
  const asApp = () =>
    new Octokit({
      auth: appJwt(appId, privateKey, Date.now()),
      baseUrl: options.baseUrl,
      userAgent: 'promobot',
      // Every line through pino; the caller reports the failure itself.
      log: {
        debug: () => undefined,
        info: () => undefined,
        warn: (message: string) => options.logger.warn({ octokit: message }, 'octokit warning'),
        error: (message: string) => options.logger.debug({ octokit: message }, 'octokit error'),
      },
    });

  function refusal(action: string, error: unknown): Error {
    const status = (error as { status?: unknown }).status;
    const message = error instanceof Error ? error.message : String(error);
    if (typeof status !== 'number' || status >= 500 || status === 429)
      return new TransientError(`GitHub could not ${action}: ${message}`, { cause: error });
    return new AccessError(`GitHub refused to ${action} (${status}): ${message}`, {
      capability: 'app-token',
      advice:
        `check GITHUB_APP_ID (${appId}), the App's private key and GITHUB_APP_INSTALLATION_ID (${installationId}): ` +
        'the installation must belong to this App and be installed on the organization of the deploy repos',
      cause: error,
    });
  }

  async function refresh(): Promise<string> {
    let data: unknown;
    try {
      ({ data } = await asApp().rest.apps.createInstallationAccessToken({ installation_id: installationId }));
    } catch (error) {
      throw refusal('make an installation token', error);
    }
    const parsed = InstallationToken.safeParse(data);
    if (!parsed.success)
      throw new PermanentError("GitHub's installation token answer does not have the expected shape", {
        cause: parsed.error,
      });
    current = {
      token: parsed.data.token,
      expiresAt: Date.parse(parsed.data.expires_at),
      permissions: parsed.data.permissions ?? {},
    };
    options.logger.info(
      { installationId, expiresAt: parsed.data.expires_at },
      'github app installation token made',
    );
    return parsed.data.token;
  }

  const token = async () => {
    if (current && !needsRefresh(current.expiresAt, now(), options.refreshMarginMs)) return current.token;
    refreshing ??= refresh().finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  };

  return {
    token,
    async permissions() {
      await token();
      return current?.permissions ?? {};
    },
    invalidate(refused) {
      if (refused === undefined || refused === current?.token) current = undefined;
    },
    async login() {
      if (slug === undefined) {
        let data: unknown;
        try {
          ({ data } = await asApp().rest.apps.getAuthenticated());
        } catch (error) {
          throw refusal('describe the App (GET /app)', error);
        }
        const parsed = AppIdentity.safeParse(data);
        if (!parsed.success)
          throw new PermanentError("GitHub's answer to GET /app does not have the expected shape", {
            cause: parsed.error,
          });
        slug = parsed.data.slug;
      }
      return `${slug}[bot]`;
    },
  };
}
