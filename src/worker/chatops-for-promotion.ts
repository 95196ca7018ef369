import { authorize } from '../chatops/authorize.js';
import { parseCommands } from '../chatops/parse-commands.js';
export { stopCommandsIn } from '../chatops/stop-commands.js';
import type { ApproverCheck, Command } from '../promotion/pull-request-state/index.js';

/**
 * The two ChatOps rules promotion's PR state needs, handed to it here so that promotion never imports ChatOps:
 * whether an approval still counts (`authorize` of `/approve`, asked again before every merge decision), and the
 * commands of a comment's text (to rebuild holds from the host's comments after Redis lost them).
 */
export const approverCheck: ApproverCheck = (login, context, lookup) =>
  authorize({ name: 'approve', cancel: false }, { login, isBot: false }, context, lookup);

export const commandsIn = (body: string): readonly Command[] =>
  parseCommands(body).commands.map((c) => c.command);
