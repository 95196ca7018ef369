import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../src/cli/index.js';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/logger/index.js';
import { freePort, startRedis, type RedisServer } from '../support/redis-server.js';

let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedis({ appendOnly: false });
});

afterAll(async () => {
  await redis?.close();
});

describe('promobot worker', () => {
  it('serves /healthz, /readyz and /metrics on PORT but no webhook route, and drains on stop', async () => {
    const port = await freePort();
    let stop: (signal: string) => void = () => undefined;
    const io: CliIo = {
      stdout: () => undefined,
      stderr: () => undefined,
      env: {},
      config: () =>
        loadConfig({
          REDIS_URL: redis.url,
          PORT: String(port),
          HOST: '127.0.0.1',
          PROMOBOT_QUEUE_PREFIX: 'wk',
        }),
      logger: () => createLogger({ level: 'silent' }),
      jobs: async () => ({ handlers: {}, start: async () => undefined, close: async () => undefined }),
      stopped: new Promise((resolve) => (stop = resolve)),
      hangups: () => () => undefined,
    };
    const exited = runCli(['worker'], io);
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 10_000;
    let health: Response | undefined;
    while (health === undefined) {
      health = await fetch(`${base}/healthz`).catch(() => undefined);
      if (health === undefined) {
        if (Date.now() > deadline) throw new Error('the worker did not listen');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    expect(health.status).toBe(200);

    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', redis: 'ok', worker: 'ok' });

    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('promobot_jobs_total');
    expect(metrics).toContain('promobot_queue_jobs');

    const webhook = await fetch(`${base}/webhooks/gitea`, { method: 'POST', body: '{}' });
    expect(webhook.status).toBe(404);

    stop('SIGTERM');
    expect(await exited).toBe(0);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});
