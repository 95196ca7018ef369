import { FINE_GRAINED_NEEDS } from '../github/app-access.js';

/** Who a token is and what it may do on one repository. */
export interface ScmAccess {
  readonly login: string;
  readonly admin: boolean;
  readonly push: boolean;
  readonly pull: boolean;
  /** Classic GitHub token scopes (`X-OAuth-Scopes`); undefined where the host does not show them. */
  readonly scopes?: readonly string[];
}

/**
 * Pure: what `access` lets promobot do, and what is missing with its fix. Pushing, setting commit statuses and
 * merging all need write permission on both hosts; a classic GitHub token also needs the `repo` scope.
 */
export function judgeScmAccess(
  host: 'gitea' | 'github',
  repo: string,
  access: ScmAccess,
): { ok: boolean; detail: string; fix?: string } {
  const level = access.admin ? 'admin' : access.push ? 'write' : access.pull ? 'read' : 'none';
  const can = access.push ? 'can push, set statuses and merge' : 'can NOT push, set statuses or merge';
  const kind =
    host === 'github' ? (access.scopes === undefined ? 'fine-grained token' : 'classic token') : 'token';
  const detail = `${kind} of ${access.login}, ${level} on ${repo}: ${can}`;
  if (!access.push) {
    const fix =
      host === 'gitea'
        ? `make ${access.login} an administrator of ${repo} (Settings → Collaborators → Administrator: write to push and merge, admin because Gitea shows other users' permission to repo admins only), and use a token with write:repository, write:issue, read:organization, read:user (docs/ACCESS.md)`
        : `give ${access.login} write access to ${repo} (Settings → Collaborators and teams)`;
    return { ok: false, detail, fix };
  }
  if (host === 'github' && access.scopes !== undefined && !access.scopes.includes('repo')) {
    return {
      ok: false,
      detail: `${detail}, but the token's scopes are ${access.scopes.join(', ') || 'none'}`,
      fix: `create a classic token with the repo and read:org scopes (or a fine-grained one: ${FINE_GRAINED_NEEDS})`,
    };
  }
  return { ok: true, detail };
}
