import { Queue } from 'bullmq';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger, runWithTrace } from '../../src/logger/index.js';
import {
  NOTIFY_QUEUE,
  createNotifier,
  createNotifyWorker,
  notifyEventId,
  type NotifyEvent,
  type Sink,
} from '../../src/notify/index.js';
import { NOTIFY_EVENT_KINDS, NotifySink } from '../../src/policy/schema.js';
import { connectRedis } from '../../src/redis/connection.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

interface Received {
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A local receiver: each path answers as the test says; every request is kept. */
async function startReceiver(answer: (path: string, seen: number) => { status: number; body?: string }) {
  const received: Received[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://receiver');
      received.push({
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      const seen = received.filter((r) => r.path === url.pathname).length;
      const { status, body } = answer(url.pathname, seen);
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(body ?? '{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const SECRET = 'webhook-signing-secret';
const FEISHU_SECRET = 'feishu-bot-secret';
const DING_SECRET = 'SECdingtalk-secret';
const TOKEN = 'tok3n-in-the-url';

/** What a receiver of the generic webhook does: recompute the HMAC over `<timestamp>.<body>`. */
function verifyWebhook(r: Received): boolean {
  const ts = String(r.headers['x-promobot-timestamp']);
  const got = Buffer.from(String(r.headers['x-promobot-signature']));
  const want = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(`${ts}.${r.body}`).digest('hex')}`);
  return got.length === want.length && timingSafeEqual(got, want);
}

function event(kind: NotifyEvent['kind'], sha: string, pr = 7): NotifyEvent {
  return {
    kind,
    policy: 'chat',
    app: 'chat-ui',
    env: 'prod',
    pr,
    sha,
    summary: `${kind} of 1.4.2`,
    at: '2026-12-07T10:00:00Z',
  };
}

describe('notifications through the notify queue', () => {
  let redis: RedisServer;
  let dir: string;
  const lines: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  });
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    redis = await startRedis({ appendOnly: false });
    dir = mkdtempSync(join(tmpdir(), 'promobot-notify-'));
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });
  afterAll(async () => {
    await redis.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A notifier and a worker under their own prefix, with short backoff so retries come quickly. */
  async function start(prefix: string, sinks: Sink[], env: NodeJS.ProcessEnv) {
    const notifier = createNotifier({
      redisUrl: redis.url,
      prefix,
      logger,
      sinksOf: (p) => (p === 'chat' ? sinks : []),
    });
    const outcomes: string[] = [];
    const worker = createNotifyWorker({
      redisUrl: redis.url,
      prefix,
      concurrency: 4,
      logger,
      env,
      retry: { baseMs: 50, maxMs: 200 },
      finished: (sink, outcome) => outcomes.push(`${sink.name}:${outcome}`),
    });
    await worker.waitUntilReady();
    const connection = connectRedis(redis.url, { kind: 'blocking' });
    const queue = new Queue(NOTIFY_QUEUE, { connection, prefix });
    closers.push(async () => {
      await worker.close();
      await notifier.close();
      await queue.close();
      connection.disconnect();
    });
    /** Waits until `n` jobs are finished (completed or failed). */
    const settled = (n: number) =>
      vi.waitFor(
        async () => {
          const counts = await queue.getJobCounts('completed', 'failed');
          expect((counts.completed ?? 0) + (counts.failed ?? 0)).toBe(n);
        },
        { timeout: 20_000, interval: 50 },
      );
    return { notifier, settled, queue, outcomes };
  }

  const sink = (s: Record<string, unknown>): Sink => NotifySink.parse(s);

  it('delivers every event kind to a signed webhook exactly once, even when each is emitted twice', async () => {
    const receiver = await startReceiver(() => ({ status: 200 }));
    closers.push(receiver.close);
    const env = { HOOK_URL: `${receiver.base}/hook`, HOOK_SECRET: SECRET };
    const { notifier, settled } = await start(
      'n1',
      [sink({ name: 'ops', kind: 'webhook', url: { env: 'HOOK_URL' }, secret: { env: 'HOOK_SECRET' } })],
      env,
    );

    const events = NOTIFY_EVENT_KINDS.map((kind, i) => event(kind, `abc${i}def`));
    // Emitted while a job runs, as the runtime does: the job carries that job's trace.
    for (const e of events)
      await runWithTrace({ deliveryId: 'delivery-1', correlationId: 'delivery-1' }, () => notifier.notify(e));
    for (const e of events) await notifier.notify(e); // a retried reconcile emits again
    await settled(events.length);

    expect(receiver.received).toHaveLength(events.length);
    const ids = receiver.received.map((r) => r.headers['x-promobot-event-id']);
    expect(new Set(ids)).toEqual(new Set(events.map(notifyEventId)));
    for (const r of receiver.received) {
      expect(verifyWebhook(r)).toBe(true);
      const body = JSON.parse(r.body) as { id: string; kind: string };
      expect(body.id).toBe(r.headers['x-promobot-event-id']);
    }
    // A body changed in transit no longer verifies.
    const first = receiver.received[0]!;
    expect(verifyWebhook({ ...first, body: first.body.replace('chat-ui', 'chat-uj') })).toBe(false);
  });

  it('sends only the kinds a sink asks for', async () => {
    const receiver = await startReceiver(() => ({ status: 200 }));
    closers.push(receiver.close);
    const { notifier, settled } = await start(
      'n2',
      [sink({ name: 'chat', kind: 'slack', url: { env: 'SLACK_URL' }, events: ['merged', 'rolled-back'] })],
      { SLACK_URL: `${receiver.base}/services/T0/B0/${TOKEN}` },
    );
    expect(await notifier.notify(event('pr-opened', 'aaa1'))).toEqual([]);
    expect(await notifier.notify(event('merged', 'bbb2'))).toHaveLength(1);
    await settled(1);
    expect(receiver.received).toHaveLength(1);
    expect(JSON.parse(receiver.received[0]!.body)).toEqual({
      text: '[chat/chat-ui → prod] merged #7: merged of 1.4.2',
    });
    // The token in the URL's path is never logged.
    expect(lines.join('')).not.toContain(TOKEN);
  });

  it('retries a sink answering 500 while another sink gets the event without waiting for it', async () => {
    const receiver = await startReceiver((path, seen) =>
      path === '/down' && seen <= 3 ? { status: 500 } : { status: 200 },
    );
    closers.push(receiver.close);
    const env = { DOWN: `${receiver.base}/down`, UP: `${receiver.base}/up`, S: SECRET };
    const { notifier, settled, outcomes } = await start(
      'n3',
      [
        sink({ name: 'down', kind: 'webhook', url: { env: 'DOWN' }, secret: { env: 'S' } }),
        sink({ name: 'up', kind: 'webhook', url: { env: 'UP' }, secret: { env: 'S' } }),
      ],
      env,
    );
    await notifier.notify(event('gates-failed', 'c0ffee'));
    await settled(2);
    const paths = receiver.received.map((r) => r.path);
    expect(paths.filter((p) => p === '/down')).toHaveLength(4);
    expect(paths.filter((p) => p === '/up')).toHaveLength(1);
    // The healthy sink was served before the failing one's retries ran out.
    expect(paths.indexOf('/up')).toBeLessThan(paths.lastIndexOf('/down'));
    expect(outcomes.filter((o) => o === 'down:retried')).toHaveLength(3);
    expect(outcomes).toContain('down:completed');
    // Every attempt carried the same event id, so a receiver that saw an attempt it answered 500 to can dedupe.
    expect(new Set(receiver.received.map((r) => r.headers['x-promobot-event-id'])).size).toBe(1);
  });

  it('gives up at once on a 4xx: one request, the job failed, logged without the URL', async () => {
    const receiver = await startReceiver(() => ({ status: 404 }));
    closers.push(receiver.close);
    const { notifier, settled, queue, outcomes } = await start(
      'n4',
      [sink({ name: 'gone', kind: 'slack', url: { env: 'GONE' } })],
      { GONE: `${receiver.base}/services/${TOKEN}` },
    );
    await notifier.notify(event('merged', 'dead01'));
    await settled(1);
    expect(receiver.received).toHaveLength(1);
    expect(await queue.getJobCounts('failed')).toMatchObject({ failed: 1 });
    expect(outcomes).toEqual(['gone:failed']);
    const failure = lines.find((l) => l.includes('notification failed permanently'));
    expect(failure).toContain('refused the message with 404');
    expect(lines.join('')).not.toContain(TOKEN);
  });

  it('signs Feishu and DingTalk requests as their custom bots check them', async () => {
    const receiver = await startReceiver((path) => ({
      status: 200,
      body: path === '/feishu' ? '{"code":0,"msg":"success"}' : '{"errcode":0,"errmsg":"ok"}',
    }));
    closers.push(receiver.close);
    const secretFile = join(dir, 'feishu-secret');
    writeFileSync(secretFile, `${FEISHU_SECRET}\n`);
    const { notifier, settled } = await start(
      'n5',
      [
        sink({ name: 'fs', kind: 'feishu', url: { env: 'FS' }, secret: { file: secretFile } }),
        sink({ name: 'dd', kind: 'dingtalk', url: { env: 'DD' }, secret: { env: 'DDS' } }),
      ],
      { FS: `${receiver.base}/feishu`, DD: `${receiver.base}/ding?access_token=${TOKEN}`, DDS: DING_SECRET },
    );
    await notifier.notify(event('frozen', 'f00d'));
    await settled(2);

    const feishu = receiver.received.find((r) => r.path === '/feishu')!;
    const fsBody = JSON.parse(feishu.body) as {
      timestamp: string;
      sign: string;
      msg_type: string;
      content: { text: string };
    };
    // Feishu: key = "<timestamp>\n<secret>", empty message, base64 (open.feishu.cn custom bot guide).
    expect(fsBody.sign).toBe(
      createHmac('sha256', `${fsBody.timestamp}\n${FEISHU_SECRET}`).update('').digest('base64'),
    );
    expect(fsBody.msg_type).toBe('text');
    expect(fsBody.content.text).toContain('frozen #7');

    const ding = receiver.received.find((r) => r.path === '/ding')!;
    const ts = ding.query.get('timestamp')!;
    expect(ding.query.get('access_token')).toBe(TOKEN);
    // DingTalk: HMAC keyed by the secret over "<timestamp ms>\n<secret>", base64, URL-encoded in the query.
    expect(ding.query.get('sign')).toBe(
      createHmac('sha256', DING_SECRET).update(`${ts}\n${DING_SECRET}`).digest('base64'),
    );
    expect(JSON.parse(ding.body)).toMatchObject({ msgtype: 'text' });
    expect(lines.join('')).not.toContain(TOKEN);
  });

  it('treats a DingTalk answer with a nonzero errcode as refused', async () => {
    const receiver = await startReceiver(() => ({
      status: 200,
      body: '{"errcode":310000,"errmsg":"sign not match"}',
    }));
    closers.push(receiver.close);
    const { notifier, settled, outcomes } = await start(
      'n6',
      [sink({ name: 'dd', kind: 'dingtalk', url: { env: 'DD' }, secret: { env: 'DDS' } })],
      { DD: `${receiver.base}/ding?access_token=x`, DDS: 'wrong' },
    );
    await notifier.notify(event('unfrozen', 'beef'));
    await settled(1);
    expect(outcomes).toEqual(['dd:failed']);
  });

  it('holds a sink to its rate: messages over the minute limit wait for the next minute', async () => {
    const receiver = await startReceiver(() => ({ status: 200 }));
    closers.push(receiver.close);
    const { notifier, queue } = await start(
      'n7',
      [sink({ name: 'slow', kind: 'slack', url: { env: 'U' }, perMinute: 2 })],
      { U: `${receiver.base}/slow` },
    );
    for (const sha of ['a1', 'a2', 'a3', 'a4']) await notifier.notify(event('pr-opened', `${sha}00`));
    await vi.waitFor(
      async () => expect(await queue.getJobCounts('completed')).toMatchObject({ completed: 2 }),
      { timeout: 20_000, interval: 50 },
    );
    await vi.waitFor(async () => expect(await queue.getJobCounts('delayed')).toMatchObject({ delayed: 2 }), {
      timeout: 20_000,
      interval: 50,
    });
    expect(receiver.received).toHaveLength(2);
  });

  it('never throws into the caller when Redis is unreachable', async () => {
    const notifier = createNotifier({
      redisUrl: 'redis://127.0.0.1:1',
      prefix: 'n8',
      logger,
      sinksOf: () => [sink({ name: 'x', kind: 'slack', url: { env: 'X' } })],
    });
    closers.push(() => notifier.close());
    await expect(notifier.notify(event('merged', 'abcd'))).resolves.toEqual([]);
    expect(lines.some((l) => l.includes('notification not enqueued'))).toBe(true);
  });
});
