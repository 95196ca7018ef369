import { describe, expect, it } from 'vitest';
import {
  adviseUnseenTeam,
  classicScopes,
  describeAccepted,
  protectionReason,
  rateLimitWaitMs,
  SECONDARY_LIMIT_WAIT_MS,
} from '../../src/hosts/github/scm/access-advice.js';

const NOW = 1_800_000_000_000;

describe('scm/github access advice', () => {
  it('tells a rate limit from a refusal, whatever its status, with the wait GitHub asked for', () => {
    const limited = (status: number, headers: Record<string, string>, message = 'x') =>
      rateLimitWaitMs({ status, message, headers }, NOW);
    expect(
      limited(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW / 1000 + 120) }),
    ).toBe(120_000);
    expect(limited(429, { 'retry-after': '7' })).toBe(7_000);
    expect(limited(403, {}, 'You have exceeded a secondary rate limit.')).toBe(SECONDARY_LIMIT_WAIT_MS);
    expect(limited(429, {})).toBe(SECONDARY_LIMIT_WAIT_MS);
    expect(
      limited(403, { 'x-ratelimit-remaining': '4999' }, 'Resource not accessible by personal access token'),
    ).toBe(undefined);
    expect(limited(404, { 'retry-after': '7' })).toBe(undefined);
  });

  it('words X-Accepted-GitHub-Permissions for people', () => {
    expect(describeAccepted('issues=write')).toBe('Issues: write');
    expect(describeAccepted('issues=write; pull_requests=write')).toBe(
      'Issues: write (or Pull requests: write)',
    );
    expect(describeAccepted('statuses=write')).toBe('Commit statuses: write');
    expect(describeAccepted('members=read')).toBe('Members (organization): read');
    expect(describeAccepted('')).toBe('');
  });

  it('reads X-OAuth-Scopes, and knows when it is absent (fine-grained and App tokens)', () => {
    expect(classicScopes({ 'x-oauth-scopes': 'repo, read:org' })).toEqual(['repo', 'read:org']);
    expect(classicScopes({ 'x-oauth-scopes': '' })).toEqual([]);
    expect(classicScopes({})).toBeUndefined();
  });

  it('blames a missing read:org only when the scopes say so', () => {
    expect(adviseUnseenTeam({ 'x-oauth-scopes': 'repo' }, 'o', 't')).toContain('lacks the read:org scope');
    expect(adviseUnseenTeam({ 'x-oauth-scopes': 'repo, admin:org' }, 'o', 't')).toContain(
      'member of the organization o',
    );
    expect(adviseUnseenTeam({}, 'o', 't')).toContain('Members: read');
  });

  it('recognizes protection refusals and keeps conflicts and races out of them', () => {
    expect(protectionReason('At least 1 approving review is required by reviewers with write access.')).toBe(
      'blocked by branch protection: At least 1 approving review is required by reviewers with write access.',
    );
    expect(
      protectionReason(
        "You're not authorized to push to this branch. Visit https://docs.github.com for more.",
      ),
    ).toMatch(/^blocked by branch protection: You're not authorized/);
    expect(protectionReason('Pull Request is not mergeable')).toBeUndefined();
    expect(protectionReason('Base branch was modified. Review and try the merge again.')).toBeUndefined();
  });
});
