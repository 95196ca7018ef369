import { z } from 'zod';
import { parseTrailers } from './parse-trailers.js';
import { TrailerKey, TrailerValue, type Trailers } from './trailers.js';
import type { RunGit } from './run-git.js';

export const CommitQuery = z.object({
  /** Every one of these trailers must be present with exactly this value. */
  trailers: z.record(TrailerKey, TrailerValue),
  limit: z.number().int().min(1).max(1_000).default(1),
});
export type CommitQuery = z.input<typeof CommitQuery>;

/** A commit found by its trailers. */
export interface TrailerCommit {
  commit: string;
  /** Committer date, ISO 8601. */
  committedAt: string;
  subject: string;
  trailers: Trailers;
}

/** BRE special characters, so a trailer value is matched literally by `git log --grep`. */
function escapeBre(text: string): string {
  return text.replace(/[.[\]\\*^$]/g, '\\$&');
}

/**
 * The newest commits of `rev` whose trailers match the query, newest first. `git log --grep` narrows the walk
 * inside git (fast even on long histories); each candidate is then checked against its parsed trailer block, so a
 * matching line in a message body does not count.
 */
export async function findLastCommits(
  run: RunGit,
  rev: string,
  query: CommitQuery,
): Promise<TrailerCommit[]> {
  const { trailers, limit } = CommitQuery.parse(query);
  const wanted = Object.entries(trailers);
  const grep = wanted.map(([key, value]) => `--grep=^${escapeBre(key)}: ${escapeBre(value)}$`);
  const found: TrailerCommit[] = [];
  const page = Math.max(limit, 20);
  for (let skip = 0; found.length < limit; skip += page) {
    const out = await run('log', [
      'log',
      '-z',
      `--max-count=${page}`,
      `--skip=${skip}`,
      '--format=%H%x1f%cI%x1f%s%x1f%B',
      ...(grep.length > 0 ? ['--all-match', ...grep] : []),
      rev,
      '--',
    ]);
    const records = out.split('\0').filter((record) => record.trim() !== '');
    for (const record of records) {
      const [commit = '', committedAt = '', subject = '', ...rest] = record.split('\x1f');
      const parsed = parseTrailers(rest.join('\x1f'));
      if (wanted.every(([key, value]) => parsed[key] === value)) {
        found.push({ commit: commit.trim(), committedAt, subject, trailers: parsed });
        if (found.length === limit) break;
      }
    }
    if (records.length < page) break;
  }
  return found;
}
