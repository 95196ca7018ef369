import { z } from 'zod';
import { errorMessage } from '../errors/index.js';
import type { DoctorCheck } from './doctor-check.js';
import { HttpStatusError, type JsonClient } from './json-client.js';

/** What the fine-grained permissions of docs/ACCESS.md are for, and the level promobot uses them at. */
export const FINE_GRAINED_NEEDS =
  'Contents, Pull requests, Issues, Commit statuses: write; Metadata: read; organization Members: read';

/**
 * The read calls that prove a GitHub token holds a permission when GitHub shows no scopes (fine-grained tokens and
 * App installations send no `X-OAuth-Scopes`): each is a call promobot makes, needing only that permission at read
 * level (docs.github.com "Permissions required for fine-grained personal access tokens"; test/doubles/github/
 * access.ts `NEEDS`). Contents is proven by `git ls-remote` (Deploy repos), organization Members by reading every
 * `team:` approver's team (SCM access).
 */
export function permissionReads(repo: string, branch: string): { permission: string; path: string }[] {
  return [
    { permission: 'Pull requests', path: `/repos/${repo}/pulls?state=open&per_page=1` },
    { permission: 'Commit statuses', path: `/repos/${repo}/commits/${encodeURIComponent(branch)}/status` },
  ];
}

/**
 * Pure: the verdict on a token without scopes, from which permission reads GitHub refused. Reads cannot show write
 * levels without writing, so the detail says which levels the running service relies on.
 */
export function judgeFineGrainedReads(
  repo: string,
  refused: readonly { permission: string; reason: string }[],
  proven: readonly string[],
): Omit<DoctorCheck, 'group' | 'name'> {
  if (refused.length > 0) {
    return {
      status: 'fail',
      detail: `fine-grained token (GitHub shows no scopes): GitHub refused reading ${refused
        .map((r) => `${r.permission} (${r.reason})`)
        .join(', ')} on ${repo}`,
      fix: `give the fine-grained token (or GitHub App) resource owner ${repo.split('/')[0] ?? ''}, access to ${repo} and the permissions ${FINE_GRAINED_NEEDS} (Settings → Developer settings → Fine-grained tokens; docs/ACCESS.md)`,
    };
  }
  return {
    status: 'pass',
    detail: `fine-grained token (GitHub shows no scopes): reads ${proven.join(', ')} on ${repo}; write levels cannot be read without writing, so check it also has ${FINE_GRAINED_NEEDS} (a missing one is named in promobot's reply at first use)`,
  };
}

/**
 * For a GitHub token that shows no scopes, proves its permissions on `repo` by the read calls of
 * {@link permissionReads}; changes nothing.
 */
export async function checkGitHubPermissions(
  api: JsonClient,
  repo: string,
  branch: string,
): Promise<DoctorCheck> {
  const refused: { permission: string; reason: string }[] = [];
  const proven: string[] = [];
  for (const read of permissionReads(repo, branch)) {
    try {
      await api.request('GET', read.path, z.unknown());
      proven.push(read.permission);
    } catch (error) {
      const reason =
        error instanceof HttpStatusError
          ? `${String(error.status)}${error.detail ? ` ${error.detail}` : ''}`
          : errorMessage(error);
      refused.push({ permission: read.permission, reason });
    }
  }
  return {
    group: 'SCM tokens',
    name: `${repo} token permissions`,
    ...judgeFineGrainedReads(repo, refused, proven),
  };
}
