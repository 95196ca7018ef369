import { hasFreezeWindows } from '../freeze/decide-freeze.js';
import type { WantedProtection } from '../hosts/ports/protection-model.js';
import type { PromotionPolicy } from '../policy/index.js';

export type { WantedProtection };

/** The `promobot/*` commit statuses a policy's promotion and rollback PRs carry, by context. */
export const STATUS_CONTEXTS = {
  promotion: 'promobot/promotion',
  approval: 'promobot/approval',
  gates: 'promobot/gates',
  freeze: 'promobot/freeze',
} as const;

/**
 * Pure: the statuses every PR into a policy's deploy branch must have green before merge. Every promotion and
 * rollback PR carries `promobot/promotion` (the soak) and `promobot/approval` (approvals and holds, "no approval
 * required" where none are); `promobot/gates` is set on every PR of a policy with a gated environment (success
 * "no gates" where an environment has none), so it is required only there; `promobot/freeze` likewise on every PR of
 * a policy with freeze windows. A later `promobot/*` status a policy
 * produces belongs in this one list.
 */
export function requiredStatusContexts(policy: PromotionPolicy): string[] {
  const contexts: string[] = [STATUS_CONTEXTS.promotion, STATUS_CONTEXTS.approval];
  if (policy.spec.environments.some((env) => env.gates.length > 0)) contexts.push(STATUS_CONTEXTS.gates);
  // Set on every PR of a policy with freeze windows (pending "frozen until ..." while one is open).
  if (hasFreezeWindows(policy.spec)) contexts.push(STATUS_CONTEXTS.freeze);
  return contexts.sort();
}

/**
 * Pure: the protection wanted on each deploy branch of the policies. Policies sharing a branch add up (the union
 * of their statuses and pushers); a branch whose every policy says `protection.manage: false` is left out.
 */
export function wantedProtections(policies: readonly PromotionPolicy[]): WantedProtection[] {
  const byBranch = new Map<
    string,
    {
      scm: 'gitea' | 'github';
      repo: string;
      branch: string;
      contexts: Set<string>;
      pushers: Set<string>;
      policies: string[];
    }
  >();
  for (const policy of policies) {
    const { scm, repo, branch, protection } = policy.spec.deployRepo;
    if (!protection.manage) continue;
    const key = `${scm}:${repo.toLowerCase()}:${branch}`;
    const entry = byBranch.get(key) ?? {
      scm,
      repo,
      branch,
      contexts: new Set<string>(),
      pushers: new Set<string>(),
      policies: [],
    };
    for (const context of requiredStatusContexts(policy)) entry.contexts.add(context);
    for (const login of protection.pushers) entry.pushers.add(login.toLowerCase());
    entry.policies.push(policy.metadata.name);
    byBranch.set(key, entry);
  }
  return [...byBranch.values()].map((e) => ({
    scm: e.scm,
    repo: e.repo,
    branch: e.branch,
    contexts: [...e.contexts].sort(),
    pushers: [...e.pushers].sort(),
    policies: e.policies,
  }));
}
