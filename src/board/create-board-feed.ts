import { connectRedis } from '../redis/index.js';
import type { Logger } from '../logger/index.js';
import type { BoardFeed } from './create-board-routes.js';
import { BoardEvent } from './schema.js';

/** Largest message relayed; anything bigger on the channel is not the worker's. */
const MAX_MESSAGE = 4_096;

/**
 * One Redis subscription per `serve` to the worker's board channel, fanned out to every open event stream of this
 * process: each replica subscribes on its own, so all of them stream every change.
 */
export function createBoardFeed(options: {
  redisUrl: string;
  channel: string;
  logger: Logger;
}): BoardFeed & { ready: Promise<void>; close(): Promise<void> } {
  const listeners = new Map<(event: BoardEvent) => void, () => void>();
  const subscriber = connectRedis(options.redisUrl, { kind: 'blocking' });
  subscriber.on('message', (_channel: string, message: string) => {
    if (message.length > MAX_MESSAGE) return;
    let parsed;
    try {
      parsed = BoardEvent.safeParse(JSON.parse(message));
    } catch {
      return;
    }
    if (!parsed.success) return;
    for (const listener of listeners.keys()) listener(parsed.data);
  });
  const ready = subscriber.subscribe(options.channel).then(() => {
    options.logger.debug({ channel: options.channel }, 'board feed subscribed');
  });
  return {
    ready,
    subscribe(listener, end) {
      listeners.set(listener, end);
      return () => listeners.delete(listener);
    },
    async close() {
      const ends = [...listeners.values()];
      listeners.clear();
      for (const end of ends) end();
      await subscriber.quit().catch(() => subscriber.disconnect());
    },
  };
}
