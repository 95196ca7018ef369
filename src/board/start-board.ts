import type { Config } from '../config/index.js';
import type { Logger } from '../logger/index.js';
import { connectRedis } from '../redis/index.js';
import type { PromotionPolicy } from '../policy/index.js';
import type { Metrics } from '../metrics/index.js';
import { namedBoards, openPromotionFigures } from './board-figures.js';
import { createBoardStore } from './board-store.js';
import { createBoardFeed } from './create-board-feed.js';
import type { BoardRoutesDeps } from './create-board-routes.js';

/**
 * What `serve` needs for the board: a Redis connection to read the snapshots the worker writes and a subscription
 * to its channel. `serve` never reads git or the code host for the board.
 */
export async function startBoard(options: {
  config: Pick<Config, 'redisUrl' | 'queuePrefix' | 'ui'>;
  logger: Logger;
  policies: () => readonly PromotionPolicy[];
  /** Where `promobot_promotion_waiting_seconds` is published, read from the snapshots at each scrape. */
  metrics?: Pick<Metrics, 'trackOpenPromotions'>;
}): Promise<{ routes: BoardRoutesDeps; close(): Promise<void> }> {
  const logger = options.logger.child({ component: 'board' });
  const redis = connectRedis(options.config.redisUrl, { kind: 'reader' });
  const store = createBoardStore(redis, options.config.queuePrefix, logger);
  const feed = createBoardFeed({ redisUrl: options.config.redisUrl, channel: store.channel, logger });
  await feed.ready;
  options.metrics?.trackOpenPromotions(async () =>
    openPromotionFigures(namedBoards(await store.readAll(), options.policies()), Date.now()),
  );
  if (
    options.config.ui.tokens.length === 0 &&
    options.config.ui.proxyCidrs.length === 0 &&
    !options.config.ui.anonymous
  )
    logger.info(
      'the board at / answers 401 to everyone: set PROMOBOT_UI_TOKEN, PROMOBOT_UI_PROXY_CIDRS or PROMOBOT_UI_ANONYMOUS',
    );
  return {
    routes: { store, feed, access: options.config.ui, policies: options.policies, logger },
    async close() {
      await feed.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
