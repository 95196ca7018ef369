import type { Config } from '../../src/config/index.js';
import { createPromotionRuntime, type PromotionRuntime } from '../../src/promotion/index.js';
import type { EventHandler, HandlerRegistry } from '../../src/queue/index.js';
import type { DomainEventType } from '../../src/events/index.js';
import { startApp, type StartAppOptions, type TestApp } from '../support/app.js';

export interface PromobotUnderTest {
  app: TestApp;
  runtime: PromotionRuntime;
  close(): Promise<void>;
}

const EVENT_TYPES: DomainEventType[] = [
  'ImagePushed',
  'PushReceived',
  'PullRequestChanged',
  'CommentCreated',
  'ReviewSubmitted',
  'RolloutObserved',
];

/**
 * What `promobot start` runs, in this process: the real HTTP server and worker (`startApp`) with the handlers of
 * the real promotion runtime. The runtime needs the app's configuration and the app needs the handlers, so the
 * handlers delegate to the runtime made right after.
 */
export async function startPromobot(options: {
  redisUrl: string;
  home: string;
  config: StartAppOptions['config'] & Partial<Pick<Config, 'policiesDir' | 'dataDir'>>;
}): Promise<PromobotUnderTest> {
  // Set right below, once the app (and so its configuration) exists.
  const holder: { runtime?: PromotionRuntime } = {};
  const handlers = Object.fromEntries(
    EVENT_TYPES.map((type) => [
      type,
      ((event, context) =>
        (holder.runtime?.handlers[type] as EventHandler | undefined)?.(event, context) ??
        Promise.resolve()) as EventHandler,
    ]),
  ) as HandlerRegistry;
  const app = await startApp({ redisUrl: options.redisUrl, handlers, config: options.config });
  const runtime = await createPromotionRuntime({
    config: app.config,
    logger: app.logger,
    metrics: app.metrics,
    gitBaseEnv: { PATH: process.env.PATH ?? '', HOME: options.home },
  });
  holder.runtime = runtime;
  await runtime.start();
  const started = runtime;
  return {
    app,
    runtime: started,
    async close() {
      await app.close();
      await started.close();
    },
  };
}

/** Polls `probe` until it gives a value (not undefined), or fails naming `what`. */
export async function eventually<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 45_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
