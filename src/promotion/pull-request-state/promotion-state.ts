import { z } from 'zod';
import { GateStatus } from '../../gates/rounds.js';
import { Command, formatCommand, type CommandAuthorization } from './command.js';
import { sameLogin } from '../../scm/same-login.js';

/**
 * What ChatOps knows about one promotion PR, as plain JSON: it is stored (in Redis, and hidden in the bot's status
 * comment so a lost Redis loses nothing) and read back with `PromotionState.parse`. Every change goes through the
 * pure reducers below; none of them mutates its input, and applying the same comment or review twice has one
 * effect.
 */

/** Newest processed comment ids kept: webhook redeliveries arrive within minutes, not after hundreds of comments. */
export const MAX_PROCESSED_COMMENTS = 500;
/** Newest audit entries kept, so the status comment stays readable and under the host's size limit. */
export const MAX_AUDIT_ENTRIES = 100;

const Login = z.string().min(1);
/** ISO 8601; the caller's clock, since reducers do not read one. */
const Instant = z.string().min(1);

export const Candidate = z.object({
  tag: z.string().min(1),
  /** The PR head commit that carries this candidate; approvals are for it. */
  headSha: z.string().min(1),
  since: Instant,
});
export type Candidate = z.infer<typeof Candidate>;

export const ApprovalRecord = z.object({
  by: Login,
  at: Instant,
  via: z.enum(['comment', 'review']),
  /** The head commit approved; the approval counts only while it is the PR's head. */
  headSha: z.string().min(1),
  commentId: z.number().int().positive().nullable(),
});
export type ApprovalRecord = z.infer<typeof ApprovalRecord>;

export const HoldRecord = z.object({
  by: Login,
  reason: z.string().nullable(),
  at: Instant,
  commentId: z.number().int().positive().nullable(),
});
export type HoldRecord = z.infer<typeof HoldRecord>;

export const GateSummary = z.object({
  status: GateStatus,
  /** One line, e.g. "ttft-p95 1.2 s ≤ 2 s, error-rate 0.2% ≤ 1% (3 of 3 rounds)". */
  summary: z.string(),
  at: Instant,
});
export type GateSummary = z.infer<typeof GateSummary>;

export const AuditOutcome = z.enum(['accepted', 'refused', 'unchanged', 'done']);
export type AuditOutcome = z.infer<typeof AuditOutcome>;

export const AuditEntry = z.object({
  at: Instant,
  /** Who asked, or the bot's login for its own decisions. */
  actor: Login,
  /** `/approve`, `review approved`, `new candidate`, `merge`, ... */
  action: z.string().min(1),
  outcome: AuditOutcome,
  detail: z.string(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

/**
 * A person who asked for this PR (`/promote`, `/rollback`): an author of it for the no-self-approval rule, for as
 * long as the PR is open. Recorded only by promobot, at request time, never read from anything people can edit.
 */
export const RequesterRecord = z.object({
  by: Login,
  at: Instant,
  via: z.enum(['promote', 'rollback']),
});
export type RequesterRecord = z.infer<typeof RequesterRecord>;

/** Requesters kept per PR; a PR asked for by more people than this is held by far more than its requesters. */
export const MAX_REQUESTERS = 50;

export const PromotionState = z.object({
  version: z.literal(1),
  candidate: Candidate.nullable(),
  /** Absent in states written before requesters were recorded here. */
  requesters: z.array(RequesterRecord).max(MAX_REQUESTERS).default([]),
  approvals: z.array(ApprovalRecord),
  holds: z.array(HoldRecord),
  processedCommentIds: z.array(z.number().int().positive()),
  gates: GateSummary.nullable(),
  audit: z.array(AuditEntry),
  /** `/unfreeze`: who let this head merge inside a freeze window; absent when nobody did. */
  unfrozen: z.object({ by: Login, at: Instant, headSha: z.string().min(1) }).optional(),
});
export type PromotionState = z.infer<typeof PromotionState>;

/** What one command did, for the reply and the audit list. */
export const CommandResult = z.object({
  command: Command,
  outcome: z.enum(['accepted', 'refused', 'unchanged']),
  /** What happened, or exactly why not. */
  message: z.string(),
});
export type CommandResult = z.infer<typeof CommandResult>;

export interface AuthorizedCommand {
  command: Command;
  authorization: CommandAuthorization;
}

export interface CommentInput {
  commentId: number;
  actor: string;
  at: string;
  /** Every command of the comment, in order, each with what `authorize` said. */
  commands: readonly AuthorizedCommand[];
}

export interface CommentOutcome {
  state: PromotionState;
  /** The comment was already processed: nothing changed, and nothing should be answered again. */
  duplicate: boolean;
  results: CommandResult[];
}

export interface ReviewInput {
  reviewer: string;
  state: 'approved' | 'rejected' | 'commented' | 'dismissed';
  /** The commit reviewed, when the host says; null counts as the current head. */
  commitId: string | null;
  at: string;
  /** What `authorize` said about the reviewer approving (`/approve`). */
  authorization: CommandAuthorization;
}

export interface ReviewOutcome {
  state: PromotionState;
  outcome: 'accepted' | 'refused' | 'unchanged';
  message: string;
}

/** The state of a promotion PR nobody has acted on yet. */
export function emptyPromotionState(): PromotionState {
  return {
    version: 1,
    candidate: null,
    requesters: [],
    approvals: [],
    holds: [],
    processedCommentIds: [],
    gates: null,
    audit: [],
  };
}

function short(sha: string): string {
  return sha.slice(0, 7);
}

/**
 * Appends to the bounded audit list. When it is full, refusals and no-ops go first (oldest first), so a flood of
 * refused comments — anyone who can comment can send one — never pushes out who approved, held or merged.
 */
function audited(state: PromotionState, entry: AuditEntry): PromotionState {
  const audit = [...state.audit, entry];
  while (audit.length > MAX_AUDIT_ENTRIES) {
    const minor = audit.findIndex((e) => e.outcome === 'refused' || e.outcome === 'unchanged');
    audit.splice(minor >= 0 ? minor : 0, 1);
  }
  return { ...state, audit };
}

/** Appends one entry to the audit list: the bot's own decisions (merge, ready, rollback opened). */
export function recordDecision(state: PromotionState, entry: AuditEntry): PromotionState {
  return audited(state, AuditEntry.parse(entry));
}

/**
 * The approvals that count: those for the current head, one per person (a comment and a review by the same person
 * are one approval), oldest first.
 */
export function currentApprovals(state: PromotionState): ApprovalRecord[] {
  const head = state.candidate?.headSha;
  if (head === undefined) return [];
  const seen = new Set<string>();
  const counted: ApprovalRecord[] = [];
  for (const approval of state.approvals) {
    const who = approval.by.toLowerCase();
    if (approval.headSha !== head || seen.has(who)) continue;
    seen.add(who);
    counted.push(approval);
  }
  return counted;
}

/** Is `login` one of the people who asked for this PR? */
export function isRequester(state: PromotionState, login: string): boolean {
  return state.requesters.some((r) => sameLogin(r.by, login));
}

/**
 * The approvals that count towards the environment's `required`: {@link currentApprovals}, without those of the
 * people who asked for the PR unless the environment lets authors approve. An approval given before its author
 * asked for the PR stops counting once they did.
 */
export function countedApprovals(
  state: PromotionState,
  approvals: { allowAuthor?: boolean } | undefined,
): ApprovalRecord[] {
  const current = currentApprovals(state);
  if (approvals?.allowAuthor === true) return current;
  return current.filter((a) => !isRequester(state, a.by));
}

/**
 * `by` asked for this PR (`/promote`, `/rollback`): from now on an author of it. Recording the same person twice
 * changes nothing, so a retried recording has one effect.
 */
export function addRequester(state: PromotionState, input: RequesterRecord): PromotionState {
  if (isRequester(state, input.by)) return state;
  const requesters = [...state.requesters, RequesterRecord.parse(input)].slice(-MAX_REQUESTERS);
  return audited(
    { ...state, requesters },
    {
      at: input.at,
      actor: input.by,
      action: `requested (/${input.via})`,
      outcome: 'done',
      detail: `@${input.by} asked for this PR, so counts as its author`,
    },
  );
}

/** Has this comment already been acted on? */
export function isProcessed(state: PromotionState, commentId: number): boolean {
  return state.processedCommentIds.includes(commentId);
}

/**
 * A new candidate (or a new head commit) on the PR. Approvals of the earlier head are dismissed, since what was
 * approved changed, and so is the gate verdict, which was about the earlier candidate. Holds stay.
 */
export function setCandidate(
  state: PromotionState,
  input: { tag: string; headSha: string; at: string; actor: string },
): PromotionState {
  if (state.candidate?.headSha === input.headSha && state.candidate.tag === input.tag) return state;
  const dismissed = currentApprovals(state).map((a) => a.by);
  let next: PromotionState = {
    ...state,
    candidate: { tag: input.tag, headSha: input.headSha, since: input.at },
    approvals: state.approvals.filter((a) => a.headSha === input.headSha),
    gates: null,
  };
  next = audited(next, {
    at: input.at,
    actor: input.actor,
    action: 'new candidate',
    outcome: 'done',
    detail: `${input.tag} at ${short(input.headSha)}`,
  });
  if (dismissed.length > 0) {
    next = audited(next, {
      at: input.at,
      actor: input.actor,
      action: 'dismiss approvals',
      outcome: 'done',
      detail: `approvals by ${dismissed.map((by) => `@${by}`).join(', ')} were for ${short(state.candidate?.headSha ?? '')}; the candidate changed`,
    });
  }
  return next;
}

/** The latest gate verdict for the current candidate. */
export function setGates(state: PromotionState, gates: GateSummary): PromotionState {
  return { ...state, gates: GateSummary.parse(gates) };
}

/** `by` holds the promotion; one hold per person, a second `/hold` replaces the reason. */
export function hold(
  state: PromotionState,
  input: { by: string; reason: string | null; at: string; commentId: number | null },
): PromotionState {
  const others = state.holds.filter((h) => !sameLogin(h.by, input.by));
  return { ...state, holds: [...others, { ...input }] };
}

/** Lifts every hold: any writer may, as with a label. */
export function unhold(state: PromotionState): PromotionState {
  return { ...state, holds: [] };
}

function approve(
  state: PromotionState,
  actor: string,
  at: string,
  commentId: number,
): [PromotionState, CommandResult] {
  const command: Command = { name: 'approve', cancel: false };
  const candidate = state.candidate;
  if (candidate === null) {
    return [state, { command, outcome: 'refused', message: 'there is no candidate to approve yet' }];
  }
  if (currentApprovals(state).some((a) => sameLogin(a.by, actor))) {
    return [state, { command, outcome: 'unchanged', message: `@${actor} already approved ${candidate.tag}` }];
  }
  const approval: ApprovalRecord = { by: actor, at, via: 'comment', headSha: candidate.headSha, commentId };
  return [
    { ...state, approvals: [...state.approvals, approval] },
    {
      command,
      outcome: 'accepted',
      message: `@${actor} approved ${candidate.tag} at ${short(candidate.headSha)}`,
    },
  ];
}

function cancelApproval(state: PromotionState, actor: string): [PromotionState, CommandResult] {
  const command: Command = { name: 'approve', cancel: true };
  const head = state.candidate?.headSha;
  const mine = state.approvals.filter((a) => sameLogin(a.by, actor) && a.headSha === head);
  if (mine.length === 0) {
    return [state, { command, outcome: 'unchanged', message: `@${actor} had not approved this candidate` }];
  }
  const byComment = mine.filter((a) => a.via === 'comment');
  const approvals = state.approvals.filter((a) => !byComment.includes(a));
  // A native review stays on the host whatever promobot records, and would come back on the next rebuild.
  if (mine.some((a) => a.via === 'review')) {
    return [
      { ...state, approvals },
      {
        command,
        outcome: byComment.length > 0 ? 'accepted' : 'unchanged',
        message: `the approving review of @${actor} still counts: dismiss it on the PR to withdraw it`,
      },
    ];
  }
  return [
    { ...state, approvals },
    { command, outcome: 'accepted', message: `@${actor} withdrew their approval` },
  ];
}

function applyOne(
  state: PromotionState,
  command: Command,
  actor: string,
  at: string,
  commentId: number,
): [PromotionState, CommandResult] {
  switch (command.name) {
    case 'approve':
      return command.cancel ? cancelApproval(state, actor) : approve(state, actor, at, commentId);
    case 'hold': {
      const again = state.holds.some((h) => sameLogin(h.by, actor));
      const why = command.reason === null ? '' : `: ${command.reason}`;
      return [
        hold(state, { by: actor, reason: command.reason, at, commentId }),
        {
          command,
          outcome: 'accepted',
          message: `${again ? `@${actor} updated their hold` : `@${actor} held the promotion`}${why}; nothing merges until /unhold`,
        },
      ];
    }
    case 'unhold': {
      if (state.holds.length === 0)
        return [state, { command, outcome: 'unchanged', message: 'nothing was held' }];
      const holders = state.holds.map((h) => `@${h.by}`).join(', ');
      return [
        unhold(state),
        { command, outcome: 'accepted', message: `@${actor} lifted the hold by ${holders}` },
      ];
    }
    case 'gates':
      if (state.candidate === null) {
        return [
          state,
          { command, outcome: 'refused', message: 'there is no candidate to run the gates on yet' },
        ];
      }
      return [
        { ...state, gates: { status: 'pending', summary: `re-run asked by @${actor}`, at } },
        { command, outcome: 'accepted', message: `the gates run again now for ${state.candidate.tag}` },
      ];
    case 'promote':
      return [state, { command, outcome: 'accepted', message: `promotion into ${command.env} requested` }];
    case 'rollback': {
      const where = command.env ?? 'this environment';
      const to = command.tag ?? 'its previous tag';
      return [state, { command, outcome: 'accepted', message: `rollback of ${where} to ${to} requested` }];
    }
    case 'unfreeze': {
      if (state.candidate === null)
        return [state, { command, outcome: 'refused', message: 'there is no candidate to unfreeze yet' }];
      const { headSha, tag } = state.candidate;
      if (state.unfrozen?.headSha === headSha)
        return [
          state,
          { command, outcome: 'unchanged', message: `@${state.unfrozen.by} already unfroze ${tag}` },
        ];
      return [
        { ...state, unfrozen: { by: actor, at, headSha } },
        {
          command,
          outcome: 'accepted',
          message: `@${actor} lifted the freeze for ${tag}: it merges now if approved and green`,
        },
      ];
    }
    case 'status':
    case 'help':
      return [state, { command, outcome: 'accepted', message: '' }];
  }
}

/**
 * Applies the commands of one new comment, each already authorized or refused, and marks the comment processed.
 * The same comment id a second time (a webhook delivered twice) changes nothing and answers nothing.
 * State-changing commands, accepted or not, land in the audit list.
 */
export function applyComment(state: PromotionState, input: CommentInput): CommentOutcome {
  if (isProcessed(state, input.commentId)) return { state, duplicate: true, results: [] };
  let next: PromotionState = {
    ...state,
    processedCommentIds: [...state.processedCommentIds, input.commentId].slice(-MAX_PROCESSED_COMMENTS),
  };
  const results: CommandResult[] = [];
  for (const { command, authorization } of input.commands) {
    let result: CommandResult;
    if (authorization.allowed) {
      [next, result] = applyOne(next, command, input.actor, input.at, input.commentId);
    } else {
      result = { command, outcome: 'refused', message: authorization.reason };
    }
    results.push(result);
    if (command.name === 'status' || command.name === 'help') continue;
    next = audited(next, {
      at: input.at,
      actor: input.actor,
      action: formatCommand(command),
      outcome: result.outcome,
      detail: result.message,
    });
  }
  return { state: next, duplicate: false, results };
}

/**
 * A native review: Gitea `pull_request_approved` / `pull_request_rejected`, GitHub `pull_request_review`.
 * An approval counts like `/approve` (and needs the same authorization) but only for the current head; a rejection
 * or a dismissal withdraws the reviewer's review approval. Delivered twice, it has one effect.
 */
export function applyReview(state: PromotionState, input: ReviewInput): ReviewOutcome {
  const { reviewer, at } = input;
  const finish = (
    next: PromotionState,
    outcome: ReviewOutcome['outcome'],
    message: string,
  ): ReviewOutcome => ({
    state: audited(next, { at, actor: reviewer, action: `review ${input.state}`, outcome, detail: message }),
    outcome,
    message,
  });
  const candidate = state.candidate;
  if (input.state === 'commented') return { state, outcome: 'unchanged', message: '' };
  if (input.state !== 'approved') {
    const approvals = state.approvals.filter((a) => !(a.via === 'review' && sameLogin(a.by, reviewer)));
    if (approvals.length === state.approvals.length) return { state, outcome: 'unchanged', message: '' };
    return finish(
      { ...state, approvals },
      'accepted',
      `the review approval of @${reviewer} no longer counts`,
    );
  }
  if (!input.authorization.allowed) return finish(state, 'refused', input.authorization.reason);
  if (candidate === null) return finish(state, 'unchanged', 'there is no candidate to approve yet');
  if (input.commitId !== null && input.commitId !== candidate.headSha) {
    return finish(
      state,
      'unchanged',
      `the review approved ${short(input.commitId)}, not the current head ${short(candidate.headSha)}: not counted`,
    );
  }
  const already = state.approvals.some(
    (a) => a.via === 'review' && sameLogin(a.by, reviewer) && a.headSha === candidate.headSha,
  );
  if (already)
    return { state, outcome: 'unchanged', message: `@${reviewer} already approved ${candidate.tag}` };
  const approval: ApprovalRecord = {
    by: reviewer,
    at,
    via: 'review',
    headSha: candidate.headSha,
    commentId: null,
  };
  return finish(
    { ...state, approvals: [...state.approvals, approval] },
    'accepted',
    `@${reviewer} approved ${candidate.tag} at ${short(candidate.headSha)} in a review`,
  );
}
