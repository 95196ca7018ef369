import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../support/app.js';
import { fixtureBytes } from '../support/fixtures.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import {
  giteaHeaders,
  githubHeaders,
  harborHeaders,
  harborPushWithTags,
  post,
  registryHeaders,
} from './deliveries.js';

let redis: RedisServer;
let app: TestApp;

beforeAll(async () => {
  redis = await startRedis({ appendOnly: false });
  app = await startApp({
    redisUrl: redis.url,
    worker: false,
    config: {
      webhookSecrets: {
        gitea: ['old-gitea-secret', 'new-gitea-secret'],
        github: ['old-github-secret', 'new-github-secret'],
        harbor: ['Basic old', 'Basic new'],
        registry: [],
      },
    },
  });
});

afterAll(async () => {
  await app?.close();
  await redis?.close();
});

const url = (source: string) => `${app.baseUrl}/webhooks/${source}`;

describe('http/webhooks secret rotation', () => {
  it('accepts Gitea deliveries signed with either configured secret', async () => {
    const body = fixtureBytes('gitea/push.json');
    for (const secret of ['old-gitea-secret', 'new-gitea-secret']) {
      const answer = await post(url('gitea'), body, giteaHeaders('push', body, { secret }));
      expect(answer.status).toBe(202);
    }
  });

  it('accepts GitHub deliveries signed with either configured secret', async () => {
    const body = JSON.stringify({ zen: 'Design for failure.' });
    for (const secret of ['old-github-secret', 'new-github-secret']) {
      const answer = await post(url('github'), body, await githubHeaders('ping', body, { secret }));
      expect(answer.status).toBe(200);
    }
    const refused = await post(url('github'), body, await githubHeaders('ping', body, { secret: 'third' }));
    expect(refused.status).toBe(401);
  });

  it('accepts Harbor deliveries carrying either configured Authorization value', async () => {
    for (const authorization of ['Basic old', 'Basic new']) {
      const answer = await post(
        url('harbor'),
        harborPushWithTags(`t-${authorization.slice(6)}`),
        harborHeaders({ authorization }),
      );
      expect(answer.status).toBe(202);
    }
  });

  it('refuses every delivery of a source with no secret configured, naming the variable', async () => {
    const answer = await post(
      url('registry'),
      fixtureBytes('distribution/envelope.push.event_test.json'),
      registryHeaders('Bearer anything'),
    );
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe(
      'REGISTRY_WEBHOOK_SECRET is not set: every registry delivery is refused until it is',
    );
  });
});
