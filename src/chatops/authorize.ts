import { z } from 'zod';
import { Approvals, type Environment } from '../policy/schema.js';
import type { Permission } from '../scm/types.js';
import { READ_ONLY_COMMANDS, formatCommand, type Command } from '../promotion/pull-request-state/command.js';
import { sameLogin } from '../scm/same-login.js';

/** What `authorize` asks the code host; the only I/O it does, passed in so the rules stay testable. */
export interface PermissionLookup {
  /** The user's permission on the deploy repo. */
  getPermission(user: string): Promise<Permission>;
  isTeamMember(org: string, team: string, user: string): Promise<boolean>;
}

export const Actor = z.object({
  login: z.string().min(1),
  /** The host marks the account as a bot (GitHub `type: Bot`, a `[bot]` login). */
  isBot: z.boolean(),
});
export type Actor = z.infer<typeof Actor>;

export interface AuthorizeContext {
  /** `owner/name` of the deploy repo, for messages. */
  deployRepo: string;
  /** The login promobot itself acts as. */
  botLogin: string;
  /** Every environment of the policy, to check the target of `/promote` and `/rollback`. */
  environments: readonly Environment[];
  /** The environment the PR promotes into; null when the comment is on an issue. */
  environment: Environment | null;
  /**
   * Who counts as the author of the promotion: the PR's author, or, for a PR the bot opened at someone's request
   * (`/promote`, `/rollback`), that person. null when no person asked for it (the bot opened it on an image push).
   */
  author: string | null;
  /** Everyone else who asked for this PR, as promobot recorded it; authors too for the rule above. */
  requesters?: readonly string[];
  /** `spec.freeze.overrideApprovers` of the policy, for `/unfreeze` where the environment names none. */
  freezeOverrideApprovers?: readonly string[];
}

export const Authorization = z.discriminatedUnion('allowed', [
  z.object({ allowed: z.literal(true) }),
  z.object({ allowed: z.literal(false), reason: z.string().min(1) }),
]);
/** What promotion's state takes as `CommandAuthorization`: an authorized command is an intent. */
export type Authorization = z.infer<typeof Authorization>;

const ALLOWED: Authorization = { allowed: true };

function refuse(reason: string): Authorization {
  return { allowed: false, reason };
}

/** True for promobot itself and for any account the host marks as a bot. */
export function isBotActor(actor: Actor, botLogin: string): boolean {
  return actor.isBot || sameLogin(actor.login, botLogin) || /\[bot\]$/i.test(actor.login);
}

function describePermission(permission: Permission): string {
  return permission === 'none' ? 'no access to' : `${permission} permission on`;
}

function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1] ?? ''}`;
}

/** The environment a command acts on, or why there is none. */
function targetEnvironment(command: Command, context: AuthorizeContext): Environment | string {
  const named = command.name === 'promote' || command.name === 'rollback' ? command.env : null;
  if (named === null) {
    if (context.environment !== null) return context.environment;
    if (command.name === 'rollback') return 'name the environment to roll back: /rollback <env>';
    return `${formatCommand(command)} works only on a promotion PR`;
  }
  const found = context.environments.find((env) => env.name === named);
  if (found) return found;
  const known = context.environments.map((env) => env.name).join(', ');
  return `there is no environment "${named}" in the policy (environments: ${known})`;
}

async function isApprover(
  login: string,
  approvers: readonly string[],
  lookup: PermissionLookup,
): Promise<boolean> {
  if (approvers.some((approver) => !approver.startsWith('team:') && sameLogin(approver, login))) return true;
  for (const approver of approvers) {
    if (!approver.startsWith('team:')) continue;
    const [org = '', team = ''] = approver.slice('team:'.length).split('/');
    // One team at a time: the first match ends the search, and each check is an API call.
    if (await lookup.isTeamMember(org, team, login)) return true;
  }
  return false;
}

function notAnApprover(login: string, approvers: readonly string[], env: string): string {
  const teams = approvers.filter((a) => a.startsWith('team:')).map((a) => a.slice('team:'.length));
  const users = approvers.filter((a) => !a.startsWith('team:'));
  const teamPart = teams.length === 0 ? '' : `in team${teams.length > 1 ? 's' : ''} ${list(teams)}`;
  if (users.length === 0) return `@${login} is not ${teamPart}, which approve ${env}`;
  const usersPart = `the approvers list of ${env} (${users.join(', ')})`;
  return teamPart === ''
    ? `@${login} is not in ${usersPart}`
    : `@${login} is not ${teamPart} or ${usersPart}`;
}

/**
 * May `actor` run `command` here? The rules, in the order they are checked:
 * 1. bots (promobot itself included) never;
 * 2. `/status` and `/help`: anyone who can comment;
 * 3. the command must have an environment to act on (a PR's, or one named that the policy has);
 * 4. write permission on the deploy repo is the floor for anything that changes state;
 * 5. `/approve`: not the promotion's author unless `approvals.allowAuthor`, and one of `approvals.approvers`
 *    (users, or members of `team:<org>/<team>`); an empty list means anyone with write.
 *
 * Refusals carry a reason meant for the person who asked, e.g. "@bob is not in team bootcamp/sre or the approvers
 * list of prod (release-lead)". Lookup failures (network, 5xx) propagate: the caller retries.
 */
export async function authorize(
  command: Command,
  actor: Actor,
  context: AuthorizeContext,
  lookup: PermissionLookup,
): Promise<Authorization> {
  if (isBotActor(actor, context.botLogin))
    return refuse(`promobot takes no commands from bots (@${actor.login})`);
  if (READ_ONLY_COMMANDS.has(command.name)) return ALLOWED;

  const env = targetEnvironment(command, context);
  if (typeof env === 'string') return refuse(env);
  if (command.name === 'promote' && env.from === undefined) {
    return refuse(`${env.name} has no source environment to promote from: image pushes feed it`);
  }

  const permission = await lookup.getPermission(actor.login);
  if (permission !== 'write' && permission !== 'admin') {
    return refuse(
      `@${actor.login} has ${describePermission(permission)} ${context.deployRepo}; ${formatCommand(command)} needs write permission`,
    );
  }
  if (command.name === 'unfreeze') {
    // The environment's freeze.overrideApprovers, else the policy's, else its approvers; none: any writer.
    const overriders =
      env.freeze?.overrideApprovers ?? context.freezeOverrideApprovers ?? env.approvals?.approvers ?? [];
    if (overriders.length === 0 || (await isApprover(actor.login, overriders, lookup))) return ALLOWED;
    return refuse(
      `${notAnApprover(actor.login, overriders, env.name).replace('approvers list', 'freeze override list')}; only they may /unfreeze`,
    );
  }
  if (command.name !== 'approve' || command.cancel) return ALLOWED;

  const approvals = env.approvals ?? Approvals.parse({});
  const authors = [...(context.author === null ? [] : [context.author]), ...(context.requesters ?? [])];
  if (!approvals.allowAuthor && authors.some((author) => sameLogin(author, actor.login))) {
    return refuse(
      `@${actor.login} asked for this promotion and cannot approve it: the policy of ${env.name} does not let authors approve (approvals.allowAuthor)`,
    );
  }
  if (approvals.approvers.length === 0) return ALLOWED;
  if (await isApprover(actor.login, approvals.approvers, lookup)) return ALLOWED;
  return refuse(notAnApprover(actor.login, approvals.approvers, env.name));
}
