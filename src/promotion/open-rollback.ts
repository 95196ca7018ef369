import type { RepoRef } from '../events/index.js';
import type { Logger } from '../logger/index.js';
import { environmentPath, type App, type PolicySpec } from '../policy/index.js';
import type { PullRequest, ScmHost } from '../scm/types.js';
import { sameLogin } from '../scm/same-login.js';
import { promotionBranch, type PromotionMeta } from './promotion-meta.js';
import { chooseRollbackTarget } from './choose-rollback-target.js';
import type { DeployRepoPort } from './reconcile-app.js';
import { rollbackCandidate } from './candidate-commit.js';
import { renderPullRequestBody, renderPullRequestTitle, shortTag } from './render-pull-request.js';

export interface RollbackRequest {
  policyName: string;
  spec: PolicySpec;
  app: App;
  env: string;
  /** The tag to return to; the one before the current tag (by the environment's history) when absent. */
  toTag?: string | undefined;
  /** Markdown for the PR body: why (a failed watch's report, who asked). */
  evidence?: string | undefined;
}

export type RollbackResult = { pr: PullRequest; tag: string } | { refused: string };

/**
 * Opens (or refreshes) the rollback PR of an app in an environment: branch `promobot/rollback/<env>/<app>`, the
 * earlier tag written by the same updaters, the evidence in the body. Merging it is up to reconcile, under the
 * environment's approvals (rollbacks may skip gates, never approvals).
 */
export async function openRollback(
  request: RollbackRequest,
  deps: {
    scm: ScmHost;
    repo: RepoRef;
    deployRepo: DeployRepoPort;
    logger: Logger;
    /** The login promobot acts as: a PR on its branch opened by anyone else is not its rollback PR. */
    botLogin: string;
  },
): Promise<RollbackResult> {
  const env = request.spec.environments.find((e) => e.name === request.env);
  if (!env) return { refused: `there is no environment ${request.env} in policy ${request.policyName}` };
  const path = environmentPath(env, request.app);
  const running = (await deps.deployRepo.readRunning(request.app, [{ name: env.name, path }]))[env.name];
  const current = running?.tag ?? null;
  const chosen = chooseRollbackTarget({
    app: request.app.name,
    env: env.name,
    current,
    wanted: request.toTag,
    runs: await deps.deployRepo.tagHistory(request.app, { name: env.name, path }),
  });
  if ('refused' in chosen) return chosen;
  const target = chosen.tag;

  const meta: PromotionMeta = {
    v: 1,
    policy: request.policyName,
    app: request.app.name,
    env: env.name,
    tag: target,
    previousTag: current,
    kind: 'rollback',
  };
  const branch = promotionBranch(env.name, request.app.name, 'rollback');
  const base = request.spec.deployRepo.branch;
  // Before writing: a commit pushed now would land in someone else's PR (and a host keeps one open PR per branch).
  const refusal = await foreignPullRequest(deps, branch, base);
  if (refusal !== null) return refusal;
  const written = await deps.deployRepo.writeBranch({
    branch,
    path,
    ...rollbackCandidate(request.app, env.name, current, target),
  });
  if (written.foreign)
    return { refused: `someone else has committed to ${branch}; promobot leaves it alone` };
  const title = renderPullRequestTitle(meta);
  const body = renderPullRequestBody({
    meta,
    image: request.app.image,
    notes: request.evidence ? ['### Why', '', request.evidence] : [],
  });
  const found = await deps.scm.findOpenPullRequest(deps.repo, branch, base);
  // Opened by someone else since the check above: still not promobot's to edit, set a status on, or merge.
  if (found && !sameLogin(found.author, deps.botLogin)) return refuseForeign(deps, found, branch);
  let pr = found ?? (await deps.scm.createPullRequest(deps.repo, { head: branch, base, title, body }));
  if (pr.title !== title || pr.body !== body)
    pr = await deps.scm.updatePullRequest(deps.repo, pr.number, { title, body });
  await deps.scm.setCommitStatus(deps.repo, written.headSha, {
    context: 'promobot/promotion',
    state: 'success',
    description: `rollback of ${request.app.name} to ${shortTag(target)}`,
  });
  deps.logger.info(
    { pr: pr.number, app: request.app.name, env: env.name, tag: target },
    'rollback PR opened',
  );
  return { pr: { ...pr, headSha: written.headSha }, tag: target };
}

/** A refusal when the open PR on promobot's `branch` was opened by someone else; null when there is none or it is promobot's. */
async function foreignPullRequest(
  deps: { scm: ScmHost; repo: RepoRef; logger: Logger; botLogin: string },
  branch: string,
  base: string,
): Promise<{ refused: string } | null> {
  const open = await deps.scm.findOpenPullRequest(deps.repo, branch, base);
  if (!open || sameLogin(open.author, deps.botLogin)) return null;
  return refuseForeign(deps, open, branch);
}

function refuseForeign(deps: { logger: Logger }, open: PullRequest, branch: string): { refused: string } {
  deps.logger.warn(
    { pr: open.number, author: open.author, branch },
    'rollback PR not opened: someone else has a PR open on its branch; left alone',
  );
  return { refused: `someone else has a PR open on ${branch} (#${open.number}); promobot leaves it alone` };
}
