/**
 * An `/approve` comment carries no commit: it is for the head the approver could have seen. The head of a
 * promotion PR is written by promobot (someone else's commit stops the automation), so its committer time is when
 * promobot made it, before the push: a comment the host says was written earlier cannot be for that head. Its job
 * may simply have run late (a backlog, a retry with backoff) while a newer candidate was pushed.
 *
 * Clocks: the commit time is the worker's clock, whole seconds; `created_at` is the code host's clock, whole
 * seconds. The margin below widens the refusal: an `/approve` must be written at least this long after the head
 * commit to count. So a host clock up to this far ahead of the worker's, and the rounding of both to seconds, still
 * refuse a stale approval; a host clock behind the worker's refuses more approvals, never fewer (the approver is
 * asked to approve again). Only a host clock more than the margin ahead would let a stale approval through. Nobody
 * reviews a new head within seconds of its push, so a genuine approval is not lost to the margin.
 */
export const APPROVE_AFTER_HEAD_MARGIN_MS = 10_000;

export interface ApprovalTimingInput {
  /** The comment's `created_at` from the host's webhook; undefined when the sender gave none. */
  commentCreatedAt: string | undefined;
  /** The PR's head commit, which an accepted `/approve` would count for. */
  headSha: string;
  /** The head commit's committer time in epoch ms from promobot's own clone; null when it could not be read. */
  headWrittenAt: number | null;
  marginMs?: number;
}

/**
 * Why an `/approve` in this comment cannot count for the PR's current head, or null when it may. Anything unknown
 * refuses: the approver is asked to look and approve again, which is always safe.
 */
export function staleApprovalReason(input: ApprovalTimingInput): string | null {
  const head = input.headSha.slice(0, 7);
  const again = `look at it and approve again`;
  if (input.headWrittenAt === null)
    return `promobot could not tell when the PR's head ${head} was written, so not that your /approve came after it; ${again}`;
  const written = input.commentCreatedAt === undefined ? Number.NaN : Date.parse(input.commentCreatedAt);
  if (Number.isNaN(written))
    return `the host did not say when your comment was written, so not that it came after the PR's head ${head}; ${again}`;
  const margin = input.marginMs ?? APPROVE_AFTER_HEAD_MARGIN_MS;
  if (written < input.headWrittenAt + margin)
    return `the PR changed after your /approve (now at ${head}); ${again}`;
  return null;
}
