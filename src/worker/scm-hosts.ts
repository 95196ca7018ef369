import type { Config } from '../config/index.js';
import { PermanentError } from '../errors/index.js';
import type { ScmKind } from '../events/index.js';
import type { TokenSource } from '../git/index.js';
import type { Logger } from '../logger/index.js';
import { createGitHubHost, createScmHost, type GitHubHost } from '../hosts/index.js';
import type { ScmHost } from '../scm/index.js';

export interface ScmHosts {
  /** The client of a code host, made on first use (a policy on a host with no settings fails permanently). */
  scmFor(kind: ScmKind): ScmHost;
  /** What git authenticates with on `kind`: an App's installation token changes every hour, so it is asked for. */
  tokenFor(kind: ScmKind): TokenSource | string | undefined;
  /** The login promobot acts as on `kind`, learnt once from the host. */
  botLogin(kind: ScmKind): Promise<string>;
  /** The login once learnt; undefined before. */
  knownBotLogin(kind: ScmKind): string | undefined;
}

/** One client per code host for the process, made from the configuration. */
export function createScmHosts(config: Config, logger: Logger): ScmHosts {
  const hosts = new Map<ScmKind, ScmHost>();
  let github: GitHubHost | undefined;
  const githubHost = (): GitHubHost => {
    const { apiUrl, token, app } = config.github;
    if (!token && !app)
      throw new PermanentError('a policy uses GitHub, but neither GITHUB_TOKEN nor GITHUB_APP_ID is set');
    github ??= createGitHubHost({ baseUrl: apiUrl, logger, ...(app ? { app } : { token: token ?? '' }) });
    return github;
  };
  const scmFor = (kind: ScmKind): ScmHost => {
    const known = hosts.get(kind);
    if (known) return known;
    let host: ScmHost;
    if (kind === 'gitea') {
      if (!config.gitea.url || !config.gitea.token)
        throw new PermanentError('a policy uses Gitea, but GITEA_URL or GITEA_TOKEN is not set');
      host = createScmHost('gitea', { baseUrl: config.gitea.url, token: config.gitea.token, logger });
    } else {
      host = githubHost();
    }
    hosts.set(kind, host);
    return host;
  };
  const botLogins = new Map<ScmKind, string>();
  return {
    scmFor,
    tokenFor: (kind) =>
      kind === 'gitea'
        ? config.gitea.token
        : config.github.app
          ? (refused) => githubHost().gitToken(refused)
          : config.github.token,
    async botLogin(kind) {
      const known = botLogins.get(kind);
      if (known) return known;
      const { login } = await scmFor(kind).whoAmI();
      botLogins.set(kind, login);
      return login;
    },
    knownBotLogin: (kind) => botLogins.get(kind),
  };
}
