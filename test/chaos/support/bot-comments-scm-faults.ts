/**
 * What the bot wrote on its PRs, read from the Gitea double's own webhook log: every `issue_comment` `created`
 * delivery carries the comment's body as it was created, before any later edit. A comment the bot created twice
 * (a POST whose answer was lost, sent again) shows as the same body created twice on one PR, even when the copy the
 * bot kept has been edited since.
 */
import { z } from 'zod';
import type { GiteaDouble } from '../../doubles/gitea/index.js';

const CreatedComment = z.object({
  action: z.literal('created'),
  issue: z.object({ number: z.number().int() }),
  comment: z.object({ id: z.number().int(), body: z.string(), user: z.object({ login: z.string() }) }),
});

export interface BotComment {
  pr: number;
  id: number;
  body: string;
}

/** The comments `login` created, in the order Gitea sent their webhooks. */
export function createdComments(gitea: GiteaDouble, login: string): BotComment[] {
  const found = new Map<number, BotComment>();
  for (const delivery of gitea.deliveries) {
    if (delivery.event !== 'issue_comment') continue;
    const parsed = CreatedComment.safeParse(JSON.parse(delivery.body));
    if (!parsed.success || parsed.data.comment.user.login !== login) continue;
    const { issue, comment } = parsed.data;
    // One comment may be delivered to several hooks; it is still one comment.
    found.set(comment.id, { pr: issue.number, id: comment.id, body: comment.body });
  }
  return [...found.values()];
}

export interface DuplicateComments {
  /** Comments the bot created. */
  comments: number;
  /** Extra comments whose body the bot had already created on that PR. */
  duplicated: number;
  /** Per PR, the number of extra copies, for the failure message. */
  byPr: Record<number, number>;
  /** The first line of one duplicated body per PR, to say which kind of comment it was. */
  examples: Record<number, string>;
}

/** Same body twice on one PR: a write retried after its answer was lost, or a step redone after a crash. */
export function duplicateBotComments(comments: readonly BotComment[]): DuplicateComments {
  const seen = new Set<string>();
  const byPr: Record<number, number> = {};
  const examples: Record<number, string> = {};
  let duplicated = 0;
  for (const comment of comments) {
    const key = `${comment.pr}\0${comment.body}`;
    if (!seen.has(key)) {
      seen.add(key);
      continue;
    }
    duplicated += 1;
    byPr[comment.pr] = (byPr[comment.pr] ?? 0) + 1;
    examples[comment.pr] ??= firstWords(comment.body);
  }
  return { comments: comments.length, duplicated, byPr, examples };
}

/**
 * PRs where more than one comment starts with `marker` (the one status or gates comment the bot keeps per PR and
 * edits in place): the count of extra ones, whatever their bodies became.
 */
export function extraMarkedComments(comments: readonly BotComment[], marker: string): number {
  const perPr = new Map<number, number>();
  for (const comment of comments) {
    if (comment.body.trimStart().startsWith(marker)) perPr.set(comment.pr, (perPr.get(comment.pr) ?? 0) + 1);
  }
  let extra = 0;
  for (const n of perPr.values()) extra += Math.max(0, n - 1);
  return extra;
}

function firstWords(body: string): string {
  const line = body.split('\n').find((l) => l.trim() !== '' && !l.trimStart().startsWith('<!--')) ?? body;
  return line.trim().slice(0, 80);
}
