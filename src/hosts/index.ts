import type { Config } from '../config/index.js';
import type { ScmKind, Source } from '../events/types.js';
import type { ScmHost } from '../scm/types.js';
import type { PromotionPolicy } from '../policy/index.js';
import type { DoctorCheck } from './ports/doctor-check.js';
import type { ProtectionClient } from './ports/protection-model.js';
import { giteaClientFor } from './gitea/client.js';
import { checkGiteaToken, checkMergeProtection } from './gitea/doctor.js';
import { createGiteaHookClient } from './gitea/hooks.js';
import { createGiteaProtectionClient } from './gitea/protection.js';
import { githubClientFor } from './github/client.js';
import { checkGitHubToken } from './github/doctor.js';
import { createGitHubProtectionClient } from './github/protection.js';
import { createGiteaHost, type GiteaHostOptions } from './gitea/scm/index.js';
import { createGitHubHost, type GitHubHostOptions } from './github/scm/index.js';
import { createGitHubHookClient } from './github/hooks.js';
import type { HookClient, HookHost } from './ports/hook-model.js';
import { checkArgoCd } from './argocd/doctor.js';
import { argocdWebhook } from './argocd/webhook.js';
import { giteaWebhook } from './gitea/webhook.js';
import { githubWebhook } from './github/webhook.js';
import { checkHarbor } from './harbor/doctor.js';
import { harborClientFor } from './harbor/client.js';
import { createHarborHookClient } from './harbor/hooks.js';
import { harborWebhook } from './harbor/webhook.js';
import { registryWebhook } from './registry/webhook.js';
import type { WebhookSource } from './webhook-source.js';

export type { WebhookSource } from './webhook-source.js';
export { WEBHOOK_SOURCES } from './webhooks.js';
export { createGiteaHost, type GiteaHostOptions } from './gitea/scm/index.js';
export { createGitHubHost, type GitHubHost, type GitHubHostOptions } from './github/scm/index.js';

/** What a host's doctor checks may read; they change nothing. */
export interface HostDoctorInput {
  readonly config: Config;
  readonly policies: readonly PromotionPolicy[];
  /** Deadline of each network check. */
  readonly timeoutMs: number;
}

/** Promobot's hook registration on a host that has an API for it (`promobot webhooks sync`). */
export interface HostHooks {
  readonly host: HookHost;
  /** The client the configuration allows, or undefined when it lacks the credentials. */
  client(config: Config): HookClient | undefined;
  /** What to set when {@link client} has none. */
  readonly missingCredentials: string;
}

/** What `doctor` and `promobot setup` do on a code host's deploy repos, through the host's one client. */
export interface DeployRepoAccess {
  /** The token git and the {@link ScmHost} use now (a GitHub App's current installation token). */
  token(): Promise<string>;
  /** The root URL the {@link ScmHost} is made with. */
  readonly baseUrl: string;
  /** The `SCM tokens` checks: who the token is and whether it may push, set statuses and merge on `repo`. Throws when it cannot read. */
  checkToken(repo: string, branch: string): Promise<DoctorCheck[]>;
  /** Checks of the deploy branch as the host has it (Gitea: whether its protection lets promobot merge). */
  checkBranch(repo: string, branch: string): Promise<DoctorCheck[]>;
  /** The branch protection `promobot setup` keeps on the host. */
  readonly protection: ProtectionClient;
}

/** A code host's deploy repos, reached with the configuration's credentials. */
export interface HostDeployRepos {
  /** Undefined when the configuration lacks the credentials. */
  connect(config: Config, timeoutMs?: number): DeployRepoAccess | undefined;
  /** The clone URL of a repo whose policy names none; undefined when the configuration cannot tell. */
  cloneUrl(config: Config, repo: string): string | undefined;
  /** What to set when {@link connect} has none: for `doctor` (promobot's token) and for `setup` (an admin's). */
  readonly missingCredentials: string;
  readonly missingAdminCredentials: string;
}

/**
 * One host: everything promobot knows of it, in its own folder under `src/hosts/`. A new host is a new folder and
 * one line in {@link HOSTS}.
 */
export interface Host<ScmOptions = never> {
  readonly webhook: WebhookSource;
  /** The host's {@link ScmHost} adapter, for a code host (`hosts/<host>/scm/`). */
  readonly scm?: (options: ScmOptions) => ScmHost;
  readonly hooks?: HostHooks;
  /** A code host's deploy repos: `doctor`'s checks of the token and branch, and `setup`'s branch protection. */
  readonly deployRepos?: HostDeployRepos;
  /** The host's `promobot doctor` checks (a host with nothing to call has none). */
  doctor?(input: HostDoctorInput): Promise<DoctorCheck[]>;
}

const harbor: Host = {
  webhook: harborWebhook,
  hooks: {
    host: 'harbor',
    client: (config) => {
      const api = harborClientFor(config);
      return api === undefined ? undefined : createHarborHookClient(api);
    },
    missingCredentials: 'set HARBOR_USERNAME and HARBOR_PASSWORD',
  },
  doctor: ({ config, timeoutMs }) => checkHarbor(config, timeoutMs),
};

const registry: Host = { webhook: registryWebhook };

const argocd: Host = {
  webhook: argocdWebhook,
  doctor: ({ config, policies, timeoutMs }) => checkArgoCd(config, policies, timeoutMs),
};

const gitea: HostEntry<'gitea'> = {
  webhook: giteaWebhook,
  scm: createGiteaHost,
  hooks: {
    host: 'gitea',
    client: (config) => {
      const api = giteaClientFor(config);
      return api === undefined ? undefined : createGiteaHookClient(api);
    },
    missingCredentials:
      'set GITEA_URL and GITEA_TOKEN (a token of a repository admin, scope write:repository)',
  },
  deployRepos: {
    connect: (config, timeoutMs) => {
      const api = giteaClientFor(config, { timeoutMs });
      const { url, token } = config.gitea;
      if (api === undefined || url === undefined || token === undefined) return undefined;
      return {
        token: () => Promise.resolve(token),
        baseUrl: url,
        checkToken: (repo) => checkGiteaToken(api, repo),
        checkBranch: async (repo, branch) => [await checkMergeProtection(api, repo, branch)],
        protection: createGiteaProtectionClient(api),
      };
    },
    cloneUrl: (config, repo) =>
      config.gitea.url === undefined ? undefined : `${config.gitea.url}/${repo}.git`,
    missingCredentials:
      'set GITEA_URL and GITEA_TOKEN (a token with write:repository, write:issue, read:organization, read:user; see docs/ACCESS.md)',
    missingAdminCredentials:
      'set GITEA_URL and GITEA_TOKEN (a token of a repository admin, scope write:repository)',
  },
};

const github: HostEntry<'github'> = {
  webhook: githubWebhook,
  scm: createGitHubHost,
  hooks: {
    host: 'github',
    client: (config) => {
      const api = githubClientFor(config);
      return api === undefined ? undefined : createGitHubHookClient(api);
    },
    missingCredentials:
      'set GITHUB_TOKEN (a token of a repository admin with admin:repo_hook), or GITHUB_APP_* for a GitHub App with Webhooks: write',
  },
  deployRepos: {
    connect: (config, timeoutMs) => {
      const api = githubClientFor(config, timeoutMs);
      if (api === undefined) return undefined;
      const { apiUrl, token, app } = config.github;
      return {
        token: async () => (api.app ? api.app.token() : (token ?? '')),
        baseUrl: apiUrl,
        checkToken: (repo, branch) => checkGitHubToken(api, repo, branch),
        checkBranch: () => Promise.resolve([]),
        protection: createGitHubProtectionClient(api, app ? Number(app.appId) : undefined),
      };
    },
    cloneUrl: (config, repo) => `${githubWebRoot(config.github.apiUrl)}/${repo}.git`,
    missingCredentials:
      'set GITHUB_TOKEN (repo and read:org scopes), or GITHUB_APP_ID, GITHUB_APP_INSTALLATION_ID and GITHUB_APP_PRIVATE_KEY for a GitHub App',
    missingAdminCredentials:
      'set GITHUB_TOKEN (a token of a repository admin), or GITHUB_APP_* for a GitHub App with Administration: write',
  },
};

/** `https://api.github.com` → `https://github.com`; a GitHub Enterprise `/api/v3` root → its web root. */
function githubWebRoot(apiUrl: string): string {
  if (/^https:\/\/api\.github\.com\/?$/.test(apiUrl)) return 'https://github.com';
  return apiUrl.replace(/\/api\/v3\/?$/, '');
}

/** The options of each code host's {@link ScmHost} adapter. */
export interface ScmHostOptions {
  gitea: GiteaHostOptions;
  github: GitHubHostOptions;
}

/** A host's entry: a code host (an {@link ScmKind}) also has its {@link ScmHost} factory. */
export type HostEntry<K extends Source> = K extends ScmKind
  ? Host<ScmHostOptions[K]> & {
      readonly scm: (options: ScmHostOptions[K]) => ScmHost;
      readonly deployRepos: HostDeployRepos;
    }
  : Host;

/** The registry of hosts, in the order `promobot doctor` checks them. */
export const HOSTS: { readonly [K in Source]: HostEntry<K> } = Object.freeze({
  harbor,
  registry,
  argocd,
  gitea,
  github,
});

/**
 * The {@link ScmHost} of a code host, made by its entry in {@link HOSTS}.
 *
 * @example
 * const host = createScmHost('gitea', { baseUrl: config.gitea.url, token: config.gitea.token, logger });
 */
export function createScmHost<K extends ScmKind>(kind: K, options: ScmHostOptions[K]): ScmHost {
  const factory = HOSTS[kind].scm as (options: ScmHostOptions[K]) => ScmHost;
  return factory(options);
}

/** The hosts promobot registers hooks on. */
export const HOOK_HOSTS: readonly HostHooks[] = Object.values(HOSTS).flatMap((host) =>
  host.hooks === undefined ? [] : [host.hooks],
);
