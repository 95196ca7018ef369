import type { ScmKind } from '../events/index.js';

/**
 * What promobot may need to do on a code host, each a name an `AccessError` and `doctor` use.
 *
 * - `read-permission`: read another user's permission on the deploy repo (the write floor of ChatOps commands).
 * - `read-org-teams`: find a `team:<org>/<team>` approver's team in its organization.
 * - `read-team-members`: tell whether a person is in a `team:` approver's team.
 */
export type Capability =
  | 'identify'
  | 'read-repo'
  | 'pull-requests'
  | 'merge'
  | 'set-status'
  | 'read-status'
  | 'comment'
  | 'react'
  | 'read-reviews'
  | 'delete-branch'
  | 'push'
  | 'read-permission'
  | 'read-org-teams'
  | 'read-team-members'
  | 'manage-hooks';

/** The least role promobot's account must hold for one kind of call. */
export type Role = 'any account' | 'repo read' | 'repo write' | 'repo admin' | 'org member' | 'team member';

export interface AccessRule {
  readonly host: ScmKind;
  readonly capability: Capability;
  /** The calls, as `METHOD /path` with the host's own placeholders. */
  readonly calls: readonly string[];
  /** What promobot does with them. */
  readonly usedFor: string;
  /** Token scope (Gitea, classic GitHub) and fine-grained permission (GitHub). */
  readonly scope: string;
  readonly role: Role;
  /** The route guard or documentation page that decides it. */
  readonly source: string;
  /** Only needed by `promobot webhooks sync`, not by the running service. */
  readonly setupOnly?: boolean;
  /**
   * GitHub rows: the same rule, structured (test/scm/access-table.test.ts checks it against the strict GitHub
   * double's `NEEDS`): the calls' operation ids in GitHub's REST description, the classic scope, and the
   * fine-grained permissions of which any one suffices for every call of the row (the first is the one to give).
   */
  readonly github?: {
    readonly operations: readonly string[];
    readonly classic: 'none' | 'repo' | 'read:org';
    readonly fine: readonly (readonly [FinePermission, 'read' | 'write'])[];
  };
}

/** GitHub's fine-grained permissions promobot's calls need, as GitHub names them in `X-Accepted-GitHub-Permissions`. */
export type FinePermission =
  'metadata' | 'contents' | 'pull_requests' | 'issues' | 'statuses' | 'members' | 'repository_hooks';

/** How docs.github.com labels each fine-grained permission. */
export const FINE_PERMISSION_LABELS: Record<FinePermission, string> = {
  metadata: 'Metadata',
  contents: 'Contents',
  pull_requests: 'Pull requests',
  issues: 'Issues',
  statuses: 'Commit statuses',
  members: 'organization Members',
  repository_hooks: 'Webhooks',
};

/**
 * The one list of what each host requires of promobot: docs/ACCESS.md is generated from it, the strict Gitea
 * double enforces it (test/scm/access-table.test.ts proves each Gitea row against the double), and `AccessError`
 * advice and `doctor` name the role it gives.
 */
export const ACCESS_RULES: readonly AccessRule[] = [
  {
    host: 'gitea',
    capability: 'identify',
    calls: ['GET /user'],
    usedFor: 'know its own login (to ignore its own comments)',
    scope: 'read:user',
    role: 'any account',
    source: 'routers/api/v1/api.go `/user` group: tokenRequiresScopes(user)',
  },
  {
    host: 'gitea',
    capability: 'read-repo',
    calls: ['GET /repos/{owner}/{repo}', 'GET /repos/{owner}/{repo}/branches/{branch}'],
    usedFor: "`doctor`: the token's permission on the repo, and the deploy branch's protection",
    scope: 'read:repository',
    role: 'repo read',
    source: 'api.go repoAssignment(): a repo the user cannot read is 404',
  },
  {
    host: 'gitea',
    capability: 'pull-requests',
    calls: [
      'GET /repos/{owner}/{repo}/pulls',
      'GET /repos/{owner}/{repo}/pulls/{index}',
      'GET /repos/{owner}/{repo}/pulls/{base}/{head}',
      'POST /repos/{owner}/{repo}/pulls',
      'PATCH /repos/{owner}/{repo}/pulls/{index}',
    ],
    usedFor: 'open, find, update and close promotion PRs',
    scope: 'write:repository',
    role: 'repo write',
    source: 'api.go `/pulls`: reqRepoWriter(unit.TypePullRequests) on POST/PATCH',
  },
  {
    host: 'gitea',
    capability: 'merge',
    calls: ['POST /repos/{owner}/{repo}/pulls/{index}/merge'],
    usedFor: 'merge an approved, green promotion PR',
    scope: 'write:repository',
    role: 'repo write',
    source:
      'repo/pull.go MergePullRequest: 405 "User not allowed to merge PR" below write; branch protection may still refuse with 405',
  },
  {
    host: 'gitea',
    capability: 'set-status',
    calls: ['POST /repos/{owner}/{repo}/statuses/{sha}'],
    usedFor: 'the promobot/gates and promobot/approval commit statuses',
    scope: 'write:repository',
    role: 'repo write',
    source: 'api.go `/statuses/{sha}`: reqRepoWriter(unit.TypeCode)',
  },
  {
    host: 'gitea',
    capability: 'read-status',
    calls: ['GET /repos/{owner}/{repo}/statuses/{sha}', 'GET /repos/{owner}/{repo}/commits/{ref}/status'],
    usedFor: 'read the gate verdict back',
    scope: 'read:repository',
    role: 'repo read',
    source: 'api.go `/statuses/{sha}`: reqRepoReader(unit.TypeCode)',
  },
  {
    host: 'gitea',
    capability: 'comment',
    calls: [
      'GET /repos/{owner}/{repo}/issues/{index}/comments',
      'POST /repos/{owner}/{repo}/issues/{index}/comments',
      'PATCH /repos/{owner}/{repo}/issues/comments/{id}',
      'GET /repos/{owner}/{repo}/issues/comments',
    ],
    usedFor:
      'answer commands, keep the status and gate report comments, rebuild the global stops from issue comments',
    scope: 'write:issue',
    role: 'repo read',
    source: 'api.go `/issues` group: tokenRequiresScopes(issue), reqToken(); a locked PR needs write',
  },
  {
    host: 'gitea',
    capability: 'react',
    calls: ['POST /repos/{owner}/{repo}/issues/comments/{id}/reactions'],
    usedFor: 'acknowledge a command with a reaction',
    scope: 'write:issue',
    role: 'repo read',
    source: 'api.go `/issues/comments/{id}/reactions`: reqToken()',
  },
  {
    host: 'gitea',
    capability: 'read-reviews',
    calls: ['GET /repos/{owner}/{repo}/pulls/{index}/reviews'],
    usedFor: 'count approving reviews',
    scope: 'read:repository',
    role: 'repo read',
    source: 'api.go `/pulls/{index}/reviews`: mustAllowPulls',
  },
  {
    host: 'gitea',
    capability: 'delete-branch',
    calls: ['DELETE /repos/{owner}/{repo}/branches/{branch}'],
    usedFor: "delete promobot's own branch after a merge",
    scope: 'write:repository',
    role: 'repo write',
    source: 'api.go `/branches/*`: reqRepoWriter(unit.TypeCode); a protected branch answers 403',
  },
  {
    host: 'gitea',
    capability: 'push',
    calls: ['git push (smart HTTP)'],
    usedFor: 'commit tags to the deploy repo',
    scope: 'write:repository',
    role: 'repo write',
    source: 'routers/web/repo/githttp.go; a reader is refused by the pre-receive hook',
  },
  {
    host: 'gitea',
    capability: 'read-permission',
    calls: ['GET /repos/{owner}/{repo}/collaborators/{collaborator}/permission'],
    usedFor: 'the write floor of every ChatOps command that changes state',
    scope: 'read:repository',
    role: 'repo admin',
    source:
      'repo/collaborators.go GetRepoPermissions: 403 "Only admins can query all permissions, repo admins can query all repo permissions, collaborators can query only their own"',
  },
  {
    host: 'gitea',
    capability: 'read-org-teams',
    calls: ['GET /orgs/{org}/teams/search', 'GET /orgs/{org}/teams'],
    usedFor: 'find the team of a `team:<org>/<team>` approver',
    scope: 'read:organization',
    role: 'org member',
    source: 'api.go `/orgs/{org}/teams`: reqOrgMembership() — 403 "Must be an organization member"',
  },
  {
    host: 'gitea',
    capability: 'read-team-members',
    calls: ['GET /teams/{id}/members/{username}'],
    usedFor: 'whether a person is in a `team:<org>/<team>` approver',
    scope: 'read:organization',
    role: 'team member',
    source:
      'api.go `/teams/{teamid}`: reqTeamMembership() — 403 "Must be a team member" for other org members, 404 outside the org; org owners and site admins pass',
  },
  {
    host: 'gitea',
    capability: 'manage-hooks',
    calls: [
      'GET /repos/{owner}/{repo}/hooks',
      'POST /repos/{owner}/{repo}/hooks',
      'PATCH /repos/{owner}/{repo}/hooks/{id}',
    ],
    usedFor: '`promobot webhooks sync` only',
    scope: 'write:repository',
    role: 'repo admin',
    source: 'api.go `/hooks`: reqAdmin()',
    setupOnly: true,
  },
  {
    host: 'github',
    capability: 'identify',
    calls: ['GET /user'],
    usedFor: 'know its own login (not available to GitHub App installation tokens, which use `GET /app`)',
    scope: 'none; fine-grained: none',
    role: 'any account',
    source: 'docs.github.com REST "Users": get the authenticated user',
    github: { operations: ['users/get-authenticated'], classic: 'none', fine: [] },
  },
  {
    host: 'github',
    capability: 'read-repo',
    calls: ['GET /repos/{owner}/{repo}'],
    usedFor: "`doctor`: the token's permission on the repo",
    scope: 'repo; fine-grained: Metadata: read',
    role: 'repo read',
    source: 'REST "Repositories": get a repository; a private repo the token cannot read is 404',
    github: { operations: ['repos/get'], classic: 'repo', fine: [['metadata', 'read']] },
  },
  {
    host: 'github',
    capability: 'pull-requests',
    calls: ['GET/POST/PATCH /repos/{owner}/{repo}/pulls[/{pull_number}]'],
    usedFor: 'open, find, update and close promotion PRs',
    scope: 'repo; fine-grained: Pull requests: write',
    role: 'repo write',
    source: 'docs.github.com "Permissions required for fine-grained personal access tokens"',
    github: {
      operations: ['pulls/list', 'pulls/get', 'pulls/create', 'pulls/update'],
      classic: 'repo',
      fine: [['pull_requests', 'write']],
    },
  },
  {
    host: 'github',
    capability: 'merge',
    calls: ['PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge'],
    usedFor: 'merge an approved, green promotion PR',
    scope: 'repo; fine-grained: Contents: write',
    role: 'repo write',
    source: 'REST "Pulls": merge; branch protection and rulesets answer 405 with the reason',
    github: { operations: ['pulls/merge'], classic: 'repo', fine: [['contents', 'write']] },
  },
  {
    host: 'github',
    capability: 'set-status',
    calls: ['POST /repos/{owner}/{repo}/statuses/{sha}'],
    usedFor: 'the promobot/gates and promobot/approval commit statuses',
    scope: 'repo; fine-grained: Commit statuses: write',
    role: 'repo write',
    source: 'REST "Commit statuses"',
    github: { operations: ['repos/create-commit-status'], classic: 'repo', fine: [['statuses', 'write']] },
  },
  {
    host: 'github',
    capability: 'read-status',
    calls: ['GET /repos/{owner}/{repo}/commits/{ref}/status'],
    usedFor: 'read the gate verdict back',
    scope: 'repo; fine-grained: Commit statuses: read',
    role: 'repo read',
    source: 'REST "Commit statuses": get the combined status for a specific reference',
    github: {
      operations: ['repos/get-combined-status-for-ref'],
      classic: 'repo',
      fine: [['statuses', 'read']],
    },
  },
  {
    host: 'github',
    capability: 'comment',
    calls: [
      'GET/POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
      'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}',
      'GET /repos/{owner}/{repo}/issues/comments',
    ],
    usedFor:
      'answer commands, keep the status and gate report comments, rebuild the global stops from issue comments',
    scope: 'repo; fine-grained: Issues: write (or Pull requests: write)',
    role: 'repo read',
    source: 'REST "Issue comments"',
    github: {
      operations: [
        'issues/list-comments',
        'issues/create-comment',
        'issues/update-comment',
        'issues/list-comments-for-repo',
      ],
      classic: 'repo',
      fine: [
        ['issues', 'write'],
        ['pull_requests', 'write'],
      ],
    },
  },
  {
    host: 'github',
    capability: 'react',
    calls: ['POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions'],
    usedFor: 'acknowledge a command with a reaction',
    scope: 'repo; fine-grained: Issues: write',
    role: 'repo read',
    source: 'REST "Reactions" (Issues: write, not Pull requests)',
    github: {
      operations: ['reactions/create-for-issue-comment'],
      classic: 'repo',
      fine: [['issues', 'write']],
    },
  },
  {
    host: 'github',
    capability: 'read-reviews',
    calls: ['GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews'],
    usedFor: 'count approving reviews',
    scope: 'repo; fine-grained: Pull requests: read',
    role: 'repo read',
    source: 'REST "Pull request reviews": list reviews for a pull request',
    github: { operations: ['pulls/list-reviews'], classic: 'repo', fine: [['pull_requests', 'read']] },
  },
  {
    host: 'github',
    capability: 'delete-branch',
    calls: ['DELETE /repos/{owner}/{repo}/git/refs/heads/{branch}'],
    usedFor: "delete promobot's own branch after a merge",
    scope: 'repo; fine-grained: Contents: write',
    role: 'repo write',
    source: 'REST "Git references"; a protected branch or ruleset refuses with 422',
    github: { operations: ['git/delete-ref'], classic: 'repo', fine: [['contents', 'write']] },
  },
  {
    host: 'github',
    capability: 'read-permission',
    calls: ['GET /repos/{owner}/{repo}/collaborators/{username}/permission'],
    usedFor: 'the write floor of every ChatOps command that changes state',
    scope: 'repo; fine-grained: Metadata: read',
    role: 'repo write',
    source:
      'REST "Collaborators"; callers without push get 403 "Must have push access to view collaborator permission"',
    github: {
      operations: ['repos/get-collaborator-permission-level'],
      classic: 'repo',
      fine: [['metadata', 'read']],
    },
  },
  {
    host: 'github',
    capability: 'read-org-teams',
    calls: ['GET /orgs/{org}/teams/{team_slug}'],
    usedFor:
      'see the team of a `team:<org>/<team>` approver (so that a 404 on a membership means "not a member", not "hidden")',
    scope: 'read:org; fine-grained: organization Members: read',
    role: 'org member',
    source:
      'REST "Teams": get a team by name; a team is visible to the org\'s members when `closed`, only to org owners and its members when `secret` (the API default); 404 otherwise',
    github: { operations: ['teams/get-by-name'], classic: 'read:org', fine: [['members', 'read']] },
  },
  {
    host: 'github',
    capability: 'read-team-members',
    calls: ['GET /orgs/{org}/teams/{team_slug}/memberships/{username}'],
    usedFor: 'whether a person is in a `team:<org>/<team>` approver',
    scope: 'read:org; fine-grained: organization Members: read',
    role: 'org member',
    source:
      'REST "Team members": "the team must be visible to the authenticated user": an org member for a `closed` team, a team member for a `secret` one (404 otherwise)',
    github: {
      operations: ['teams/get-membership-for-user-in-org'],
      classic: 'read:org',
      fine: [['members', 'read']],
    },
  },
  {
    host: 'github',
    capability: 'manage-hooks',
    calls: ['GET/POST/PATCH /repos/{owner}/{repo}/hooks'],
    usedFor: '`promobot webhooks sync` only',
    scope: 'repo (admin:repo_hook); fine-grained: Webhooks: write',
    role: 'repo admin',
    source: 'REST "Repository webhooks"',
    setupOnly: true,
    github: {
      operations: ['repos/list-webhooks', 'repos/create-webhook', 'repos/update-webhook'],
      classic: 'repo',
      fine: [['repository_hooks', 'write']],
    },
  },
];

/** The rule of `host` for `capability`; every capability promobot names has one. */
export function accessRule(host: ScmKind, capability: Capability): AccessRule {
  const rule = ACCESS_RULES.find((r) => r.host === host && r.capability === capability);
  if (!rule) throw new Error(`no access rule for ${host} ${capability}`);
  return rule;
}

/** The lines around the generated table in docs/ACCESS.md. */
export const ACCESS_TABLE_START =
  '<!-- access-table:start (generated from src/scm/access-table.ts ACCESS_RULES) -->';
export const ACCESS_TABLE_END = '<!-- access-table:end -->';

/** The access table as Markdown, one table per host; docs/ACCESS.md holds it between markers. Pure. */
export function renderAccessTable(): string {
  const out: string[] = [];
  for (const host of ['gitea', 'github'] as const) {
    out.push(`### ${host === 'gitea' ? 'Gitea (1.22+)' : 'GitHub / GHES'}`, '');
    out.push(
      '| capability | calls | used for | token scope | least role | decided by |',
      '|---|---|---|---|---|---|',
    );
    for (const rule of ACCESS_RULES.filter((r) => r.host === host)) {
      const calls = rule.calls.map((c) => `\`${c}\``).join('<br>');
      const cells = [rule.capability, calls, rule.usedFor, rule.scope, rule.role, rule.source];
      out.push(`| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`);
    }
    out.push('');
  }
  return out.join('\n');
}
