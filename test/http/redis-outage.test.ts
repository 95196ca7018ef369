import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../support/app.js';
import { fixtureBytes } from '../support/fixtures.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { giteaHeaders, harborHeaders, harborPushWithTags, post } from './deliveries.js';

let redis: RedisServer;
let app: TestApp;

beforeAll(async () => {
  redis = await startRedis();
  app = await startApp({ redisUrl: redis.url, worker: false, commandTimeoutMs: 500 });
});

afterAll(async () => {
  await app?.close();
  await redis?.close();
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('http/webhooks while Redis is down', () => {
  it('answers 503 fast, then accepts the same delivery exactly once when Redis is back', async () => {
    const url = `${app.baseUrl}/webhooks/gitea`;
    const body = fixtureBytes('gitea/push.json');
    const headers = giteaHeaders('push', body);
    const harborBody = harborPushWithTags('b4d5e6f', 'rc-1');

    await redis.stop();
    const down = await post(url, body, headers);
    expect(down.status).toBe(503);
    expect(down.ms).toBeLessThan(1500);
    const harborDown = await post(`${app.baseUrl}/webhooks/harbor`, harborBody, harborHeaders());
    expect(harborDown.status).toBe(503);
    const ready = await fetch(`${app.baseUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ redis: 'down' });

    await redis.start();
    await waitFor(() => app.producer.ping());
    const first = await post(url, body, headers);
    const again = await post(url, body, headers);
    expect(first).toMatchObject({ status: 202, body: { duplicate: false } });
    expect(again).toMatchObject({ status: 202, body: { duplicate: true, jobIds: first.body.jobIds } });

    const harborUp = await post(`${app.baseUrl}/webhooks/harbor`, harborBody, harborHeaders());
    expect(harborUp).toMatchObject({ status: 202, body: { duplicate: false } });
    const counts = await app.producer.queue.getJobCounts(
      'waiting',
      'active',
      'delayed',
      'completed',
      'failed',
    );
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(3);
  });
});
