import type { Config } from '../config/index.js';
import { errorMessage } from '../errors/index.js';
import type { PromotionPolicy } from '../policy/index.js';
import { createLogger } from '../logger/index.js';
import { createScmHost } from '../hosts/index.js';
import { adviseHookFailure } from './advise.js';
import { checkApproverAccess } from './check-approver-access.js';
import { checkMergeProtection } from './check-merge-protection.js';
import {
  checkBranchProtection,
  createGiteaProtectionClient,
  createGitHubProtectionClient,
} from './sync-protection.js';
import { checkGitRead } from './check-git-read.js';
import { checkGitHubPermissions, FINE_GRAINED_NEEDS } from './check-github-permissions.js';
import { failCheck, type DoctorCheck } from './doctor-check.js';
import { createGiteaApi } from '../hosts/gitea/hooks.js';
import { githubAppTokens, judgeAppPermissions } from '../hosts/github/app-access.js';
import { createGitHubApi } from '../hosts/github/hooks.js';
import { HttpStatusError } from './json-client.js';
import { judgeScmAccess, readScmAccess } from './scm-access.js';

const TOKEN_VARIABLE = { gitea: 'GITEA_TOKEN', github: 'GITHUB_TOKEN' } as const;

/**
 * Per deploy repo of the policies: the SCM token (who it is, its permission on the repo, whether it can push, set
 * statuses and merge) and git read access with that token. Reads only.
 */
export async function checkDeployRepos(
  input: { config: Config; baseEnv: NodeJS.ProcessEnv },
  policies: readonly PromotionPolicy[],
  timeoutMs: number,
): Promise<DoctorCheck[]> {
  const { config } = input;
  const checks: DoctorCheck[] = [];
  const seen = new Set<string>();
  const appTokens = githubAppTokens(config);
  for (const policy of policies) {
    const { scm, repo, branch, url } = policy.spec.deployRepo;
    const key = `${scm} ${repo.toLowerCase()} ${branch}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const tokenVariable = scm === 'github' && appTokens ? 'GITHUB_APP_*' : TOKEN_VARIABLE[scm];
    let token = scm === 'gitea' ? config.gitea.token : config.github.token;
    const hostUrl = scm === 'gitea' ? config.gitea.url : config.github.apiUrl;
    const name = `${repo} token`;
    const tokenFailure = (detail: string, fix: string) => failCheck('SCM tokens', name, detail, fix);
    // A GitHub App: an installation token now (doctor is done long before it expires), its identity from GET /app.
    let app: { login: string; permissions: Readonly<Record<string, string>> } | undefined;
    if (scm === 'github' && appTokens) {
      try {
        token = await appTokens.token();
        app = { login: await appTokens.login(), permissions: await appTokens.permissions() };
      } catch (error) {
        checks.push(tokenFailure(errorMessage(error), adviseHookFailure('github', repo, error)));
        continue;
      }
    }
    if (token === undefined || hostUrl === undefined) {
      checks.push(
        tokenFailure(
          `policy ${policy.metadata.name} keeps its deploy repo on ${scm}, but ${scm === 'gitea' ? 'GITEA_URL or GITEA_TOKEN' : 'GITHUB_TOKEN (or GITHUB_APP_*)'} is not set`,
          scm === 'gitea'
            ? 'set GITEA_URL and GITEA_TOKEN (a token with write:repository, write:issue, read:organization, read:user; see docs/ACCESS.md)'
            : 'set GITHUB_TOKEN (repo and read:org scopes), or GITHUB_APP_ID, GITHUB_APP_INSTALLATION_ID and GITHUB_APP_PRIVATE_KEY for a GitHub App',
        ),
      );
    } else {
      const api =
        scm === 'gitea'
          ? createGiteaApi(hostUrl, token, timeoutMs)
          : createGitHubApi(hostUrl, token, timeoutMs);
      try {
        // For an App, GET /repos proves the installation reaches the repo; its permissions are what GitHub stated
        // with the installation token.
        const access = await readScmAccess(api, repo, app?.login);
        const verdict = app
          ? judgeAppPermissions(app.login, repo, app.permissions)
          : judgeScmAccess(scm, repo, access);
        checks.push({
          group: 'SCM tokens',
          name,
          status: verdict.ok ? 'pass' : 'fail',
          detail: verdict.detail,
          ...(verdict.fix === undefined ? {} : { fix: verdict.fix }),
        });
        // No scopes to judge (fine-grained token): prove its permissions by the reads instead.
        if (scm === 'github' && access.scopes === undefined)
          checks.push(await checkGitHubPermissions(api, repo, branch));
      } catch (error) {
        checks.push(tokenFailure(errorMessage(error), adviseToken(scm, repo, hostUrl, error)));
      }
      // The look-ups ChatOps makes to decide commands, through the same ScmHost the worker uses.
      const host = createScmHost(scm, {
        baseUrl: hostUrl,
        token,
        logger: createLogger({ level: 'silent' }),
        timeoutMs,
      });
      const sameRepo = policies.filter(
        (p) => p.spec.deployRepo.scm === scm && p.spec.deployRepo.repo.toLowerCase() === repo.toLowerCase(),
      );
      checks.push(...(await checkApproverAccess(host, repo, sameRepo)));
      if (scm === 'gitea') checks.push(await checkMergeProtection(api, repo, branch));
      const protection = await checkBranchProtection(
        scm === 'gitea'
          ? createGiteaProtectionClient(api)
          : createGitHubProtectionClient(
              api,
              config.github.app ? Number(config.github.app.appId) : undefined,
            ),
        scm,
        sameRepo,
        repo,
        branch,
      );
      if (protection) checks.push(protection);
    }
    const cloneUrl =
      url ??
      (scm === 'gitea' && config.gitea.url !== undefined
        ? `${config.gitea.url}/${repo}.git`
        : scm === 'github'
          ? `${webRoot(config.github.apiUrl)}/${repo}.git`
          : undefined);
    if (cloneUrl === undefined) {
      checks.push({
        group: 'Deploy repos',
        name: `${repo} read (${branch})`,
        status: 'skip',
        detail: 'no clone URL: GITEA_URL is not set and the policy has no deployRepo.url',
        fix: 'set GITEA_URL',
      });
      continue;
    }
    checks.push(
      await checkGitRead(
        { repo, url: cloneUrl, branch, token, baseEnv: input.baseEnv, timeoutMs: timeoutMs * 4 },
        tokenVariable,
      ),
    );
  }
  return checks;
}

function adviseToken(scm: 'gitea' | 'github', repo: string, hostUrl: string, error: unknown): string {
  const variable = TOKEN_VARIABLE[scm];
  if (error instanceof HttpStatusError && error.status === 401) {
    return scm === 'gitea'
      ? `${variable} is not accepted by ${hostUrl}: create a token (Settings → Applications) with write:repository, write:issue, read:organization, read:user and set ${variable}`
      : `${variable} is not accepted: create a token with the repo and read:org scopes and set ${variable}`;
  }
  if (error instanceof HttpStatusError && error.status === 404 && error.url.includes('/repos/')) {
    return `${repo} does not exist for the token's user: check spec.deployRepo.repo, and give the user access to it`;
  }
  if (error instanceof HttpStatusError && error.status === 403) {
    return scm === 'gitea'
      ? `the token lacks a scope (${error.detail || 'forbidden'}): create one with write:repository, write:issue, read:organization, read:user and set ${variable}`
      : `the token may not read ${repo}: use a classic token with the repo and read:org scopes, or a fine-grained one with access to ${repo} (${FINE_GRAINED_NEEDS})`;
  }
  return adviseHookFailure(scm, repo, error);
}

/** `https://api.github.com` → `https://github.com`; a GitHub Enterprise `/api/v3` root → its web root. */
function webRoot(apiUrl: string): string {
  if (/^https:\/\/api\.github\.com\/?$/.test(apiUrl)) return 'https://github.com';
  return apiUrl.replace(/\/api\/v3\/?$/, '');
}
