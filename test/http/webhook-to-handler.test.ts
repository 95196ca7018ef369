import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../src/events/index.js';
import { startApp, type TestApp } from '../support/app.js';
import { fixtureBytes } from '../support/fixtures.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { giteaHeaders, harborHeaders, harborPushWithTags, post } from './deliveries.js';

let redis: RedisServer;
let app: TestApp;
const handled: { event: DomainEvent; deliveryId: string; jobId: string | undefined }[] = [];

beforeAll(async () => {
  redis = await startRedis({ appendOnly: false });
  app = await startApp({
    redisUrl: redis.url,
    handlers: {
      PushReceived: async (event, context) => {
        handled.push({ event, deliveryId: context.deliveryId, jobId: context.job.id });
      },
      ImagePushed: async (event, context) => {
        handled.push({ event, deliveryId: context.deliveryId, jobId: context.job.id });
      },
    },
  });
});

afterAll(async () => {
  await app?.close();
  await redis?.close();
});

describe('http/webhooks to handlers', () => {
  it('hands a Gitea push to its handler once, even when redelivered after the job completed', async () => {
    const body = fixtureBytes('gitea/push.json');
    const headers = giteaHeaders('push', body);
    const first = await post(`${app.baseUrl}/webhooks/gitea`, body, headers);
    const [jobId] = first.body.jobIds as string[];
    expect(await app.settled(jobId!)).toBe('completed');

    const again = await post(`${app.baseUrl}/webhooks/gitea`, body, headers);
    expect(again).toMatchObject({ status: 202, body: { duplicate: true, jobIds: [jobId] } });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const calls = handled.filter((h) => h.jobId === jobId);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      deliveryId: headers['x-gitea-delivery'],
      event: { type: 'PushReceived' },
    });
  });

  it('hands each tag of a Harbor push to the ImagePushed handler', async () => {
    const answer = await post(
      `${app.baseUrl}/webhooks/harbor`,
      harborPushWithTags('5c6d7e8', 'v5'),
      harborHeaders(),
    );
    const ids = answer.body.jobIds as string[];
    for (const id of ids) expect(await app.settled(id)).toBe('completed');
    const tags = handled
      .filter((h) => ids.includes(h.jobId ?? ''))
      .map((h) => (h.event.type === 'ImagePushed' ? h.event.tag : ''));
    expect(tags.sort()).toEqual(['5c6d7e8', 'v5']);
  });

  it('reports the worker on /readyz and job outcomes on /metrics', async () => {
    expect(await (await fetch(`${app.baseUrl}/readyz`)).json()).toMatchObject({ redis: 'ok', worker: 'ok' });
    const text = await (await fetch(`${app.baseUrl}/metrics`)).text();
    expect(text).toMatch(/promobot_jobs_total\{event_type="ImagePushed",outcome="completed"\} 2/);
    expect(text).toMatch(/promobot_queue_jobs\{state="completed"\} 3/);
  });
});
