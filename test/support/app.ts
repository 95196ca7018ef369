import { Writable } from 'node:stream';
import { loadConfig, type Config } from '../../src/config/index.js';
import { createHttpApp, startHttpServer } from '../../src/http/index.js';
import { createLogger, type Logger } from '../../src/logger/index.js';
import { createMetrics, type Metrics } from '../../src/metrics/index.js';
import type { PromotionPolicy } from '../../src/policy/index.js';
import {
  createEventProducer,
  createEventWorker,
  type EventProducer,
  type EventWorker,
  type HandlerRegistry,
  type RetryDelayOptions,
} from '../../src/queue/index.js';

/** Secrets the test app accepts unless a test overrides them. */
export const TEST_SECRETS = {
  harbor: 'Basic aGFyYm9yOnRlc3Qtc2VjcmV0',
  gitea: 'gitea-test-secret',
  github: 'github-test-secret',
  /** Signs the ChatOps state in status comments (`PROMOBOT_STATE_KEY`). */
  stateKey: 'state-key-for-tests-0123456789abcdef',
  registry: 'Bearer registry-test-secret',
  argocd: 'Bearer argocd-test-secret',
} as const;

export interface StartAppOptions {
  readonly redisUrl: string;
  /** Fields replacing the defaults of the test config (webhook secrets are replaced as a whole per source). */
  readonly config?: Partial<Omit<Config, 'webhookSecrets'>> & {
    webhookSecrets?: Partial<Config['webhookSecrets']>;
  };
  /** Run a worker in the same process (like `promobot start`); default true. */
  readonly worker?: boolean;
  readonly handlers?: HandlerRegistry;
  /** Backoff of the worker; tests keep it short. */
  readonly retry?: RetryDelayOptions;
  /** Redis command timeout of the producer. */
  readonly commandTimeoutMs?: number;
  /** The policy set intake screens with; without it every delivery is queued (tests of the route alone). */
  readonly policies?: () => readonly PromotionPolicy[];
}

export interface TestApp {
  readonly baseUrl: string;
  readonly config: Config;
  readonly producer: EventProducer;
  readonly worker: EventWorker | undefined;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Every log line written so far, parsed. */
  logLines(): Record<string, unknown>[];
  /** The raw log text, to search for secrets. */
  logText(): string;
  /** Waits until the job has completed or failed (a worker must run somewhere) and returns which. */
  settled(jobId: string, timeoutMs?: number): Promise<'completed' | 'failed'>;
  close(): Promise<void>;
}

/**
 * Starts the real HTTP server (on a free port) and, unless told otherwise, a real worker, against the given Redis —
 * what `promobot start` runs, with logs captured for assertions.
 */
export async function startApp(options: StartAppOptions): Promise<TestApp> {
  const base = loadConfig({
    REDIS_URL: options.redisUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'debug',
    PROMOBOT_QUEUE_PREFIX: `t${Math.random().toString(36).slice(2, 8)}`,
    HARBOR_WEBHOOK_SECRET: TEST_SECRETS.harbor,
    GITEA_WEBHOOK_SECRET: TEST_SECRETS.gitea,
    GITHUB_WEBHOOK_SECRET: TEST_SECRETS.github,
    REGISTRY_WEBHOOK_SECRET: TEST_SECRETS.registry,
    PROMOBOT_STATE_KEY: TEST_SECRETS.stateKey,
    ARGOCD_WEBHOOK_SECRET: TEST_SECRETS.argocd,
    // Tests approve within a second of promobot's push; the check still refuses a comment from an earlier second.
    PROMOBOT_APPROVE_AFTER_HEAD_MARGIN_MS: '0',
  });
  const { webhookSecrets, ...rest } = options.config ?? {};
  const config: Config = {
    ...base,
    ...rest,
    webhookSecrets: { ...base.webhookSecrets, ...webhookSecrets },
  } as Config;

  let text = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString('utf8');
      callback();
    },
  });
  const logger = createLogger({ level: config.logLevel, destination });
  const metrics = createMetrics({ defaultMetrics: false });
  const producer = createEventProducer({
    redisUrl: config.redisUrl,
    prefix: config.queuePrefix,
    logger,
    ...(options.commandTimeoutMs === undefined ? {} : { commandTimeoutMs: options.commandTimeoutMs }),
  });
  await producer.queue.waitUntilReady();
  metrics.trackQueueDepth(() => producer.counts());
  const worker =
    options.worker === false
      ? undefined
      : createEventWorker({
          redisUrl: config.redisUrl,
          prefix: config.queuePrefix,
          concurrency: config.concurrency,
          logger,
          handlers: options.handlers ?? {},
          metrics,
          retry: options.retry ?? { baseMs: 50, maxMs: 500 },
        });
  await worker?.waitUntilReady();
  const app = createHttpApp({
    config,
    logger,
    queue: producer,
    metrics,
    ...(worker ? { worker } : {}),
    ...(options.policies ? { policies: options.policies } : {}),
  });
  const server = await startHttpServer(app, 0, '127.0.0.1');

  let closing: Promise<void> | undefined;
  return {
    baseUrl: server.url,
    config,
    producer,
    worker,
    metrics,
    logger,
    logLines: () =>
      text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    logText: () => text,
    async settled(jobId, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const state = await producer.queue.getJobState(jobId);
        if (state === 'completed' || state === 'failed') return state;
        if (Date.now() > deadline) throw new Error(`job ${jobId} is still ${state} after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close() {
      closing ??= (async () => {
        await server.close();
        await worker?.close();
        await producer.close();
      })();
      return closing;
    },
  };
}
