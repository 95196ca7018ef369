/**
 * Who may call what on api.github.com, as far as promobot's calls go: the pure rules the GitHub double applies
 * before it answers. Sources, read for each rule:
 *
 * - Classic scopes: https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps
 *   (`repo` for private repositories and their hooks; `read:org` (or `write:org`, `admin:org`) for teams).
 * - Fine-grained tokens: https://docs.github.com/en/rest/authentication/permissions-required-for-fine-grained-personal-access-tokens
 *   (one permission per endpoint, or any one of a set; a refusal names them in `X-Accepted-GitHub-Permissions`,
 *   https://github.blog/changelog/2023-08-10-x-accepted-github-permissions-header-for-fine-grained-permission-actors;
 *   a fine-grained token reaches the resources of one owner only:
 *   https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/managing-your-personal-access-tokens).
 * - Team visibility: https://docs.github.com/en/rest/teams/members#get-team-membership-for-a-user ("the team must
 *   be visible to the authenticated user") and https://docs.github.com/en/rest/teams/teams#create-a-team (`privacy`:
 *   `secret`, visible only to organization owners and members of the team, is the default for a team created by
 *   API; `closed` is visible to all members of the organization).
 * - Collaborator permission of another user: 403 "Must have push access to view collaborator permission." for a
 *   caller without push (field report: https://github.com/yegor256/rultor/issues/1407; the docs are silent).
 */

export type FineLevel = 'read' | 'write';
/** Fine-grained permission names, as GitHub writes them in `X-Accepted-GitHub-Permissions`. */
export type FinePermission =
  | 'metadata'
  | 'contents'
  | 'pull_requests'
  | 'issues'
  | 'statuses'
  | 'members'
  | 'repository_hooks'
  | 'administration';

export type TokenKind =
  | { kind: 'classic'; scopes: string[] }
  | { kind: 'fine-grained'; owner: string; permissions: Partial<Record<FinePermission, FineLevel>> };

interface Need {
  /** Any one of these classic scopes will do; empty: none needed. */
  classic: string[];
  /** Any one of these fine-grained permissions will do; empty: none needed. */
  fine: [FinePermission, FineLevel][];
}

const REPO: string[] = ['repo'];
const ORG_READ: string[] = ['read:org', 'write:org', 'admin:org'];

/** What each operation the double serves needs of a token (the docs pages above, endpoint by endpoint). */
export const NEEDS: Record<string, Need> = {
  'users/get-authenticated': { classic: [], fine: [] },
  'repos/get': { classic: REPO, fine: [['metadata', 'read']] },
  'pulls/list': { classic: REPO, fine: [['pull_requests', 'read']] },
  'pulls/get': { classic: REPO, fine: [['pull_requests', 'read']] },
  'pulls/create': { classic: REPO, fine: [['pull_requests', 'write']] },
  'pulls/update': { classic: REPO, fine: [['pull_requests', 'write']] },
  'pulls/list-reviews': { classic: REPO, fine: [['pull_requests', 'read']] },
  'pulls/merge': { classic: REPO, fine: [['contents', 'write']] },
  'repos/create-commit-status': { classic: REPO, fine: [['statuses', 'write']] },
  'repos/get-combined-status-for-ref': { classic: REPO, fine: [['statuses', 'read']] },
  'issues/create-comment': {
    classic: REPO,
    fine: [
      ['issues', 'write'],
      ['pull_requests', 'write'],
    ],
  },
  'issues/update-comment': {
    classic: REPO,
    fine: [
      ['issues', 'write'],
      ['pull_requests', 'write'],
    ],
  },
  'issues/list-comments': {
    classic: REPO,
    fine: [
      ['issues', 'read'],
      ['pull_requests', 'read'],
    ],
  },
  // "List issue comments for a repository": the same as an issue's list (issues and PRs share the endpoint).
  'issues/list-comments-for-repo': {
    classic: REPO,
    fine: [
      ['issues', 'read'],
      ['pull_requests', 'read'],
    ],
  },
  // Reactions on an issue (or PR) comment are listed under "Issues" only.
  'reactions/create-for-issue-comment': { classic: REPO, fine: [['issues', 'write']] },
  'repos/get-collaborator-permission-level': { classic: REPO, fine: [['metadata', 'read']] },
  'git/delete-ref': { classic: REPO, fine: [['contents', 'write']] },
  'repos/list-webhooks': { classic: [...REPO, 'read:repo_hook'], fine: [['repository_hooks', 'read']] },
  'repos/create-webhook': { classic: [...REPO, 'write:repo_hook'], fine: [['repository_hooks', 'write']] },
  'repos/update-webhook': { classic: [...REPO, 'write:repo_hook'], fine: [['repository_hooks', 'write']] },
  'repos/delete-webhook': { classic: [...REPO, 'admin:repo_hook'], fine: [['repository_hooks', 'write']] },
  'teams/get-by-name': { classic: ORG_READ, fine: [['members', 'read']] },
  'teams/get-membership-for-user-in-org': { classic: ORG_READ, fine: [['members', 'read']] },
};

export type TokenVerdict =
  | { ok: true }
  /** 403 with the permissions that would do, for `X-Accepted-GitHub-Permissions`. */
  | { ok: false; status: 403; message: string; accepted: string }
  /** 404: the token may not see the resource at all (a classic token without the scope on private data, or
   * a fine-grained token of another owner). */
  | { ok: false; status: 404 };

/** Write includes read. */
export const grants = (held: FineLevel | undefined, wanted: FineLevel) =>
  held === 'write' || (held === 'read' && wanted === 'read');

/** What a fine-grained token holds of `permission`; Metadata: read comes with every one (GitHub makes it mandatory). */
export function heldBy(
  token: Extract<TokenKind, { kind: 'fine-grained' }>,
  permission: FinePermission,
): FineLevel | undefined {
  return token.permissions[permission] ?? (permission === 'metadata' ? 'read' : undefined);
}

/**
 * Whether `token` may call `operationId` on a resource of `owner` (the repository's or organization's login;
 * undefined for `/user`). Unknown operations need nothing (the double refuses them elsewhere).
 */
export function checkToken(token: TokenKind, operationId: string, owner: string | undefined): TokenVerdict {
  const need = NEEDS[operationId] ?? { classic: [], fine: [] };
  if (token.kind === 'classic') {
    if (need.classic.length === 0 || need.classic.some((s) => token.scopes.includes(s))) return { ok: true };
    // Team routes hide themselves from a token without read:org (field reports, GITHUB-BEHAVIOUR.md); the
    // repository routes keep their historical 403.
    if (operationId.startsWith('teams/')) return { ok: false, status: 404 };
    return {
      ok: false,
      status: 403,
      message: 'Resource not accessible by personal access token',
      accepted: '',
    };
  }
  if (owner !== undefined && owner.toLowerCase() !== token.owner.toLowerCase())
    return { ok: false, status: 404 };
  if (need.fine.length === 0) return { ok: true };
  if (need.fine.some(([permission, level]) => grants(heldBy(token, permission), level))) return { ok: true };
  return {
    ok: false,
    status: 403,
    message: 'Resource not accessible by personal access token',
    accepted: need.fine.map(([permission, level]) => `${permission}=${level}`).join('; '),
  };
}

export type TeamPrivacy = 'secret' | 'closed';
export type OrgRole = 'member' | 'admin';

/** A team is visible to org owners and its own members; a `closed` one to every member of the organization too. */
export function canSeeTeam(
  team: { privacy: TeamPrivacy; members: ReadonlySet<string> },
  login: string,
  role: OrgRole | undefined,
): boolean {
  if (role === undefined) return false;
  return role === 'admin' || team.members.has(login.toLowerCase()) || team.privacy === 'closed';
}
