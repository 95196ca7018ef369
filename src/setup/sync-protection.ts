import { z } from 'zod';
import type { Config } from '../config/index.js';
import { errorMessage } from '../errors/index.js';
import type { PromotionPolicy } from '../policy/index.js';
import {
  decideProtectionChange,
  GiteaProtectionRule,
  type GiteaProtectionFields,
} from './decide-protection-change.js';
import type { DoctorCheck } from './doctor-check.js';
import { createGiteaApi } from './gitea-hooks.js';
import { HttpStatusError, type JsonClient } from './json-client.js';
import { wantedProtections, type WantedProtection } from './wanted-protection.js';

export type ProtectionAction = 'created' | 'updated' | 'unchanged' | 'missing' | 'differs' | 'failed';

/** What happened (or, in a check, would happen) to the protection of one deploy branch. */
export interface ProtectionOutcome {
  readonly scm: 'gitea' | 'github';
  readonly repo: string;
  readonly branch: string;
  readonly action: ProtectionAction;
  readonly contexts: readonly string[];
  readonly differences?: readonly string[];
  readonly message?: string;
  readonly fix?: string;
}

/** What one host lets `promobot setup` do with a branch's protection. */
export interface ProtectionClient {
  /** The login promobot acts as: the one user allowed to push besides the policy's `pushers`. */
  botLogin(): Promise<string>;
  list(repo: string): Promise<GiteaProtectionRule[]>;
  create(repo: string, body: GiteaProtectionFields & { rule_name: string }): Promise<void>;
  update(repo: string, ruleName: string, body: GiteaProtectionFields): Promise<void>;
}

const User = z.object({ login: z.string().min(1) });

/** Branch protection rules on Gitea (`/repos/{owner}/{repo}/branch_protections`, repo admins only). */
export function createGiteaProtectionClient(api: JsonClient): ProtectionClient {
  const path = (repo: string) => `/repos/${repo}/branch_protections`;
  return {
    async botLogin() {
      return (await api.request('GET', '/user', User)).data.login;
    },
    async list(repo) {
      return (await api.request('GET', path(repo), z.array(GiteaProtectionRule).nullable())).data ?? [];
    },
    async create(repo, body) {
      await api.request('POST', path(repo), GiteaProtectionRule, body);
    },
    async update(repo, ruleName, body) {
      await api.request('PATCH', `${path(repo)}/${encodeURIComponent(ruleName)}`, GiteaProtectionRule, body);
    },
  };
}

export interface SyncProtectionInput {
  readonly config: Config;
  readonly policies: readonly PromotionPolicy[];
  /** Only look: report `missing` and `differs` instead of creating and updating (used by `doctor` and `--check`). */
  readonly checkOnly?: boolean;
  /** Host clients; by default made from the configuration. */
  readonly clients?: Partial<Record<'gitea' | 'github', ProtectionClient>>;
}

function adviseFailure(wanted: WantedProtection, error: unknown): string {
  const settings = `${wanted.repo} → Settings → Branches`;
  if (error instanceof HttpStatusError && (error.status === 401 || error.status === 403))
    return `promobot's token must belong to a repo admin of ${wanted.repo} (docs/ACCESS.md), or add the rule by hand in ${settings}`;
  if (error instanceof HttpStatusError && error.status === 404)
    return `check that ${wanted.repo} exists and promobot's user is its admin`;
  return `run \`promobot setup\` again, or add the rule by hand in ${settings}`;
}

/**
 * Keeps the protection of every managed deploy branch as the policies want it (see {@link decideProtectionChange}):
 * creates the rule when there is none, repairs promobot's fields of one that differs, leaves a matching rule alone.
 * Never throws for one branch's failure: it becomes a `failed` outcome with its fix.
 */
export async function syncProtection(input: SyncProtectionInput): Promise<ProtectionOutcome[]> {
  const { config } = input;
  const clients = input.clients ?? {
    ...(config.gitea.url !== undefined && config.gitea.token !== undefined
      ? { gitea: createGiteaProtectionClient(createGiteaApi(config.gitea.url, config.gitea.token)) }
      : {}),
  };
  const outcomes: ProtectionOutcome[] = [];
  const logins = new Map<string, string>();
  for (const wanted of wantedProtections(input.policies)) {
    const base = { scm: wanted.scm, repo: wanted.repo, branch: wanted.branch, contexts: wanted.contexts };
    const client = clients[wanted.scm];
    if (client === undefined) {
      outcomes.push({
        ...base,
        action: 'failed',
        message:
          wanted.scm === 'github'
            ? 'promobot does not manage GitHub branch protection yet'
            : 'no credentials for gitea',
        fix:
          wanted.scm === 'github'
            ? `require the statuses ${wanted.contexts.join(', ')} on ${wanted.branch} by hand (Settings → Branches), or set spec.deployRepo.protection.manage: false`
            : 'set GITEA_URL and GITEA_TOKEN (a token of a repository admin, scope write:repository)',
      });
      continue;
    }
    try {
      const login = logins.get(wanted.scm) ?? (await client.botLogin());
      logins.set(wanted.scm, login);
      const decision = decideProtectionChange(await client.list(wanted.repo), wanted, login);
      if (decision.action === 'keep') outcomes.push({ ...base, action: 'unchanged' });
      else if (decision.action === 'create') {
        if (input.checkOnly) outcomes.push({ ...base, action: 'missing' });
        else {
          await client.create(wanted.repo, decision.body);
          outcomes.push({ ...base, action: 'created' });
        }
      } else if (input.checkOnly) {
        outcomes.push({ ...base, action: 'differs', differences: decision.differences });
      } else {
        await client.update(wanted.repo, decision.ruleName, decision.body);
        outcomes.push({ ...base, action: 'updated', differences: decision.differences });
      }
    } catch (error) {
      outcomes.push({
        ...base,
        action: 'failed',
        message: errorMessage(error),
        fix: adviseFailure(wanted, error),
      });
    }
  }
  return outcomes;
}

/** One line per branch and a closing summary, for `promobot setup`. Pure. */
export function renderProtectionOutcomes(outcomes: readonly ProtectionOutcome[]): string {
  const lines = outcomes.map((o) => {
    const where = `${o.scm} ${o.repo}@${o.branch}`;
    const wants = `requires ${o.contexts.join(', ')}`;
    switch (o.action) {
      case 'created':
        return `created  ${where}: ${wants}`;
      case 'updated':
        return `updated  ${where}: ${o.differences?.join('; ')}`;
      case 'unchanged':
        return `ok       ${where}: ${wants}`;
      case 'missing':
        return `missing  ${where}: no protection rule`;
      case 'differs':
        return `differs  ${where}: ${o.differences?.join('; ')}`;
      case 'failed':
        return `FAILED   ${where}: ${o.message}\n         fix: ${o.fix}`;
    }
  });
  const changed = outcomes.filter((o) => o.action === 'created' || o.action === 'updated').length;
  const failed = outcomes.filter((o) => o.action === 'failed').length;
  let summary: string;
  if (outcomes.length === 0) summary = 'no branch to protect: no policy manages its deploy branch';
  else if (changed === 0 && failed === 0)
    summary = 'nothing changed: every deploy branch is protected as wanted';
  else
    summary = `${changed} changed, ${failed} failed, ${outcomes.length - changed - failed} already as wanted`;
  return `${[...lines, summary].join('\n')}\n`;
}

/**
 * `doctor`'s look at one Gitea deploy branch: whether its protection requires what the policies want (a read
 * only). A missing or different rule is a warning with the fix, `promobot setup`: without it, a person can
 * merge a promotion PR by hand before its gates and approvals are green.
 */
export async function checkBranchProtection(
  api: JsonClient,
  policies: readonly PromotionPolicy[],
  repo: string,
  branch: string,
): Promise<DoctorCheck | undefined> {
  const wanted = wantedProtections(policies).find(
    (w) => w.scm === 'gitea' && w.repo.toLowerCase() === repo.toLowerCase() && w.branch === branch,
  );
  if (!wanted) return undefined;
  const name = `${repo}: protection of ${branch}`;
  const client = createGiteaProtectionClient(api);
  try {
    const decision = decideProtectionChange(await client.list(wanted.repo), wanted, await client.botLogin());
    if (decision.action === 'keep')
      return {
        group: 'SCM access',
        name,
        status: 'pass',
        detail: `merges need ${wanted.contexts.join(', ')}; only promobot${wanted.pushers.length > 0 ? ` and ${wanted.pushers.join(', ')}` : ''} may push`,
      };
    return {
      group: 'SCM access',
      name,
      status: 'warn',
      detail:
        decision.action === 'create'
          ? `${branch} has no protection rule: a person can merge a promotion PR before its gates and approvals are green`
          : `the rule of ${branch} is not as the policies want: ${decision.differences.join('; ')}`,
      fix: 'run `promobot setup` (or set spec.deployRepo.protection.manage: false to leave the branch alone)',
    };
  } catch (error) {
    return {
      group: 'SCM access',
      name,
      status: 'warn',
      detail: `could not read the protection rules of ${repo}: ${errorMessage(error)}`,
      fix: adviseFailure(wanted, error),
    };
  }
}
