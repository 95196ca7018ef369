import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import type { CommentCreated, ReviewSubmitted } from '../../src/events/index.js';
import { normalizeGitea } from '../../src/hosts/gitea/normalize.js';
import { Environment } from '../../src/policy/schema.js';
import type { Permission } from '../../src/scm/types.js';
import {
  handleComment,
  handleReview,
  type ChatopsContext,
  type PermissionLookup,
} from '../../src/chatops/index.js';
import {
  decideMerge,
  emptyPromotionState,
  setCandidate,
  setGates,
  type PromotionState,
} from '../../src/promotion/pull-request-state/index.js';
import { fixtureJson } from '../support/fixtures.js';

/** The real Gitea comment delivery, with the variant this test needs made in code. */
function giteaComment(change: {
  id?: number;
  body: string;
  login?: string;
  action?: string;
}): CommentCreated {
  const payload = fixtureJson<{
    action: string;
    comment: { id: number; body: string; user: { login: string } };
  }>('gitea/issue_comment.on_pr.created.json');
  payload.action = change.action ?? payload.action;
  payload.comment.id = change.id ?? payload.comment.id;
  payload.comment.body = change.body;
  payload.comment.user.login = change.login ?? payload.comment.user.login;
  const result = normalizeGitea(
    { 'x-gitea-event': 'issue_comment', 'x-gitea-event-type': 'issue_comment' },
    payload,
  );
  if (!('events' in result)) throw new Error(`ignored: ${result.ignored}`);
  return result.events[0] as CommentCreated;
}

function giteaReview(): ReviewSubmitted {
  const payload = fixtureJson('gitea/pull_request_review_approved.json');
  const result = normalizeGitea({ 'x-gitea-event': 'pull_request_approved' }, payload);
  if (!('events' in result)) throw new Error(`ignored: ${result.ignored}`);
  return result.events[0] as ReviewSubmitted;
}

const environments = z.array(Environment).parse(
  parse(`
- { name: staging, path: chat-ui/staging, update: pull-request, from: dev }
- { name: dev, path: chat-ui/dev, update: commit }
- name: prod
  path: chat-ui/prod
  update: pull-request
  from: staging
  approvals: { required: 2, approvers: [team:bootcamp/sre, release-lead, a_nice_user] }
  gates: [ttft-p95]
`),
);
const prod = environments.find((e) => e.name === 'prod') as Environment;

/** The fixture comment is on example/example by "example"; the promotion's author is "alice". */
function context(overrides: Partial<ChatopsContext> = {}): ChatopsContext {
  return {
    deployRepo: 'example/example',
    botLogin: 'promobot',
    environments,
    environment: prod,
    author: 'alice',
    isPromotionPr: true,
    ...overrides,
  };
}

const permissions: Record<string, Permission> = {
  'release-lead': 'write',
  alice: 'write',
  carol: 'write',
  bob: 'write',
  example: 'read',
  a_nice_user: 'write',
};
const lookup: PermissionLookup = {
  getPermission: async (user) => permissions[user] ?? 'none',
  isTeamMember: async (org, team, user) => org === 'bootcamp' && team === 'sre' && user === 'carol',
};

const HEAD = '07977177c2cd7d46bad37b8472a9d50e7acb9d1f';

function candidate(): PromotionState {
  return setCandidate(emptyPromotionState(), { tag: 'abc1234', headSha: HEAD, at: 't0', actor: 'promobot' });
}

async function acted(state: PromotionState, event: CommentCreated, ctx = context()) {
  const handled = await handleComment(event, state, ctx, lookup, '2026-11-21T10:00:00Z');
  if (!handled.acted) throw new Error(`not acted on: ${handled.reason}`);
  return handled;
}

describe('chatops/handleComment() on Gitea deliveries', () => {
  it('refuses an /approve written before the head it would count for, but not /approve cancel or /hold', async () => {
    const stale = 'the PR changed after your /approve (now at 0797717); look at it and approve again';
    const approved = (
      await acted(candidate(), giteaComment({ id: 30, body: '/approve', login: 'release-lead' }))
    ).state;
    const handled = await acted(
      candidate(),
      giteaComment({ id: 31, body: '/approve\n/hold waiting', login: 'carol' }),
      context({ staleApproval: stale }),
    );
    expect(handled.state.approvals).toEqual([]);
    expect(handled.state.holds.map((x) => x.by)).toEqual(['carol']);
    expect(handled.results.map((r) => [r.command.name, r.outcome])).toEqual([
      ['approve', 'refused'],
      ['hold', 'accepted'],
    ]);
    expect(handled).toMatchObject({ reaction: '-1', replyNeeded: true });
    expect(handled.reply).toContain(stale);
    const cancelled = await acted(
      approved,
      giteaComment({ id: 32, body: '/approve cancel', login: 'release-lead' }),
      context({ staleApproval: stale }),
    );
    expect(cancelled.state.approvals).toEqual([]);
  });

  it('counts /approve by an approver, with a thumbs-up and no reply needed', async () => {
    const handled = await acted(
      candidate(),
      giteaComment({ id: 10, body: 'LGTM\r\n/approve', login: 'release-lead' }),
    );
    expect(handled.state.approvals.map((a) => a.by)).toEqual(['release-lead']);
    expect(handled).toMatchObject({ reaction: '+1', replyNeeded: false, toCarryOut: [] });
  });

  it('refuses /approve by the promotion author, with the reason, and counts nothing', async () => {
    const handled = await acted(candidate(), giteaComment({ id: 11, body: '/approve', login: 'alice' }));
    expect(handled.state.approvals).toEqual([]);
    expect(handled.reaction).toBe('-1');
    expect(handled.replyNeeded).toBe(true);
    expect(handled.reply).toBe(
      '@alice\n- ❌ `/approve`: @alice asked for this promotion and cannot approve it: the policy of prod does not let authors approve (approvals.allowAuthor)',
    );
  });

  it('refuses /approve by a writer outside the approvers, without effect', async () => {
    const handled = await acted(candidate(), giteaComment({ id: 12, body: '/approve', login: 'bob' }));
    expect(handled.state.approvals).toEqual([]);
    expect(handled.reply).toContain('@bob is not in team bootcamp/sre or the approvers list of prod');
  });

  it('refuses the fixture author, who only has read permission', async () => {
    const handled = await acted(candidate(), giteaComment({ id: 13, body: '/hold' }));
    expect(handled.reply).toBe(
      '@example\n- ❌ `/hold`: @example has read permission on example/example; /hold needs write permission',
    );
    expect(handled.state.holds).toEqual([]);
  });

  it('holds only this PR for a /hold all written on it, and says where a global stop is written', async () => {
    const handled = await acted(
      candidate(),
      giteaComment({ id: 14, body: '/hold all incident', login: 'bob' }),
    );
    expect(handled.state.holds.map((h) => [h.by, h.reason])).toEqual([['bob', 'all incident']]);
    expect(handled.replyNeeded).toBe(true);
    expect(handled.reply).toContain(
      'this holds only this PR: a global stop (`/hold all incident`) is written on an issue of the deploy repo',
    );
    const plain = await acted(
      candidate(),
      giteaComment({ id: 15, body: '/hold waiting for QA', login: 'bob' }),
    );
    expect(plain.replyNeeded).toBe(false);
  });

  it.each([
    ['a code block', '```\n/approve\n```'],
    ['inline code', 'type `/approve` to approve'],
    ['a quote', '> /approve'],
  ])('ignores /approve inside %s', async (_what, body) => {
    const handled = await handleComment(
      giteaComment({ id: 14, body, login: 'release-lead' }),
      candidate(),
      context(),
      lookup,
      'now',
    );
    expect(handled).toEqual({ acted: false, reason: 'no command in the comment' });
  });

  it('never sees an edited comment: the normalizer drops it', () => {
    expect(() => giteaComment({ body: '/approve', action: 'edited' })).toThrow(
      /not acted on \(only created\)/,
    );
  });

  it('ignores comments by bots, promobot itself included', async () => {
    for (const login of ['promobot', 'renovate[bot]']) {
      const handled = await handleComment(
        giteaComment({ id: 15, body: '/approve', login }),
        candidate(),
        context(),
        lookup,
        'now',
      );
      expect(handled).toEqual({ acted: false, reason: `the comment is by a bot (@${login})` });
    }
  });

  it('ignores a GitHub comment the host marks as written by a bot account', async () => {
    const event: CommentCreated = {
      ...giteaComment({ id: 18, body: '/approve', login: 'release-automation' }),
      scm: 'github',
      authorIsBot: true,
    };
    expect(await handleComment(event, candidate(), context(), lookup, 'now')).toEqual({
      acted: false,
      reason: 'the comment is by a bot (@release-automation)',
    });
  });

  it('ignores PRs promobot did not open and repos other than the deploy repo', async () => {
    const event = giteaComment({ id: 16, body: '/approve', login: 'release-lead' });
    expect(await handleComment(event, candidate(), context({ isPromotionPr: false }), lookup, 'now')).toEqual(
      {
        acted: false,
        reason: '#2 is not a promotion PR promobot opened',
      },
    );
    expect(
      await handleComment(
        event,
        candidate(),
        context({ deployRepo: 'bootcamp/notes-deploy' }),
        lookup,
        'now',
      ),
    ).toEqual({
      acted: false,
      reason: 'example/example is not the deploy repo bootcamp/notes-deploy',
    });
  });

  it('acts once on the same delivery twice', async () => {
    const event = giteaComment({ id: 17, body: '/approve', login: 'release-lead' });
    const first = await acted(candidate(), event);
    expect(await handleComment(event, first.state, context(), lookup, 'later')).toEqual({
      acted: false,
      reason: 'comment 17 was already processed',
    });
  });

  it('holds the merge through approvals and green gates until /unhold', async () => {
    let state = (await acted(candidate(), giteaComment({ id: 20, body: '/hold INC-7', login: 'bob' }))).state;
    state = (await acted(state, giteaComment({ id: 21, body: '/approve', login: 'release-lead' }))).state;
    state = (await acted(state, giteaComment({ id: 22, body: '/approve', login: 'carol' }))).state;
    state = setGates(state, { status: 'success', summary: 'ttft-p95 1.2 s ≤ 2 s', at: 't5' });
    const merge = { gateStatus: 'success', mergeable: true, held: false } as const;
    expect(decideMerge({ ...merge, state, environment: prod })).toEqual({
      action: 'wait',
      reasons: ['held by @bob: INC-7'],
    });
    state = (await acted(state, giteaComment({ id: 23, body: '/unhold', login: 'carol' }))).state;
    expect(decideMerge({ ...merge, state, environment: prod })).toEqual({
      action: 'merge',
      approvers: ['release-lead', 'carol'],
    });
  });

  it.each(['merged', 'closed'] as const)(
    'answers /approve, /hold, /unhold and /gates on a %s PR as too late, and changes nothing',
    async (closed) => {
      const held = (await acted(candidate(), giteaComment({ id: 30, body: '/hold', login: 'bob' }))).state;
      const event = giteaComment({
        id: 31,
        body: '/approve\n/hold INC-9\n/unhold\n/gates\n/status',
        login: 'release-lead',
      });
      const handled = await acted(held, event, context({ closed }));
      const late = `#${String(event.number)} is already ${closed}: nothing was changed`;
      expect(handled.results.map((r) => [r.command.name, r.outcome])).toEqual([
        ['approve', 'refused'],
        ['hold', 'refused'],
        ['unhold', 'refused'],
        ['gates', 'refused'],
        ['status', 'accepted'],
      ]);
      expect(handled.results.slice(0, 4).every((r) => r.message === late)).toBe(true);
      expect(handled.reply).toContain(`\`/hold INC-9\`: ${late}`);
      expect(handled.state.approvals).toEqual([]);
      expect(handled.state.holds.map((h) => h.by)).toEqual(['bob']);
      expect(handled).toMatchObject({ toCarryOut: [], reaction: '-1', replyNeeded: true });
      // The same comment on the open PR does change things: the refusal is the closed PR's, not the commands'.
      const open = await acted(held, event, context({ closed: null }));
      expect(open.results.filter((r) => r.outcome === 'accepted').map((r) => r.command.name)).toContain(
        'approve',
      );
    },
  );

  it('answers /status with the summary and the merge line', async () => {
    const handled = await handleComment(
      giteaComment({ id: 24, body: '/status' }),
      candidate(),
      context(),
      lookup,
      'now',
      { gateStatus: null, mergeable: true, held: false },
    );
    if (!handled.acted) throw new Error(handled.reason);
    expect(handled.replyNeeded).toBe(true);
    expect(handled.reply).toContain(
      '- **Merge**: waiting: 0 of 2 approvals so far; the gates have not run yet',
    );
  });

  it('passes accepted /promote, /rollback and /gates to the caller to carry out', async () => {
    const handled = await acted(
      candidate(),
      giteaComment({ id: 25, body: '/gates\n/rollback prod to 0a1b2c3\n/promote staging', login: 'bob' }),
    );
    expect(handled.toCarryOut).toEqual([
      { name: 'gates' },
      { name: 'rollback', env: 'prod', tag: '0a1b2c3' },
      { name: 'promote', env: 'staging' },
    ]);
  });

  it('reads only /promote and /rollback on an issue of the deploy repo', async () => {
    const onIssue = {
      ...giteaComment({ id: 26, body: '/approve\n/promte prod\n/promote prod', login: 'bob' }),
      isPullRequest: false,
    };
    const handled = await acted(
      emptyPromotionState(),
      onIssue,
      context({ environment: null, author: null, isPromotionPr: false }),
    );
    expect(handled.toCarryOut).toEqual([{ name: 'promote', env: 'prod' }]);
    expect(handled.reply).toBe(
      '@bob\n- ✅ `/promote prod`: promotion into prod requested\n- ❓ `/promte prod` (line 2): unknown command; did you mean `/promote`?',
    );
    const chatter = {
      ...giteaComment({ id: 27, body: '/status\n/help', login: 'bob' }),
      isPullRequest: false,
    };
    expect(
      await handleComment(chatter, emptyPromotionState(), context({ environment: null }), lookup, 'now'),
    ).toEqual({
      acted: false,
      reason: 'no /promote or /rollback',
    });
  });

  it('confuses no one: a mistyped command gets a suggestion and a confused reaction', async () => {
    const handled = await acted(
      candidate(),
      giteaComment({ id: 28, body: '/aprove', login: 'release-lead' }),
    );
    expect(handled).toMatchObject({ reaction: 'confused', replyNeeded: true });
    expect(handled.reply).toBe(
      '@release-lead\n- ❓ `/aprove` (line 1): unknown command; did you mean `/approve`?',
    );
  });
});

describe('chatops/handleReview() on Gitea deliveries', () => {
  it('counts the real approving review of the current head by an approver', async () => {
    const review = giteaReview();
    const handled = await handleReview(review, candidate(), context(), lookup, 't1');
    expect(handled).toMatchObject({ acted: true, outcome: 'accepted' });
    if (handled.acted)
      expect(handled.state.approvals.map((a) => [a.by, a.via])).toEqual([['a_nice_user', 'review']]);
  });

  it('refuses the same review from someone who may not approve', async () => {
    const review = { ...giteaReview(), reviewer: 'bob' };
    const handled = await handleReview(review, candidate(), context(), lookup, 't1');
    expect(handled).toMatchObject({ acted: true, outcome: 'refused' });
  });

  it('counts the review once when it is delivered twice', async () => {
    const first = await handleReview(giteaReview(), candidate(), context(), lookup, 't1');
    if (!first.acted) throw new Error(first.reason);
    const second = await handleReview(giteaReview(), first.state, context(), lookup, 't2');
    expect(second).toMatchObject({ acted: true, outcome: 'unchanged' });
    if (second.acted) expect(second.state.approvals).toHaveLength(1);
  });
});
