import type { CommentCreated } from '../events/index.js';
import type { Permission } from '../scm/types.js';
import { authorize, isBotActor, type AuthorizeContext, type PermissionLookup } from './authorize.js';
import type { Command, CommandName } from '../promotion/pull-request-state/command.js';
import { lookAlikeProblems } from './look-alike-commands.js';
import {
  decideMerge,
  type MergeDecision,
  type MergeInput,
} from '../promotion/pull-request-state/decide-merge.js';
import {
  parseCommands,
  type CommandProblem,
  type ParsedCommand,
  type ParseResult,
} from './parse-commands.js';
import {
  applyComment,
  isProcessed,
  type CommandResult,
  type PromotionState,
} from '../promotion/pull-request-state/promotion-state.js';
import { holdNamesAScope, renderCommandReply, type CarriedOut } from './render.js';

/**
 * The whole ChatOps answer to one new comment, from the normalized event to the new state and the words
 * to post: screen, parse, authorize, apply, render. No I/O but the permission lookups passed in; the caller stores
 * the state, posts the reply or reaction, updates the status comment and carries out accepted `/promote`,
 * `/rollback` and `/gates`.
 */

export interface ChatopsContext extends AuthorizeContext {
  /** The comment or review is on a PR promobot opened (its hidden metadata parsed). */
  isPromotionPr: boolean;
  /**
   * The PR is no longer open: `merged`, or `closed` without a merge. Commands that steer its merge are then answered
   * as too late and change nothing; absent or null while it is open.
   */
  closed?: 'merged' | 'closed' | null;
  /**
   * Why an `/approve` in this comment cannot count for the PR's current head (the comment was written before it;
   * see `approval-timing.ts`), or absent/null when it may. `/approve cancel` is never refused for it.
   */
  staleApproval?: string | null;
}

/** Commands that steer a PR's merge: on a merged or closed PR they can no longer do anything. */
const MERGE_COMMANDS: ReadonlySet<CommandName> = new Set<CommandName>(['approve', 'hold', 'unhold', 'gates']);

/** Commands read from comments on issues of the deploy repo, where there is no promotion PR yet. */
const ISSUE_COMMANDS: ReadonlySet<CommandName> = new Set<CommandName>(['promote', 'rollback']);

export type CommentHandling =
  | { acted: false; reason: string }
  | {
      acted: true;
      state: PromotionState;
      results: CommandResult[];
      problems: CommandProblem[];
      /** Accepted commands the caller carries out: `/promote`, `/rollback`, `/gates`. */
      toCarryOut: Command[];
      reply: string;
      /**
       * The reply once `toCarryOut` has been carried out: each of those commands' line states its final outcome
       * (PR opened, or refused and why) instead of "accepted", so a command is answered once and truly.
       */
      renderReply: (carried: ReadonlyMap<Command, CarriedOut>) => string;
      /**
       * Whether `reply` must be posted: something was refused, unchanged or malformed, or `/status` or `/help` asked
       * for an answer. Otherwise the reaction and the updated status comment say enough.
       */
      replyNeeded: boolean;
      reaction: '+1' | '-1' | 'confused';
    };

/** Why promobot does not look at this comment at all, or null when it does. */
export function screenComment(
  event: CommentCreated,
  state: PromotionState,
  context: ChatopsContext,
): string | null {
  if (isBotActor({ login: event.author, isBot: event.authorIsBot }, context.botLogin)) {
    return `the comment is by a bot (@${event.author})`;
  }
  if (event.repo.fullName.toLowerCase() !== context.deployRepo.toLowerCase()) {
    return `${event.repo.fullName} is not the deploy repo ${context.deployRepo}`;
  }
  if (event.isPullRequest && !context.isPromotionPr)
    return `#${event.number} is not a promotion PR promobot opened`;
  if (isProcessed(state, event.commentId)) return `comment ${event.commentId} was already processed`;
  return null;
}

/**
 * On an issue the global stop's `/hold <scope>` and `/unhold <scope>` are read by their own grammar
 * (governance/global-stop.ts); here only what looks like a mistyped one of them is kept, for its answer.
 */
const STOP_COMMANDS: ReadonlySet<CommandName> = new Set<CommandName>(['hold', 'unhold']);

/**
 * On an issue, only `/promote` and `/rollback` (and what looks like a mistyped one, or a mistyped `/hold` or
 * `/unhold`) are read here.
 */
function keepForIssue(commands: ParsedCommand[], problems: CommandProblem[]) {
  const kept = commands.filter((c) => ISSUE_COMMANDS.has(c.command.name));
  const keptProblems = problems.filter(
    (p) =>
      (p.kind === 'invalid' && ISSUE_COMMANDS.has(p.name)) ||
      // A look-alike of /hold (`/hоld`, `/hold.`), not a /hold line the stop grammar reads itself.
      (p.kind === 'invalid' && STOP_COMMANDS.has(p.name) && !/^\/(hold|unhold)(\s|$)/.test(p.text)) ||
      (p.kind === 'unknown' &&
        p.suggestion !== null &&
        (ISSUE_COMMANDS.has(p.suggestion) || STOP_COMMANDS.has(p.suggestion))),
  );
  return { commands: kept, problems: keptProblems };
}

/**
 * What a comment asks of promobot: its commands and the lines that look like commands but are not (each gets an
 * answer). On an issue only `/promote` and `/rollback` count. Intake uses the same reading to drop, without a job,
 * comments that ask nothing.
 */
export function commentCommands(event: Pick<CommentCreated, 'body' | 'isPullRequest'>): ParseResult {
  const read = parseCommands(event.body);
  const parsed = { ...read, problems: [...read.problems, ...lookAlikeProblems(event.body, read)] };
  return event.isPullRequest ? parsed : keepForIssue(parsed.commands, parsed.problems);
}

/** One answer per user and team within a comment: several commands need not ask the host several times. */
function memoized(lookup: PermissionLookup): PermissionLookup {
  const permissions = new Map<string, Promise<Permission>>();
  const teams = new Map<string, Promise<boolean>>();
  return {
    getPermission(user) {
      const key = user.toLowerCase();
      const known = permissions.get(key) ?? lookup.getPermission(user);
      permissions.set(key, known);
      return known;
    },
    isTeamMember(org, team, user) {
      const key = `${org}/${team}/${user}`.toLowerCase();
      const known = teams.get(key) ?? lookup.isTeamMember(org, team, user);
      teams.set(key, known);
      return known;
    },
  };
}

/**
 * Handles one newly created comment. Edits and deletions never reach here (the normalizers drop them); bots, other
 * repos, PRs promobot did not open and comments already processed are ignored without a word.
 *
 * @param merge what `decideMerge` needs beyond the state, for the `/status` answer; omit it to leave the merge line
 *   out.
 */
export async function handleComment(
  event: CommentCreated,
  state: PromotionState,
  context: ChatopsContext,
  lookup: PermissionLookup,
  at: string,
  merge?: Omit<MergeInput, 'state' | 'environment'> & { rollout?: string | undefined },
): Promise<CommentHandling> {
  const screened = screenComment(event, state, context);
  if (screened !== null) return { acted: false, reason: screened };

  const { commands, problems } = commentCommands(event);
  if (commands.length === 0 && problems.length === 0) {
    return {
      acted: false,
      reason: event.isPullRequest ? 'no command in the comment' : 'no /promote or /rollback',
    };
  }

  const asked = memoized(lookup);
  const actor = { login: event.author, isBot: event.authorIsBot };
  const authorized = [];
  const closed = context.closed ?? null;
  const stale = context.staleApproval ?? null;
  for (const { command } of commands) {
    // Too late is the honest answer whoever asks: no look-up, and nothing recorded but the refusal.
    const authorization =
      closed !== null && MERGE_COMMANDS.has(command.name)
        ? {
            allowed: false as const,
            reason: `#${String(event.number)} is already ${closed}: nothing was changed`,
          }
        : stale !== null && command.name === 'approve' && !command.cancel
          ? { allowed: false as const, reason: stale }
          : await authorize(command, actor, context, asked);
    authorized.push({ command, authorization });
  }
  const applied = applyComment(state, {
    commentId: event.commentId,
    actor: event.author,
    at,
    commands: authorized,
  });

  const environment = context.environment;
  let decision: MergeDecision | undefined;
  if (merge && environment) decision = decideMerge({ ...merge, state: applied.state, environment });
  const renderReply = (carried: ReadonlyMap<Command, CarriedOut>) =>
    renderCommandReply({
      actor: event.author,
      results: applied.results,
      problems,
      state: applied.state,
      carried,
      ...(environment === null ? {} : { environment }),
      ...(decision === undefined ? {} : { decision }),
      ...(merge?.rollout === undefined ? {} : { rollout: merge.rollout }),
    });
  const reply = renderReply(new Map());
  const refused = applied.results.some((r) => r.outcome === 'refused');
  const quiet = applied.results.every(
    (r) => r.outcome === 'accepted' && r.command.name !== 'status' && r.command.name !== 'help',
  );
  return {
    acted: true,
    state: applied.state,
    results: applied.results,
    problems,
    toCarryOut: applied.results
      .filter((r) => r.outcome === 'accepted')
      .map((r) => r.command)
      .filter((c) => c.name === 'promote' || c.name === 'rollback' || c.name === 'gates'),
    reply,
    renderReply,
    replyNeeded: !quiet || problems.length > 0 || applied.results.some((r) => holdNamesAScope(r.command)),
    reaction: refused ? '-1' : applied.results.length === 0 ? 'confused' : '+1',
  };
}
