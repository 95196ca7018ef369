import type { AccessError } from '../../errors/index.js';
import type { CommentCreated, RepoRef } from '../../events/index.js';
import type { Logger } from '../../logger/index.js';
import type { ScmHost } from '../../scm/types.js';
import { formatCommand } from '../../promotion/pull-request-state/command.js';
import { parseCommands } from '../parse-commands.js';
import { sameLogin } from '../../scm/same-login.js';

/** Hidden in the reply, so a retried job finds its answer already posted and does not post it twice. */
export function accessErrorMarker(key: string): string {
  return `<!-- promobot:access-error ${key.replace(/--+/g, '-').replace(/[<>\s]/g, '')} -->`;
}

/** What a person asked that promobot could not decide: on which PR, by whom, in their words, and a key for it. */
export interface UndecidedRequest {
  repo: RepoRef;
  number: number;
  author: string;
  /** e.g. "your `/approve`" or "your approving review". */
  asked: string;
  /** Unique per request: `comment=<id>`, or `review=<login>@<head>`. */
  key: string;
}

/** The words for a comment's commands, for {@link UndecidedRequest.asked}. Pure. */
export function askedInComment(event: CommentCreated): UndecidedRequest {
  const commands = parseCommands(event.body).commands.map((c) => `\`${formatCommand(c.command)}\``);
  return {
    repo: event.repo,
    number: event.number,
    author: event.author,
    asked: commands.length === 0 ? 'your command' : `your ${commands.join(', ')}`,
    key: `comment=${String(event.commentId)}`,
  };
}

/**
 * The reply to a request promobot could not decide because the host refused promobot itself a look-up: what it
 * could not read, that this is promobot's setup and not the person's rights, the fix, and to ask again once fixed.
 * Pure.
 */
export function renderAccessErrorReply(request: UndecidedRequest, error: AccessError): string {
  return [
    `@${request.author} promobot could not decide ${request.asked}: ${error.message}.`,
    '',
    "This is promobot's own setup on the code host, not your rights: nothing was changed.",
    `**Fix (for whoever runs promobot):** ${(error.advice ?? 'see `promobot doctor`').replace(/\.$/, '')}. \`promobot doctor\` checks it.`,
    '',
    request.key.startsWith('review=')
      ? 'Once it is fixed, submit your review again, or comment `/approve`.'
      : 'Once it is fixed, write the command again in a new comment.',
    accessErrorMarker(request.key),
  ].join('\n');
}

/**
 * Answers a request promobot could not decide for lack of its own access: one reply in the PR (not posted again
 * when a retry finds it there), an error log line, and the `promobot_command_errors_total` count.
 */
export async function answerAccessError(
  request: UndecidedRequest,
  error: AccessError,
  io: {
    scm: ScmHost;
    botLogin: string;
    logger: Logger;
    onCommandError?: ((reason: string) => void) | undefined;
  },
): Promise<void> {
  io.logger.error(
    { err: error, capability: error.capability, author: request.author, request: request.key },
    "a command could not be decided: the code host refused promobot's own look-up",
  );
  io.onCommandError?.(error.capability);
  const marker = accessErrorMarker(request.key);
  const posted = (await io.scm.listComments(request.repo, request.number)).some(
    (c) => sameLogin(c.author, io.botLogin) && c.body.includes(marker),
  );
  if (!posted)
    await io.scm.createComment(request.repo, request.number, renderAccessErrorReply(request, error));
}
