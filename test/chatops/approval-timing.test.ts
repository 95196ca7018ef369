import { describe, expect, it } from 'vitest';
import { APPROVE_AFTER_HEAD_MARGIN_MS, staleApprovalReason } from '../../src/chatops/approval-timing.js';

const head = '4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e';
const writtenAt = Date.parse('2026-12-07T10:00:00Z');
const at = (ms: number) => new Date(writtenAt + ms).toISOString();

describe('staleApprovalReason', () => {
  it('lets an /approve written well after the head count', () => {
    expect(
      staleApprovalReason({
        commentCreatedAt: at(APPROVE_AFTER_HEAD_MARGIN_MS),
        headSha: head,
        headWrittenAt: writtenAt,
      }),
    ).toBeNull();
  });

  it('refuses an /approve written before the head, naming the head', () => {
    expect(
      staleApprovalReason({ commentCreatedAt: at(-60_000), headSha: head, headWrittenAt: writtenAt }),
    ).toBe('the PR changed after your /approve (now at 4d5e6f7); look at it and approve again');
  });

  it('refuses inside the margin after the head: a host clock ahead of the worker fails safe', () => {
    const reason = staleApprovalReason({
      commentCreatedAt: at(APPROVE_AFTER_HEAD_MARGIN_MS - 1),
      headSha: head,
      headWrittenAt: writtenAt,
    });
    expect(reason).toContain('the PR changed after your /approve');
    expect(
      staleApprovalReason({
        commentCreatedAt: at(1_000),
        headSha: head,
        headWrittenAt: writtenAt,
        marginMs: 0,
      }),
    ).toBeNull();
  });

  it('refuses when the comment time or the head time is unknown', () => {
    expect(
      staleApprovalReason({ commentCreatedAt: undefined, headSha: head, headWrittenAt: writtenAt }),
    ).toContain('the host did not say when your comment was written');
    expect(
      staleApprovalReason({ commentCreatedAt: 'yesterday', headSha: head, headWrittenAt: writtenAt }),
    ).toContain('the host did not say when your comment was written');
    expect(
      staleApprovalReason({ commentCreatedAt: at(60_000), headSha: head, headWrittenAt: null }),
    ).toContain('promobot could not tell when the PR');
  });

  it('reads the host offset of created_at', () => {
    // Gitea writes local offsets: 19:00:05+09:00 is 10:00:05Z, before the margin ends.
    expect(
      staleApprovalReason({
        commentCreatedAt: '2026-12-07T19:00:05+09:00',
        headSha: head,
        headWrittenAt: writtenAt,
      }),
    ).not.toBeNull();
    expect(
      staleApprovalReason({
        commentCreatedAt: '2026-12-07T19:01:00+09:00',
        headSha: head,
        headWrittenAt: writtenAt,
      }),
    ).toBeNull();
  });
});
