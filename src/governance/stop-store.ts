import type { Redis } from 'ioredis';
import { z } from 'zod';
import { redisKeys } from '../redis/keys.js';
import { StopRecord } from './global-stop.js';

const Stored = z.object({ stops: z.array(StopRecord) });

/**
 * The global stops of each deploy repo in Redis, for speed. Redis is not their only copy: when the key is missing
 * (a new install, or Redis lost it) the caller rebuilds them from the host's record of the issue comments
 * (`stopEvents`, `replayStops`) and saves that with {@link StopStore.saveRebuilt}.
 */
export interface StopStore {
  /** The stops, or null when Redis has no record (rebuild them). */
  load(scm: string, repo: string): Promise<StopRecord[] | null>;
  /** Saves what a stop command left. */
  save(scm: string, repo: string, stops: readonly StopRecord[]): Promise<void>;
  /** Saves a rebuilt record, unless a command saved one meanwhile (that one is newer). */
  saveRebuilt(scm: string, repo: string, stops: readonly StopRecord[]): Promise<void>;
  lockKey(scm: string, repo: string): string;
}

export function createStopStore(redis: Redis, prefix: string): StopStore {
  const keys = redisKeys(prefix);
  return {
    async load(scm, repo) {
      const raw = await redis.get(keys.globalStops(scm, repo));
      if (raw === null) return null;
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        return null;
      }
      const parsed = Stored.safeParse(json);
      // An unreadable record is treated as lost: rebuilt from the host, never read as "no stop".
      return parsed.success ? parsed.data.stops : null;
    },
    async save(scm, repo, stops) {
      await redis.set(keys.globalStops(scm, repo), JSON.stringify({ stops }));
    },
    async saveRebuilt(scm, repo, stops) {
      await redis.set(keys.globalStops(scm, repo), JSON.stringify({ stops }), 'NX');
    },
    lockKey: (scm, repo) => keys.globalStopsLock(scm, repo),
  };
}
