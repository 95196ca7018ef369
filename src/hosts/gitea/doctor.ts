import { z } from 'zod';
import { errorMessage } from '../../errors/index.js';
import type { DoctorCheck } from '../ports/doctor-check.js';
import { judgeScmAccess, type ScmAccess } from '../ports/scm-access.js';
import type { GiteaClient } from './scm/gitea-client.js';

/** What Gitea's `GET /repos/{owner}/{repo}/branches/{branch}` says of the branch's protection for the token's user. */
export const GiteaBranchProtection = z.object({
  protected: z.boolean().optional(),
  required_approvals: z.number().int().optional(),
  enable_status_check: z.boolean().optional(),
  status_check_contexts: z.array(z.string()).nullish(),
  user_can_merge: z.boolean().optional(),
});
export type GiteaBranchProtection = z.infer<typeof GiteaBranchProtection>;

/**
 * Pure: whether the protection of the deploy branch lets promobot's merges through. Gitea refuses a merge into a
 * protected branch (405 "not allowed to merge [reason: ...]") without the required official approving reviews or
 * successful status checks, and `/approve` is not a Gitea review.
 */
export function judgeMergeProtection(
  repo: string,
  branch: string,
  info: GiteaBranchProtection,
): Omit<DoctorCheck, 'group' | 'name'> {
  if (!info.protected)
    return { status: 'pass', detail: `${branch} is not protected: nothing blocks promobot's merges` };
  if (info.user_can_merge === false) {
    return {
      status: 'fail',
      detail: `the protection rule of ${branch} does not let promobot's user merge`,
      fix: `add promobot's user to the merge whitelist of the rule for ${branch} (${repo} → Settings → Branches)`,
    };
  }
  const foreign = info.enable_status_check
    ? (info.status_check_contexts ?? []).filter((c) => !c.startsWith('promobot/'))
    : [];
  const approvals = info.required_approvals ?? 0;
  if (approvals === 0 && foreign.length === 0) {
    return { status: 'pass', detail: `${branch} is protected; its rule asks nothing promobot's merges lack` };
  }
  const needs = [
    ...(approvals > 0 ? [`${String(approvals)} official approving review(s) (/approve is not one)`] : []),
    ...(foreign.length > 0 ? [`the status checks ${foreign.join(', ')}`] : []),
  ];
  return {
    status: 'warn',
    detail: `merges into ${branch} need ${needs.join(' and ')}: promobot's merges wait for them, and the PR says so`,
    fix: `if promobot's approvals and gates should suffice, drop these requirements from the rule for ${branch} (${repo} → Settings → Branches); see docs/ACCESS.md`,
  };
}

/** Reads the deploy branch's protection (read-only) and judges it; a failure to read is a warning, not a FAIL. */
export async function checkMergeProtection(
  api: GiteaClient,
  repo: string,
  branch: string,
): Promise<DoctorCheck> {
  const name = `${repo}: merge into ${branch}`;
  try {
    const { data } = await api.request('GET', `/repos/${repo}/branches/${encodeURIComponent(branch)}`, {
      schema: GiteaBranchProtection,
    });
    return {
      group: 'SCM access',
      name,
      ...judgeMergeProtection(repo, branch, data as GiteaBranchProtection),
    };
  } catch (error) {
    return {
      group: 'SCM access',
      name,
      status: 'warn',
      detail: `could not read the protection of ${branch}: ${errorMessage(error)}`,
      fix: 'check that the branch exists (spec.deployRepo.branch)',
    };
  }
}

const User = z.object({ login: z.string().min(1) });
const Repo = z.object({
  full_name: z.string(),
  permissions: z.object({ admin: z.boolean(), push: z.boolean(), pull: z.boolean() }).nullish(),
});

/** Reads the token's user (`GET /user`) and its permission on `repo` (`GET /repos/{repo}`); changes nothing. */
export async function readGiteaAccess(api: GiteaClient, repo: string): Promise<ScmAccess> {
  const user = User.parse((await api.request('GET', '/user', { schema: User })).data);
  const { data } = await api.request('GET', `/repos/${repo}`, { schema: Repo });
  const permissions = (data as z.infer<typeof Repo>).permissions ?? { admin: false, push: false, pull: true };
  return { login: user.login, ...permissions };
}

/** `doctor`'s look at the Gitea token on a deploy repo: who it is and whether it may push, set statuses and merge. */
export async function checkGiteaToken(api: GiteaClient, repo: string): Promise<DoctorCheck[]> {
  const verdict = judgeScmAccess('gitea', repo, await readGiteaAccess(api, repo));
  return [
    {
      group: 'SCM tokens',
      name: `${repo} token`,
      status: verdict.ok ? 'pass' : 'fail',
      detail: verdict.detail,
      ...(verdict.fix === undefined ? {} : { fix: verdict.fix }),
    },
  ];
}
