import type { Logger } from '../logger/index.js';
import type { PromotionPolicy } from '../policy/index.js';
import { describeRollout, verifies, type RolloutVerifier } from '../rollout/runtime/index.js';
import type { PullRequest } from '../scm/types.js';
import type { PromotionMeta } from './promotion-meta.js';
import type { DeployRepoPort } from './reconcile-app.js';

/**
 * Where the candidate's rollout in the PR's source environment stands, for the PR's state (`rollout` of
 * `createPromotionPullRequests`): null when that environment is not verified.
 */
export function sourceRollout(
  verifier: Pick<RolloutVerifier, 'describe'>,
): (policy: PromotionPolicy, meta: PromotionMeta) => Promise<{ held: boolean; line: string } | null> {
  return async (policy, meta) => {
    const env = policy.spec.environments.find((e) => e.name === meta.env);
    const from = policy.spec.environments.find((e) => e.name === env?.from);
    if (!from || !verifies(from)) return null;
    const gate = await verifier.describe(policy.metadata.name, meta.app, from.name);
    // Fails closed: no record, or one about another tag than this PR's candidate, holds the merge.
    return describeRollout(from.name, meta.tag, gate);
  };
}

/**
 * Whether a PR's branch carries commits promobot did not write (`hasForeignCommits` of
 * `createPromotionPullRequests`), looked up once per branch head.
 */
export function foreignCommitsOnce(
  portFor: (policy: PromotionPolicy, logger: Logger) => DeployRepoPort,
  logger: Logger,
): (policy: PromotionPolicy, pr: PullRequest) => Promise<boolean> {
  const foreignHeads = new Map<string, boolean>();
  return async (policy, pr) => {
    // A head's history never changes: one look per branch head is enough for every status written on it.
    const key = `${policy.spec.deployRepo.repo}:${pr.headRef}@${pr.headSha}`;
    const known = foreignHeads.get(key);
    if (known !== undefined) return known;
    const foreign = await portFor(policy, logger).hasForeignCommits(pr.headRef);
    if (foreignHeads.size >= 1_000) foreignHeads.clear();
    foreignHeads.set(key, foreign);
    return foreign;
  };
}
