import { parseArgs } from 'node:util';
import type { Config } from '../config/index.js';
import { startBoard } from '../board/start-board.js';
import { createHttpApp, startHttpServer } from '../http/index.js';
import type { Logger } from '../logger/index.js';
import { createMetrics, type Metrics } from '../metrics/index.js';
import { createPolicyStore, type PolicyStore } from '../policy/index.js';
import { createEventProducer } from '../queue/index.js';
import type { CliIo, Command } from './command.js';

export interface Running {
  readonly url?: string;
  /** Stops everything it started; safe to call more than once. */
  close(): Promise<void>;
}

export interface ServeDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The worker of this process, when `start` runs one. */
  readonly worker?: { isReady(): boolean };
  /** The policy set intake screens deliveries with; `start` shares its worker's. Made and watched here otherwise. */
  readonly policies?: PolicyStore;
}

/**
 * Starts the HTTP intake: loads the policies (deliveries no policy can act on are answered without a job), waits for
 * Redis (so a pod is not ready before its queue is), then listens.
 */
export async function startServe(deps: ServeDeps): Promise<Running & { url: string; policies: PolicyStore }> {
  const { config, logger, metrics } = deps;
  let policies = deps.policies;
  let stopWatching = () => {};
  if (policies === undefined) {
    policies = createPolicyStore({ dir: config.policiesDir, logger });
    await policies.load();
    stopWatching = policies.watch({ intervalMs: 10_000 });
  }
  const store = policies;
  const producer = createEventProducer({ redisUrl: config.redisUrl, prefix: config.queuePrefix, logger });
  logger.info({ redis: redactUrl(config.redisUrl) }, 'waiting for redis');
  await producer.queue.waitUntilReady();
  metrics.trackQueueDepth(() => producer.counts());
  const board = await startBoard({ config, logger, metrics, policies: () => store.current() });
  const app = createHttpApp({
    config,
    logger,
    queue: producer,
    metrics,
    policies: () => store.current(),
    ...(deps.worker ? { worker: deps.worker } : {}),
    board: board.routes,
  });
  const server = await startHttpServer(app, config.port, config.host);
  logger.info({ url: server.url }, 'serving webhooks');
  let closing: Promise<void> | undefined;
  return {
    url: server.url,
    policies: store,
    close() {
      closing ??= (async () => {
        stopWatching();
        // The board's event streams never end by themselves: end them first, so the server can close.
        await board.close();
        await server.close();
        await producer.close();
      })();
      return closing;
    },
  };
}

/** Runs until asked to stop, then closes what it started and returns the exit code. */
export async function runUntilStopped(io: CliIo, logger: Logger, running: Running[]): Promise<number> {
  const signal = await io.stopped;
  logger.info({ signal }, 'stopping: draining in-flight work');
  // Close in reverse start order: stop taking deliveries first, then let the worker finish its jobs.
  for (const part of [...running].reverse()) await part.close();
  logger.info('stopped');
  return 0;
}

/** A Redis URL without its password, for logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//[redacted]@');
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'take webhook deliveries over HTTP and put them on the queue',
  async run(argv, io) {
    const { values } = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' } } });
    if (values.help) {
      io.stdout(
        'Usage: promobot serve\n\nListens on HOST:PORT for webhooks; configured by environment variables.\n',
      );
      return 0;
    }
    const config = io.config();
    const logger = io.logger(config).child({ role: 'serve' });
    const running = await startServe({ config, logger, metrics: createMetrics() });
    io.hangups(() => void running.policies.reload());
    return runUntilStopped(io, logger, [running]);
  },
};
