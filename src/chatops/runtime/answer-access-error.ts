import type { AccessError } from '../../errors/index.js';
import type { CommentCreated } from '../../events/index.js';
import type { Logger } from '../../logger/index.js';
import type { ScmHost } from '../../scm/types.js';
import { formatCommand } from '../command.js';
import { parseCommands } from '../parse-commands.js';
import { sameLogin } from '../same-login.js';

/** Hidden in the reply, so a retried job finds its answer already posted and does not post it twice. */
export function accessErrorMarker(commentId: number): string {
  return `<!-- promobot:access-error comment=${String(commentId)} -->`;
}

/**
 * The reply to a command promobot could not decide because the host refused promobot itself a look-up: what it
 * could not read, that this is promobot's setup and not the person's rights, the fix, and to write the command
 * again once fixed. Pure.
 */
export function renderAccessErrorReply(event: CommentCreated, error: AccessError): string {
  const commands = parseCommands(event.body).commands.map((c) => `\`${formatCommand(c.command)}\``);
  const asked = commands.length === 0 ? 'your command' : `your ${commands.join(', ')}`;
  return [
    `@${event.author} promobot could not decide ${asked}: ${error.message}.`,
    '',
    "This is promobot's own setup on the code host, not your rights: nothing was changed.",
    `**Fix (for whoever runs promobot):** ${error.advice ?? 'see `promobot doctor`'}. \`promobot doctor\` checks it.`,
    '',
    'Once it is fixed, write the command again in a new comment.',
    accessErrorMarker(event.commentId),
  ].join('\n');
}

/**
 * Answers a comment whose command promobot could not decide for lack of its own access: one reply in the PR (not
 * posted again when a retry finds it there), an error log line, and the `promobot_command_errors_total` count.
 */
export async function answerAccessError(
  event: CommentCreated,
  error: AccessError,
  io: { scm: ScmHost; botLogin: string; logger: Logger; onCommandError?: (reason: string) => void },
): Promise<void> {
  io.logger.error(
    { err: error, capability: error.capability, author: event.author, commentId: event.commentId },
    "a command could not be decided: the code host refused promobot's own look-up",
  );
  io.onCommandError?.(error.capability);
  const marker = accessErrorMarker(event.commentId);
  const posted = (await io.scm.listComments(event.repo, event.number)).some(
    (c) => sameLogin(c.author, io.botLogin) && c.body.includes(marker),
  );
  if (!posted) await io.scm.createComment(event.repo, event.number, renderAccessErrorReply(event, error));
}
