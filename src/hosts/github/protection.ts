import { z } from 'zod';
import type { ProtectionClient } from '../ports/protection-model.js';
import type { WantedProtection } from '../ports/protection-model.js';
import type { GitHubClient } from './client.js';

/** A bypass actor of a ruleset (docs.github.com/en/rest/repos/rules). */
export const BypassActor = z.object({
  actor_id: z.number().int().nullish(),
  actor_type: z.string(),
  bypass_mode: z.string().optional(),
});
export type BypassActor = z.infer<typeof BypassActor>;

/** A repository ruleset as `GET /repos/{owner}/{repo}/rulesets/{id}` answers it, the fields promobot reads. */
export const GitHubRuleset = z.object({
  id: z.number().int(),
  name: z.string(),
  enforcement: z.string(),
  target: z.string().nullish(),
  bypass_actors: z.array(BypassActor).nullish(),
  conditions: z
    .object({
      ref_name: z
        .object({ include: z.array(z.string()).optional(), exclude: z.array(z.string()).optional() })
        .optional(),
    })
    .nullish(),
  rules: z
    .array(z.object({ type: z.string(), parameters: z.record(z.string(), z.unknown()).optional() }))
    .nullish(),
});
export type GitHubRuleset = z.infer<typeof GitHubRuleset>;

/** The ruleset promobot keeps on a deploy branch is found by this name; it is promobot's own, set whole. */
export function rulesetName(branch: string): string {
  return `promobot: ${branch}`;
}

/** The body of promobot's ruleset (`POST`/`PUT /repos/{owner}/{repo}/rulesets`). */
export interface RulesetBody {
  name: string;
  target: 'branch';
  enforcement: 'active';
  bypass_actors: { actor_id: number; actor_type: 'User' | 'Integration'; bypass_mode: 'always' }[];
  conditions: { ref_name: { include: string[]; exclude: string[] } };
  rules: (
    | {
        type: 'required_status_checks';
        parameters: {
          required_status_checks: { context: string }[];
          strict_required_status_checks_policy: false;
        };
      }
    | {
        /** docs.github.com REST "repository rules", RepositoryRuleNonFastForward: blocks force pushes. */
        type: 'non_fast_forward';
      }
    | {
        type: 'pull_request';
        parameters: {
          required_approving_review_count: 0;
          dismiss_stale_reviews_on_push: false;
          require_code_owner_review: false;
          require_last_push_approval: false;
          required_review_thread_resolution: false;
        };
      }
  )[];
}

/**
 * Pure: promobot's ruleset for a deploy branch. `required_status_checks` makes a merge (and a push) need the
 * promobot statuses green; `pull_request` makes people change the branch through PRs only; `non_fast_forward` blocks
 * force pushes; promobot (a user by id,
 * or its App) and the policy's pushers are bypass actors, so promobot's entry commits still land. GitHub rulesets
 * have no push-only allow-list: a pusher may also merge past the statuses, and bypasses the force-push block too.
 */
export function wantedRuleset(
  wanted: WantedProtection,
  actors: readonly { actor_id: number; actor_type: 'User' | 'Integration' }[],
): RulesetBody {
  return {
    name: rulesetName(wanted.branch),
    target: 'branch',
    enforcement: 'active',
    bypass_actors: actors.map((a) => ({ ...a, bypass_mode: 'always' })),
    conditions: { ref_name: { include: [`refs/heads/${wanted.branch}`], exclude: [] } },
    rules: [
      {
        type: 'required_status_checks',
        parameters: {
          required_status_checks: wanted.contexts.map((context) => ({ context })),
          strict_required_status_checks_policy: false,
        },
      },
      { type: 'non_fast_forward' },
      {
        type: 'pull_request',
        parameters: {
          required_approving_review_count: 0,
          dismiss_stale_reviews_on_push: false,
          require_code_owner_review: false,
          require_last_push_approval: false,
          required_review_thread_resolution: false,
        },
      },
    ],
  };
}

/** Pure: what is different about promobot's ruleset from the wanted one, in words; empty when it is as wanted. */
export function rulesetDifferences(existing: GitHubRuleset, body: RulesetBody): string[] {
  const differences: string[] = [];
  if (existing.enforcement !== 'active') differences.push(`enforcement is ${existing.enforcement}`);
  const include = existing.conditions?.ref_name?.include ?? [];
  const ref = body.conditions.ref_name.include[0]!;
  if (!include.includes(ref)) differences.push(`does not cover ${ref}`);
  if ((existing.conditions?.ref_name?.exclude ?? []).includes(ref)) differences.push(`excludes ${ref}`);
  const rules = existing.rules ?? [];
  const contexts = rules
    .filter((r) => r.type === 'required_status_checks')
    .flatMap((r) =>
      z
        .array(z.object({ context: z.string() }))
        .catch([])
        .parse(r.parameters?.required_status_checks),
    );
  const missing = body.rules
    .flatMap((r) => (r.type === 'required_status_checks' ? r.parameters.required_status_checks : []))
    .filter((c) => !contexts.some((x) => x.context === c.context));
  if (missing.length > 0)
    differences.push(`required statuses lack ${missing.map((c) => c.context).join(', ')}`);
  if (!rules.some((r) => r.type === 'pull_request'))
    differences.push('people may push without a pull request');
  if (!rules.some((r) => r.type === 'non_fast_forward')) differences.push('force pushes are allowed');
  const actors = existing.bypass_actors ?? [];
  const key = (a: { actor_type: string; actor_id?: number | null | undefined }) =>
    `${a.actor_type} ${a.actor_id ?? ''}`;
  const lacking = body.bypass_actors.filter((a) => !actors.some((x) => key(x) === key(a)));
  if (lacking.length > 0) differences.push(`bypass list lacks ${lacking.map(key).join(', ')}`);
  const extra = actors.filter((a) => !body.bypass_actors.some((x) => key(x) === key(a)));
  if (extra.length > 0) differences.push(`bypass list also has ${extra.map(key).join(', ')}`);
  return differences;
}

const User = z.object({ id: z.number().int().optional(), login: z.string().min(1) });
const RulesetSummary = z.object({ id: z.number().int(), name: z.string() });

/**
 * promobot's repository ruleset on GitHub (`/repos/{owner}/{repo}/rulesets`; admins, or an App with
 * Administration: write). Its bypass actors: the App (`appId`) or the token's user, and the policy's pushers.
 */
export function createGitHubProtectionClient(api: GitHubClient, appId?: number): ProtectionClient {
  const ids = new Map<string, number>();
  const userId = async (login?: string) => {
    const key = login ?? '';
    if (!ids.has(key)) {
      const answer = await api.request(
        'GET',
        login === undefined ? '/user' : `/users/${encodeURIComponent(login)}`,
        User,
      );
      ids.set(key, answer.data.id ?? 0);
    }
    return ids.get(key)!;
  };
  return {
    async plan(wanted, bot) {
      const actors: { actor_id: number; actor_type: 'User' | 'Integration' }[] = [
        appId === undefined
          ? { actor_type: 'User', actor_id: await userId(bot) }
          : { actor_type: 'Integration', actor_id: appId },
      ];
      for (const login of wanted.pushers) actors.push({ actor_type: 'User', actor_id: await userId(login) });
      const body = wantedRuleset(wanted, actors);
      const path = `/repos/${wanted.repo}/rulesets`;
      const summaries: z.infer<typeof RulesetSummary>[] = [];
      for (let page = 1; ; page += 1) {
        const { data } = await api.request(
          'GET',
          `${path}?per_page=100&page=${page}`,
          z.array(RulesetSummary),
        );
        summaries.push(...data);
        if (data.length < 100) break;
      }
      const ours = summaries.find((r) => r.name === body.name);
      if (!ours)
        return {
          action: 'create',
          differences: ['no promobot ruleset'],
          apply: async () => {
            await api.request('POST', path, GitHubRuleset, body);
          },
        };
      const existing = (await api.request('GET', `${path}/${ours.id}`, GitHubRuleset)).data;
      const differences = rulesetDifferences(existing, body);
      if (differences.length === 0) return { action: 'keep' };
      return {
        action: 'update',
        differences,
        apply: async () => {
          await api.request('PUT', `${path}/${ours.id}`, GitHubRuleset, body);
        },
      };
    },
  };
}
