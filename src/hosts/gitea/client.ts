import type { Config } from '../../config/index.js';
import { createLogger } from '../../logger/index.js';
import { createGiteaClient, type GiteaClient } from './scm/gitea-client.js';

/**
 * The Gitea client of the set-up commands (hook and protection setup, doctor): the SCM adapter's own client, made
 * from the configuration. Set-up reports a failure at once, so nothing is retried; undefined without GITEA_URL
 * and a token.
 */
export function giteaClientFor(
  config: Config,
  options: { token?: string | undefined; timeoutMs?: number | undefined } = {},
): GiteaClient | undefined {
  const token = options.token ?? config.gitea.token;
  if (config.gitea.url === undefined || token === undefined) return undefined;
  return createGiteaClient({
    baseUrl: config.gitea.url,
    token,
    logger: createLogger({ level: 'silent' }),
    retry: { attempts: 1 },
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
}
