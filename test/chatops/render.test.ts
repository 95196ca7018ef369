import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Environment } from '../../src/policy/schema.js';
import { parseCommands, renderCommandReply, renderHelp } from '../../src/chatops/index.js';
import {
  MAX_STATUS_COMMENT_LENGTH,
  STATUS_COMMENT_MARKER,
  applyComment,
  applyReview,
  decideMerge,
  emptyPromotionState,
  inlineCode,
  isStatusComment,
  readSignedState,
  readStatusComment,
  renderMergeComment,
  renderMergeTrailers,
  renderStatusComment,
  setCandidate,
  setGates,
  type PromotionState,
} from '../../src/promotion/pull-request-state/index.js';

const prod = Environment.parse(
  parse(`
name: prod
path: chat-ui/prod
update: pull-request
from: staging
approvals: { required: 2, approvers: [team:bootcamp/sre, release-lead] }
gates: [ttft-p95, error-rate]
`),
);

const HEAD = '1111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';

function approvedAndHeld(): PromotionState {
  let state = setCandidate(emptyPromotionState(), {
    tag: 'abc1234',
    headSha: HEAD,
    at: '2026-11-21T10:00:00Z',
    actor: 'promobot',
  });
  state = applyComment(state, {
    commentId: 1,
    actor: 'alice',
    at: '2026-11-21T10:01:00Z',
    commands: [{ command: { name: 'approve', cancel: false }, authorization: { allowed: true } }],
  }).state;
  state = applyComment(state, {
    commentId: 2,
    actor: 'carol',
    at: '2026-11-21T10:02:00Z',
    commands: [
      { command: { name: 'hold', reason: 'INC-7 <b>open</b> | sev2' }, authorization: { allowed: true } },
    ],
  }).state;
  return setGates(state, {
    status: 'pending',
    summary: 'round 1 of 3: 1 of 3 passes in a row',
    at: '2026-11-21T10:03:00Z',
  });
}

describe('chatops/render', () => {
  describe('renderStatusComment()', () => {
    const state = approvedAndHeld();
    const body = renderStatusComment({
      state,
      environment: prod,
      app: 'chat-ui',
      decision: decideMerge({
        state,
        environment: prod,
        gateStatus: 'pending',
        mergeable: true,
        held: false,
      }),
    });

    it('carries a hidden marker to find it again', () => {
      expect(body.startsWith(STATUS_COMMENT_MARKER)).toBe(true);
      expect(isStatusComment(body)).toBe(true);
      expect(isStatusComment('/approve')).toBe(false);
    });

    it('shows candidate, approvals as "1 of 2", holds, gates and why the merge waits', () => {
      expect(body).toContain('### promobot: chat-ui → prod');
      expect(body).toContain('- **Candidate**: `abc1234` at `1111111`, since 2026-11-21 10:00 UTC');
      expect(body).toContain('- **Approvals**: 1 of 2: @alice');
      expect(body).toContain(
        '- **Holds**: ⏸ @carol: INC-7 &lt;b&gt;open&lt;/b&gt; \\| sev2 (2026-11-21 10:02 UTC)',
      );
      expect(body).toContain('- **Gates**: ⏳ pending: round 1 of 3: 1 of 3 passes in a row');
      expect(body).toContain(
        '- **Merge**: waiting: 1 of 2 approvals so far; the gates are still running; held by @carol: INC-7 &lt;b&gt;open&lt;/b&gt; \\| sev2',
      );
    });

    it('lists the decisions: who, what, when', () => {
      expect(body).toContain('<details><summary>Decisions (3)</summary>');
      expect(body).toContain(
        '| 2026-11-21 10:01 UTC | @alice | /approve | accepted | @alice approved abc1234 at 1111111 |',
      );
      expect(body).toContain(
        '| 2026-11-21 10:02 UTC | @carol | /hold INC-7 &lt;b&gt;open&lt;/b&gt; \\| sev2 | accepted |',
      );
    });

    it('hides the state so that it can be read back after a restart', () => {
      expect(readStatusComment(body)).toEqual(state);
    });

    it('seals the state with the write number and time, and takes only a stamped block as verified', () => {
      const sign = (payload: string) => `sig${String(payload.length)}`;
      const verify = (payload: string, signature: string) => signature === sign(payload);
      const stamped = renderStatusComment({
        state,
        environment: prod,
        sign,
        stamp: { seq: 7, at: '2026-11-21T10:05:00.123Z' },
      });
      expect(readStatusComment(stamped)).toEqual(state);
      expect(readSignedState(stamped, verify)).toEqual({
        kind: 'verified',
        state,
        seq: 7,
        at: '2026-11-21T10:05:00.123Z',
      });
      // Signed without a number and a time (as before blocks had them): whether it is the last write is unknown.
      const bare = renderStatusComment({ state, environment: prod, sign });
      expect(readSignedState(bare, verify)).toEqual({
        kind: 'rejected',
        reason: 'the state block has no sequence number and time to check it by',
      });
      expect(readSignedState(stamped, () => false).kind).toBe('rejected');
    });

    it('reads no state from a comment without one or with a tampered one', () => {
      expect(readStatusComment('hello')).toBeNull();
      expect(readStatusComment('<!-- promobot:chatops-state eyJ2ZXJzaW9uIjoyfQ -->')).toBeNull();
      expect(readStatusComment('<!-- promobot:chatops-state %%% -->')).toBeNull();
    });

    it('stays under the host comment limit by dropping the oldest decisions', () => {
      let state = approvedAndHeld();
      for (let id = 10; id < 130; id += 1) {
        state = applyComment(state, {
          commentId: id,
          actor: `user-${id}`,
          at: '2026-11-21T12:00:00Z',
          commands: [
            id % 2 === 0
              ? {
                  command: { name: 'hold', reason: `r${id} ${'x'.repeat(270)}` },
                  authorization: { allowed: true },
                }
              : { command: { name: 'unhold' }, authorization: { allowed: true } },
          ],
        }).state;
      }
      expect(state.audit).toHaveLength(100);
      const big = renderStatusComment({ state, environment: prod });
      expect(big.length).toBeLessThanOrEqual(MAX_STATUS_COMMENT_LENGTH);
      const kept = readStatusComment(big);
      expect(kept?.holds).toEqual(state.holds);
      expect(kept?.processedCommentIds).toEqual(state.processedCommentIds);
      expect(kept?.audit.at(-1)).toEqual(state.audit.at(-1));
      expect(kept?.audit.length).toBeLessThan(state.audit.length);
    });

    it('contains no line that promobot would read as a command', () => {
      expect(parseCommands(body)).toEqual({ commands: [], problems: [] });
    });
  });

  describe('renderCommandReply()', () => {
    it('says what an accepted /approve did and where the count stands', () => {
      const state = approvedAndHeld();
      const reply = renderCommandReply({
        actor: 'alice',
        results: [
          {
            command: { name: 'approve', cancel: false },
            outcome: 'accepted',
            message: '@alice approved abc1234 at 1111111',
          },
        ],
        problems: [],
        state,
        environment: prod,
      });
      expect(reply).toBe('@alice\n- ✅ `/approve`: @alice approved abc1234 at 1111111 (approvals: 1 of 2)');
    });

    it('says exactly why a command was refused', () => {
      const reply = renderCommandReply({
        actor: 'bob',
        results: [
          {
            command: { name: 'approve', cancel: false },
            outcome: 'refused',
            message: '@bob is not in team bootcamp/sre or the approvers list of prod (release-lead)',
          },
        ],
        problems: [],
      });
      expect(reply).toBe(
        '@bob\n- ❌ `/approve`: @bob is not in team bootcamp/sre or the approvers list of prod (release-lead)',
      );
    });

    it('answers unknown and malformed commands with the nearest match and the exact problem', () => {
      const { problems } = parseCommands('/aprove\n/Approve\n/promote Prod\n/frobnicate');
      const reply = renderCommandReply({ actor: 'dave', results: [], problems });
      expect(reply.split('\n')).toEqual([
        '@dave',
        '- ❓ `/aprove` (line 1): unknown command; did you mean `/approve`?',
        '- ❓ `/Approve` (line 2): unknown command; commands are lowercase: did you mean `/approve`?',
        '- ⚠️ `/promote Prod` (line 3): "Prod" is not an environment name: names are lowercase',
        '- ❓ `/frobnicate` (line 4): unknown command; see `/help`',
      ]);
    });

    it('includes the status summary for /status and the help text for /help', () => {
      const state = approvedAndHeld();
      const reply = renderCommandReply({
        actor: 'erin',
        results: [
          { command: { name: 'status' }, outcome: 'accepted', message: '' },
          { command: { name: 'help' }, outcome: 'accepted', message: '' },
        ],
        problems: [],
        state,
        environment: prod,
      });
      expect(reply).toContain('- **Approvals**: 1 of 2: @alice');
      expect(reply).toContain('| `/hold [reason]` | stop any merge of this promotion until `/unhold` |');
      expect(parseCommands(reply).commands).toEqual([]);
    });

    it('puts a command holding backticks in a code span that still closes', () => {
      expect(inlineCode('/hold `x`')).toBe('`` /hold `x` ``');
    });
  });

  describe('renderHelp()', () => {
    it('lists every command and who approves the environment', () => {
      const help = renderHelp(prod);
      for (const command of [
        '/approve',
        '/hold',
        '/unhold',
        '/promote',
        '/rollback',
        '/gates',
        '/status',
        '/help',
      ]) {
        expect(help).toContain(`\`${command}`);
      }
      expect(help).toContain(
        'prod needs 2 approvals from team bootcamp/sre, @release-lead. The author of a promotion cannot approve it.',
      );
      expect(parseCommands(help).commands).toEqual([]);
    });
  });

  describe('merge evidence', () => {
    it('names every approver in a trailer', () => {
      expect(renderMergeTrailers(['alice', 'release-lead'])).toBe(
        'Promobot-Approved-By: alice\nPromobot-Approved-By: release-lead',
      );
      expect(renderMergeTrailers([])).toBe('');
    });

    it('comments who approved and what the gates showed', () => {
      let state = approvedAndHeld();
      state = applyReview(state, {
        reviewer: 'release-lead',
        state: 'approved',
        commitId: HEAD,
        at: '2026-11-21T10:05:00Z',
        authorization: { allowed: true },
      }).state;
      state = setGates(state, {
        status: 'success',
        summary: 'ttft-p95 1.2 s ≤ 2 s; error-rate 0.2% ≤ 1%',
        at: 'now',
      });
      expect(renderMergeComment({ state, environment: prod })).toBe(
        [
          'Merged `abc1234` into prod.',
          '- **Approved by**: @alice, @release-lead',
          '- **Gates**: ✅ success: ttft-p95 1.2 s ≤ 2 s; error-rate 0.2% ≤ 1%',
        ].join('\n'),
      );
    });
  });
});
