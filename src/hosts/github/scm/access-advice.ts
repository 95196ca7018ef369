/**
 * What to tell an operator when GitHub refuses promobot itself, and how to tell a rate limit from a refusal.
 * Pure: every input comes from GitHub's answer (status, message, headers).
 *
 * Sources: https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api (403 and 404 for
 * missing permissions, `X-Accepted-GitHub-Permissions`, `X-OAuth-Scopes`), .../rate-limits-for-the-rest-api (403 or
 * 429 with `x-ratelimit-remaining: 0` or `retry-after`), and test/doubles/github/access.ts.
 */

/** Classic scopes that let a token read teams and their members. */
const ORG_READ_SCOPES = ['read:org', 'write:org', 'admin:org'];

/** How long to wait on a secondary rate limit that named no time: the docs say at least one minute. */
export const SECONDARY_LIMIT_WAIT_MS = 60_000;

export interface GitHubRefusal {
  status: number;
  message: string;
  headers: Record<string, string | number | undefined>;
}

const header = (headers: GitHubRefusal['headers'], name: string): string | undefined => {
  const value = headers[name];
  return value === undefined ? undefined : String(value);
};

/**
 * A rate limit, primary or secondary, whatever its status (403 or 429): how long GitHub asked to wait, in ms.
 * Undefined when the answer is not a rate limit.
 */
export function rateLimitWaitMs(refusal: GitHubRefusal, nowMs: number): number | undefined {
  if (refusal.status !== 403 && refusal.status !== 429) return undefined;
  const retryAfter = header(refusal.headers, 'retry-after');
  const seconds = retryAfter === undefined ? Number.NaN : Number(retryAfter);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  if (header(refusal.headers, 'x-ratelimit-remaining') === '0') {
    const reset = Number(header(refusal.headers, 'x-ratelimit-reset'));
    return Number.isFinite(reset) ? Math.max(0, reset * 1000 - nowMs) : SECONDARY_LIMIT_WAIT_MS;
  }
  if (refusal.status === 429 || /rate limit/i.test(refusal.message)) return SECONDARY_LIMIT_WAIT_MS;
  return undefined;
}

/** `issues=write; pull_requests=write` → `Issues: write (or Pull requests: write)`. */
export function describeAccepted(accepted: string): string {
  const names: Record<string, string> = {
    pull_requests: 'Pull requests',
    statuses: 'Commit statuses',
    repository_hooks: 'Webhooks',
    members: 'Members (organization)',
  };
  const sets = accepted
    .split(';')
    .map((set) =>
      set
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)
        .map((p) => {
          const [name = '', level = ''] = p.split('=');
          const label = names[name] ?? name.charAt(0).toUpperCase() + name.slice(1).replace(/_/g, ' ');
          return `${label}: ${level}`;
        })
        .join(' and '),
    )
    .filter(Boolean);
  if (sets.length === 0) return '';
  return sets.length === 1 ? sets[0]! : `${sets[0]} (or ${sets.slice(1).join(', or ')})`;
}

/** A token's scopes from `X-OAuth-Scopes`; undefined when GitHub did not send it (fine-grained and App tokens). */
export function classicScopes(headers: GitHubRefusal['headers']): string[] | undefined {
  const value = header(headers, 'x-oauth-scopes');
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * The fix for a 403 on any call: the permission GitHub named (fine-grained), or the classic scope `scope`, and the
 * role on the repository.
 */
export function adviseForbidden(refusal: GitHubRefusal, action: string, scope: string): string {
  const accepted = header(refusal.headers, 'x-accepted-github-permissions');
  const said = describeAccepted(accepted ?? '');
  if (said !== '')
    return `GitHub refused promobot's token ${action}: give the fine-grained token (or GitHub App) the permission ${said}`;
  const scopes = classicScopes(refusal.headers);
  if (scopes !== undefined)
    return `GitHub refused promobot's token ${action} (its scopes: ${scopes.join(', ') || 'none'}): a classic token needs the repo and read:org scopes, and promobot's account write access to the repository (a fine-grained token: ${scope})`;
  return `GitHub refused promobot ${action}: its token needs ${scope}, and promobot's account write access to the repository`;
}

/** The fix when promobot may not read another user's permission (GitHub: "Must have push access ..."). */
export function adviseReadPermission(refusal: GitHubRefusal, repo: string): string {
  if (
    /push access/i.test(refusal.message) ||
    header(refusal.headers, 'x-accepted-github-permissions') === undefined
  )
    return `GitHub lets only accounts with push access read another user's permission on ${repo}: give promobot's account the Write role (Settings → Collaborators and teams → Add people, or PUT /repos/${repo}/collaborators/{promobot} with permission "push")`;
  return adviseForbidden(refusal, `reading permissions on ${repo}`, 'Metadata: read');
}

/**
 * The fix when GitHub answers 404 for the team `org/slug`: a missing read:org scope (when `X-OAuth-Scopes` says
 * so), or promobot outside the organization, or a secret team it is not in, or a team that does not exist.
 */
export function adviseUnseenTeam(headers: GitHubRefusal['headers'], org: string, slug: string): string {
  const scopes = classicScopes(headers);
  if (scopes !== undefined && !scopes.some((s) => ORG_READ_SCOPES.includes(s)))
    return `promobot's classic token lacks the read:org scope (it has ${scopes.join(', ') || 'none'}), so GitHub hides team ${org}/${slug}: create a token with the repo and read:org scopes`;
  return (
    `GitHub hides team ${org}/${slug} from promobot: make promobot's account a member of the organization ${org}, ` +
    `and make the team visible to it (team settings → Team visibility → Visible, i.e. PATCH /orgs/${org}/teams/${slug} ` +
    `with privacy "closed"; secret is the default for teams created through the API), or add promobot to the team; ` +
    `a fine-grained token needs resource owner ${org} and the organization permission Members: read. ` +
    `Check too that the team ${org}/${slug} exists.`
  );
}

/** GitHub's reasons for a merge refused by branch protection or a ruleset (405), as one line. */
export function protectionReason(message: string): string | undefined {
  const blocked =
    /repository rule violations|approving review|required status check|code owner|protected branch|not authorized to push|changes must be made through/i;
  if (!blocked.test(message)) return undefined;
  const oneLine = message
    .split(/\n+/)
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ')
    .replace(/^Repository rule violations found /i, 'Repository rule violations found: ');
  return `blocked by branch protection: ${oneLine}`;
}
