import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATES_COMMENT_MARKER } from '../../src/gates/index.js';
import { createLogger } from '../../src/logger/index.js';
import { parsePromotionMeta } from '../../src/promotion/index.js';
import { createScmHost } from '../../src/hosts/index.js';
import { repoRef, type ScmHost } from '../../src/scm/index.js';
import { chatFamilies, SITUATIONS } from '../gates/chat-history.js';
import { git } from '../support/git.js';
import { DEPLOY_REPO, eventually, IMAGE, startGiteaWorld, type GiteaWorld } from './harness.js';

const REPO = DEPLOY_REPO;
const TAG = '5555555fffffff';

// prod is gated on the candidate's TTFT p95 and error rate where it already runs (staging, namespace chat-staging,
// healthy in the generated history), and needs the approval of alice or bob.
const POLICY = `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: alpine }
spec:
  deployRepo: { scm: gitea, repo: ${REPO} }
  apps: [{ name: alpine, image: ${IMAGE} }]
  environments:
    - { name: dev, path: '{{app}}/dev', update: commit, namespace: chat-dev }
    - { name: staging, path: '{{app}}/staging', update: pull-request, from: dev, autoMerge: true, namespace: chat-staging }
    - name: prod
      path: '{{app}}/prod'
      update: pull-request
      from: staging
      namespace: chat-prod
      approvals: { required: 1, approvers: [alice, bob] }
      gates: [ttft-p95, error-rate]
      gating: { interval: 300ms, passes: 2, failureLimit: 1, maxInconclusive: 1m }
`;

describe('a gated prod promotion, approved in a comment', () => {
  let world: GiteaWorld;
  let host: ScmHost;

  beforeAll(async () => {
    world = await startGiteaWorld({
      name: 'gated',
      policy: POLICY,
      access: { alice: 'write', bob: 'write', mallory: 'write' },
      prometheus: {
        families: chatFamilies(
          SITUATIONS.filter((s) => s.namespace === 'chat-staging' || s.namespace === 'chat-prod'),
        ),
      },
    });
    host = createScmHost('gitea', {
      baseUrl: world.gitea.url,
      token: world.tokens.promobot ?? '',
      logger: createLogger({ level: 'silent' }),
    });
  }, 120_000);

  afterAll(async () => {
    await world?.close();
  });

  it('shows the gates on the PR, refuses self-approval, waits for an approver, then merges naming them', async () => {
    const { gitea, deploy } = world;
    await world.push(world.promobot?.app.baseUrl ?? '', TAG, 1_790_000_000);
    const prod = await eventually('the prod PR', () =>
      gitea.pulls(REPO).find((p) => p.state === 'open' && p.head === 'promobot/prod/alpine'),
    );
    expect(parsePromotionMeta(prod.body)).toMatchObject({ env: 'prod', tag: TAG });

    // The gates: pending first, then success after two passing rounds, with one evidence comment.
    const contexts = async () =>
      (await host.listCommitStatuses(repoRef(REPO), prod.headSha)).filter(
        (s) => s.context === 'promobot/gates',
      );
    await eventually('the gates to pass', async () =>
      (await contexts()).some((s) => s.state === 'success') ? true : undefined,
    );
    const comments = await host.listComments(repoRef(REPO), prod.index);
    const evidence = comments.filter((c) => c.body.includes(GATES_COMMENT_MARKER));
    expect(evidence).toHaveLength(1);
    expect(evidence[0]!.body).toMatch(/ttft-p95/);
    expect(evidence[0]!.body).toMatch(/llama-3-8b/);

    // Green gates alone do not merge: prod needs an approver.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(gitea.pull(REPO, prod.index)).toMatchObject({ state: 'open', merged: false });

    // mallory may write but is not an approver: refused, no effect.
    await gitea.comment(REPO, prod.index, 'mallory', '/approve');
    await eventually('the refusal', async () =>
      (await host.listComments(repoRef(REPO), prod.index)).some(
        (c) => c.body.includes('mallory') && /not/.test(c.body),
      )
        ? true
        : undefined,
    );
    expect(gitea.pull(REPO, prod.index)).toMatchObject({ merged: false });

    // alice asks for the promotion herself, so she may not approve it (approvals.allowAuthor is false).
    await gitea.comment(REPO, prod.index, 'alice', '/promote prod');
    await eventually('the status comment to name its requester', () =>
      gitea
        .comments(REPO, prod.index)
        .some((c) => c.author.login === 'promobot' && c.body.includes('**Requested by**: @alice'))
        ? true
        : undefined,
    );
    await gitea.comment(REPO, prod.index, 'alice', '/approve');
    await eventually('the self-approval refusal', async () =>
      (await host.listComments(repoRef(REPO), prod.index)).some((c) =>
        c.body.includes('@alice asked for this promotion and cannot approve it'),
      )
        ? true
        : undefined,
    );
    expect(gitea.pull(REPO, prod.index)).toMatchObject({ merged: false });

    await gitea.comment(REPO, prod.index, 'bob', 'Numbers look fine.\n\n/approve');
    const merged = await eventually('the prod merge', () =>
      gitea.pull(REPO, prod.index)?.merged ? gitea.pull(REPO, prod.index) : undefined,
    );
    const message = git(deploy.bare, 'log', '-1', '--format=%B', merged!.mergeCommitSha!);
    expect(message).toContain('Promobot-Approved-By: bob');
    expect(message).not.toContain('Promobot-Approved-By: alice');
    deploy.pull();
    expect(git(deploy.work, 'show', 'HEAD:alpine/prod/app.yaml')).toContain(`${IMAGE}:${TAG}`);

    await gitea.flush();
    expect(gitea.violations).toEqual([]);
  }, 120_000);
});
