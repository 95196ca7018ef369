import type { PromotionPolicy } from './schema.js';

/**
 * The policies that write to deploy repo `repo` (`owner/name`) on `scm`, for routing a PR or push webhook.
 * Several policies may share one deploy repo (in different folders). Owner and name compare without regard to
 * case, as Gitea and GitHub treat them.
 */
export function findByDeployRepo(
  policies: readonly PromotionPolicy[],
  scm: PromotionPolicy['spec']['deployRepo']['scm'],
  repo: string,
): PromotionPolicy[] {
  const wanted = repo.toLowerCase();
  return policies.filter(
    (p) => p.spec.deployRepo.scm === scm && p.spec.deployRepo.repo.toLowerCase() === wanted,
  );
}
