import { z } from 'zod';
import type { WantedProtection } from './wanted-protection.js';

/**
 * A Gitea branch protection rule, the fields promobot reads (`GET /repos/{owner}/{repo}/branch_protections`,
 * modules/structs/repo_branch.go BranchProtection). Go's zero values may come as null.
 */
export const GiteaProtectionRule = z.object({
  rule_name: z.string().nullish(),
  branch_name: z.string().nullish(),
  enable_push: z.boolean().nullish(),
  enable_push_whitelist: z.boolean().nullish(),
  push_whitelist_usernames: z.array(z.string()).nullish(),
  push_whitelist_teams: z.array(z.string()).nullish(),
  enable_status_check: z.boolean().nullish(),
  status_check_contexts: z.array(z.string()).nullish(),
});
export type GiteaProtectionRule = z.infer<typeof GiteaProtectionRule>;

/** The fields promobot sets on a rule; every other field of the rule (approvals, merge lists, ...) stays as it is. */
export interface GiteaProtectionFields {
  enable_push: true;
  enable_push_whitelist: true;
  push_whitelist_usernames: string[];
  push_whitelist_teams: string[];
  enable_status_check: true;
  status_check_contexts: string[];
}

export type ProtectionDecision =
  | { readonly action: 'create'; readonly body: GiteaProtectionFields & { rule_name: string } }
  | {
      readonly action: 'update';
      readonly ruleName: string;
      readonly differences: readonly string[];
      readonly body: GiteaProtectionFields;
    }
  | { readonly action: 'keep'; readonly ruleName: string };

const lower = (values: readonly string[] | null | undefined) => (values ?? []).map((v) => v.toLowerCase());

/** The rule Gitea keeps for exactly this branch (a rule named by the branch; older rules only carry branch_name). */
export function ruleOf(
  rules: readonly GiteaProtectionRule[],
  branch: string,
): GiteaProtectionRule | undefined {
  return rules.find((r) => (r.rule_name || r.branch_name) === branch);
}

/**
 * Pure decision of `promobot setup` for one Gitea deploy branch. Wanted: status checks on with every wanted context
 * (contexts others require stay), pushes allowed only to promobot's user and the policy's `pushers` (the push
 * allow-list: Gitea's pre-receive hook refuses everyone else, routers/private/hook_pre_receive.go, while merges
 * of PRs still go through). A rule that already asks that is kept untouched.
 */
export function decideProtectionChange(
  rules: readonly GiteaProtectionRule[],
  wanted: WantedProtection,
  botLogin: string,
): ProtectionDecision {
  const bot = botLogin.toLowerCase();
  const allowList = [bot, ...wanted.pushers.filter((p) => p !== bot)];
  const rule = ruleOf(rules, wanted.branch);
  if (!rule) {
    return {
      action: 'create',
      body: {
        rule_name: wanted.branch,
        enable_push: true,
        enable_push_whitelist: true,
        push_whitelist_usernames: allowList,
        push_whitelist_teams: [],
        enable_status_check: true,
        status_check_contexts: [...wanted.contexts],
      },
    };
  }
  const differences: string[] = [];
  const contexts = rule.enable_status_check ? (rule.status_check_contexts ?? []) : [];
  if (!rule.enable_status_check) differences.push('status checks are not required');
  const missing = wanted.contexts.filter((c) => !contexts.includes(c));
  if (rule.enable_status_check && missing.length > 0)
    differences.push(`required statuses lack ${missing.join(', ')}`);
  if (!rule.enable_push)
    differences.push('nobody may push, not even promobot (its entry commits would be refused)');
  else if (!rule.enable_push_whitelist) differences.push('everyone with write access may push');
  else {
    const listed = lower(rule.push_whitelist_usernames);
    if (!listed.includes(bot)) differences.push(`${botLogin} is not in the push allow-list`);
    const extra = listed.filter((login) => !allowList.includes(login));
    if (extra.length > 0) differences.push(`the push allow-list also names ${extra.join(', ')}`);
    const missingPushers = wanted.pushers.filter((p) => !listed.includes(p));
    if (missingPushers.length > 0) differences.push(`the push allow-list lacks ${missingPushers.join(', ')}`);
    const teams = rule.push_whitelist_teams ?? [];
    if (teams.length > 0) differences.push(`the teams ${teams.join(', ')} may push`);
  }
  const ruleName = (rule.rule_name || rule.branch_name) ?? wanted.branch;
  if (differences.length === 0) return { action: 'keep', ruleName };
  return {
    action: 'update',
    ruleName,
    differences,
    body: {
      enable_push: true,
      enable_push_whitelist: true,
      push_whitelist_usernames: allowList,
      push_whitelist_teams: [],
      enable_status_check: true,
      status_check_contexts: [...new Set([...contexts, ...wanted.contexts])],
    },
  };
}
