import { errorMessage, isAccessError } from '../errors/index.js';
import type { PromotionPolicy } from '../policy/index.js';
import { repoRef, type ScmHost } from '../scm/types.js';
import type { DoctorCheck } from '../hosts/ports/doctor-check.js';

/** Asked about when no approver is named by login: Gitea's guard answers before it looks the user up. */
export const PROBE_LOGIN = 'promobot-doctor-probe';

/** Who the policies of one deploy repo name as approvers: logins, and `team:<org>/<team>` teams. Pure. */
export function namedApprovers(policies: readonly PromotionPolicy[]): {
  logins: string[];
  teams: { org: string; team: string }[];
} {
  const logins = new Set<string>();
  const teams = new Map<string, { org: string; team: string }>();
  for (const policy of policies) {
    for (const env of policy.spec.environments) {
      for (const approver of env.approvals?.approvers ?? []) {
        if (!approver.startsWith('team:')) {
          logins.add(approver);
          continue;
        }
        const [org = '', team = ''] = approver.slice('team:'.length).split('/');
        teams.set(`${org}/${team}`.toLowerCase(), { org, team });
      }
    }
  }
  return { logins: [...logins], teams: [...teams.values()] };
}

/**
 * Proves, by the real read calls ChatOps makes through the {@link ScmHost}, that promobot may decide the commands of
 * the policies on `repo`: read another user's permission (a policy's named approver, else a probe login), and read
 * the members of every `team:` approver. A refusal of promobot itself is a FAIL naming the missing role and its
 * exact fix; nothing is written.
 */
export async function checkApproverAccess(
  host: ScmHost,
  repo: string,
  policies: readonly PromotionPolicy[],
): Promise<DoctorCheck[]> {
  const group = 'SCM access';
  const checks: DoctorCheck[] = [];
  const { logins, teams } = namedApprovers(policies);
  const asked = logins[0] ?? PROBE_LOGIN;
  const who = logins[0] === undefined ? 'another user' : `approver @${asked}`;
  try {
    const permission = await host.getPermission(repoRef(repo), asked);
    const weak = logins[0] !== undefined && permission !== 'write' && permission !== 'admin';
    checks.push({
      group,
      name: `${repo}: read another user's permission`,
      status: weak ? 'warn' : 'pass',
      detail: `promobot reads the permission of ${who} (${permission})${weak ? `: @${asked} lacks write, so their commands will be refused` : ''}`,
      ...(weak
        ? { fix: `give @${asked} write access to ${repo}, or drop them from approvals.approvers` }
        : {}),
    });
  } catch (error) {
    checks.push(failure(group, `${repo}: read another user's permission`, error));
  }
  let bot: string | undefined;
  for (const { org, team } of teams) {
    const name = `${repo}: read the members of team:${org}/${team}`;
    try {
      bot ??= (await host.whoAmI()).login;
      const member = await host.isTeamMember(org, team, bot);
      // On Gitea the bot reads a team's members only as one of them: outside it, the team is missing (or the bot
      // is an org owner, which it should not be).
      const missing = !member && host.kind === 'gitea';
      checks.push({
        group,
        name,
        status: missing ? 'warn' : 'pass',
        detail: missing
          ? `promobot is in no team ${org}/${team}: the team does not exist (or promobot reads it as an owner of ${org}), so nobody approves through it`
          : `promobot reads the members of ${org}/${team}${member ? ' (it is one of them)' : ''}`,
        ...(missing
          ? {
              fix: `create the team ${org}/${team} and add promobot to it, or correct the name in approvals.approvers`,
            }
          : {}),
      });
    } catch (error) {
      checks.push(failure(group, name, error));
    }
  }
  return checks;
}

function failure(group: string, name: string, error: unknown): DoctorCheck {
  if (isAccessError(error)) {
    return {
      group,
      name,
      status: 'fail',
      detail: `${error.message} [missing: ${error.capability}]`,
      fix: error.advice ?? 'see docs/ACCESS.md',
    };
  }
  return { group, name, status: 'fail', detail: errorMessage(error), fix: 'see docs/ACCESS.md' };
}
