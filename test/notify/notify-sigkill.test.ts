import { Queue } from 'bullmq';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/logger/index.js';
import { NOTIFY_QUEUE, createNotifier } from '../../src/notify/index.js';
import { NotifySink } from '../../src/policy/schema.js';
import { connectRedis } from '../../src/redis/connection.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHILD = join(ROOT, 'test', 'notify', 'support', 'notify-worker-process.ts');

/**
 * The worker is SIGKILLed while a sink holds its request. bullmq hands the stalled job to the next worker once the
 * dead one's lock expires (about 30 s, then the next stalled check), so the receiver gets the event again: the
 * contract is at-least-once delivery with an idempotency key (`X-Promobot-Event-Id`), and a receiver that keeps
 * the ids it has seen acts on each event exactly once.
 */
describe('a worker killed mid-delivery', () => {
  let redis: RedisServer;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    redis = await startRedis({ appendOnly: false });
  });
  afterAll(async () => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await redis.close();
  });

  const startWorker = (env: Record<string, string>) =>
    new Promise<ChildProcess>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD, redis.url, 'kill'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.push(child);
      child.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('ready')) resolve(child);
      });
      child.once('exit', (code) => reject(new Error(`worker exited with ${String(code)}`)));
    });

  it('yields the event once per event id at the receiver', async () => {
    const ids: string[] = [];
    const held: ServerResponse[] = [];
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      req.on('end', () => {
        ids.push(String(req.headers['x-promobot-event-id']));
        // The first delivery is never answered: the worker dies while it waits.
        if (ids.length === 1) held.push(res);
        else res.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const env = {
      HOOK_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
      HOOK_SECRET: 'kill-secret',
    };
    const logger = createLogger({ level: 'silent' });
    const sink = NotifySink.parse({
      name: 'ops',
      kind: 'webhook',
      url: { env: 'HOOK_URL' },
      secret: { env: 'HOOK_SECRET' },
    });
    const notifier = createNotifier({ redisUrl: redis.url, prefix: 'kill', logger, sinksOf: () => [sink] });
    const connection = connectRedis(redis.url, { kind: 'blocking' });
    const queue = new Queue(NOTIFY_QUEUE, { connection, prefix: 'kill' });
    try {
      const first = await startWorker(env);
      await notifier.notify({
        kind: 'merged',
        policy: 'chat',
        app: 'chat-ui',
        env: 'prod',
        pr: 4,
        sha: 'abcdef1',
        summary: 'promote chat-ui 1.2.3',
        at: '2026-12-07T10:00:00Z',
      });
      await vi.waitFor(() => expect(ids).toHaveLength(1), { timeout: 20_000, interval: 50 });
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      held.splice(0).forEach((res) => res.destroy());

      await startWorker(env);
      await vi.waitFor(
        async () => expect(await queue.getJobCounts('completed')).toMatchObject({ completed: 1 }),
        { timeout: 90_000, interval: 200 },
      );
      // Delivered again after the crash, with the same id: a receiver keeping ids sees one event.
      expect(ids.length).toBeGreaterThanOrEqual(2);
      expect(new Set(ids)).toEqual(new Set(['merged-chat-chat-ui-prod-4-abcdef1']));
    } finally {
      await notifier.close();
      await queue.close();
      connection.disconnect();
      await new Promise<void>((r) => server.close(() => r()));
    }
  }, 120_000);
});
