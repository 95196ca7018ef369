import type { Redis } from 'ioredis';
import type { Logger } from '../logger/index.js';
import { AppBoard, BoardEvent } from './schema.js';

/** Apps one read returns at most, whatever Redis holds. */
export const MAX_APPS = 2_000;
/** Largest snapshot kept per app, in bytes: a bigger one is dropped (and logged) rather than stored. */
export const MAX_SNAPSHOT_BYTES = 512 * 1024;

/**
 * The board's read model in Redis: one JSON snapshot per app in a hash (`<prefix>:board:apps`, field
 * `<policy>/<app>`), written by the worker after each reconcile of the app, and a pub/sub channel
 * (`<prefix>:board:events`) that says which app changed. `serve` only reads: it needs neither git nor the code host.
 * A snapshot is a cache of the deploy repo, the PRs and the ChatOps and gate state: losing it loses nothing, the
 * next reconcile (every app is reconciled at start-up) writes it again.
 */
export interface BoardStore {
  write(board: AppBoard): Promise<void>;
  publish(event: BoardEvent): Promise<void>;
  /** Every valid snapshot; a record another version wrote, or garbage, is skipped. */
  readAll(): Promise<AppBoard[]>;
  read(policy: string, app: string): Promise<AppBoard | null>;
  readonly channel: string;
}

export function createBoardStore(redis: Redis, prefix: string, logger: Logger): BoardStore {
  const hash = `${prefix}:board:apps`;
  const channel = `${prefix}:board:events`;
  const parse = (raw: string): AppBoard | null => {
    try {
      const parsed = AppBoard.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  };
  return {
    channel,
    async write(board) {
      const json = JSON.stringify(AppBoard.parse(board));
      if (Buffer.byteLength(json) > MAX_SNAPSHOT_BYTES) {
        logger.warn(
          { policy: board.policy, app: board.app, bytes: json.length },
          'board snapshot too large; not stored',
        );
        return;
      }
      await redis.hset(hash, `${board.policy}/${board.app}`, json);
    },
    async publish(event) {
      await redis.publish(channel, JSON.stringify(BoardEvent.parse(event)));
    },
    async readAll() {
      const all = await redis.hgetall(hash);
      const boards: AppBoard[] = [];
      for (const raw of Object.values(all).slice(0, MAX_APPS)) {
        const board = parse(raw);
        if (board) boards.push(board);
      }
      return boards;
    },
    async read(policy, app) {
      const raw = await redis.hget(hash, `${policy}/${app}`);
      return raw === null ? null : parse(raw);
    },
  };
}
