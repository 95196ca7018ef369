import type { Config } from '../config/index.js';
import { errorMessage, httpFailureOf } from '../errors/index.js';
import type { PromotionPolicy } from '../policy/index.js';
import { ScmKind } from '../events/types.js';
import { HOSTS } from '../hosts/index.js';
import type { DoctorCheck } from '../hosts/ports/doctor-check.js';
import type { ProtectionClient } from '../hosts/ports/protection-model.js';
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

export interface SyncProtectionInput {
  readonly config: Config;
  readonly policies: readonly PromotionPolicy[];
  /** Only look: report `missing` and `differs` instead of creating and updating (used by `doctor` and `--check`). */
  readonly checkOnly?: boolean;
  /** Host clients; by default made from the configuration. */
  readonly clients?: Partial<Record<'gitea' | 'github', ProtectionClient>>;
  /** The login promobot acts as, when the configured token is an admin's rather than promobot's own. */
  readonly botLogin?: string;
}

function adviseFailure(wanted: WantedProtection, error: unknown): string {
  const settings = `${wanted.repo} → Settings → Branches`;
  const status = httpFailureOf(error)?.status;
  if (status === 401 || status === 403)
    return `promobot's token must belong to a repo admin of ${wanted.repo} (docs/ACCESS.md), or add the rule by hand in ${settings}`;
  if (status === 404) return `check that ${wanted.repo} exists and promobot's user is its admin`;
  return `run \`promobot setup\` again, or add the rule by hand in ${settings}`;
}

/**
 * Keeps the protection of every managed deploy branch as the policies want it (see {@link decideProtectionChange}):
 * creates the rule when there is none, repairs promobot's fields of one that differs, leaves a matching rule alone.
 * Never throws for one branch's failure: it becomes a `failed` outcome with its fix.
 */
export async function syncProtection(input: SyncProtectionInput): Promise<ProtectionOutcome[]> {
  const { config } = input;
  const clients = input.clients ?? protectionClientsFor(config);
  const outcomes: ProtectionOutcome[] = [];
  for (const wanted of wantedProtections(input.policies)) {
    const base = { scm: wanted.scm, repo: wanted.repo, branch: wanted.branch, contexts: wanted.contexts };
    const client = clients[wanted.scm];
    if (client === undefined) {
      outcomes.push({
        ...base,
        action: 'failed',
        message: `no credentials for ${wanted.scm}`,
        fix: HOSTS[wanted.scm].deployRepos.missingAdminCredentials,
      });
      continue;
    }
    try {
      const plan = await client.plan(wanted, input.botLogin);
      if (plan.action === 'keep') outcomes.push({ ...base, action: 'unchanged' });
      else if (plan.action === 'conflict')
        outcomes.push({
          ...base,
          action: 'failed',
          differences: plan.differences,
          message: `left alone: ${plan.differences.join('; ')}`,
          fix: plan.fix,
        });
      else if (input.checkOnly)
        outcomes.push({
          ...base,
          action: plan.action === 'create' ? 'missing' : 'differs',
          differences: plan.differences,
        });
      else {
        await plan.apply();
        outcomes.push({
          ...base,
          action: plan.action === 'create' ? 'created' : 'updated',
          differences: plan.differences,
        });
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

/** The protection clients the configuration allows, each through its host's one client; a host without credentials has none. */
export function protectionClientsFor(config: Config): Partial<Record<'gitea' | 'github', ProtectionClient>> {
  const clients: Partial<Record<'gitea' | 'github', ProtectionClient>> = {};
  for (const scm of ScmKind.options) {
    const access = HOSTS[scm].deployRepos.connect(config);
    if (access !== undefined) clients[scm] = access.protection;
  }
  return clients;
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
  client: ProtectionClient,
  scm: 'gitea' | 'github',
  policies: readonly PromotionPolicy[],
  repo: string,
  branch: string,
): Promise<DoctorCheck | undefined> {
  const wanted = wantedProtections(policies).find(
    (w) => w.scm === scm && w.repo.toLowerCase() === repo.toLowerCase() && w.branch === branch,
  );
  if (!wanted) return undefined;
  const name = `${repo}: protection of ${branch}`;
  try {
    const plan = await client.plan(wanted);
    if (plan.action === 'keep')
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
        plan.action === 'create'
          ? `${branch} has no ${scm === 'github' ? 'promobot ruleset' : 'protection rule'}: a person can merge a promotion PR before its gates and approvals are green`
          : `the rule of ${branch} is not as the policies want: ${plan.differences.join('; ')}`,
      fix:
        plan.action === 'conflict'
          ? plan.fix
          : 'run `promobot setup` (or set spec.deployRepo.protection.manage: false to leave the branch alone)',
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
