import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePromotionMeta } from '../../src/promotion/index.js';
import type { GitHubDouble } from '../doubles/github/index.js';
import { git, type TempRepo } from '../support/git.js';
import {
  DEPLOY_REPO,
  eventually,
  IMAGE,
  startGitHubWorld,
  type GitHubWorld,
  type PromobotUnderTest,
} from './harness.js';

/**
 * promobot as a GitHub App, through the running service: it makes installation tokens from the App's key, acts as
 * `promobot[bot]`, and when GitHub lets its token lapse mid-flow (`expireInstallationTokens`, as an hour passing
 * would), both its API calls and its git pushes carry on with a new one.
 */

const REPO = DEPLOY_REPO;
const FIRST = '1111111bbbbbbb';
const SECOND = '2222222ccccccc';

const POLICY = `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: alpine }
spec:
  deployRepo: { scm: github, repo: ${REPO}, branch: main }
  apps: [{ name: alpine, image: ${IMAGE} }]
  environments:
    - { name: dev, path: '{{app}}/dev', update: commit }
    - { name: staging, path: '{{app}}/staging', update: pull-request, from: dev, autoMerge: true }
    - name: prod
      path: '{{app}}/prod'
      update: pull-request
      from: staging
      approvals: { required: 1, approvers: [team:bootcamp/sre] }
`;

/** Every file under a folder, as one string, to search for a leaked secret. */
function allText(dir: string): string {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => readFileSync(path, 'latin1'))
    .join('\n');
}

describe('promobot as a GitHub App', () => {
  let world: GitHubWorld;
  let deploy: TempRepo;
  let home: string;
  let double: GitHubDouble;
  let promobot: PromobotUnderTest | undefined;

  beforeAll(async () => {
    world = await startGitHubWorld({
      name: 'ghapp',
      policy: POLICY,
      access: { carol: 'write' },
      // A secret team: the App sees it through its organization Members: read permission.
      teams: { sre: { members: ['carol'], privacy: 'secret' } },
      // The permissions README's "GitHub App" paragraph lists (the same as for a fine-grained token). The repo
      // hook is made by the repository's admin (`promobot webhooks sync` with an admin's token).
      app: {
        contents: 'write',
        pull_requests: 'write',
        issues: 'write',
        statuses: 'write',
        members: 'read',
      },
    });
    ({ deploy, home, github: double, promobot } = world);
  }, 120_000);

  afterAll(async () => {
    await world?.close();
  });

  const openProd = () =>
    double.pulls(REPO).filter((p) => p.state === 'open' && p.head === 'promobot/prod/alpine');
  const tokensMade = () =>
    double.requests.filter(
      (r) => r.method === 'POST' && r.path.endsWith('/access_tokens') && r.status === 201,
    ).length;
  const refused = () =>
    double.requests.filter((r) => r.status === 401 && r.path.startsWith('/repos/')).length;
  /** Until promobot has made no API call for a second: what was in flight is done, so git goes first next. */
  const apiQuiet = () =>
    eventually('promobot to finish what is in flight', async () => {
      const before = double.requests.length;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      return double.requests.length === before ? true : undefined;
    });
  const harbor = (tag: string, occurAt: number) => world.push(promobot!.app.baseUrl, tag, occurAt);

  it('promotes as promobot[bot], renews its lapsed token for git and the API, and merges on an approval', async () => {
    await harbor(FIRST, 1_800_000_000);
    const first = await eventually('the prod PR', () => openProd()[0]);
    expect(first.author.login).toBe('promobot[bot]');
    expect(parsePromotionMeta(first.body)).toMatchObject({ env: 'prod', tag: FIRST });
    expect(double.pulls(REPO).find((p) => p.head === 'promobot/staging/alpine')).toMatchObject({
      merged: true,
      mergedBy: { login: 'promobot[bot]' },
    });
    const madeBefore = tokensMade();
    expect(madeBefore).toBeGreaterThanOrEqual(1);

    // An hour passes for GitHub: every token promobot holds is refused, while promobot thinks it has time left.
    await apiQuiet();
    double.expireInstallationTokens();
    await harbor(SECOND, 1_800_000_060);
    // The dev commit is git's first use of the lapsed token: refused, renewed, pushed.
    await eventually('the second dev commit', () =>
      deploy.log('%s').find((line) => line.includes(`dev 1111111 → 2222222`)),
    );
    const updated = await eventually('the prod PR to carry the second tag', () => {
      const [open] = openProd();
      return open && parsePromotionMeta(open.body)?.tag === SECOND ? open : undefined;
    });
    expect(updated.number).toBe(first.number);
    expect(tokensMade()).toBeGreaterThan(madeBefore);
    const lines = promobot!.app.logLines();
    expect(lines.some((l) => l.msg === 'git credentials refused; trying once with a new token')).toBe(true);

    // Lapsed again just before a person's command: the API look-ups and the merge go through with a new token.
    double.expireInstallationTokens();
    const refusedBefore = refused();
    await double.comment(REPO, updated.number, 'carol', '/approve');
    const merged = await eventually('the prod PR to be merged', () =>
      double.pulls(REPO).find((p) => p.number === updated.number && p.merged),
    );
    expect(merged.mergedBy?.login).toBe('promobot[bot]');
    expect(refused()).toBeGreaterThan(refusedBefore);
    git(deploy.work, 'fetch', '--quiet', 'origin');
    expect(git(deploy.work, 'show', 'origin/main:alpine/prod/app.yaml')).toContain(`${IMAGE}:${SECOND}`);

    // No job failed, and no token or key was written to disk or to the log.
    const failed = promobot!.app
      .logLines()
      .filter((l) => l.msg === 'job failed permanently' || l.msg === 'job failed after its last attempt');
    expect(failed).toEqual([]);
    const everything = `${promobot!.app.logText()}\n${allText(join(home, 'data'))}`;
    expect(everything).not.toMatch(/ghs_[0-9a-f]{8}/);
    expect(everything).not.toContain('PRIVATE KEY');
    await double.flush();
    expect(double.violations).toEqual([]);
    expect(double.answerProblems).toEqual([]);
  }, 120_000);
});
