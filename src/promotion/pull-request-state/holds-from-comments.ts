import type { Command } from './command.js';
import type { HoldRecord } from './promotion-state.js';
import { sameLogin } from '../../scm/same-login.js';

/**
 * Holds rebuilt from what the code host itself records about a PR's comments — who wrote each one and when, and
 * whether it was edited since — for when promobot lost its state in Redis: a `/hold` by someone with write access
 * that no `/unhold` followed still holds, whatever the status comment says (it may be gone, or an earlier copy).
 *
 * The text of a comment can be edited by any writer, so edits only ever add holds: a `/hold` counts however its
 * comment was edited, an `/unhold` only from a comment never edited. What is left: a writer who deletes another
 * person's `/hold` comment, or edits the `/hold` out of it, removes that hold from this record too.
 */

/** A comment as the host lists it. */
export interface HostComment {
  id: number;
  author: string;
  body: string;
  createdAt: string;
  updatedAt: string;
}

/** One `/hold` or `/unhold` in the PR's comments, in the order they were written. */
export type HoldEvent =
  | { kind: 'hold'; by: string; reason: string | null; at: string; commentId: number }
  | { kind: 'unhold'; by: string; at: string; commentId: number };

/** Was the comment changed after it was written (by anyone: the host does not say who)? */
function edited(comment: HostComment): boolean {
  const created = Date.parse(comment.createdAt);
  const updated = Date.parse(comment.updatedAt);
  return Number.isNaN(created) || Number.isNaN(updated) || updated > created;
}

/**
 * The `/hold` and `/unhold` commands of the comments, oldest first, leaving out promobot's own comments. `commandsIn`
 * reads the commands of a comment's text (ChatOps' parser: the same reading as for a new comment).
 */
export function holdEvents(
  comments: readonly HostComment[],
  botLogin: string,
  commandsIn: (body: string) => readonly Command[],
): HoldEvent[] {
  const ordered = [...comments].sort(
    (a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || a.id - b.id,
  );
  const events: HoldEvent[] = [];
  for (const comment of ordered) {
    if (sameLogin(comment.author, botLogin)) continue;
    for (const command of commandsIn(comment.body)) {
      const at = comment.createdAt;
      if (command.name === 'hold')
        events.push({ kind: 'hold', by: comment.author, reason: command.reason, at, commentId: comment.id });
      else if (command.name === 'unhold' && !edited(comment))
        events.push({ kind: 'unhold', by: comment.author, at, commentId: comment.id });
    }
  }
  return events;
}

/**
 * The holds in force after `events`, counting only the commands of people who may give them (`mayHold`: write
 * permission on the deploy repo now). One hold per person, the latest reason; an `/unhold` lifts them all.
 */
export function replayHolds(events: readonly HoldEvent[], mayHold: (login: string) => boolean): HoldRecord[] {
  let holds: HoldRecord[] = [];
  for (const event of events) {
    if (!mayHold(event.by)) continue;
    if (event.kind === 'unhold') {
      holds = [];
      continue;
    }
    holds = [
      ...holds.filter((h) => !sameLogin(h.by, event.by)),
      { by: event.by, reason: event.reason, at: event.at, commentId: event.commentId },
    ];
  }
  return holds;
}
