import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATES_COMMENT_MARKER } from '../../src/gates/index.js';
import { createLogger } from '../../src/logger/index.js';
import { parsePromotionMeta } from '../../src/promotion/index.js';
import { ROLLOUT_COMMENT_MARKER } from '../../src/rollout/runtime/index.js';
import { createScmHost } from '../../src/hosts/index.js';
import { repoRef, type CommitStatus, type ScmHost } from '../../src/scm/index.js';
import type { ArgoCdDouble } from '../doubles/argocd/index.js';
import { chatFamilies, SITUATIONS } from '../gates/chat-history.js';
import { TEST_SECRETS } from '../support/app.js';
import { git } from '../support/git.js';
import {
  DEPLOY_REPO,
  eventually,
  IMAGE,
  OLD_TAG,
  startGiteaWorld,
  type GiteaWorld,
  type PromobotUnderTest,
} from './harness.js';

const REPO = DEPLOY_REPO;
const APPLICATION = 'alpine-staging';
const PROD_APPLICATION = 'alpine-prod';
const OLD = OLD_TAG;

// staging is verified through the Argo CD Application alpine-staging; prod soaks 2 s from that verification, is
// gated on staging's metrics and needs alice's approval. prod is verified too (alpine-prod): its post-merge watch
// starts once it runs the merge.
const POLICY = `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: alpine }
spec:
  deployRepo: { scm: gitea, repo: ${REPO} }
  apps: [{ name: alpine, image: ${IMAGE} }]
  environments:
    - { name: dev, path: '{{app}}/dev', update: commit, namespace: chat-dev }
    - name: staging
      path: '{{app}}/staging'
      update: pull-request
      from: dev
      autoMerge: true
      namespace: chat-staging
      verify: { provider: argocd, project: apps, timeout: 30s }
    - name: prod
      path: '{{app}}/prod'
      update: pull-request
      from: staging
      namespace: chat-prod
      soak: 2s
      watch: 2s
      verify: { provider: argocd, project: apps, timeout: 30s }
      approvals: { required: 1, approvers: [alice] }
      gates: [ttft-p95, error-rate]
      gating: { interval: 300ms, passes: 2, failureLimit: 1, maxInconclusive: 1m }
`;

describe('prod gates on what really runs in staging (Argo CD)', () => {
  let world: GiteaWorld;
  let deploy: GiteaWorld['deploy'];
  let gitea: GiteaWorld['gitea'];
  let argocd: ArgoCdDouble;
  let promobot: PromobotUnderTest;
  let host: ScmHost;
  let pushes = 0;

  const statuses = async (sha: string, context: string): Promise<CommitStatus[]> =>
    (await host.listCommitStatuses(repoRef(REPO), sha)).filter((s) => s.context === context);
  /** The newest status of `context` on `sha` whose state is `state`. */
  const statusIn = async (sha: string, context: string, state: CommitStatus['state']) => {
    const [latest] = await statuses(sha, context);
    return latest?.state === state ? latest : undefined;
  };
  const rolloutComment = (pr: number) =>
    gitea
      .comments(REPO, pr)
      .find((c) => c.author.login === 'promobot' && c.body.includes(ROLLOUT_COMMENT_MARKER))?.body;
  const prodPr = () => gitea.pulls(REPO).find((p) => p.state === 'open' && p.head === 'promobot/prod/alpine');
  const mainSha = () => git(deploy.bare, 'rev-parse', 'main').trim();
  /** The commit on main that brought `tag` into staging (the staging PR's merge). */
  const stagingLanding = (tag: string) =>
    eventually(`staging to run ${tag}`, () => {
      const sha = mainSha();
      return git(deploy.bare, 'show', `${sha}:alpine/staging/app.yaml`).includes(tag) ? sha : undefined;
    });
  // Each push is newer than the last (promobot keeps the newest push by Harbor's occur_at).
  const push = (tag: string) =>
    world.push(promobot.app.baseUrl, tag, Math.floor(Date.now() / 1000) + pushes++);
  /** What argocd-notifications posts with promobot's documented template. */
  const notify = async (revision: string, app = APPLICATION) => {
    const answer = await fetch(`${promobot.app.baseUrl}/webhooks/argocd`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: TEST_SECRETS.argocd },
      body: JSON.stringify({
        app,
        appNamespace: 'argocd',
        revision,
        syncStatus: 'Synced',
        healthStatus: 'Healthy',
      }),
    });
    expect(answer.status).toBe(202);
  };
  /** alice approves, and promobot's status comment counts her approval (so the command was decided). */
  const approve = async (pr: number, headSha: string) => {
    await gitea.comment(REPO, pr, 'alice', '/approve');
    await eventually('the approval to be counted', () =>
      gitea
        .comments(REPO, pr)
        .some((c) => c.author.login === 'promobot' && /\*\*Approvals\*\*: 1 of 1: @alice/.test(c.body))
        ? true
        : undefined,
    );
    return headSha;
  };

  beforeAll(async () => {
    world = await startGiteaWorld({
      name: 'rollout',
      policy: POLICY,
      access: { alice: 'write' },
      prometheus: {
        families: chatFamilies(
          SITUATIONS.filter((s) => s.namespace === 'chat-staging' || s.namespace === 'chat-prod'),
        ),
      },
      argocd: { allow: ['apps/alpine-*'] },
      beforePromobot: ({ argocd: double, deploy: repo }) => {
        const head = () => git(repo.bare, 'rev-parse', 'main').trim();
        double!.addApp({ name: APPLICATION, project: 'apps', revision: head(), images: [`${IMAGE}:${OLD}`] });
        double!.addApp({
          name: PROD_APPLICATION,
          project: 'apps',
          revision: head(),
          images: [`${IMAGE}:${OLD}`],
        });
        // Asked to refresh after promobot's landing, Argo CD compares with git and finds staging out of sync.
        double!.onRefresh(APPLICATION, () => double!.outOfSync(APPLICATION, head()));
      },
    });
    ({ deploy, gitea } = world);
    argocd = world.argocd!;
    promobot = world.promobot!;
    host = createScmHost('gitea', {
      baseUrl: gitea.url,
      token: world.tokens.promobot ?? '',
      logger: createLogger({ level: 'silent' }),
    });
  }, 120_000);

  afterAll(async () => {
    await world?.close();
  }, 180_000);

  it('holds prod while staging is OutOfSync, starts the soak when Argo CD syncs, then gates and merges', async () => {
    const TAG = '1111111aaaaaaa';
    await push(TAG);
    const landing = await stagingLanding(TAG);
    const landedAt = Number(git(deploy.bare, 'log', '-1', '--format=%ct', landing).trim()) * 1000;

    // The prod PR exists, but staging is not verified: promobot/rollout pending with the reason, no gate round.
    const prod = await eventually('the prod PR', prodPr);
    const pending = await eventually('promobot/rollout pending', () =>
      statusIn(prod.headSha, 'promobot/rollout', 'pending'),
    );
    expect(pending.description).toContain(`staging: Argo CD OutOfSync at ${landing.slice(0, 7)}`);
    expect(pending.description).toContain(`waiting for ${landing.slice(0, 7)}`);
    expect(argocd.refreshes(APPLICATION)).toContain('normal');
    await eventually('the rollout comment', () => rolloutComment(prod.index));
    expect(rolloutComment(prod.index)).toContain('OutOfSync');
    // Staging stays OutOfSync for a while: still no gate round, nothing merged.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await statuses(prod.headSha, 'promobot/gates')).toEqual([]);
    expect(gitea.comments(REPO, prod.index).some((c) => c.body.includes(GATES_COMMENT_MARKER))).toBe(false);
    expect(parsePromotionMeta(gitea.pull(REPO, prod.index)!.body)?.verifiedAt).toBeUndefined();
    expect(await statusIn(prod.headSha, 'promobot/rollout', 'pending')).toBeDefined();
    // /status shows the rollout state.
    await gitea.comment(REPO, prod.index, 'alice', '/status');
    await eventually('the /status answer with the rollout', () =>
      gitea
        .comments(REPO, prod.index)
        .some(
          (c) =>
            c.author.login === 'promobot' &&
            c.body.includes('**Rollout**: ⏳ waiting: `staging: Argo CD OutOfSync'),
        )
        ? true
        : undefined,
    );

    // Argo CD syncs the candidate and reports it.
    const syncedAt = Date.now();
    argocd.synced(APPLICATION, landing, [`${IMAGE}:${TAG}`]);
    argocd.healthy(APPLICATION);
    await notify(landing);

    const verified = await eventually('promobot/rollout success', () =>
      statusIn(prod.headSha, 'promobot/rollout', 'success'),
    );
    expect(verified.description).toContain(`staging runs ${TAG}`);
    // The soak's recorded start is the rollout, not the commit.
    const meta = await eventually('the verified time in the PR metadata', () => {
      const parsed = parsePromotionMeta(gitea.pull(REPO, prod.index)!.body);
      return parsed?.verifiedAt ? parsed : undefined;
    });
    const verifiedAt = Date.parse(meta.verifiedAt!);
    expect(verifiedAt).toBeGreaterThanOrEqual(syncedAt);
    expect(verifiedAt - landedAt).toBeGreaterThanOrEqual(3_000);

    // Gates run once the soak from the rollout is over; the approval then merges.
    await eventually('the gates to pass', () => statusIn(prod.headSha, 'promobot/gates', 'success'), 60_000);
    await approve(prod.index, prod.headSha);
    const merged = await eventually('the prod merge', () =>
      gitea.pull(REPO, prod.index)?.merged ? gitea.pull(REPO, prod.index) : undefined,
    );
    const mergeSha = merged!.mergeCommitSha!;
    expect(mergeSha).toBeTruthy();

    // The post-merge watch waits until prod is verified running the merge: Argo CD still shows the old revision.
    await eventually('prod to be asked about', () =>
      argocd.requests.some((r) => r.path.endsWith(`/${PROD_APPLICATION}`) && r.query.includes('refresh'))
        ? true
        : undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await statuses(mergeSha, 'promobot/watch')).toEqual([]);
    argocd.synced(PROD_APPLICATION, mainSha(), [`${IMAGE}:${TAG}`]);
    argocd.healthy(PROD_APPLICATION);
    await notify(mainSha(), PROD_APPLICATION);
    await eventually('the post-merge watch to start', async () =>
      (await statuses(mergeSha, 'promobot/watch')).length > 0 ? true : undefined,
    );
  }, 150_000);

  it('blocks prod when staging is Degraded, with the health evidence, and /approve does not merge', async () => {
    const TAG = '2222222bbbbbbb';
    await push(TAG);
    const landing = await stagingLanding(TAG);
    const prod = await eventually('the prod PR for the new candidate', () => {
      const pr = prodPr();
      return pr && parsePromotionMeta(pr.body)?.tag === TAG ? pr : undefined;
    });
    await eventually('promobot/rollout pending', () => statusIn(prod.headSha, 'promobot/rollout', 'pending'));

    argocd.synced(APPLICATION, landing, [`${IMAGE}:${TAG}`]);
    argocd.degraded(APPLICATION, 'Deployment "alpine" exceeded its progress deadline', {
      kind: 'Deployment',
      name: 'alpine',
      namespace: 'chat-staging',
      health: { status: 'Degraded', message: 'Deployment "alpine" exceeded its progress deadline' },
    });
    await notify(landing);

    const failed = await eventually('promobot/rollout failure', () =>
      statusIn(prod.headSha, 'promobot/rollout', 'failure'),
    );
    expect(failed.description).toContain('staging: Argo CD Degraded');
    const comment = await eventually('the failure in the rollout comment', () =>
      rolloutComment(prod.index)?.includes('Failed') ? rolloutComment(prod.index) : undefined,
    );
    expect(comment).toContain('exceeded its progress deadline');
    expect(comment).toContain('Deployment chat-staging/alpine: Degraded');

    await approve(prod.index, prod.headSha);
    // A later reconcile (any event) still does not merge: the hold is promobot's own record.
    await gitea.comment(REPO, prod.index, 'alice', '/gates');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(gitea.pull(REPO, prod.index)).toMatchObject({ state: 'open', merged: false });
    expect(await statuses(prod.headSha, 'promobot/gates')).toEqual([]);
  }, 120_000);

  it('does not verify a sync to an older revision than the landing commit', async () => {
    const older = mainSha();
    const TAG = '3333333ccccccc';
    argocd.healthy(APPLICATION);
    await push(TAG);
    const landing = await stagingLanding(TAG);
    const prod = await eventually('the prod PR for the new candidate', () => {
      const pr = prodPr();
      return pr && parsePromotionMeta(pr.body)?.tag === TAG ? pr : undefined;
    });
    // Argo CD reports Synced and Healthy, but at a revision before promobot's landing.
    argocd.synced(APPLICATION, older, [`${IMAGE}:2222222bbbbbbb`]);
    argocd.healthy(APPLICATION);
    await notify(older);
    const pending = await eventually('the reason to name the older revision', async () => {
      const status = await statusIn(prod.headSha, 'promobot/rollout', 'pending');
      return status?.description?.includes('does not contain') ? status : undefined;
    });
    expect(pending.description).toContain(`Synced at ${older.slice(0, 7)}`);
    expect(pending.description).toContain(`waiting for ${landing.slice(0, 7)}`);
    expect(await statuses(prod.headSha, 'promobot/gates')).toEqual([]);
    expect(gitea.pull(REPO, prod.index)).toMatchObject({ merged: false });
  }, 120_000);

  it('never verifies nor merges while Argo CD is down the whole window, and says why', async () => {
    const TAG = '4444444ddddddd';
    argocd.unreachable(true);
    try {
      await push(TAG);
      await stagingLanding(TAG);
      const prod = await eventually('the prod PR for the new candidate', () => {
        const pr = prodPr();
        return pr && parsePromotionMeta(pr.body)?.tag === TAG ? pr : undefined;
      });
      const waiting = await eventually('promobot/rollout pending', () =>
        statusIn(prod.headSha, 'promobot/rollout', 'pending'),
      );
      expect(waiting.description).toContain('Argo CD could not be asked about alpine-staging');
      await approve(prod.index, prod.headSha);
      const failed = await eventually(
        'the timeout',
        () => statusIn(prod.headSha, 'promobot/rollout', 'failure'),
        90_000,
      );
      expect(failed.description).toContain('staging: not verified within 30s');
      const comment = rolloutComment(prod.index) ?? '';
      expect(comment).toContain('unreachable');
      expect(gitea.pull(REPO, prod.index)).toMatchObject({ state: 'open', merged: false });
      expect(await statuses(prod.headSha, 'promobot/gates')).toEqual([]);
    } finally {
      argocd.unreachable(false);
    }
    await gitea.flush();
    expect(gitea.violations).toEqual([]);
    expect(argocd.violations).toEqual([]);
    expect(argocd.answerProblems).toEqual([]);
  }, 150_000);
});
