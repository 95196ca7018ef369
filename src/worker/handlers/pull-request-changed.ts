import type { PullRequestChanged, ScmKind } from '../../events/index.js';
import { judgeManualMerge } from '../../governance/manual-merge.js';
import type { Logger } from '../../logger/index.js';
import { findByDeployRepo } from '../../policy/index.js';
import { parsePromotionBranch } from '../../promotion/index.js';
import type { EventHandler } from '../../queue/index.js';
import type { WorkerParts } from '../parts.js';
import { sameLogin } from '../../scm/same-login.js';
import { requiredStatusContexts } from '../../setup/wanted-protection.js';

/**
 * `PullRequestChanged` (Gitea, GitHub): reconcile jobs for the deploy repo's apps (only the PR's app for an unmerged
 * bot PR); a bot PR a person merged while its required statuses were not green is recorded on it.
 */
export function pullRequestChanged(parts: WorkerParts): EventHandler<'PullRequestChanged'> {
  /** Every app of the policies that write `fullName` on `scm` (or only `onlyApp`). */
  const reconcileRepo = async (scm: ScmKind, fullName: string, reason: string, onlyApp?: string) => {
    for (const policy of findByDeployRepo(parts.policies.current(), scm, fullName)) {
      for (const app of policy.spec.apps) {
        if (onlyApp === undefined || app.name === onlyApp)
          await parts.requestReconcile(policy.metadata.name, app.name, reason);
      }
    }
  };

  /**
   * A person merged one of promobot's promotion or rollback PRs (the host did not stop them: protection is off):
   * when the statuses promobot requires were not all green on its head, the audit list and the PR say so.
   */
  const noticeManualMerge = async (event: PullRequestChanged, log: Logger) => {
    const login = await parts.botLogin(event.scm);
    if (!sameLogin(event.author, login) || sameLogin(event.sender, login)) return;
    const [policy] = findByDeployRepo(parts.policies.current(), event.scm, event.repo.fullName);
    if (!policy) return;
    const statuses = await parts.scmFor(event.scm).listCommitStatuses(event.repo, event.headSha);
    const verdict = judgeManualMerge(requiredStatusContexts(policy), statuses);
    log.info({ pr: event.number, by: event.sender, ...verdict }, 'promotion PR merged by a person');
    if (!verdict.green)
      await parts.pullRequests.onManualMerge(
        event.scm,
        event.repo,
        event.number,
        event.sender,
        verdict.notGreen,
      );
  };

  return async (event, context) => {
    const branch = parsePromotionBranch(event.headRef);
    context.logger.info(
      { pr: event.number, action: event.action, merged: event.merged },
      'pull request changed',
    );
    // A merged PR of anyone's can change what an environment runs; the bot's own PRs name their app.
    await reconcileRepo(
      event.scm,
      event.repo.fullName,
      `PR #${event.number} ${event.action}`,
      event.merged ? undefined : branch?.app,
    );
    // After the reconcile request: a failed status read retries the job, and asking again is harmless.
    if (event.merged && branch) await noticeManualMerge(event, context.logger);
  };
}
