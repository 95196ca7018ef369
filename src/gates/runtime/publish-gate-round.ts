import type { RepoRef } from '../../events/index.js';
import type { CommitStatus, ScmHost } from '../../scm/types.js';
import { isGatesComment } from '../render-report.js';

/**
 * Puts a round on the PR: the status on the commit (`promobot/gates` on the head), and the one comment — edited in place when
 * a comment with the marker exists, created otherwise. Found afresh each round (one list call), so a comment a person
 * deleted is simply written again, and nothing about it has to be remembered between rounds.
 */
export async function publishGateRound(
  scm: ScmHost,
  target: { repo: RepoRef; pr: number; headSha: string },
  round: { commitStatus: CommitStatus; report: string },
  /** Which comment is the one to keep up to date; the gates comment by default. */
  isOurs: (body: string) => boolean = isGatesComment,
): Promise<{ commentId: number }> {
  await scm.setCommitStatus(target.repo, target.headSha, round.commitStatus);
  const comments = await scm.listComments(target.repo, target.pr);
  const existing = comments.find((c) => isOurs(c.body));
  if (existing) {
    if (existing.body !== round.report) await scm.updateComment(target.repo, existing.id, round.report);
    return { commentId: existing.id };
  }
  const created = await scm.createComment(target.repo, target.pr, round.report);
  return { commentId: created.id };
}
