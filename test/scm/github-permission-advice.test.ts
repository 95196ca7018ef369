import { describe, expect, it } from 'vitest';
import { requiredPermission } from '../../src/hosts/github/scm/index.js';
import { NEEDS } from '../doubles/github/index.js';

/**
 * The permission promobot's advice names for a refused call is one the GitHub double (modelled on GitHub's
 * "Permissions required for fine-grained personal access tokens") accepts for that call.
 */

const LABELS: Record<string, string> = {
  metadata: 'metadata',
  contents: 'contents',
  pull_requests: 'pull requests',
  issues: 'issues',
  statuses: 'commit statuses',
  members: 'members',
  repository_hooks: 'webhooks',
};

/** A call promobot makes for each operation the double serves. */
const CALLS: Record<string, [string, string]> = {
  'repos/get': ['GET', '/repos/o/r'],
  'pulls/list': ['GET', '/repos/o/r/pulls'],
  'pulls/get': ['GET', '/repos/o/r/pulls/3'],
  'pulls/create': ['POST', '/repos/o/r/pulls'],
  'pulls/update': ['PATCH', '/repos/o/r/pulls/3'],
  'pulls/list-reviews': ['GET', '/repos/o/r/pulls/3/reviews'],
  'pulls/merge': ['PUT', '/repos/o/r/pulls/3/merge'],
  'repos/create-commit-status': ['POST', '/repos/o/r/statuses/abc'],
  'repos/get-combined-status-for-ref': ['GET', '/repos/o/r/commits/abc/status'],
  'issues/create-comment': ['POST', '/repos/o/r/issues/3/comments'],
  'issues/update-comment': ['PATCH', '/repos/o/r/issues/comments/9'],
  'issues/list-comments': ['GET', '/repos/o/r/issues/3/comments'],
  'issues/list-comments-for-repo': ['GET', '/repos/o/r/issues/comments'],
  'reactions/create-for-issue-comment': ['POST', '/repos/o/r/issues/comments/9/reactions'],
  'repos/get-collaborator-permission-level': ['GET', '/repos/o/r/collaborators/alice/permission'],
  'git/delete-ref': ['DELETE', '/repos/o/r/git/refs/heads/promobot/x'],
  'repos/list-webhooks': ['GET', '/repos/o/r/hooks'],
  'repos/create-webhook': ['POST', '/repos/o/r/hooks'],
  'repos/update-webhook': ['PATCH', '/repos/o/r/hooks/1'],
  'repos/delete-webhook': ['DELETE', '/repos/o/r/hooks/1'],
  'teams/get-by-name': ['GET', '/orgs/o/teams/sre'],
  'teams/get-membership-for-user-in-org': ['GET', '/orgs/o/teams/sre/memberships/alice'],
};

describe('scm/github permission advice against the double', () => {
  const operations = Object.entries(NEEDS).filter(([, need]) => need.fine.length > 0);

  it('covers every operation the double guards', () => {
    expect(operations.map(([id]) => id).sort()).toEqual(Object.keys(CALLS).sort());
  });

  it.each(operations)('names a permission the double accepts for %s', (operationId, need) => {
    const [method, path] = CALLS[operationId] ?? ['', ''];
    const advice = requiredPermission(method, path);
    const accepted = need.fine.map(([permission, level]) => `${LABELS[permission]}: ${level}`);
    expect(accepted.some((a) => advice.startsWith(a))).toBe(true);
  });
});
