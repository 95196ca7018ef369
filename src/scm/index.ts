import type { ScmKind } from '../events/index.js';
import { createGiteaHost, type GiteaHostOptions } from '../hosts/gitea/scm/index.js';
import { createGitHubHost, type GitHubHostOptions } from '../hosts/github/scm/index.js';
import type { ScmHost } from './types.js';

export * from './types.js';
export { createGiteaHost, type GiteaHostOptions } from '../hosts/gitea/scm/index.js';
export { createGitHubHost, type GitHubHost, type GitHubHostOptions } from '../hosts/github/scm/index.js';

/** Options per host kind. */
export interface ScmHostOptions {
  gitea: GiteaHostOptions;
  github: GitHubHostOptions;
}

const FACTORIES: { [K in ScmKind]: (options: ScmHostOptions[K]) => ScmHost } = {
  gitea: createGiteaHost,
  github: createGitHubHost,
};

/**
 * The registry of code hosts: `gitea` and `github` map to their {@link ScmHost} implementations.
 *
 * @example
 * const host = createScmHost('gitea', { baseUrl: config.gitea.url, token: config.gitea.token, logger });
 */
export function createScmHost<K extends ScmKind>(kind: K, options: ScmHostOptions[K]): ScmHost {
  const factory = FACTORIES[kind] as (options: ScmHostOptions[K]) => ScmHost;
  return factory(options);
}
