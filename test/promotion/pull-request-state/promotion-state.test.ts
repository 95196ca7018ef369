import { describe, expect, it } from 'vitest';
import {
  MAX_AUDIT_ENTRIES,
  PromotionState,
  applyComment,
  applyReview,
  currentApprovals,
  emptyPromotionState,
  setCandidate,
  type AuthorizedCommand,
  type Command,
} from '../../../src/promotion/pull-request-state/index.js';

const ALLOWED = { allowed: true } as const;
const HEAD_1 = '1111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const HEAD_2 = '2222222bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';

function withCandidate(headSha = HEAD_1, tag = 'abc1234'): PromotionState {
  return setCandidate(emptyPromotionState(), { tag, headSha, at: '2026-11-21T10:00:00Z', actor: 'promobot' });
}

function allowed(...commands: Command[]): AuthorizedCommand[] {
  return commands.map((command) => ({ command, authorization: ALLOWED }));
}

function comment(state: PromotionState, commentId: number, actor: string, ...commands: Command[]) {
  return applyComment(state, {
    commentId,
    actor,
    at: `2026-11-21T10:${String(commentId).padStart(2, '0')}:00Z`,
    commands: allowed(...commands),
  });
}

const approve: Command = { name: 'approve', cancel: false };

describe('promotion/pull-request-state/promotion-state', () => {
  describe('approvals', () => {
    it('counts an accepted /approve for the current head', () => {
      const { state, results } = comment(withCandidate(), 1, 'alice', approve);
      expect(results).toEqual([
        { command: approve, outcome: 'accepted', message: '@alice approved abc1234 at 1111111' },
      ]);
      expect(currentApprovals(state)).toEqual([
        { by: 'alice', at: '2026-11-21T10:01:00Z', via: 'comment', headSha: HEAD_1, commentId: 1 },
      ]);
    });

    it('dismisses approvals when a new candidate arrives, and says so in the audit list', () => {
      const approved = comment(withCandidate(), 1, 'alice', approve).state;
      const next = setCandidate(approved, {
        tag: 'def5678',
        headSha: HEAD_2,
        at: '2026-11-21T11:00:00Z',
        actor: 'promobot',
      });
      expect(currentApprovals(next)).toEqual([]);
      expect(next.candidate).toEqual({ tag: 'def5678', headSha: HEAD_2, since: '2026-11-21T11:00:00Z' });
      expect(next.audit.at(-1)).toEqual({
        at: '2026-11-21T11:00:00Z',
        actor: 'promobot',
        action: 'dismiss approvals',
        outcome: 'done',
        detail: 'approvals by @alice were for 1111111; the candidate changed',
      });
    });

    it('leaves the state alone when the same candidate is set again', () => {
      const approved = comment(withCandidate(), 1, 'alice', approve).state;
      expect(
        setCandidate(approved, { tag: 'abc1234', headSha: HEAD_1, at: 'later', actor: 'promobot' }),
      ).toBe(approved);
    });

    it('refuses /approve while there is no candidate', () => {
      const { state, results } = comment(emptyPromotionState(), 1, 'alice', approve);
      expect(results[0]).toMatchObject({
        outcome: 'refused',
        message: 'there is no candidate to approve yet',
      });
      expect(state.approvals).toEqual([]);
    });

    it('counts a person once, whether they approve by comment, by review, or twice', () => {
      let state = comment(withCandidate(), 1, 'alice', approve).state;
      state = comment(state, 2, 'alice', approve).state;
      state = applyReview(state, {
        reviewer: 'alice',
        state: 'approved',
        commitId: HEAD_1,
        at: 'now',
        authorization: ALLOWED,
      }).state;
      expect(currentApprovals(state).map((a) => a.by)).toEqual(['alice']);
    });

    it('withdraws a comment approval on /approve cancel', () => {
      const approved = comment(withCandidate(), 1, 'alice', approve).state;
      const { state, results } = comment(approved, 2, 'alice', { name: 'approve', cancel: true });
      expect(results[0]).toMatchObject({ outcome: 'accepted', message: '@alice withdrew their approval' });
      expect(currentApprovals(state)).toEqual([]);
    });

    it('keeps decisions in a full audit list when a flood of refused commands arrives', () => {
      let state = comment(withCandidate(), 1, 'alice', approve).state;
      for (let i = 0; i < 3 * MAX_AUDIT_ENTRIES; i += 1) {
        state = applyComment(state, {
          commentId: 100 + i,
          actor: 'mallory',
          at: '2026-11-21T10:09:00Z',
          commands: [{ command: approve, authorization: { allowed: false, reason: 'no access' } }],
        }).state;
      }
      expect(state.audit).toHaveLength(MAX_AUDIT_ENTRIES);
      expect(state.audit.filter((e) => e.actor === 'alice' && e.outcome === 'accepted')).toHaveLength(1);
      expect(state.audit.at(-1)).toMatchObject({ actor: 'mallory', outcome: 'refused' });
    });

    it('records a refused command in the audit list without any effect', () => {
      const { state, results } = applyComment(withCandidate(), {
        commentId: 9,
        actor: 'bob',
        at: '2026-11-21T10:09:00Z',
        commands: [
          { command: approve, authorization: { allowed: false, reason: '@bob is not in team bootcamp/sre' } },
        ],
      });
      expect(results).toEqual([
        { command: approve, outcome: 'refused', message: '@bob is not in team bootcamp/sre' },
      ]);
      expect(state.approvals).toEqual([]);
      expect(state.audit.at(-1)).toEqual({
        at: '2026-11-21T10:09:00Z',
        actor: 'bob',
        action: '/approve',
        outcome: 'refused',
        detail: '@bob is not in team bootcamp/sre',
      });
    });
  });

  describe('at most once', () => {
    it('gives the same comment id twice one effect and no second answer', () => {
      const first = comment(withCandidate(), 7, 'alice', { name: 'hold', reason: 'incident' }, approve);
      const second = comment(first.state, 7, 'alice', { name: 'hold', reason: 'incident' }, approve);
      expect(second).toEqual({ state: first.state, duplicate: true, results: [] });
      expect(first.state.holds).toHaveLength(1);
      expect(first.state.processedCommentIds).toEqual([7]);
    });
  });

  describe('holds', () => {
    it('keeps one hold per person and lifts every hold on /unhold', () => {
      let state = comment(withCandidate(), 1, 'carol', { name: 'hold', reason: 'incident INC-7' }).state;
      const again = comment(state, 2, 'carol', { name: 'hold', reason: 'still INC-7' });
      expect(again.results[0]?.message).toBe(
        '@carol updated their hold: still INC-7; nothing merges until /unhold',
      );
      state = comment(again.state, 3, 'erin', { name: 'hold', reason: null }).state;
      expect(state.holds.map((h) => [h.by, h.reason])).toEqual([
        ['carol', 'still INC-7'],
        ['erin', null],
      ]);
      const lifted = comment(state, 4, 'dave', { name: 'unhold' });
      expect(lifted.results[0]).toMatchObject({
        outcome: 'accepted',
        message: '@dave lifted the hold by @carol, @erin',
      });
      expect(lifted.state.holds).toEqual([]);
    });

    it('says so when /unhold finds nothing held', () => {
      expect(comment(withCandidate(), 1, 'dave', { name: 'unhold' }).results[0]).toMatchObject({
        outcome: 'unchanged',
        message: 'nothing was held',
      });
    });

    it('keeps holds across a new candidate', () => {
      const held = comment(withCandidate(), 1, 'carol', { name: 'hold', reason: null }).state;
      const next = setCandidate(held, { tag: 'def5678', headSha: HEAD_2, at: 'later', actor: 'promobot' });
      expect(next.holds).toHaveLength(1);
    });
  });

  describe('native reviews', () => {
    it('counts an authorized approving review of the current head', () => {
      const outcome = applyReview(withCandidate(), {
        reviewer: 'release-lead',
        state: 'approved',
        commitId: HEAD_1,
        at: '2026-11-21T10:30:00Z',
        authorization: ALLOWED,
      });
      expect(outcome.outcome).toBe('accepted');
      expect(currentApprovals(outcome.state)).toEqual([
        { by: 'release-lead', at: '2026-11-21T10:30:00Z', via: 'review', headSha: HEAD_1, commentId: null },
      ]);
    });

    it('counts a review without a commit id as one of the current head', () => {
      const outcome = applyReview(withCandidate(), {
        reviewer: 'release-lead',
        state: 'approved',
        commitId: null,
        at: 'now',
        authorization: ALLOWED,
      });
      expect(currentApprovals(outcome.state)).toHaveLength(1);
    });

    it('does not count a review of an older head', () => {
      const outcome = applyReview(withCandidate(HEAD_2), {
        reviewer: 'release-lead',
        state: 'approved',
        commitId: HEAD_1,
        at: 'now',
        authorization: ALLOWED,
      });
      expect(outcome).toMatchObject({
        outcome: 'unchanged',
        message: 'the review approved 1111111, not the current head 2222222: not counted',
      });
      expect(currentApprovals(outcome.state)).toEqual([]);
    });

    it('does not count a review by someone who may not approve', () => {
      const outcome = applyReview(withCandidate(), {
        reviewer: 'bob',
        state: 'approved',
        commitId: HEAD_1,
        at: 'now',
        authorization: { allowed: false, reason: '@bob is not in the approvers list of prod (release-lead)' },
      });
      expect(outcome.outcome).toBe('refused');
      expect(currentApprovals(outcome.state)).toEqual([]);
    });

    it('withdraws a review approval when the reviewer then requests changes', () => {
      const approved = applyReview(withCandidate(), {
        reviewer: 'release-lead',
        state: 'approved',
        commitId: HEAD_1,
        at: 'now',
        authorization: ALLOWED,
      }).state;
      const rejected = applyReview(approved, {
        reviewer: 'release-lead',
        state: 'rejected',
        commitId: HEAD_1,
        at: 'later',
        authorization: ALLOWED,
      });
      expect(currentApprovals(rejected.state)).toEqual([]);
    });

    it('keeps a review approval through /approve cancel and says how to withdraw it', () => {
      const approved = applyReview(withCandidate(), {
        reviewer: 'alice',
        state: 'approved',
        commitId: HEAD_1,
        at: 'now',
        authorization: ALLOWED,
      }).state;
      const { state, results } = comment(approved, 3, 'alice', { name: 'approve', cancel: true });
      expect(results[0]).toMatchObject({
        outcome: 'unchanged',
        message: 'the approving review of @alice still counts: dismiss it on the PR to withdraw it',
      });
      expect(currentApprovals(state)).toHaveLength(1);
    });
  });

  describe('serialisation', () => {
    it('round-trips through JSON and the schema', () => {
      let state = comment(
        withCandidate(),
        1,
        'alice',
        approve,
        { name: 'hold', reason: 'wait' },
        { name: 'gates' },
      ).state;
      state = applyReview(state, {
        reviewer: 'bob',
        state: 'approved',
        commitId: null,
        at: 'now',
        authorization: ALLOWED,
      }).state;
      expect(PromotionState.parse(JSON.parse(JSON.stringify(state)))).toEqual(state);
    });
  });
});
