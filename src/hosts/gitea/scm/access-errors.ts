import { AccessError } from '../../../errors/index.js';

/**
 * The `AccessError`s of the Gitea host: Gitea refused promobot itself a look-up it needs to decide a person's
 * command. Each says what promobot could not read, that it is promobot's setup (not the person's rights), and the
 * exact fix in Gitea's UI and API. Pure.
 */

export function cannotReadPermission(repo: string, user: string, bot: string, said: string): AccessError {
  return new AccessError(
    `promobot could not read @${user}'s permission on ${repo}: Gitea lets only repository admins read another user's permission${quote(said)}`,
    {
      capability: 'read-permission',
      advice: `make ${bot} an administrator of ${repo}: ${repo} → Settings → Collaborators → ${bot} → Administrator, or PUT /api/v1/repos/${repo}/collaborators/${bot} {"permission":"admin"} as a repo admin`,
    },
  );
}

export function cannotReadTeams(
  org: string,
  team: string,
  bot: string,
  status: number,
  said: string,
): AccessError {
  const why =
    status === 404
      ? `Gitea does not show the organization ${org} to ${bot}`
      : `Gitea shows an organization's teams only to its members`;
  const spelling =
    status === 404 ? `check that the policy names the organization right (team:${org}/${team}), then ` : '';
  return new AccessError(`promobot could not look up team ${org}/${team}: ${why}${quote(said)}`, {
    capability: 'read-org-teams',
    advice: `${spelling}add ${bot} to the team ${org}/${team} (which also makes it a member of ${org}): ${org} → Teams → ${team} → Add team member, or PUT /api/v1/teams/{id}/members/${bot} as an owner of ${org}`,
  });
}

export function cannotReadMembers(org: string, team: string, bot: string, said: string): AccessError {
  return new AccessError(
    `promobot could not read the members of team ${org}/${team}: Gitea shows a team's members only to its own members and the owners of ${org}${quote(said)}`,
    {
      capability: 'read-team-members',
      advice: `add ${bot} to the team ${org}/${team}: ${org} → Teams → ${team} → Add team member, or PUT /api/v1/teams/{id}/members/${bot} as an owner of ${org}`,
    },
  );
}

function quote(said: string): string {
  return said === '' ? '' : ` (Gitea said: "${said.slice(0, 200)}")`;
}
