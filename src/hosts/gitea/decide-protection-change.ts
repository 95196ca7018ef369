import { z } from 'zod';
import type { WantedProtection } from '../ports/protection-model.js';

/**
 * A Gitea branch protection rule, the fields promobot reads (`GET /repos/{owner}/{repo}/branch_protections`,
 * modules/structs/repo_branch.go BranchProtection). Go's zero values may come as null.
 */
export const GiteaProtectionRule = z.object({
  rule_name: z.string().nullish(),
  branch_name: z.string().nullish(),
  /** Gitea ≥ 1.23: the order glob rules are tried in (lowest first). */
  priority: z.number().nullish(),
  enable_push: z.boolean().nullish(),
  enable_push_whitelist: z.boolean().nullish(),
  push_whitelist_usernames: z.array(z.string()).nullish(),
  push_whitelist_teams: z.array(z.string()).nullish(),
  enable_status_check: z.boolean().nullish(),
  status_check_contexts: z.array(z.string()).nullish(),
  enable_force_push: z.boolean().nullish(),
  enable_force_push_allowlist: z.boolean().nullish(),
  force_push_allowlist_usernames: z.array(z.string()).nullish(),
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
  /** Nobody force-pushes to a deploy branch: not people, and promobot never needs to. */
  enable_force_push: false;
  enable_force_push_allowlist: false;
  force_push_allowlist_usernames: string[];
}

export type ProtectionDecision =
  | { readonly action: 'create'; readonly body: GiteaProtectionFields & { rule_name: string } }
  | {
      readonly action: 'update';
      readonly ruleName: string;
      readonly differences: readonly string[];
      readonly body: GiteaProtectionFields;
    }
  | { readonly action: 'keep'; readonly ruleName: string }
  /**
   * A glob rule covers the branch and is not as wanted: promobot does not change a rule that also protects other
   * branches, nor add a rule of its own (Gitea would then apply that one alone to the branch, dropping the glob
   * rule's other settings there). The operator decides.
   */
  | { readonly action: 'conflict'; readonly ruleName: string; readonly differences: readonly string[] };

const lower = (values: readonly string[] | null | undefined) => (values ?? []).map((v) => v.toLowerCase());

const ruleName = (rule: GiteaProtectionRule): string => (rule.rule_name || rule.branch_name) ?? '';

/** models/git/protected_branch.go IsRuleNameSpecial: a rule name with one of glob's special bytes is a glob. */
export function isGlobRule(name: string): boolean {
  return /[*?[\]{}\\]/.test(name);
}

/**
 * A Gitea rule glob as a regular expression: gobwas/glob compiled with `/` as separator (protected_branch.go
 * loadGlob), so `*` and `?` stay within one path segment, `**` crosses them, `[...]`/`[!...]` are classes and
 * `{a,b}` alternatives. Undefined for a glob Gitea could not compile either (it then matches the name literally).
 */
export function globPattern(glob: string): RegExp | undefined {
  let out = '';
  let braces = 0;
  for (let i = 0; i < glob.length; i += 1) {
    const c = glob[i]!;
    if (c === '\\') {
      const next = glob[i + 1];
      if (next === undefined) return undefined;
      out += next.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      i += 1;
    } else if (c === '*') {
      if (glob[i + 1] === '*') {
        out += '.*';
        i += 1;
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) return undefined;
      let body = glob.slice(i + 1, end);
      const negate = body.startsWith('!');
      if (negate) body = body.slice(1);
      out += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = end;
    } else if (c === '{') {
      braces += 1;
      out += '(?:';
    } else if (c === '}' && braces > 0) {
      braces -= 1;
      out += ')';
    } else if (c === ',' && braces > 0) out += '|';
    else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  if (braces > 0) return undefined;
  return new RegExp(`^${out}$`);
}

/** Whether a rule applies to `branch` as Gitea's ProtectedBranch.Match decides: a plain name ignoring case, else the glob. */
export function ruleMatches(name: string, branch: string): boolean {
  if (!isGlobRule(name)) return name.toLowerCase() === branch.toLowerCase();
  return (globPattern(name) ?? new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`)).test(branch);
}

/**
 * The rule Gitea applies to `branch`: models/git/protected_branch_list.go sorts plain names before globs, and globs
 * by priority (≥ 1.23; by creation before, which is the order the list answers in), then takes the first match.
 */
export function ruleOf(
  rules: readonly GiteaProtectionRule[],
  branch: string,
): GiteaProtectionRule | undefined {
  const ordered = rules
    .map((rule, index) => ({ rule, index, glob: isGlobRule(ruleName(rule)) }))
    .sort(
      (a, b) =>
        Number(a.glob) - Number(b.glob) ||
        (a.glob ? (a.rule.priority ?? 0) - (b.rule.priority ?? 0) : 0) ||
        a.index - b.index,
    );
  return ordered.find(({ rule }) => ruleMatches(ruleName(rule), branch))?.rule;
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
        enable_force_push: false,
        enable_force_push_allowlist: false,
        force_push_allowlist_usernames: [],
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
  // models/git/protected_branch.go CanUserForcePush: with force pushes on, everyone who may push (or the allow-list).
  if (rule.enable_force_push) {
    const allowed = rule.enable_force_push_allowlist ? (rule.force_push_allowlist_usernames ?? []) : [];
    differences.push(
      allowed.length > 0 || rule.enable_force_push_allowlist
        ? `force pushes are allowed${allowed.length > 0 ? ` to ${allowed.join(', ')}` : ' to the allow-list'}`
        : 'force pushes are allowed',
    );
  }
  const name = ruleName(rule) || wanted.branch;
  if (differences.length === 0) return { action: 'keep', ruleName: name };
  if (isGlobRule(name)) return { action: 'conflict', ruleName: name, differences };
  return {
    action: 'update',
    ruleName: name,
    differences,
    body: {
      enable_push: true,
      enable_push_whitelist: true,
      push_whitelist_usernames: allowList,
      push_whitelist_teams: [],
      enable_status_check: true,
      status_check_contexts: [...new Set([...contexts, ...wanted.contexts])],
      enable_force_push: false,
      enable_force_push_allowlist: false,
      force_push_allowlist_usernames: [],
    },
  };
}
