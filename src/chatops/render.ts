import type { Environment } from '../policy/schema.js';
import {
  COMMAND_NAMES,
  formatCommand,
  type Command,
  type CommandName,
} from '../promotion/pull-request-state/command.js';
import type { MergeDecision } from '../promotion/pull-request-state/decide-merge.js';
import { requiredApprovals } from '../promotion/pull-request-state/decide-merge.js';
import type { CommandResult, PromotionState } from '../promotion/pull-request-state/promotion-state.js';
import {
  approvalsCount,
  escapeText,
  inlineCode,
  renderSummary,
} from '../promotion/pull-request-state/status-comment.js';
import type { CommandProblem } from './parse-commands.js';

/**
 * What ChatOps writes for people: replies to commands and `/help`. Plain functions from data to Markdown; posting
 * them is the caller's business. The status comment is promotion's (`promotion/pull-request-state/status-comment.ts`).
 */

const HELP_ROWS: Record<CommandName, [string, string]> = {
  approve: ['`/approve`, `/approve cancel`', 'approve the current candidate, or withdraw your approval'],
  hold: ['`/hold [reason]`', 'stop any merge of this promotion until `/unhold`'],
  unhold: ['`/unhold`', 'lift every hold'],
  promote: ['`/promote <env>`', 'open or refresh the promotion into `<env>` from its source environment'],
  rollback: ['`/rollback [<env>] [to <tag>]`', 'return `<env>` to its previous tag, or to `<tag>`'],
  gates: ['`/gates`', 'run the gates again now'],
  status: ['`/status`', 'show candidate, approvals, holds and gates'],
  help: ['`/help`', 'this text'],
  unfreeze: ['`/unfreeze`', 'merge this candidate now despite a freeze window (the freeze approvers only)'],
};

/** The `/help` answer; with an environment, it also says who approves there. */
export function renderHelp(environment?: Environment): string {
  const lines = [
    '**promobot commands**: write each at the start of its own line in a new comment.',
    '',
    '| Command | What it does |',
    '|---|---|',
    ...COMMAND_NAMES.map((name) => `| ${HELP_ROWS[name][0]} | ${HELP_ROWS[name][1]} |`),
    '',
    'Commands inside code blocks, inline code, quotes or HTML comments are ignored, and so are edited comments. ' +
      'Anything that changes a promotion needs write permission on the deploy repo; `/status` and `/help` are open to all.',
  ];
  if (environment) {
    const approvals = environment.approvals;
    const required = requiredApprovals(environment);
    if (required === 0) lines.push('', `${environment.name} needs no approval.`);
    else {
      const who =
        approvals === undefined || approvals.approvers.length === 0
          ? 'anyone with write permission'
          : approvals.approvers
              .map((a) => (a.startsWith('team:') ? `team ${a.slice(5)}` : `@${a}`))
              .join(', ');
      const author = approvals?.allowAuthor ? '' : ' The author of a promotion cannot approve it.';
      lines.push(
        '',
        `${environment.name} needs ${required} approval${required === 1 ? '' : 's'} from ${who}.${author}`,
      );
    }
  }
  return lines.join('\n');
}

/** What carrying out an accepted command (a rollback PR opened, or why not) came to, in words. */
export interface CarriedOut {
  ok: boolean;
  message: string;
}

const RESULT_ICON = { accepted: '✅', refused: '❌', unchanged: 'ℹ️' } as const;

function problemLine(problem: CommandProblem): string {
  switch (problem.kind) {
    case 'unknown': {
      const hint =
        problem.suggestion === null
          ? 'see `/help`'
          : problem.suggestion === problem.word.toLowerCase()
            ? `commands are lowercase: did you mean \`/${problem.suggestion}\`?`
            : `did you mean \`/${problem.suggestion}\`?`;
      return `❓ ${inlineCode(problem.text)} (line ${problem.line}): unknown command; ${hint}`;
    }
    case 'invalid':
      return `⚠️ ${inlineCode(problem.text)} (line ${problem.line}): ${escapeText(problem.message)}`;
    case 'too-many':
      return `⚠️ ${problem.ignored} more command line${problem.ignored === 1 ? ' was' : 's were'} not read: at most ${problem.limit} per comment`;
    case 'too-long':
      return `⚠️ this comment has ${problem.length} characters; promobot reads commands only from comments of up to ${problem.limit}`;
  }
}

/**
 * One reply to one comment: for each command what happened or exactly why not, and what was wrong with lines that
 * looked like commands. `/status` and `/help` answers are included. With `state` and `environment`, an accepted
 * `/approve` also says where the count stands ("1 of 2 approvals").
 */
export function renderCommandReply(input: {
  actor: string;
  results: readonly CommandResult[];
  problems: readonly CommandProblem[];
  state?: PromotionState;
  environment?: Environment;
  decision?: MergeDecision;
  rollout?: string;
  /** The final outcome of commands carried out after they were accepted; it replaces the "accepted" line. */
  carried?: ReadonlyMap<Command, CarriedOut>;
}): string {
  const { state, environment } = input;
  const lines: string[] = [];
  const extras: string[] = [];
  for (const result of input.results) {
    const { command } = result;
    if (command.name === 'help' && result.outcome === 'accepted') {
      extras.push(renderHelp(environment));
      continue;
    }
    if (command.name === 'status' && result.outcome === 'accepted') {
      extras.push(
        state && environment
          ? renderSummary(state, environment, input.decision, input.rollout)
          : 'No promotion is tracked here.',
      );
      continue;
    }
    const written = inlineCode(formatCommand(command));
    const outcome = input.carried?.get(command);
    if (result.outcome === 'accepted' && outcome) {
      lines.push(
        `${outcome.ok ? RESULT_ICON.accepted : RESULT_ICON.refused} ${written}: ${escapeText(outcome.message)}`,
      );
      continue;
    }
    let message = escapeText(result.message);
    if (command.name === 'approve' && result.outcome === 'accepted' && state && environment) {
      message += ` (approvals: ${approvalsCount(state, environment)})`;
    }
    if (holdNamesAScope(command))
      message += `; this holds only this PR: a global stop (${inlineCode(`/hold ${command.reason ?? ''}`)}) is written on an issue of the deploy repo`;
    lines.push(`${RESULT_ICON[result.outcome]} ${written}: ${message}`);
  }
  for (const problem of input.problems) lines.push(problemLine(problem));
  return [
    `@${input.actor}`,
    ...lines.map((line) => `- ${line}`),
    ...extras.flatMap((extra) => ['', extra]),
  ].join('\n');
}

/**
 * A PR's `/hold` whose reason starts like a global stop's scope (`all`, `app=…`, `env=…`): written on a PR it holds
 * only that PR, so the reply says where a global stop is written instead of a silent 👍.
 */
export function holdNamesAScope(command: Command): command is Extract<Command, { name: 'hold' }> {
  return command.name === 'hold' && command.reason !== null && /^(all\b|app=|env=)/.test(command.reason);
}
