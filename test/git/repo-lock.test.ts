import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransientError } from '../../src/errors/index.js';
import { acquireRepoLock } from '../../src/git/index.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { captureLogs } from './helpers/log-capture.js';

let server: RedisServer;
let redis: Redis;
const { logger } = captureLogs();

beforeAll(async () => {
  server = await startRedis({ appendOnly: false });
  redis = new Redis(server.url);
});
afterAll(async () => {
  redis.disconnect();
  await server.close();
});

describe('git/repo-lock', () => {
  it('lets only one holder in at a time', async () => {
    const key = 'lock:exclusive';
    let inside = 0;
    let maxInside = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const lease = await acquireRepoLock({ redis, key, ttlMs: 2_000, waitMs: 10_000, logger });
        inside += 1;
        maxInside = Math.max(maxInside, inside);
        await new Promise((r) => setTimeout(r, 15));
        order.push(i);
        inside -= 1;
        await lease.release();
      }),
    );
    expect(maxInside).toBe(1);
    expect(order).toHaveLength(8);
  });

  it('renews the lease while it is held, past its ttl', async () => {
    const key = 'lock:renewed';
    const lease = await acquireRepoLock({ redis, key, ttlMs: 300, waitMs: 0, logger });
    await new Promise((r) => setTimeout(r, 900));
    await expect(acquireRepoLock({ redis, key, ttlMs: 300, waitMs: 0, logger })).rejects.toBeInstanceOf(
      TransientError,
    );
    expect(lease.lost).toBe(false);
    await lease.release();
    expect(await redis.exists(key)).toBe(0);
  });

  it('frees the lock when its holder died, once the ttl runs out', async () => {
    const key = 'lock:dead-holder';
    // A holder that died mid-push: its token is in Redis and nobody renews it.
    await redis.set(key, 'dead-worker-token', 'PX', 400);
    const started = Date.now();
    const lease = await acquireRepoLock({ redis, key, ttlMs: 1_000, waitMs: 5_000, logger });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    await lease.release();
  });

  it('is taken over once a holder process is killed and its lease runs out', async () => {
    const key = 'lock:killed-holder';
    const root = resolve(import.meta.dirname, '../..');
    // node itself with the tsx loader, not the tsx CLI: SIGKILL must hit the process that holds the lock.
    const holder = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(root, 'test/git/helpers/hold-lock.ts'),
        '--redis',
        server.url,
        '--key',
        key,
        '--ttl',
        '600',
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((ready) =>
      holder.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('held') && ready()),
    );
    const held = await redis.get(key);
    // It keeps renewing while alive: well past its ttl, the lock is still its own.
    await new Promise((r) => setTimeout(r, 900));
    expect(await redis.get(key)).toBe(held);

    holder.kill('SIGKILL');
    const started = Date.now();
    const lease = await acquireRepoLock({ redis, key, ttlMs: 1_000, waitMs: 5_000, logger });

    expect(Date.now() - started).toBeLessThan(1_500);
    expect(await redis.get(key)).not.toBe(held);
    await lease.release();
  });

  it('gives up after the bounded wait with a TransientError', async () => {
    const key = 'lock:busy';
    const holder = await acquireRepoLock({ redis, key, ttlMs: 5_000, waitMs: 0, logger });
    const started = Date.now();
    await expect(acquireRepoLock({ redis, key, ttlMs: 5_000, waitMs: 200, logger })).rejects.toThrow(
      /timed out after 200 ms/,
    );
    expect(Date.now() - started).toBeLessThan(1_000);
    await holder.release();
  });

  it('never releases a lease someone else holds now, and reports its own as lost', async () => {
    const key = 'lock:stolen';
    const lease = await acquireRepoLock({ redis, key, ttlMs: 150, waitMs: 0, logger });
    // Redis lost the key (expiry during a long pause, a failover) and another worker took it.
    await redis.set(key, 'other-worker-token', 'PX', 10_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(lease.lost).toBe(true);
    await lease.release();
    expect(await redis.get(key)).toBe('other-worker-token');
  });
});
