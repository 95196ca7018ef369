import { z } from 'zod';
import { errorMessage, httpFailureOf } from '../../errors/index.js';
import type { DoctorCheck } from '../ports/doctor-check.js';
import { judgeScmAccess, type ScmAccess } from '../ports/scm-access.js';
import { FINE_GRAINED_NEEDS, judgeAppPermissions } from './app-access.js';
import type { GitHubClient } from './client.js';

/**
 * The read calls that prove a GitHub token holds a permission when GitHub shows no scopes (fine-grained tokens and
 * App installations send no `X-OAuth-Scopes`): each is a call promobot makes, needing only that permission at read
 * level (docs.github.com "Permissions required for fine-grained personal access tokens"; test/doubles/github/
 * access.ts `NEEDS`). Contents is proven by `git ls-remote` (Deploy repos), organization Members by reading every
 * `team:` approver's team (SCM access).
 */
export function permissionReads(repo: string, branch: string): { permission: string; path: string }[] {
  return [
    { permission: 'Pull requests', path: `/repos/${repo}/pulls?state=open&per_page=1` },
    { permission: 'Commit statuses', path: `/repos/${repo}/commits/${encodeURIComponent(branch)}/status` },
  ];
}

/**
 * Pure: the verdict on a token without scopes, from which permission reads GitHub refused. Reads cannot show write
 * levels without writing, so the detail says which levels the running service relies on.
 */
export function judgeFineGrainedReads(
  repo: string,
  refused: readonly { permission: string; reason: string }[],
  proven: readonly string[],
): Omit<DoctorCheck, 'group' | 'name'> {
  if (refused.length > 0) {
    return {
      status: 'fail',
      detail: `fine-grained token (GitHub shows no scopes): GitHub refused reading ${refused
        .map((r) => `${r.permission} (${r.reason})`)
        .join(', ')} on ${repo}`,
      fix: `give the fine-grained token (or GitHub App) resource owner ${repo.split('/')[0] ?? ''}, access to ${repo} and the permissions ${FINE_GRAINED_NEEDS} (Settings → Developer settings → Fine-grained tokens; docs/ACCESS.md)`,
    };
  }
  return {
    status: 'pass',
    detail: `fine-grained token (GitHub shows no scopes): reads ${proven.join(', ')} on ${repo}; write levels cannot be read without writing, so check it also has ${FINE_GRAINED_NEEDS} (a missing one is named in promobot's reply at first use)`,
  };
}

/**
 * For a GitHub token that shows no scopes, proves its permissions on `repo` by the read calls of
 * {@link permissionReads}; changes nothing.
 */
export async function checkGitHubPermissions(
  api: GitHubClient,
  repo: string,
  branch: string,
): Promise<DoctorCheck> {
  const refused: { permission: string; reason: string }[] = [];
  const proven: string[] = [];
  for (const read of permissionReads(repo, branch)) {
    try {
      await api.request('GET', read.path, z.unknown());
      proven.push(read.permission);
    } catch (error) {
      const http = httpFailureOf(error);
      const reason =
        http?.status !== undefined
          ? `${String(http.status)}${http.detail ? ` ${http.detail}` : ''}`
          : errorMessage(error);
      refused.push({ permission: read.permission, reason });
    }
  }
  return {
    group: 'SCM tokens',
    name: `${repo} token permissions`,
    ...judgeFineGrainedReads(repo, refused, proven),
  };
}

const User = z.object({ login: z.string().min(1) });
const Repo = z.object({
  full_name: z.string(),
  permissions: z.object({ admin: z.boolean(), push: z.boolean(), pull: z.boolean() }).nullish(),
});

/**
 * Reads the token's user (`GET /user`, with a classic token's `X-OAuth-Scopes`) and its permission on `repo`
 * (`GET /repos/{repo}`); changes nothing. A GitHub App's installation token cannot call `GET /user`: its `login`
 * is given instead.
 */
export async function readGitHubAccess(api: GitHubClient, repo: string, login?: string): Promise<ScmAccess> {
  const user = login === undefined ? await api.request('GET', '/user', User) : undefined;
  const scopesHeader = user?.headers.get('x-oauth-scopes') ?? null;
  const { data } = await api.request('GET', `/repos/${repo}`, Repo);
  const permissions = data.permissions ?? { admin: false, push: false, pull: true };
  return {
    login: user?.data.login ?? login ?? '',
    ...permissions,
    ...(scopesHeader === null
      ? {}
      : {
          scopes: scopesHeader
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        }),
  };
}

/**
 * `doctor`'s look at the GitHub token (or App installation) on a deploy repo: who it is and whether it may push,
 * set statuses and merge; a token without scopes (fine-grained) has its permissions proven by reads.
 */
export async function checkGitHubToken(
  api: GitHubClient,
  repo: string,
  branch: string,
): Promise<DoctorCheck[]> {
  // For an App, GET /repos proves the installation reaches the repo; its permissions are what GitHub stated with
  // the installation token.
  const app = api.app
    ? { login: await api.app.login(), permissions: await api.app.permissions() }
    : undefined;
  const access = await readGitHubAccess(api, repo, app?.login);
  const verdict = app
    ? judgeAppPermissions(app.login, repo, app.permissions)
    : judgeScmAccess('github', repo, access);
  const checks: DoctorCheck[] = [
    {
      group: 'SCM tokens',
      name: `${repo} token`,
      status: verdict.ok ? 'pass' : 'fail',
      detail: verdict.detail,
      ...(verdict.fix === undefined ? {} : { fix: verdict.fix }),
    },
  ];
  // No scopes to judge (fine-grained token): prove its permissions by the reads instead.
  if (access.scopes === undefined) checks.push(await checkGitHubPermissions(api, repo, branch));
  return checks;
}
