import { z } from 'zod';
import { sameLogin } from '../scm/same-login.js';
import type { Permission } from '../scm/types.js';

/**
 * The global stop: `/hold <scope> [reason]` and `/unhold <scope>` written in a comment on an issue of the deploy
 * repo (not a PR) hold every promotion of an app, an environment, or the whole policy of that deploy repo, until a
 * writer lifts it. All pure: who may, what a command changes, what holds a given promotion, and the rebuild from the
 * host's own record of the issues' comments when Redis lost the state. The grammar, and the reply, are ChatOps'
 * (`chatops/stop-commands.ts`); the rebuild is handed the grammar as a reader of a comment's text.
 *
 * Grammar (one command per line, the same lines PR commands are read from):
 *   /hold all [reason]                 every promotion of the deploy repo's policy
 *   /hold app=<app> [reason]           every promotion of one app
 *   /hold env=<env> [reason]           every promotion into one environment
 *   /hold app=<app> env=<env> [reason] one app into one environment
 *   /unhold <the same scope>           lifts the stop of exactly that scope
 */

/** What a stop covers: null is "any". `{ app: null, env: null }` is `all`. */
export const StopScope = z.object({ app: z.string().nullable(), env: z.string().nullable() });
export type StopScope = z.infer<typeof StopScope>;

export const StopRecord = z.object({
  scope: StopScope,
  by: z.string().min(1),
  reason: z.string().nullable(),
  at: z.string(),
  /** The issue the stop was written on, and the comment. */
  issue: z.number().int().positive(),
  commentId: z.number().int().positive(),
});
export type StopRecord = z.infer<typeof StopRecord>;

export const StopCommand = z.discriminatedUnion('name', [
  z.object({ name: z.literal('hold'), scope: StopScope, reason: z.string().nullable() }),
  z.object({ name: z.literal('unhold'), scope: StopScope }),
]);
export type StopCommand = z.infer<typeof StopCommand>;

/** `all`, `app=checkout`, `env=prod`, `app=checkout env=prod`, as written back in replies. */
export function formatScope(scope: StopScope): string {
  if (scope.app === null && scope.env === null) return 'all';
  return [scope.app === null ? null : `app=${scope.app}`, scope.env === null ? null : `env=${scope.env}`]
    .filter((part) => part !== null)
    .join(' ');
}

export function formatStopCommand(command: StopCommand): string {
  const head = `/${command.name} ${formatScope(command.scope)}`;
  return command.name === 'hold' && command.reason !== null ? `${head} ${command.reason}` : head;
}

export type StopAuthorization = { allowed: true } | { allowed: false; reason: string };

/**
 * May `login` give `command`? The same floor as `/hold` on a PR (write permission on the deploy repo; never a bot),
 * and the scope must name an app and an environment the policy has.
 */
export function authorizeStop(input: {
  command: StopCommand;
  login: string;
  isBot: boolean;
  permission: Permission;
  deployRepo: string;
  apps: readonly string[];
  environments: readonly string[];
}): StopAuthorization {
  const { command, login } = input;
  if (input.isBot) return { allowed: false, reason: `promobot takes no commands from bots (@${login})` };
  const { app, env } = command.scope;
  if (app !== null && !input.apps.includes(app))
    return {
      allowed: false,
      reason: `there is no app "${app}" in the policy of ${input.deployRepo} (apps: ${input.apps.join(', ')})`,
    };
  if (env !== null && !input.environments.includes(env))
    return {
      allowed: false,
      reason: `there is no environment "${env}" in the policy (environments: ${input.environments.join(', ')})`,
    };
  if (input.permission !== 'write' && input.permission !== 'admin') {
    const has = input.permission === 'none' ? 'no access to' : `${input.permission} permission on`;
    return {
      allowed: false,
      reason: `@${login} has ${has} ${input.deployRepo}; /${command.name} ${formatScope(command.scope)} needs write permission`,
    };
  }
  return { allowed: true };
}

function sameScope(a: StopScope, b: StopScope): boolean {
  return a.app === b.app && a.env === b.env;
}

export type StopOutcome = 'done' | 'unchanged';

/**
 * The stops after an authorized command: a `/hold` puts (or renews, with the new author and reason) the stop of its
 * scope; an `/unhold` lifts the stop of exactly its scope, and changes nothing when there was none.
 */
export function applyStop(
  stops: readonly StopRecord[],
  command: StopCommand,
  given: { by: string; at: string; issue: number; commentId: number },
): { stops: StopRecord[]; outcome: StopOutcome } {
  const others = stops.filter((s) => !sameScope(s.scope, command.scope));
  if (command.name === 'unhold')
    return { stops: others, outcome: others.length === stops.length ? 'unchanged' : 'done' };
  return {
    stops: [...others, { scope: command.scope, reason: command.reason, ...given }],
    outcome: 'done',
  };
}

/** Whether a stop of `scope` covers the promotion of `app` into `env`. */
export function covers(scope: StopScope, app: string, env: string): boolean {
  return (scope.app === null || scope.app === app) && (scope.env === null || scope.env === env);
}

export interface GlobalStopDecision {
  readonly stopped: boolean;
  /** The stops that hold it, oldest first. */
  readonly stops: readonly StopRecord[];
  /** "held by @alice on issue #7: incident 42" per stop, joined with "; "; null when not stopped. */
  readonly reason: string | null;
}

/** Pure: the stops that hold the promotion of `app` into `env`, and how the PR says so. */
export function decideGlobalStop(stops: readonly StopRecord[], app: string, env: string): GlobalStopDecision {
  const binding = stops.filter((s) => covers(s.scope, app, env)).sort((a, b) => a.at.localeCompare(b.at));
  if (binding.length === 0) return { stopped: false, stops: [], reason: null };
  const reason = binding
    .map((s) => `held by @${s.by} on issue #${String(s.issue)}${s.reason === null ? '' : `: ${s.reason}`}`)
    .join('; ');
  return { stopped: true, stops: binding, reason };
}

/** A comment as the host lists it across the repository, with the issue or PR it is on. */
export interface RepoComment {
  id: number;
  author: string;
  body: string;
  createdAt: string;
  updatedAt: string;
  /** The issue or PR number. */
  number: number;
  /** On a PR: there `/hold` is the PR's own hold, not a global stop. */
  pullRequest: boolean;
}

export interface StopEvent {
  command: StopCommand;
  by: string;
  at: string;
  issue: number;
  commentId: number;
}

function edited(comment: RepoComment): boolean {
  const created = Date.parse(comment.createdAt);
  const updated = Date.parse(comment.updatedAt);
  return Number.isNaN(created) || Number.isNaN(updated) || updated > created;
}

/**
 * The stop commands in the host's record of the deploy repo's issue comments, oldest first (promobot's own and PR
 * comments left out). As with PR holds (`holds-from-comments.ts`), an edit can only add stops: a `/hold` counts
 * however its comment was edited, an `/unhold` only from a comment never edited.
 */
export function stopEvents(
  comments: readonly RepoComment[],
  botLogin: string,
  /** The stop commands in a comment's text (ChatOps' grammar, `parseStopCommands`). */
  commandsIn: (body: string) => readonly StopCommand[],
): StopEvent[] {
  const ordered = [...comments]
    .filter((c) => !c.pullRequest && !sameLogin(c.author, botLogin))
    .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || a.id - b.id);
  const events: StopEvent[] = [];
  for (const comment of ordered) {
    for (const command of commandsIn(comment.body)) {
      if (command.name === 'unhold' && edited(comment)) continue;
      events.push({
        command,
        by: comment.author,
        at: comment.createdAt,
        issue: comment.number,
        commentId: comment.id,
      });
    }
  }
  return events;
}

/** The stops in force after `events`, counting only those `allowed` (a writer now, a scope the policy has). */
export function replayStops(
  events: readonly StopEvent[],
  allowed: (event: StopEvent) => boolean,
): StopRecord[] {
  let stops: StopRecord[] = [];
  for (const event of events) {
    if (!allowed(event)) continue;
    stops = applyStop(stops, event.command, {
      by: event.by,
      at: event.at,
      issue: event.issue,
      commentId: event.commentId,
    }).stops;
  }
  return stops;
}
