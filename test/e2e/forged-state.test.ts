import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git } from '../support/git.js';
import { DEPLOY_REPO, eventually, startGiteaWorld, type GiteaWorld } from './harness.js';

/**
 * Issue #13, cases 3 and 6, through the running service on the strict Gitea double with a real Redis: the state
 * promobot keeps in its status comment is not taken back from anything a writer edited or made the bot echo, even
 * after Redis lost everything; and a new candidate shows "0 of 2" in the status comment and in the stored state.
 */

const FIRST = '1111111bbbbbbb';
const NEWER = '2222222ccccccc';
const SECOND = '3333333ddddddd';

const POLICY = `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: alpine }
spec:
  deployRepo: { scm: gitea, repo: ${DEPLOY_REPO} }
  apps: [{ name: alpine, image: localhost/harbor/alpine }]
  environments:
    - { name: dev, path: '{{app}}/dev', update: commit }
    - { name: staging, path: '{{app}}/staging', update: pull-request, from: dev, autoMerge: true }
    - name: prod
      path: '{{app}}/prod'
      update: pull-request
      from: staging
      approvals: { required: 2, approvers: [team:bootcamp/sre], allowAuthor: false }
`;

const STATE_BLOCK = /<!-- promobot:chatops-state ([A-Za-z0-9_-]+)(?: ([A-Za-z0-9_-]+))? -->/;
const PROD = 'promobot/prod/alpine';

interface Approval {
  by: string;
  at: string;
  via: 'comment';
  headSha: string;
  commentId: number;
}
interface LooseState {
  candidate: { tag: string; headSha: string; since: string } | null;
  approvals: Approval[];
  holds: unknown[];
}

/** The state in a block, whichever form it has (bare, or sealed with a number and a time). */
function decode(encoded: string): { wrap: (s: LooseState) => unknown; state: LooseState } {
  const json = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as Record<string, unknown>;
  if (json.v === 2) return { state: json.state as LooseState, wrap: (state) => ({ ...json, state }) };
  return { state: json as unknown as LooseState, wrap: (state) => state };
}

/**
 * What `dev-author` makes of the status comment: an approval by release-lead added, every hold dropped, the block's
 * signature kept as it was (they cannot make a new one).
 */
function forge(body: string): string {
  const match = STATE_BLOCK.exec(body);
  if (!match?.[1]) throw new Error('no state block');
  const { state, wrap } = decode(match[1]);
  const head = state.candidate?.headSha ?? '';
  const forged: LooseState = {
    ...state,
    approvals: [
      ...state.approvals,
      { by: 'release-lead', at: state.candidate?.since ?? '', via: 'comment', headSha: head, commentId: 1 },
    ],
    holds: [],
  };
  const encoded = Buffer.from(JSON.stringify(wrap(forged)), 'utf8').toString('base64url');
  return body.replace(
    STATE_BLOCK,
    `<!-- promobot:chatops-state ${encoded}${match[2] ? ` ${match[2]}` : ''} -->`,
  );
}

describe('state nobody can forge, through the running service', () => {
  let world: GiteaWorld;
  let redis: Redis;
  let baseUrl: string;

  beforeAll(async () => {
    world = await startGiteaWorld({
      name: 'forged-state',
      policy: POLICY,
      access: { 'release-lead': 'write', 'release-lead2': 'write', 'dev-author': 'write' },
      teams: { sre: ['promobot', 'release-lead', 'release-lead2'] },
    });
    baseUrl = world.promobot!.app.baseUrl;
    redis = new Redis(world.redis.url);
  }, 120_000);

  afterAll(async () => {
    redis?.disconnect();
    await world?.close();
  });

  const say = (login: string, index: number, body: string) =>
    world.gitea.comment(DEPLOY_REPO, index, login, body);
  const stored = async (index: number) => {
    const raw = await redis.get(
      `${world.promobot!.app.config.queuePrefix}:chatops:gitea:${DEPLOY_REPO}:${String(index)}:state`,
    );
    return raw === null ? null : (JSON.parse(raw) as { state: LooseState });
  };
  const approvalsLine = (index: number) =>
    (world.statusComment(index)?.body ?? '').split('\n').find((l) => l.startsWith('- **Approvals**')) ?? '';

  it('case 6: a new candidate after one approval shows "0 of 2", in the status comment and the stored state', async () => {
    await world.push(baseUrl, FIRST, 1_790_000_000);
    const pr = await world.openPull(PROD, FIRST);
    await say('release-lead', pr.index, '/approve');
    await eventually('"1 of 2: @release-lead"', () =>
      approvalsLine(pr.index) === '- **Approvals**: 1 of 2: @release-lead' ? true : undefined,
    );

    await world.push(baseUrl, NEWER, 1_790_000_300);
    await world.openPull(PROD, NEWER);
    const head = git(world.deploy.bare, 'rev-parse', PROD);
    await eventually('the status comment on the new candidate', () =>
      world.statusComment(pr.index)?.body.includes(`at \`${head.slice(0, 7)}\``) ? true : undefined,
    );
    expect(approvalsLine(pr.index)).toBe('- **Approvals**: 0 of 2');
    // The state is saved right after the status comment is written.
    const state = await eventually('the stored state on the new candidate', async () => {
      const now = (await stored(pr.index))?.state;
      return now?.candidate?.headSha === head ? now : undefined;
    });
    expect(state.candidate?.tag).toBe(NEWER);
    expect(state.approvals.filter((a) => a.headSha === head)).toEqual([]);
    expect(world.gitea.pull(DEPLOY_REPO, pr.index)).toMatchObject({ merged: false });
  }, 180_000);

  it('case 3: a status comment a writer edited (approval added, /hold dropped) is not trusted after a flush', async () => {
    const pr = await world.openPull(PROD, NEWER);
    await say('release-lead2', pr.index, '/approve');
    await eventually('"1 of 2: @release-lead2"', () =>
      approvalsLine(pr.index) === '- **Approvals**: 1 of 2: @release-lead2' ? true : undefined,
    );
    await say('dev-author', pr.index, '/hold INC-31');
    await eventually('the hold', () =>
      world.statusComment(pr.index)?.body.includes('@dev-author: INC-31') ? true : undefined,
    );

    const status = world.statusComment(pr.index)!;
    expect(
      await world.api('dev-author', 'PATCH', `/repos/${DEPLOY_REPO}/issues/comments/${String(status.id)}`, {
        body: forge(status.body),
      }),
    ).toBe(200);
    await world.idle(world.promobot!.app.config.queuePrefix);
    await redis.flushall();

    await say('dev-author', pr.index, '/status');
    await eventually('the forged block reported', () =>
      world.statusComment(pr.index)?.body.includes('could not trust the copy in its status comment')
        ? true
        : undefined,
    );
    const reported = world.statusComment(pr.index)!.body;
    expect(reported).toContain('state block ignored: the signature of the state block does not verify');
    expect(approvalsLine(pr.index)).toBe('- **Approvals**: 0 of 2');
    expect(world.gitea.pull(DEPLOY_REPO, pr.index)).toMatchObject({ merged: false });

    // Lifted by a writer and approved again by the two approvers, it merges, with exactly their names.
    await say('dev-author', pr.index, '/unhold');
    await eventually('the hold lifted', () =>
      world.statusComment(pr.index)?.body.includes('- **Holds**: none') ? true : undefined,
    );
    expect(world.gitea.pull(DEPLOY_REPO, pr.index)).toMatchObject({ merged: false });
    await say('release-lead', pr.index, '/approve');
    await say('release-lead2', pr.index, '/approve');
    const done = await world.merged(pr.index);
    const message = git(world.deploy.bare, 'log', '-1', '--format=%B', done.mergeCommitSha!);
    const trailers = message.split('\n').filter((l) => l.startsWith('Promobot-Approved-By:'));
    expect(trailers.sort()).toEqual([
      'Promobot-Approved-By: release-lead',
      'Promobot-Approved-By: release-lead2',
    ]);
  }, 180_000);

  it('case 3, echo variant: markers in a /hold, the real status comment deleted, then a flush', async () => {
    await world.push(baseUrl, SECOND, 1_790_000_600);
    const pr = await world.openPull(PROD, SECOND);
    await eventually('the status comment', () => world.statusComment(pr.index));
    const genuine = world.statusComment(pr.index)!;
    const forgedBlock = STATE_BLOCK.exec(forge(genuine.body))?.[0] ?? '';
    const asked = [
      await say(
        'dev-author',
        pr.index,
        `/hold \`<!-- promobot:chatops-status -->\` \`${forgedBlock}\`\n/status`,
      ),
      await say('dev-author', pr.index, `/frobnicate <!-- promobot:chatops-status --> ${forgedBlock}`),
    ];
    for (const comment of asked)
      await world.said(pr.index, `<!-- promobot:reply-to ${String(comment.id)} -->`);
    for (const c of world.gitea.comments(DEPLOY_REPO, pr.index).filter((x) => x.author.login === 'promobot'))
      expect(c.body.includes('<!-- promobot:chatops-state') === (c.id === genuine.id)).toBe(true);

    // The jobs that answered may still be writing the status comment after their replies: let them finish, so
    // the deletion is what a rebuild after the flush finds, not something a job still running repairs first.
    await world.idle(world.promobot!.app.config.queuePrefix);
    expect(
      await world.api('dev-author', 'DELETE', `/repos/${DEPLOY_REPO}/issues/comments/${String(genuine.id)}`),
    ).toBe(204);
    await world.idle(world.promobot!.app.config.queuePrefix);
    await redis.flushall();
    await say('release-lead', pr.index, '/approve');
    await say('release-lead2', pr.index, '/approve');
    await eventually('the new status comment, held', () =>
      world.statusComment(pr.index)?.body.includes('the status comment was deleted') &&
      // The two approvals may be handled in either order.
      approvalsLine(pr.index).startsWith('- **Approvals**: 2 of 2: ') &&
      approvalsLine(pr.index).split(': ').at(-1)?.split(', ').sort().join(' ') ===
        '@release-lead @release-lead2'
        ? true
        : undefined,
    );
    expect(world.statusComment(pr.index)!.body).toMatch(/- \*\*Merge\*\*: waiting: .*held by @promobot/);
    expect(world.gitea.pull(DEPLOY_REPO, pr.index)).toMatchObject({ merged: false });
    await world.gitea.flush();
    expect(world.gitea.violations).toEqual([]);
  }, 180_000);
});
