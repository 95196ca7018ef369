import { z } from 'zod';
import { PROMOBOT_TRAILERS } from '../../git/trailers.js';
import type { Environment } from '../../policy/schema.js';
import { requiredApprovals, type MergeDecision } from './decide-merge.js';
import { PromotionState, countedApprovals } from './promotion-state.js';
import { defuseMarkers } from './state-seal.js';

/**
 * What promotion writes on its PR for people: the status comment (with the state hidden in it), the summary lines
 * the `/status` reply shares, the merge comment and the merge-commit trailers. Plain functions from data to
 * Markdown; posting them is the caller's business. ChatOps' replies to commands are in `chatops/render.ts`.
 */

/** Finds the bot's status comment again among a PR's comments. */
export const STATUS_COMMENT_MARKER = '<!-- promobot:chatops-status -->';
/** Leaves room below GitHub's 65,536-character limit on a comment. */
export const MAX_STATUS_COMMENT_LENGTH = 60_000;
/** Newest audit entries shown; the hidden state keeps more. */
export const AUDIT_ROWS_SHOWN = 20;

/**
 * What a sealed block carries: the state, the bot's sequence number of this write for the PR, and the time the bot
 * wrote it (checked against the host's `updated_at` of the comment when the block is read back, see `staleBlock`).
 */
export const SealedState = z.object({
  v: z.literal(2),
  seq: z.number().int().positive(),
  at: z.string().min(1),
  state: PromotionState,
});
export type SealedState = z.infer<typeof SealedState>;

const STATE_BLOCK = /<!-- promobot:chatops-state ([A-Za-z0-9_-]+)(?: ([A-Za-z0-9_-]+))? -->/;

/** Free text from people, made safe for a Markdown table cell: no HTML, no line breaks, no cell separators. */
export function escapeText(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]+/g, ' ');
}

/** `text` as an inline code span, whatever backticks it holds (CommonMark: a longer fence, padded). */
export function inlineCode(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${defuseMarkers(text.replace(/[\r\n]+/g, ' '))}${pad}${fence}`;
}

/** `2026-11-21T10:01:00Z` → `2026-11-21 10:01 UTC`; anything unparseable as it is. */
function formatTime(at: string): string {
  const time = Date.parse(at);
  if (Number.isNaN(time)) return escapeText(at);
  return `${new Date(time).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function approvalsCount(state: PromotionState, environment: Environment): string {
  const required = requiredApprovals(environment);
  const count = countedApprovals(state, environment.approvals).length;
  return required === 0 ? `${count} (none required)` : `${count} of ${required}`;
}

const GATE_ICON = { success: '✅', failure: '❌', pending: '⏳' } as const;

function decisionLine(decision: MergeDecision): string {
  switch (decision.action) {
    case 'merge':
      return 'merging';
    case 'ready':
      return 'ready: everything passes, people merge this one';
    case 'wait':
      return `waiting: ${decision.reasons.map(escapeText).join('; ')}`;
  }
}

/** The summary lines shared by the status comment and the `/status` reply. */
export function renderSummary(
  state: PromotionState,
  environment: Environment,
  decision?: MergeDecision,
  /** Where the candidate's rollout in the source environment stands (`verify:`), when it is verified there. */
  rollout?: string,
): string {
  const lines: string[] = [];
  const candidate = state.candidate;
  lines.push(
    candidate === null
      ? '- **Candidate**: none yet'
      : `- **Candidate**: ${inlineCode(candidate.tag)} at ${inlineCode(candidate.headSha.slice(0, 7))}, since ${formatTime(candidate.since)}`,
  );
  if (rollout !== undefined) lines.push(`- **Rollout**: ${rollout}`);
  const approvals = countedApprovals(state, environment.approvals);
  const who = approvals.map((a) => `@${a.by}${a.via === 'review' ? ' (review)' : ''}`).join(', ');
  lines.push(`- **Approvals**: ${approvalsCount(state, environment)}${who === '' ? '' : `: ${who}`}`);
  if (state.requesters.length > 0) {
    const authors = environment.approvals?.allowAuthor === true ? '' : ' (they cannot approve it)';
    lines.push(
      `- **Requested by**: ${state.requesters.map((r) => `@${escapeText(r.by)}`).join(', ')}${authors}`,
    );
  }
  lines.push(
    state.holds.length === 0
      ? '- **Holds**: none'
      : `- **Holds**: ${state.holds
          .map(
            (h) => `⏸ @${h.by}${h.reason === null ? '' : `: ${escapeText(h.reason)}`} (${formatTime(h.at)})`,
          )
          .join('; ')}`,
  );
  if (environment.gates.length > 0 || state.gates !== null) {
    lines.push(
      state.gates === null
        ? `- **Gates** (${environment.gates.join(', ')}): not run yet`
        : `- **Gates**: ${GATE_ICON[state.gates.status]} ${state.gates.status}: ${escapeText(state.gates.summary)}`,
    );
  }
  if (decision) lines.push(`- **Merge**: ${decisionLine(decision)}`);
  return lines.join('\n');
}

function auditTable(state: PromotionState): string {
  if (state.audit.length === 0) return '';
  const rows = state.audit
    .slice(-AUDIT_ROWS_SHOWN)
    .map((e) =>
      [
        formatTime(e.at),
        `@${escapeText(e.actor)}`,
        escapeText(e.action),
        e.outcome,
        escapeText(e.detail),
      ].join(' | '),
    )
    .map((row) => `| ${row} |`);
  const hidden = state.audit.length - rows.length;
  return [
    `<details><summary>Decisions (${state.audit.length})</summary>`,
    '',
    '| When | Who | What | Outcome | Detail |',
    '|---|---|---|---|---|',
    ...rows,
    ...(hidden > 0 ? ['', `${hidden} older decisions are kept in the bot's state.`] : []),
    '',
    '</details>',
  ].join('\n');
}

/**
 * The bot's one status comment on a promotion PR, updated in place: candidate, approvals ("1 of 2"), holds, gates,
 * the merge decision and the audit list of decisions (who, what, when). It ends with the state itself, hidden, so
 * that the bot can rebuild it from the PR after losing Redis ({@link readStatusComment}).
 */
export function renderStatusComment(input: {
  state: PromotionState;
  environment: Environment;
  /** `chat-ui`, for the heading. */
  app?: string;
  decision?: MergeDecision;
  /** Signs the hidden state (see `StateSeal`); without it the block is unsigned, and never read back as state. */
  sign?: (payload: string) => string | null;
  /**
   * The write's sequence number and time, sealed with the state; without them the block carries the bare state,
   * which is never read back as state either.
   */
  stamp?: { seq: number; at: string };
  /** Warnings for people, one line each (an approval that no longer counts, and why). */
  notes?: readonly string[];
  rollout?: string;
}): string {
  let state = input.state;
  let body = statusCommentBody(state, input);
  // GitHub refuses comments over 65,536 characters: drop the oldest half of the audit until it fits.
  while (body.length > MAX_STATUS_COMMENT_LENGTH && state.audit.length > 0) {
    state = { ...state, audit: state.audit.slice(Math.ceil(state.audit.length / 2)) };
    body = statusCommentBody(state, input);
  }
  return body;
}

function statusCommentBody(
  state: PromotionState,
  input: {
    environment: Environment;
    app?: string;
    decision?: MergeDecision;
    sign?: (payload: string) => string | null;
    stamp?: { seq: number; at: string };
    notes?: readonly string[];
    rollout?: string;
  },
): string {
  const { environment } = input;
  const title = input.app === undefined ? environment.name : `${input.app} → ${environment.name}`;
  const carried: unknown =
    input.stamp === undefined
      ? state
      : ({ v: 2, seq: input.stamp.seq, at: input.stamp.at, state } satisfies SealedState);
  const encoded = Buffer.from(JSON.stringify(carried), 'utf8').toString('base64url');
  const signature = input.sign?.(encoded) ?? null;
  return [
    STATUS_COMMENT_MARKER,
    `### promobot: ${escapeText(title)}`,
    '',
    renderSummary(state, environment, input.decision, input.rollout),
    ...(input.notes ?? []).map((note) => `- ⚠️ ${escapeText(note)}`),
    '',
    auditTable(state),
    '',
    'Commands: `/approve`, `/hold [reason]`, `/unhold`, `/gates`, `/status`, `/help` (one per line, in a new comment).',
    `<!-- promobot:chatops-state ${encoded}${signature === null ? '' : ` ${signature}`} -->`,
  ]
    .filter((part, i, all) => !(part === '' && all[i - 1] === ''))
    .join('\n');
}

/** Is this comment the bot's status comment? It starts with the marker; a quote of it elsewhere does not count. */
export function isStatusComment(body: string): boolean {
  return body.startsWith(STATUS_COMMENT_MARKER);
}

function decodeBlock(encoded: string): SealedState | PromotionState | null {
  try {
    const json: unknown = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
    const sealed = SealedState.safeParse(json);
    if (sealed.success) return sealed.data;
    const bare = PromotionState.safeParse(json);
    return bare.success ? bare.data : null;
  } catch {
    return null;
  }
}

const isSealed = (block: SealedState | PromotionState): block is SealedState => 'v' in block;

/**
 * The state hidden in a status comment, unverified: for showing and for tests. Never take it as state; anyone with
 * write access can edit the comment ({@link readSignedState} is what the bot trusts).
 */
export function readStatusComment(body: string): PromotionState | null {
  const match = STATE_BLOCK.exec(body);
  const block = match?.[1] ? decodeBlock(match[1]) : null;
  return block === null ? null : isSealed(block) ? block.state : block;
}

export type SignedState =
  | { kind: 'none' }
  | { kind: 'verified'; state: PromotionState; seq: number; at: string }
  | { kind: 'rejected'; reason: string };

/**
 * The state hidden in a status comment, only if its signature verifies (`verify` knows the keys and the PR).
 * `none`: no block at all; `rejected`: a block that must not be trusted, and why.
 */
export function readSignedState(
  body: string,
  verify: (payload: string, signature: string) => boolean,
): SignedState {
  const match = STATE_BLOCK.exec(body);
  const encoded = match?.[1];
  if (encoded === undefined) return { kind: 'none' };
  const signature = match?.[2];
  if (signature === undefined) return { kind: 'rejected', reason: 'the state block is not signed' };
  if (!verify(encoded, signature))
    return { kind: 'rejected', reason: 'the signature of the state block does not verify' };
  const block = decodeBlock(encoded);
  if (block === null) return { kind: 'rejected', reason: 'the signed state block does not parse' };
  // Signed before blocks carried a sequence and a time: whether it is the last one written cannot be told.
  if (!isSealed(block))
    return { kind: 'rejected', reason: 'the state block has no sequence number and time to check it by' };
  return { kind: 'verified', state: block.state, seq: block.seq, at: block.at };
}

/** A login as it may stand in a trailer: one line, no blanks. */
function trailerValue(login: string): string {
  return login.replace(/\s+/g, '');
}

/**
 * Git trailers naming who approved, one per approver, for the end of the merge commit message:
 * `Promobot-Approved-By: alice`. Empty when nobody approved.
 */
export function renderMergeTrailers(approvers: readonly string[]): string {
  return approvers.map((login) => `${PROMOBOT_TRAILERS.approvedBy}: ${trailerValue(login)}`).join('\n');
}

/** The comment the bot leaves when it merges: who approved and what the gates showed. */
export function renderMergeComment(input: { state: PromotionState; environment: Environment }): string {
  const { state, environment } = input;
  const approvers = countedApprovals(state, environment.approvals).map((a) => `@${a.by}`);
  const tag = state.candidate === null ? 'the candidate' : inlineCode(state.candidate.tag);
  const lines = [`Merged ${tag} into ${environment.name}.`];
  lines.push(
    `- **Approved by**: ${approvers.length === 0 ? 'nobody (none required)' : approvers.join(', ')}`,
  );
  if (state.gates !== null) {
    lines.push(
      `- **Gates**: ${GATE_ICON[state.gates.status]} ${state.gates.status}: ${escapeText(state.gates.summary)}`,
    );
  } else if (environment.gates.length === 0) {
    lines.push('- **Gates**: none for this environment');
  }
  return lines.join('\n');
}
