import type { Config } from '../config/index.js';
import type { ScmKind, Source } from '../events/types.js';
import type { ScmHost } from '../scm/types.js';
import type { PromotionPolicy } from '../policy/index.js';
import type { DoctorCheck } from '../setup/doctor-check.js';
import { createGiteaApi, createGiteaHookClient } from './gitea/hooks.js';
import { githubAppTokens } from './github/app-access.js';
import { createGiteaHost, type GiteaHostOptions } from './gitea/scm/index.js';
import { createGitHubHost, type GitHubHostOptions } from './github/scm/index.js';
import { createGitHubApi, createGitHubHookClient } from './github/hooks.js';
import type { HookClient, HookHost } from '../setup/hook-model.js';
import { checkArgoCd } from './argocd/doctor.js';
import { argocdWebhook } from './argocd/webhook.js';
import { giteaWebhook } from './gitea/webhook.js';
import { githubWebhook } from './github/webhook.js';
import { checkHarbor } from './harbor/doctor.js';
import { createHarborApi, createHarborHookClient } from './harbor/hooks.js';
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

/**
 * One host: everything promobot knows of it, in its own folder under `src/hosts/`. A new host is a new folder and
 * one line in {@link HOSTS}.
 */
export interface Host<ScmOptions = never> {
  readonly webhook: WebhookSource;
  /** The host's {@link ScmHost} adapter, for a code host (`hosts/<host>/scm/`). */
  readonly scm?: (options: ScmOptions) => ScmHost;
  readonly hooks?: HostHooks;
  /** The host's `promobot doctor` checks (a host with nothing to call has none). */
  doctor?(input: HostDoctorInput): Promise<DoctorCheck[]>;
}

const harbor: Host = {
  webhook: harborWebhook,
  hooks: {
    host: 'harbor',
    client: (config) => {
      if (config.harbor.url === undefined) return undefined;
      const { username, password } = config.harbor;
      const auth = username !== undefined && password !== undefined ? { username, password } : undefined;
      return createHarborHookClient(createHarborApi(config.harbor.url, auth));
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
    client: (config) =>
      config.gitea.url !== undefined && config.gitea.token !== undefined
        ? createGiteaHookClient(createGiteaApi(config.gitea.url, config.gitea.token))
        : undefined,
    missingCredentials:
      'set GITEA_URL and GITEA_TOKEN (a token of a repository admin, scope write:repository)',
  },
};

const github: HostEntry<'github'> = {
  webhook: githubWebhook,
  scm: createGitHubHost,
  hooks: {
    host: 'github',
    client: (config) => {
      const appTokens = githubAppTokens(config);
      const token = appTokens ? () => appTokens.token() : config.github.token;
      return token === undefined
        ? undefined
        : createGitHubHookClient(createGitHubApi(config.github.apiUrl, token));
    },
    missingCredentials:
      'set GITHUB_TOKEN (a token of a repository admin with admin:repo_hook), or GITHUB_APP_* for a GitHub App with Webhooks: write',
  },
};

/** The options of each code host's {@link ScmHost} adapter. */
export interface ScmHostOptions {
  gitea: GiteaHostOptions;
  github: GitHubHostOptions;
}

/** A host's entry: a code host (an {@link ScmKind}) also has its {@link ScmHost} factory. */
export type HostEntry<K extends Source> = K extends ScmKind
  ? Host<ScmHostOptions[K]> & { readonly scm: (options: ScmHostOptions[K]) => ScmHost }
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
