import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AccessError, TransientError } from '../../src/errors/index.js';
import { createLogger } from '../../src/logger/index.js';
import { createGitHubHost, type GitHubHostOptions } from '../../src/hosts/github/scm/index.js';
import { repoRef, type ScmHost } from '../../src/scm/index.js';
import { startGitHubDouble, type GitHubDouble } from '../doubles/github/index.js';
import { createTempRepo, git, type TempRepo } from '../support/git.js';

/**
 * The GitHub host against the strict double: a refusal of promobot itself is an AccessError naming the fix, a
 * 404 on a team the bot cannot see is never "not a member", protection refusals keep GitHub's reason, and rate
 * limits stay transient.
 */

const logger = createLogger({ level: 'silent' });
const repo = repoRef('bootcamp/notes-deploy');
const FAST = { retry: { retryAfterBaseValue: 5 }, throttle: { enabled: false } };
/** The documented fine-grained permissions (GITHUB-BEHAVIOUR.md, "Tokens"). */
const FINE = {
  contents: 'write',
  pull_requests: 'write',
  issues: 'write',
  statuses: 'write',
  members: 'read',
} as const;

const { issues: _issues, ...withoutIssues } = FINE;

let double: GitHubDouble;
let deploy: TempRepo;
const tokens: Record<string, string> = {};

const hostAs = (login: string, extra: Partial<Pick<GitHubHostOptions, 'throttle'>> = {}): ScmHost =>
  createGitHubHost({ baseUrl: double.url, token: tokens[login] ?? '', logger, ...FAST, ...extra });

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error,
  );
}

let branches = 0;
async function openPull(): Promise<{ number: number; headSha: string }> {
  const branch = `promobot/h${(branches += 1)}`;
  git(deploy.work, 'checkout', '--quiet', '-B', branch, 'main');
  writeFileSync(join(deploy.work, `h${branches}.txt`), `${branches}\n`);
  git(deploy.work, 'add', '--all');
  git(deploy.work, 'commit', '--quiet', '-m', `change ${branches}`);
  git(deploy.work, 'push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`);
  const headSha = git(deploy.work, 'rev-parse', 'HEAD');
  git(deploy.work, 'checkout', '--quiet', 'main');
  const pr = await double.openPullRequest(repo.fullName, {
    author: 'promobot',
    head: branch,
    base: 'main',
    title: branch,
  });
  return { number: pr.number, headSha };
}

beforeAll(async () => {
  deploy = createTempRepo({ 'chat-ui/prod/deployment.yaml': 'image: chat-ui:1a2b3c4\n' });
  double = await startGitHubDouble();
  for (const login of ['promobot', 'outsider', 'reader', 'alice', 'bob', 'limited'])
    tokens[login] = double.addUser(login).token;
  tokens.noorg = double.addUser('noorg', { scopes: ['repo'] }).token;
  tokens.fine = double.addUser('fine', { fineGrained: { owner: 'bootcamp', permissions: FINE } }).token;
  tokens.fineNoIssues = double.addUser('fineNoIssues', {
    fineGrained: { owner: 'bootcamp', permissions: withoutIssues },
  }).token;
  await double.addRepo({
    owner: 'bootcamp',
    name: 'notes-deploy',
    bare: deploy.bare,
    access: {
      promobot: 'write',
      outsider: 'write',
      reader: 'read',
      noorg: 'write',
      fine: 'write',
      fineNoIssues: 'write',
      limited: 'write',
      alice: 'write',
      bob: 'write',
    },
  });
  for (const login of ['promobot', 'reader', 'noorg', 'fine', 'fineNoIssues'])
    double.addOrgMember('bootcamp', login);
  double.addTeam('bootcamp', 'sre', ['alice']);
  double.addTeam('bootcamp', 'release', ['bob'], [], { privacy: 'closed' });
});

afterEach(() => {
  expect(double.violations.splice(0)).toEqual([]);
  expect(double.answerProblems.splice(0)).toEqual([]);
});

afterAll(async () => {
  await double?.close();
  deploy?.cleanup();
});

describe('isTeamMember()', () => {
  it('answers from a team the bot sees: a member, and a 404 that now means "not a member"', async () => {
    const host = hostAs('promobot');
    expect(await host.isTeamMember('bootcamp', 'release', 'bob')).toBe(true);
    expect(await host.isTeamMember('bootcamp', 'release', 'alice')).toBe(false);
  });

  it('never reads a secret team the bot cannot see as "not a member": AccessError read-org-teams with the fix', async () => {
    const error = await failure(hostAs('promobot').isTeamMember('bootcamp', 'sre', 'alice'));
    expect(error).toBeInstanceOf(AccessError);
    expect((error as AccessError).capability).toBe('read-org-teams');
    expect((error as AccessError).advice).toContain('GitHub hides team bootcamp/sre from promobot');
    expect((error as AccessError).advice).toContain('privacy "closed"');
  });

  it('gives the same AccessError to a bot outside the organization', async () => {
    const error = await failure(hostAs('outsider').isTeamMember('bootcamp', 'release', 'bob'));
    expect(error).toBeInstanceOf(AccessError);
    expect((error as AccessError).advice).toContain('member of the organization bootcamp');
  });

  it('names the missing read:org scope of a classic token', async () => {
    const error = await failure(hostAs('noorg').isTeamMember('bootcamp', 'release', 'bob'));
    expect(error).toBeInstanceOf(AccessError);
    expect((error as AccessError).advice).toBe(
      "promobot's classic token lacks the read:org scope (it has repo), so GitHub hides team bootcamp/release: " +
        'create a token with the repo and read:org scopes',
    );
  });
});

describe('getPermission()', () => {
  it('throws AccessError read-permission when the bot lacks push, naming the Write role', async () => {
    const error = await failure(hostAs('reader').getPermission(repo, 'alice'));
    expect(error).toBeInstanceOf(AccessError);
    expect((error as AccessError).capability).toBe('read-permission');
    expect((error as AccessError).message).toContain("@alice's permission on bootcamp/notes-deploy");
    expect((error as AccessError).advice).toContain("give promobot's account the Write role");
  });
});

describe('mergePullRequest() under protection', () => {
  afterEach(() => double.protectBranch(repo.fullName, 'main', null));

  it("returns GitHub's reason for a required review, final", async () => {
    double.protectBranch(repo.fullName, 'main', { requiredApprovingReviews: 1 });
    const pr = await openPull();
    expect(await hostAs('promobot').mergePullRequest(repo, pr.number, { method: 'merge' })).toEqual({
      merged: false,
      reason:
        'blocked by branch protection: At least 1 approving review is required by reviewers with write access.',
      retryable: false,
      alreadyMerged: false,
    });
  });

  it('keeps every reason of a ruleset on one line', async () => {
    double.protectBranch(repo.fullName, 'main', {
      ruleset: true,
      requiredStatusChecks: ['ci/test', 'promobot/gates'],
    });
    const pr = await openPull();
    const result = await hostAs('promobot').mergePullRequest(repo, pr.number, { method: 'merge' });
    expect(result).toMatchObject({
      merged: false,
      retryable: false,
      reason:
        'blocked by branch protection: Repository rule violations found: Required status check "ci/test" is ' +
        'expected. Required status check "promobot/gates" is expected.',
    });
  });
});

describe('rate limits', () => {
  it('turns a 403 primary rate limit into a TransientError waiting until the reset, after the throttler gives up', async () => {
    double.limitRate('limited', { remaining: 0, resetInSeconds: 600 });
    const host = hostAs('limited', { throttle: { retries: 1, maxWaitSeconds: 60, retryAfterBaseValue: 5 } });
    const error = await failure(host.whoAmI());
    expect(error).toBeInstanceOf(TransientError);
    expect((error as TransientError).retryAfterMs).toBeGreaterThan(500_000);
    expect((error as TransientError).retryAfterMs).toBeLessThanOrEqual(600_000);
    double.limitRate('limited', { remaining: 100, resetInSeconds: 600 });
  });

  it('waits out a short 403 rate limit through the throttling plugin and succeeds', async () => {
    double.limitRate('limited', { remaining: 0, resetInSeconds: 1 });
    // GitHub's reset is in whole seconds, so this one waits for real (about two seconds).
    const host = hostAs('limited', { throttle: { retries: 2, maxWaitSeconds: 60 } });
    expect(await host.whoAmI()).toEqual({ login: 'limited' });
  });

  it('keeps a 429 secondary limit transient with its Retry-After, also with the throttler off', async () => {
    double.secondaryRateLimit('limited', { retryAfterSeconds: 90 });
    const error = await failure(hostAs('limited').whoAmI());
    expect(error).toBeInstanceOf(TransientError);
    expect((error as TransientError).retryAfterMs).toBe(90_000);
    double.secondaryRateLimit('limited', { retryAfterSeconds: 30, status: 403 });
    const forbidden = await failure(hostAs('limited').whoAmI());
    expect(forbidden).toBeInstanceOf(TransientError);
    expect((forbidden as TransientError).retryAfterMs).toBe(30_000);
  });
});

describe('fine-grained tokens', () => {
  it('with the documented permissions: reads teams and permissions, reacts, sets statuses and merges', async () => {
    const host = hostAs('fine');
    expect(await host.whoAmI()).toEqual({ login: 'fine' });
    expect(await host.isTeamMember('bootcamp', 'release', 'bob')).toBe(true);
    expect(await host.getPermission(repo, 'alice')).toBe('write');
    const pr = await openPull();
    const comment = await double.comment(repo.fullName, pr.number, 'alice', '/approve');
    await host.addReaction(repo, comment.id, '+1');
    await host.setCommitStatus(repo, pr.headSha, {
      context: 'promobot/gates',
      state: 'success',
      description: 'green',
    });
    expect(await host.mergePullRequest(repo, pr.number, { method: 'merge' })).toMatchObject({ merged: true });
  });

  it('without Issues: write, a reaction is an AccessError naming that permission', async () => {
    const pr = await openPull();
    const comment = await double.comment(repo.fullName, pr.number, 'alice', '/approve');
    const error = await failure(hostAs('fineNoIssues').addReaction(repo, comment.id, '+1'));
    expect(error).toBeInstanceOf(AccessError);
    expect((error as AccessError).capability).toBe('react');
    expect((error as AccessError).advice).toBe(
      "GitHub refused promobot's token POST /repos/bootcamp/notes-deploy/issues/comments/" +
        `${comment.id}/reactions: give the fine-grained token (or GitHub App) the permission Issues: write`,
    );
  });
});

describe('deleteBranch()', () => {
  it('accepts a branch already gone, and names protection that refuses the delete', async () => {
    const host = hostAs('promobot');
    await host.deleteBranch(repo, 'promobot/never-there');
    git(deploy.work, 'push', '--quiet', 'origin', 'main:refs/heads/promobot/kept');
    double.protectBranch(repo.fullName, 'promobot/kept', { requiredApprovingReviews: 1 });
    try {
      const error = await failure(host.deleteBranch(repo, 'promobot/kept'));
      expect(error).toBeInstanceOf(AccessError);
      expect((error as AccessError).capability).toBe('delete-branch');
      expect((error as AccessError).message).toContain('Cannot delete this protected branch');
      expect(git(deploy.bare, 'branch', '--list', 'promobot/kept')).toContain('promobot/kept');
    } finally {
      double.protectBranch(repo.fullName, 'promobot/kept', null);
    }
    await host.deleteBranch(repo, 'promobot/kept');
    expect(git(deploy.bare, 'branch', '--list', 'promobot/kept')).toBe('');
  });
});
