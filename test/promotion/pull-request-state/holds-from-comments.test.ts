import { describe, expect, it } from 'vitest';
import {
  holdEvents,
  replayHolds,
  type HostComment,
} from '../../../src/promotion/pull-request-state/holds-from-comments.js';
import { parseCommands } from '../../../src/chatops/parse-commands.js';

/** The commands of a comment, read by ChatOps' parser as the runtime reads them. */
const commandsIn = (body: string) => parseCommands(body).commands.map((c) => c.command);

let nextId = 100;
const at = (minute: number) => `2026-12-07T09:${String(minute).padStart(2, '0')}:00Z`;
/** A comment written at `minute`, edited at `editedAt` if told. */
function comment(author: string, body: string, minute: number, editedAt?: number): HostComment {
  nextId += 1;
  return { id: nextId, author, body, createdAt: at(minute), updatedAt: at(editedAt ?? minute) };
}
const writers =
  (...logins: string[]) =>
  (login: string) =>
    logins.includes(login.toLowerCase());

describe('holdEvents and replayHolds', () => {
  it('keeps a /hold by a writer that no /unhold followed, oldest first whatever the listing order', () => {
    const comments = [
      comment('dave', '/hold INC-4', 3),
      comment('carol', '/hold INC-1', 1),
      comment('alice', '/unhold', 2),
      comment('promobot', '/hold from the bot itself', 4),
    ];
    const events = holdEvents(comments, 'PromoBot', commandsIn);
    expect(events.map((e) => `${e.kind}:${e.by}`)).toEqual(['hold:carol', 'unhold:alice', 'hold:dave']);
    expect(replayHolds(events, writers('alice', 'carol', 'dave'))).toEqual([
      { by: 'dave', reason: 'INC-4', at: at(3), commentId: comments[0]!.id },
    ]);
  });

  it('counts neither a /hold nor an /unhold of someone without write access', () => {
    const events = holdEvents(
      [comment('dave', '/hold', 1), comment('mallory', '/unhold', 2), comment('reader', '/hold x', 3)],
      'promobot',
      commandsIn,
    );
    expect(replayHolds(events, writers('dave')).map((h) => h.by)).toEqual(['dave']);
  });

  it('lets edits only add holds: an edited /unhold lifts nothing, an edited /hold still holds', () => {
    const events = holdEvents(
      [comment('dave', 'fixed a typo\n/hold INC-9', 1, 5), comment('alice', '/unhold', 2, 3)],
      'promobot',
      commandsIn,
    );
    expect(events.map((e) => e.kind)).toEqual(['hold']);
    expect(replayHolds(events, writers('alice', 'dave')).map((h) => h.by)).toEqual(['dave']);
  });

  it('keeps one hold per person, with the latest reason', () => {
    const events = holdEvents(
      [comment('dave', '/hold first', 1), comment('Dave', '/hold second', 2), comment('carol', '/hold', 3)],
      'promobot',
      commandsIn,
    );
    expect(replayHolds(events, writers('dave', 'carol')).map((h) => [h.by, h.reason])).toEqual([
      ['Dave', 'second'],
      ['carol', null],
    ]);
  });
});
