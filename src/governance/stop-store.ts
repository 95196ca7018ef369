import type { Redis } from 'ioredis';
import { z } from 'zod';
import { redisKeys } from '../redis/keys.js';
import { StopRecord } from './global-stop.js';

/** What one comment's stop commands did, in order: kept so a retry of that comment answers the same, changing nothing. */
const Applied = z.object({
  commentId: z.number().int(),
  results: z.array(
    z.union([z.object({ outcome: z.enum(['done', 'unchanged']) }), z.object({ refused: z.string() })]),
  ),
});
export type AppliedComment = z.infer<typeof Applied>;
const Stored = z.object({ stops: z.array(StopRecord), applied: z.array(Applied).default([]) });
type Stored = z.infer<typeof Stored>;

/** How many handled comments are remembered: far more than a retry or redelivery could be behind. */
const APPLIED_KEPT = 200;

/** Deletes KEYS[1] only if it still holds ARGV[1]: an unreadable record is dropped, a newer save is kept. */
const DROP_IF_SAME = `
if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('del', KEYS[1]) end
return 1`;

/**
 * The global stops of each deploy repo in Redis, for speed. Redis is not their only copy: when the key is missing
 * (a new install, or Redis lost it) the caller rebuilds them from the host's record of the issue comments
 * (`stopEvents`, `replayStops`) and saves that with {@link StopStore.saveRebuilt}.
 */
export interface StopStore {
  /** The stops, or null when Redis has no record (rebuild them). */
  load(scm: string, repo: string): Promise<StopRecord[] | null>;
  /** What the comment `commentId` did when it was handled, or null when it was not (or Redis lost the record). */
  applied(scm: string, repo: string, commentId: number): Promise<AppliedComment | null>;
  /** Saves what a comment's stop commands left, and what they did (see {@link StopStore.applied}). */
  save(scm: string, repo: string, stops: readonly StopRecord[], applied: AppliedComment): Promise<void>;
  /** Saves a rebuilt record, unless a command saved one meanwhile (that one is newer). */
  saveRebuilt(scm: string, repo: string, stops: readonly StopRecord[]): Promise<void>;
  lockKey(scm: string, repo: string): string;
}

export function createStopStore(redis: Redis, prefix: string): StopStore {
  const keys = redisKeys(prefix);
  const read = async (scm: string, repo: string): Promise<Stored | null> => {
    const key = keys.globalStops(scm, repo);
    const raw = await redis.get(key);
    if (raw === null) return null;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      json = undefined;
    }
    const parsed = Stored.safeParse(json);
    if (parsed.success) return parsed.data;
    // An unreadable record is treated as lost: rebuilt from the host, never read as "no stop". It is dropped, so the
    // rebuild's save (set only where no record is) replaces it instead of every decision rebuilding again.
    await redis.eval(DROP_IF_SAME, 1, key, raw);
    return null;
  };
  return {
    async load(scm, repo) {
      return (await read(scm, repo))?.stops ?? null;
    },
    async applied(scm, repo, commentId) {
      return (await read(scm, repo))?.applied.find((a) => a.commentId === commentId) ?? null;
    },
    async save(scm, repo, stops, applied) {
      const before = (await read(scm, repo))?.applied ?? [];
      const kept = [...before.filter((a) => a.commentId !== applied.commentId), applied].slice(-APPLIED_KEPT);
      await redis.set(keys.globalStops(scm, repo), JSON.stringify({ stops, applied: kept }));
    },
    async saveRebuilt(scm, repo, stops) {
      await redis.set(keys.globalStops(scm, repo), JSON.stringify({ stops, applied: [] }), 'NX');
    },
    lockKey: (scm, repo) => keys.globalStopsLock(scm, repo),
  };
}
