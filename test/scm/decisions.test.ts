import { describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '../../src/errors/index.js';
import { createLogger } from '../../src/logger/index.js';
import { decideMergeFailure, requiredScope } from '../../src/hosts/gitea/scm/index.js';
import { decideGitHubMergeFailure, requiredPermission, webUrl } from '../../src/hosts/github/scm/index.js';
import { httpError, parseRetryAfter } from '../../src/scm/http-error.js';
import { createScmHost } from '../../src/hosts/index.js';
import { repoRef, type PullRequest } from '../../src/scm/index.js';

const pr = (change: Partial<PullRequest> = {}): PullRequest => ({
  number: 4,
  state: 'open',
  merged: false,
  title: 't',
  body: '',
  headRef: 'promobot/prod/chat-ui',
  headSha: 'a'.repeat(40),
  baseRef: 'main',
  author: 'promobot',
  url: 'https://gitea.example.com/bootcamp/notes-deploy/pulls/4',
  mergeable: true,
  mergeCommitSha: null,
  ...change,
});

describe('scm/http-error', () => {
  describe('httpError()', () => {
    it('calls network failures, 5xx and 429 transient, keeping the Retry-After', () => {
      expect(
        httpError({
          host: 'Gitea',
          action: 'GET /user',
          status: undefined,
          message: 'ECONNREFUSED',
          scope: 'read:user',
        }),
      ).toBeInstanceOf(TransientError);
      expect(
        httpError({ host: 'Gitea', action: 'GET /user', status: 503, message: '', scope: 'read:user' }),
      ).toBeInstanceOf(TransientError);
      const limited = httpError({
        host: 'Gitea',
        action: 'GET /user',
        status: 429,
        message: '',
        retryAfterMs: 5000,
        scope: 'read:user',
      });
      expect(limited).toBeInstanceOf(TransientError);
      expect((limited as TransientError).retryAfterMs).toBe(5000);
    });

    it('calls 401, 403 and 404 permanent, with advice that names the scope', () => {
      const forbidden = httpError({
        host: 'Gitea',
        action: 'POST /repos/o/r/pulls',
        status: 403,
        message: 'token does not have at least one of required scope(s)',
        scope: 'write:repository',
      });
      expect(forbidden).toBeInstanceOf(PermanentError);
      expect(forbidden.advice).toMatch(/the token needs write:repository/);
      expect(
        httpError({ host: 'Gitea', action: 'GET /user', status: 401, message: '', scope: 'read:user' })
          .advice,
      ).toMatch(/the token needs read:user/);
      expect(
        httpError({
          host: 'Gitea',
          action: 'GET /repos/o/r',
          status: 404,
          message: '',
          scope: 'read:repository',
        }),
      ).toBeInstanceOf(PermanentError);
    });
  });

  describe('parseRetryAfter()', () => {
    it('reads delta-seconds and HTTP dates, and nothing else', () => {
      expect(parseRetryAfter('3')).toBe(3000);
      expect(parseRetryAfter('Thu, 01 Jan 1970 00:01:00 GMT', 30_000)).toBe(30_000);
      expect(parseRetryAfter('soon')).toBeUndefined();
      expect(parseRetryAfter(null)).toBeUndefined();
    });
  });
});

describe('scm/gitea', () => {
  describe('requiredScope()', () => {
    it('maps a call to the scope Gitea checks', () => {
      expect(requiredScope('POST', '/repos/o/r/pulls')).toBe('write:repository');
      expect(requiredScope('POST', '/repos/o/r/statuses/abc')).toBe('write:repository');
      expect(requiredScope('POST', '/repos/o/r/issues/3/comments')).toBe('write:issue');
      expect(requiredScope('GET', '/orgs/o/teams/search')).toBe('read:organization');
      expect(requiredScope('GET', '/teams/4/members/alice')).toBe('read:organization');
      expect(requiredScope('GET', '/user')).toBe('read:user');
    });
  });

  describe('decideMergeFailure()', () => {
    it('reads a 405 on a merged PR as already merged', () => {
      expect(decideMergeFailure(405, '', pr({ state: 'closed', merged: true }))).toMatchObject({
        alreadyMerged: true,
        retryable: false,
      });
    });

    it('reads "Please try again later" as retryable', () => {
      expect(decideMergeFailure(405, 'Please try again later', pr())).toMatchObject({
        retryable: true,
        alreadyMerged: false,
      });
    });

    it('reads branch protection refusals, conflicts and closed PRs as final', () => {
      expect(decideMergeFailure(405, 'Does not have enough approvals', pr())).toEqual({
        merged: false,
        reason: 'Does not have enough approvals',
        retryable: false,
        alreadyMerged: false,
      });
      expect(decideMergeFailure(409, '', pr())).toMatchObject({
        retryable: false,
        reason: 'merge conflict or the head moved',
      });
      expect(decideMergeFailure(404, '', pr({ state: 'closed' }))).toMatchObject({
        reason: 'the pull request is closed',
      });
    });
  });
});

describe('scm/github', () => {
  it('decides merge refusals: merged, still computing or raced (retry), or final', () => {
    expect(
      decideGitHubMergeFailure(405, 'Pull Request is not mergeable', pr({ merged: true, state: 'closed' })),
    ).toMatchObject({ alreadyMerged: true });
    expect(
      decideGitHubMergeFailure(405, 'Pull Request is not mergeable', pr({ mergeable: null })),
    ).toMatchObject({ retryable: true });
    expect(
      decideGitHubMergeFailure(405, 'Base branch was modified. Review and try the merge again.', pr()),
    ).toMatchObject({ retryable: true });
    expect(
      decideGitHubMergeFailure(409, 'Head branch was modified. Review and try the merge again.', pr()),
    ).toMatchObject({
      retryable: false,
    });
    expect(
      decideGitHubMergeFailure(405, 'Pull Request is not mergeable', pr({ mergeable: false })),
    ).toMatchObject({ retryable: false, alreadyMerged: false });
  });

  it('names the fine-grained permission a call needs', () => {
    expect(requiredPermission('POST', '/repos/o/r/statuses/abc')).toBe('commit statuses: write');
    expect(requiredPermission('PUT', '/repos/o/r/pulls/3/merge')).toBe('contents: write');
    expect(requiredPermission('GET', '/orgs/o/teams/sre/memberships/alice')).toBe('members: read');
  });

  it('finds the web root behind a REST base', () => {
    expect(webUrl('https://api.github.com')).toBe('https://github.com');
    expect(webUrl('https://ghe.example.com/api/v3')).toBe('https://ghe.example.com');
  });
});

describe('scm/index', () => {
  describe('createScmHost()', () => {
    it('makes the host of the kind asked for', () => {
      const logger = createLogger({ level: 'silent' });
      const gitea = createScmHost('gitea', { baseUrl: 'https://gitea.example.com/', token: 't', logger });
      const github = createScmHost('github', { baseUrl: 'https://api.github.com', token: 't', logger });
      expect(gitea.kind).toBe('gitea');
      expect(github.kind).toBe('github');
      expect(gitea.cloneUrl(repoRef('bootcamp/notes-deploy'))).toBe(
        'https://gitea.example.com/bootcamp/notes-deploy.git',
      );
      expect(github.cloneUrl(repoRef('bootcamp/notes-deploy'))).toBe(
        'https://github.com/bootcamp/notes-deploy.git',
      );
    });
  });
});
