import type { RepoRef } from '../events/index.js';
import type { PullRequest, ScmHost } from '../scm/types.js';

/** Hidden in the comment: one report per head and reason, however often the merge is tried again. */
export function mergeRefusalMarker(headSha: string, reason: string): string {
  const safe = reason
    .replace(/--+/g, '-')
    .replace(/[<>\n]/g, ' ')
    .slice(0, 120);
  return `<!-- promobot:merge-refused ${headSha} ${safe} -->`;
}

/** The comment saying why promobot could not merge a PR it judged ready, and what usually fixes it. Pure. */
export function renderMergeRefusal(pr: PullRequest, hostName: string, reason: string): string {
  return [
    `⚠️ promobot judged #${String(pr.number)} ready (approvals and gates) but ${hostName} refused to merge it: “${reason.slice(0, 300)}”.`,
    '',
    "When branch protection asks for approving reviews or status checks, promobot's `/approve` and `promobot/*` statuses do not count as them: add the required reviews or checks, or exempt promobot's account from the rule (see docs/ACCESS.md). promobot tries again at the next change to this PR.",
    '',
    mergeRefusalMarker(pr.headSha, reason),
  ].join('\n');
}

/**
 * Says once in the PR (per head and reason) that the host refused a merge promobot judged ready, so a protection
 * rule never stalls a promotion in silence. A closed PR is not reported: there is nothing to fix.
 */
export async function reportMergeRefusal(
  scm: ScmHost,
  repo: RepoRef,
  pr: PullRequest,
  reason: string,
): Promise<boolean> {
  if (pr.state !== 'open' || reason === 'the pull request is closed') return false;
  const marker = mergeRefusalMarker(pr.headSha, reason);
  if ((await scm.listComments(repo, pr.number)).some((c) => c.body.includes(marker))) return false;
  const hostName = scm.kind === 'gitea' ? 'Gitea' : 'GitHub';
  await scm.createComment(repo, pr.number, renderMergeRefusal(pr, hostName, reason));
  return true;
}
