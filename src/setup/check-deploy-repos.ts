import type { Config } from '../config/index.js';
import { errorMessage, httpFailureOf } from '../errors/index.js';
import type { PromotionPolicy } from '../policy/index.js';
import { createLogger } from '../logger/index.js';
import { FINE_GRAINED_NEEDS } from '../hosts/github/app-access.js';
import { createScmHost, HOSTS } from '../hosts/index.js';
import { adviseHookFailure } from '../hosts/ports/advise.js';
import { checkApproverAccess } from './check-approver-access.js';
import { checkBranchProtection } from './sync-protection.js';
import { checkGitRead } from './check-git-read.js';
import { failCheck, type DoctorCheck } from '../hosts/ports/doctor-check.js';

const TOKEN_VARIABLE = { gitea: 'GITEA_TOKEN', github: 'GITHUB_TOKEN' } as const;

/**
 * Per deploy repo of the policies: the SCM token (who it is, its permission on the repo, whether it can push, set
 * statuses and merge) and git read access with that token, each through its host's entry in `HOSTS`. Reads only.
 */
export async function checkDeployRepos(
  input: { config: Config; baseEnv: NodeJS.ProcessEnv },
  policies: readonly PromotionPolicy[],
  timeoutMs: number,
): Promise<DoctorCheck[]> {
  const { config } = input;
  const checks: DoctorCheck[] = [];
  const seen = new Set<string>();
  for (const policy of policies) {
    const { scm, repo, branch, url } = policy.spec.deployRepo;
    const key = `${scm} ${repo.toLowerCase()} ${branch}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const deployRepos = HOSTS[scm].deployRepos;
    const tokenVariable =
      scm === 'github' && config.github.app !== undefined ? 'GITHUB_APP_*' : TOKEN_VARIABLE[scm];
    const name = `${repo} token`;
    const tokenFailure = (detail: string, fix: string) => failCheck('SCM tokens', name, detail, fix);
    const access = deployRepos.connect(config, timeoutMs);
    let token: string | undefined;
    if (access === undefined) {
      checks.push(
        tokenFailure(
          `policy ${policy.metadata.name} keeps its deploy repo on ${scm}, but ${scm === 'gitea' ? 'GITEA_URL or GITEA_TOKEN' : 'GITHUB_TOKEN (or GITHUB_APP_*)'} is not set`,
          deployRepos.missingCredentials,
        ),
      );
    } else {
      // A GitHub App: an installation token now (doctor is done long before it expires).
      try {
        token = await access.token();
      } catch (error) {
        checks.push(tokenFailure(errorMessage(error), adviseHookFailure(scm, repo, error)));
        continue;
      }
      try {
        checks.push(...(await access.checkToken(repo, branch)));
      } catch (error) {
        checks.push(tokenFailure(errorMessage(error), adviseToken(scm, repo, access.baseUrl, error)));
      }
      // The look-ups ChatOps makes to decide commands, through the same ScmHost the worker uses.
      const host = createScmHost(scm, {
        baseUrl: access.baseUrl,
        token,
        logger: createLogger({ level: 'silent' }),
        timeoutMs,
      });
      const sameRepo = policies.filter(
        (p) => p.spec.deployRepo.scm === scm && p.spec.deployRepo.repo.toLowerCase() === repo.toLowerCase(),
      );
      checks.push(...(await checkApproverAccess(host, repo, sameRepo)));
      checks.push(...(await access.checkBranch(repo, branch)));
      const protection = await checkBranchProtection(access.protection, scm, sameRepo, repo, branch);
      if (protection) checks.push(protection);
    }
    const cloneUrl = url ?? deployRepos.cloneUrl(config, repo);
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
  const http = httpFailureOf(error);
  if (http?.status === 401) {
    return scm === 'gitea'
      ? `${variable} is not accepted by ${hostUrl}: create a token (Settings → Applications) with write:repository, write:issue, read:organization, read:user and set ${variable}`
      : `${variable} is not accepted: create a token with the repo and read:org scopes and set ${variable}`;
  }
  if (http?.status === 404 && http.url.includes('/repos/')) {
    return `${repo} does not exist for the token's user: check spec.deployRepo.repo, and give the user access to it`;
  }
  if (http?.status === 403) {
    return scm === 'gitea'
      ? `the token lacks a scope (${http.detail || 'forbidden'}): create one with write:repository, write:issue, read:organization, read:user and set ${variable}`
      : `the token may not read ${repo}: use a classic token with the repo and read:org scopes, or a fine-grained one with access to ${repo} (${FINE_GRAINED_NEEDS})`;
  }
  return adviseHookFailure(scm, repo, error);
}
