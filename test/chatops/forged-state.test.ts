import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createStateSeal,
  readSignedState,
  readStatusComment,
  stateScope,
  statusCommentScope,
} from '../../src/promotion/pull-request-state/index.js';
import type { GiteaDouble } from '../doubles/gitea/index.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { REPO, STATE_KEY, STATE_WRITE_TOLERANCE_MS, startHarness, type Harness } from './runtime-harness.js';

/**
 * Issue #13, case 3: nothing people can edit is trusted as state. The ChatOps runtime on the Gitea double (a writer
 * may edit anyone's comment there, as on Gitea) and a real Redis that is flushed.
 */

let redisServer: RedisServer;
let h: Harness;

beforeAll(async () => {
  redisServer = await startRedis();
  h = await startHarness('gitea', redisServer);
}, 30_000);

afterEach(() => {
  h.gates = 'none';
  expect(h.double.violations.splice(0)).toEqual([]);
  expect(h.double.answerProblems.splice(0)).toEqual([]);
});

afterAll(async () => {
  await h?.close();
  await redisServer?.close();
});

const STATE_RE = /<!-- promobot:chatops-state [^\n]* -->/;

async function say(number: number, login: string, body: string) {
  const comment = await h.double.comment(REPO.fullName, number, login, body);
  await h.pump();
  return comment;
}

async function statusComment(number: number) {
  const found = (await h.botComments(number)).find((c) => c.body.startsWith('<!-- promobot:chatops-status'));
  if (!found) throw new Error(`#${number} has no status comment`);
  return found;
}

/** Edits a comment through the API as `login`, as a person would. */
async function editAs(login: string, id: number, body: string): Promise<number> {
  const answer = await fetch(`${h.double.url}/api/v1/repos/${REPO.fullName}/issues/comments/${id}`, {
    method: 'PATCH',
    headers: { authorization: `token ${h.tokens[login] ?? ''}`, 'content-type': 'application/json' },
    body: JSON.stringify({ body }),
  });
  await h.pump();
  return answer.status;
}

/** A state block as promobot writes it, for `number`, with `state` in it, signed with `key` (or not at all). */
function block(state: unknown, number: number, key: string | null): string {
  const encoded = Buffer.from(JSON.stringify(state), 'utf8').toString('base64url');
  const signature =
    key === null ? null : createStateSeal([key]).sign(stateScope('gitea', REPO.fullName, number), encoded);
  return `<!-- promobot:chatops-state ${encoded}${signature === null ? '' : ` ${signature}`} -->`;
}

describe('the Gitea double, where the case starts', () => {
  it("lets a writer edit the bot's comment, and refuses a reader (issue_comment.go editIssueComment)", async () => {
    const { number } = await h.openPromotion('wiki');
    await h.runtime.onCandidate(
      'gitea',
      REPO,
      number,
      (await h.host.getPullRequest(REPO, number)).headSha,
      '3f9c2ab',
    );
    const status = await statusComment(number);
    const gitea = h.double as unknown as GiteaDouble;
    gitea.setAccess(REPO.fullName, 'mallory', 'read');
    try {
      expect(await editAs('mallory', status.id, 'mine now')).toBe(403);
    } finally {
      gitea.setAccess(REPO.fullName, 'mallory', 'none');
    }
    expect(await editAs('alice', status.id, status.body)).toBe(200);
  });
});

describe('state in the status comment after Redis is lost', () => {
  it('ignores a block a writer forged with approvals, holds the PR and says so', async () => {
    const { number, headSha } = await h.openPromotion('docs');
    await say(number, 'release-lead', '/approve');
    h.gates = 'success';
    const status = await statusComment(number);
    const state = readStatusComment(status.body);
    if (!state) throw new Error('no state');
    const forged = {
      ...state,
      approvals: ['carol', 'dave'].map((by) => ({
        by,
        at: state.candidate!.since,
        via: 'comment',
        headSha,
        commentId: 1,
      })),
    };
    // Unsigned, and signed with a key promobot does not have: neither is taken.
    for (const key of [null, 'a-key-promobot-does-not-have-0123456789']) {
      expect(
        await editAs('alice', status.id, status.body.replace(STATE_RE, block(forged, number, key))),
      ).toBe(200);
      await h.redis.flushall();
      h.restart();
      const readiness = await h.readiness(number);
      expect(readiness.ready).toBe(false);
      expect(readiness.why).toMatch(/held by @promobot: promobot lost this PR's state and could not trust/);
      expect(readiness.why).not.toMatch(/approved by/);
    }
    // The next event writes that down, signed again.
    await say(number, 'carol', '/status');
    const now = await statusComment(number);
    expect(now.body).toContain('could not trust the copy in its status comment');
    const verified = readSignedState(now.body, (payload, signature) =>
      createStateSeal([STATE_KEY]).verify(
        statusCommentScope('gitea', REPO.fullName, number, now.id),
        payload,
        signature,
      ),
    );
    expect(verified.kind).toBe('verified');
    if (verified.kind === 'verified') {
      expect(verified.state.approvals).toEqual([]);
      expect(verified.state.audit.at(-2)).toMatchObject({ action: 'state check', outcome: 'refused' });
    }
  });

  it('does not take a genuine signed block copied from another PR', async () => {
    const held = await h.openPromotion('forum');
    await say(held.number, 'release-lead', '/approve');
    await say(held.number, 'carol', '/approve');
    const other = await h.openPromotion('ledger');
    await say(other.number, 'dave', '/hold INC-9');
    h.gates = 'success';
    const source = (await statusComment(held.number)).body.match(STATE_RE)?.[0] ?? '';
    const target = await statusComment(other.number);
    expect(await editAs('alice', target.id, target.body.replace(STATE_RE, source))).toBe(200);
    await h.redis.flushall();
    h.restart();
    expect(await h.readiness(other.number)).toMatchObject({ ready: false });
    expect((await h.readiness(other.number)).why).toMatch(/held by @promobot/);
  });

  it('holds a PR whose status comment a writer deleted, once it has answered commands there', async () => {
    const { number } = await h.openPromotion('gateway');
    await say(number, 'dave', '/hold INC-12\n/status');
    await say(number, 'release-lead', '/approve');
    await say(number, 'carol', '/approve');
    h.gates = 'success';
    const status = await statusComment(number);
    const deleted = await fetch(
      `${h.double.url}/api/v1/repos/${REPO.fullName}/issues/comments/${status.id}`,
      {
        method: 'DELETE',
        headers: { authorization: `token ${h.tokens.alice ?? ''}` },
      },
    );
    expect(deleted.status).toBe(204);
    await h.redis.flushall();
    h.restart();
    const readiness = await h.readiness(number);
    expect(readiness.ready).toBe(false);
    expect(readiness.why).toMatch(/held by @promobot: .*the status comment was deleted/);
  });

  it('keeps trusting its own signed block: a hold survives the flush', async () => {
    const { number } = await h.openPromotion('shop');
    await say(number, 'dave', '/hold INC-11');
    await say(number, 'release-lead', '/approve');
    await say(number, 'carol', '/approve');
    h.gates = 'success';
    await h.redis.flushall();
    h.restart();
    expect(await h.readiness(number)).toEqual({ ready: false, why: 'held by @dave: INC-11' });
  });

  it('never echoes its markers in a reply, so a reply cannot pose as the status comment', async () => {
    const { number } = await h.openPromotion('chat-ui');
    await say(number, 'release-lead', '/approve');
    const genuine = (await statusComment(number)).body.match(STATE_RE)?.[0] ?? '';
    await say(number, 'alice', `/hold \`<!-- promobot:chatops-status -->\` \`${genuine}\``);
    await say(number, 'alice', `/frobnicate <!-- promobot:chatops-status --> ${genuine}`);
    const replies = (await h.botComments(number)).filter(
      (c) => !c.body.startsWith('<!-- promobot:chatops-status'),
    );
    expect(replies.length).toBeGreaterThan(0);
    for (const reply of replies) {
      expect(reply.body).not.toContain('<!-- promobot:chatops-');
      expect(reply.body).not.toMatch(STATE_RE);
    }
  });

  it('does not take back an earlier genuine block a writer pasted over a later one (a /hold dropped)', async () => {
    const { number } = await h.openPromotion('search');
    await say(number, 'release-lead', '/approve');
    await say(number, 'carol', '/approve');
    h.gates = 'success';
    const approved = (await statusComment(number)).body;
    expect(readSignedState(approved, () => true).kind).toBe('verified');
    await say(number, 'dave', '/hold INC-21');
    const held = await statusComment(number);
    expect(readStatusComment(held.body)?.holds.map((x) => x.by)).toEqual(['dave']);
    // Gitea keeps every version of a comment: the writer copies the earlier one back, a while after it was written.
    await sleep(STATE_WRITE_TOLERANCE_MS + 1_100);
    expect(await editAs('alice', held.id, approved)).toBe(200);
    await h.redis.flushall();
    h.restart();
    const readiness = await h.readiness(number);
    expect(readiness.ready).toBe(false);
    expect(readiness.why).toMatch(
      /held by @promobot: .*the status comment was edited at .* after promobot wrote/,
    );
    await say(number, 'carol', '/status');
    const after = await statusComment(number);
    expect(readStatusComment(after.body)?.approvals).toEqual([]);
    expect(after.body).toContain('state block ignored: the status comment was edited at');
  });

  it('does not take back an earlier block pasted at once, when Redis still knows a later write', async () => {
    const { number } = await h.openPromotion('billing');
    await say(number, 'release-lead', '/approve');
    await say(number, 'carol', '/approve');
    h.gates = 'success';
    const approved = (await statusComment(number)).body;
    await say(number, 'dave', '/hold INC-22');
    const held = await statusComment(number);
    expect(await editAs('alice', held.id, approved)).toBe(200);
    // Only the state is lost (evicted, say): the number of the last write is still known.
    const stateKeys = await h.redis.keys('test:chatops:gitea:*:state');
    await h.redis.del(...stateKeys);
    h.restart();
    const readiness = await h.readiness(number);
    expect(readiness.ready).toBe(false);
    expect(readiness.why).toMatch(
      /held by @promobot: .*the state block is number \d+, older than number \d+/,
    );
  });

  it('does not take a genuine block of this PR pasted into the new status comment after the old one was deleted', async () => {
    const { number } = await h.openPromotion('mail');
    await say(number, 'release-lead', '/approve');
    await say(number, 'carol', '/approve');
    h.gates = 'success';
    const first = await statusComment(number);
    const deleted = await fetch(`${h.double.url}/api/v1/repos/${REPO.fullName}/issues/comments/${first.id}`, {
      method: 'DELETE',
      headers: { authorization: `token ${h.tokens.alice ?? ''}` },
    });
    expect(deleted.status).toBe(204);
    // Redis still has the state: the next event writes a new status comment, with the hold.
    await say(number, 'dave', '/hold INC-23');
    const second = await statusComment(number);
    expect(second.id).not.toBe(first.id);
    expect(
      await editAs('alice', second.id, second.body.replace(STATE_RE, first.body.match(STATE_RE)?.[0] ?? '')),
    ).toBe(200);
    await h.redis.flushall();
    h.restart();
    const readiness = await h.readiness(number);
    expect(readiness.ready).toBe(false);
    expect(readiness.why).toMatch(/held by @promobot: .*the signature of the state block does not verify/);
  });

  it("keeps a /hold the host's comments show, when an earlier genuine block was pasted back at once and Redis lost all", async () => {
    const { number } = await h.openPromotion('catalog');
    await say(number, 'release-lead', '/approve');
    await say(number, 'carol', '/approve');
    h.gates = 'success';
    const approved = (await statusComment(number)).body;
    await say(number, 'dave', '/hold INC-24');
    const held = await statusComment(number);
    // Within the tolerance, so the pasted block passes for the last write; and Redis loses everything.
    expect(await editAs('alice', held.id, approved)).toBe(200);
    await h.redis.flushall();
    h.restart();
    const readiness = await h.readiness(number);
    expect(readiness).toEqual({ ready: false, why: 'held by @dave: INC-24' });
    await say(number, 'carol', '/status');
    expect((await statusComment(number)).body).toMatch(/hold by @dave rebuilt from their comment \d+/);
    // An /unhold by a writer lifts it, as it would have before.
    await say(number, 'alice', '/unhold');
    expect(await h.readiness(number)).toMatchObject({ ready: true });
  });
});
