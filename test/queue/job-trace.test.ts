import { Writable } from 'node:stream';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '../../src/errors/index.js';
import { createLogger, runWithTrace, type Logger } from '../../src/logger/index.js';
import {
  createReconcileQueue,
  createReconcileWorker,
  RECONCILE_QUEUE,
  type ReconcileJob,
  type ReconcileQueue,
  type ReconcileWorker,
} from '../../src/queue/index.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

// The reconcile queue through the one job worker: a request made while a delivery's job runs carries that
// delivery's ids onto the reconcile's lines; a job from before traces existed, or with a trace a sender could have
// bloated, runs under its own id.

let redis: RedisServer;
let queue: ReconcileQueue | undefined;
let worker: ReconcileWorker | undefined;
let prefix = '';
let logText = '';
const lines = () =>
  logText
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const logger = createLogger({
  level: 'debug',
  destination: new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logText += chunk.toString('utf8');
      callback();
    },
  }),
});

beforeAll(async () => {
  redis = await startRedis({ appendOnly: false });
});

afterEach(async () => {
  await worker?.close();
  await queue?.close();
  worker = undefined;
  queue = undefined;
});

afterAll(async () => {
  await redis?.close();
});

function start(run: (job: ReconcileJob, log: Logger, attempt: number) => Promise<void>) {
  prefix = `t${Math.random().toString(36).slice(2, 8)}`;
  logText = '';
  const ran: { job: ReconcileJob; attempt: number }[] = [];
  queue = createReconcileQueue({ redisUrl: redis.url, prefix });
  worker = createReconcileWorker({
    redisUrl: redis.url,
    prefix,
    concurrency: 1,
    logger,
    run: async (job, log) => {
      // Attempts of this app's jobs so far, this one included.
      const attempt = ran.filter((r) => r.job.app === job.app).length + 1;
      ran.push({ job, attempt });
      log.info('running');
      await run(job, log, attempt);
    },
  });
  return ran;
}

async function until<T>(probe: () => T | undefined): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('timed out');
}

describe('the trace of a reconcile job', () => {
  it('is the trace of the job that asked for it, on every line of the reconcile', async () => {
    start(async () => undefined);
    await worker?.waitUntilReady();
    await runWithTrace({ deliveryId: 'body-abc', correlationId: 'image-123' }, () =>
      queue?.request({ policy: 'chat', app: 'chat-ui', reason: 'landed' }),
    );
    const running = await until(() => lines().find((l) => l.msg === 'running'));
    expect(running).toMatchObject({
      deliveryId: 'body-abc',
      correlationId: 'image-123',
      policy: 'chat',
      app: 'chat-ui',
      component: 'reconcile-worker',
    });
    expect(String(running.jobId)).toMatch(/^reconcile-chat-chat-ui-/);
    // Once, not twice: the line names each id one time.
    const raw = logText.split('\n').find((l) => l.includes('"msg":"running"')) ?? '';
    expect(raw.match(/"deliveryId"/g)).toHaveLength(1);
  });

  it('is the job’s own id when nothing asked for it, or when the stored trace is not one', async () => {
    start(async () => undefined);
    await worker?.waitUntilReady();
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const raw = new Queue(RECONCILE_QUEUE, { connection, prefix });
    try {
      await raw.add(
        'reconcile',
        { policy: 'chat', app: 'old', reason: 'from before traces' },
        { jobId: 'old-1' },
      );
      await raw.add(
        'reconcile',
        {
          policy: 'chat',
          app: 'big',
          reason: 'x',
          trace: { deliveryId: 'd'.repeat(10_000), correlationId: 'c' },
        },
        { jobId: 'big-1' },
      );
    } finally {
      await raw.close();
      connection.disconnect();
    }
    const old = await until(() => lines().find((l) => l.msg === 'running' && l.app === 'old'));
    const big = await until(() => lines().find((l) => l.msg === 'running' && l.app === 'big'));
    expect(old).toMatchObject({ deliveryId: 'old-1', correlationId: 'old-1' });
    expect(big).toMatchObject({ deliveryId: 'big-1', correlationId: 'big-1' });
  });

  it('fails a permanent error at once and retries a transient one, under the same trace', async () => {
    const ran = start(async (job, _log, attempt) => {
      if (job.app === 'gone') throw new PermanentError('no such app');
      if (attempt < 3) throw new TransientError('host down', { retryAfterMs: 10 });
    });
    await worker?.waitUntilReady();
    await runWithTrace({ deliveryId: 'gitea-1', correlationId: 'gitea-1' }, async () => {
      await queue?.request({ policy: 'chat', app: 'gone', reason: 'x' });
    });
    const failed = await until(() => lines().find((l) => l.msg === 'reconcile failed permanently'));
    expect(failed).toMatchObject({ deliveryId: 'gitea-1', reason: 'no such app', app: 'gone' });
    await runWithTrace({ deliveryId: 'gitea-2', correlationId: 'gitea-2' }, async () => {
      await queue?.request({ policy: 'chat', app: 'flaky', reason: 'x' });
    });
    await until(() =>
      lines().some(
        (l) =>
          l.msg === 'running' && l.app === 'flaky' && ran.filter((r) => r.job.app === 'flaky').length === 3,
      )
        ? true
        : undefined,
    );
    const retried = lines().filter((l) => l.app === 'flaky' && String(l.msg).startsWith('reconcile failed'));
    // The throttle writes the first warning; the repeat within the minute goes to debug with the same message.
    expect(retried.map((l) => [l.level, l.msg, l.deliveryId])).toEqual([
      ['warn', 'reconcile failed, will retry', 'gitea-2'],
      ['debug', 'reconcile failed, will retry', 'gitea-2'],
    ]);
    expect(ran.filter((r) => r.job.app === 'gone')).toHaveLength(1);
  });
});
