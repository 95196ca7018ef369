import type { TagRun } from '../git/tag-run.js';

/** At most this many tags are named in a refusal, newest first; the rest are counted. */
const LISTED_TAGS = 10;

/**
 * Which tag a rollback of `env` returns to, by the environment's history (newest run first): the last tag that ran
 * before the current one, or `wanted` when it ran there at all. Anything else is refused, with what would work. Pure.
 */
export function chooseRollbackTarget(input: {
  app: string;
  env: string;
  current: string | null;
  wanted: string | undefined;
  runs: readonly TagRun[];
}): { tag: string } | { refused: string } {
  const { app, env, current, wanted, runs } = input;
  const earlier = [...new Set(runs.map((r) => r.tag))].filter((tag) => tag !== current);
  if (wanted === undefined) {
    const previous = runs.find((r) => r.tag !== current);
    return previous
      ? { tag: previous.tag }
      : {
          refused: `no earlier tag of ${app} ran in ${env} by the deploy repo's history${current === null ? '' : ` (only ${current})`}`,
        };
  }
  if (wanted === current) return { refused: `${env} already runs ${wanted}` };
  if (earlier.includes(wanted)) return { tag: wanted };
  return {
    refused:
      `${wanted} never ran in ${env} (by the deploy repo's history): roll back only to a tag that did` +
      (earlier.length === 0 ? `; none but ${current ?? 'nothing'} ever ran there` : `: ${listTags(earlier)}`),
  };
}

function listTags(tags: readonly string[]): string {
  const named = tags.slice(0, LISTED_TAGS).join(', ');
  return tags.length > LISTED_TAGS ? `${named} and ${tags.length - LISTED_TAGS} older` : named;
}
