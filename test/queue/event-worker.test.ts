import { Writable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '../../src/errors/index.js';
import type { DomainEvent } from '../../src/events/index.js';
import { createLogger } from '../../src/logger/index.js';
import { createMetrics, type Metrics } from '../../src/metrics/index.js';
import {
  createEventProducer,
  createEventWorker,
  jobIdFor,
  type EventProducer,
  type EventWorker,
  type HandlerRegistry,
} from '../../src/queue/index.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

let redis: RedisServer;
let producer: EventProducer;
let worker: EventWorker | undefined;
let prefix: string;
let metrics: Metrics;
let logText = '';

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
  await producer?.close();
  worker = undefined;
});

afterAll(async () => {
  await redis?.close();
});

function push(): DomainEvent {
  return {
    type: 'PushReceived',
    scm: 'gitea',
    repo: { owner: 'acme', name: 'app', fullName: 'acme/app' },
    ref: 'refs/heads/main',
    before: 'a',
    after: 'b',
    pusher: 'dev',
    commits: [],
  };
}

async function setup(handlers: HandlerRegistry): Promise<void> {
  prefix = `w${randomUUID().slice(0, 8)}`;
  producer = createEventProducer({ redisUrl: redis.url, prefix, logger });
  metrics = createMetrics({ defaultMetrics: false });
  await producer.queue.waitUntilReady();
  worker = createEventWorker({
    redisUrl: redis.url,
    prefix,
    concurrency: 2,
    logger,
    handlers,
    metrics,
    retry: { baseMs: 20, maxMs: 100 },
  });
  await worker.waitUntilReady();
}

async function enqueue(): Promise<{ jobId: string; deliveryId: string }> {
  const deliveryId = randomUUID();
  const event = push();
  const jobId = jobIdFor('gitea', event, deliveryId);
  await producer.enqueue([
    { jobId, data: { deliveryId, source: 'gitea', receivedAt: new Date().toISOString(), event } },
  ]);
  return { jobId, deliveryId };
}

async function settled(jobId: string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await producer.queue.getJobState(jobId);
    if (state === 'completed' || state === 'failed') return state;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${state}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('queue/createEventWorker()', () => {
  it('retries a job whose handler throws TransientError until it completes', async () => {
    let calls = 0;
    await setup({
      PushReceived: async () => {
        calls += 1;
        if (calls < 3) throw new TransientError('Gitea answered 502');
      },
    });
    const { jobId } = await enqueue();
    expect(await settled(jobId)).toBe('completed');
    expect(calls).toBe(3);
    const text = await metrics.registry.metrics();
    expect(text).toContain('promobot_jobs_total{event_type="PushReceived",outcome="retried"} 2');
    expect(text).toContain('promobot_jobs_total{event_type="PushReceived",outcome="completed"} 1');
    expect(text).toMatch(
      /promobot_job_duration_seconds_count\{event_type="PushReceived",outcome="completed"\} 1/,
    );
  });

  it('waits as long as a TransientError asks before retrying', async () => {
    const calls: number[] = [];
    await setup({
      PushReceived: async () => {
        calls.push(Date.now());
        if (calls.length === 1) throw new TransientError('rate limited', { retryAfterMs: 400 });
      },
    });
    const { jobId } = await enqueue();
    expect(await settled(jobId)).toBe('completed');
    expect(calls).toHaveLength(2);
    expect(calls[1]! - calls[0]!).toBeGreaterThanOrEqual(380);
  });

  it('fails a job whose handler throws PermanentError at once, with the reason', async () => {
    let calls = 0;
    await setup({
      PushReceived: async () => {
        calls += 1;
        throw new PermanentError('policy denies promoting to prod');
      },
    });
    const { jobId } = await enqueue();
    expect(await settled(jobId)).toBe('failed');
    const job = await producer.queue.getJob(jobId);
    expect(job?.failedReason).toBe('policy denies promoting to prod');
    expect(calls).toBe(1);
  });

  it('lets a running job finish when closed, and close() can be called twice', async () => {
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    let finished = false;
    await setup({
      PushReceived: async () => {
        started();
        await new Promise((resolve) => setTimeout(resolve, 300));
        finished = true;
      },
    });
    const { jobId } = await enqueue();
    await running;
    const closing = worker!.close();
    expect(worker!.isReady()).toBe(false);
    await Promise.all([closing, worker!.close()]);
    expect(finished).toBe(true);
    expect(await producer.queue.getJobState(jobId)).toBe('completed');
  });

  it('puts the delivery id and job id on every log line a handler writes', async () => {
    await setup({
      PushReceived: async (_event, context) => {
        context.logger.info('handling');
        context.logger.warn({ detail: 1 }, 'still handling');
      },
    });
    const { jobId, deliveryId } = await enqueue();
    expect(await settled(jobId)).toBe('completed');
    const lines = logText
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter(
        (line) => line.msg === 'handling' || line.msg === 'still handling' || line.msg === 'job completed',
      );
    expect(lines.filter((line) => line.jobId === jobId)).toHaveLength(3);
    for (const line of lines.filter((l) => l.jobId === jobId)) expect(line.deliveryId).toBe(deliveryId);
  });

  it('logs and completes an event type with no handler', async () => {
    await setup({});
    const { jobId } = await enqueue();
    expect(await settled(jobId)).toBe('completed');
    expect(logText).toContain('no handler registered');
  });

  it('keeps a completed job so the same delivery enqueued again is a duplicate', async () => {
    await setup({});
    const { jobId, deliveryId } = await enqueue();
    expect(await settled(jobId)).toBe('completed');
    const again = await producer.enqueue([
      { jobId, data: { deliveryId, source: 'gitea', receivedAt: new Date().toISOString(), event: push() } },
    ]);
    expect(again).toEqual({ jobIds: [jobId], duplicate: true });
    expect(await producer.queue.getJobState(jobId)).toBe('completed');
  });
});
