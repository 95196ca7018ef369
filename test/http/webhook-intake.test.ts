import { randomUUID } from 'node:crypto';
import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobData } from '../../src/queue/index.js';
import { startApp, TEST_SECRETS, type TestApp } from '../support/app.js';
import { fixtureBytes, stripLineComments } from '../support/fixtures.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import {
  giteaHeaders,
  githubHeaders,
  harborCloudEventWithTag,
  harborHeaders,
  harborPushWithTags,
  post,
  registryHeaders,
} from './deliveries.js';

let redis: RedisServer;
let app: TestApp;

beforeAll(async () => {
  redis = await startRedis({ appendOnly: false });
  // No worker: the jobs stay waiting, so each test sees exactly what the intake enqueued.
  app = await startApp({ redisUrl: redis.url, worker: false });
});

afterAll(async () => {
  await app?.close();
  await redis?.close();
});

const url = (source: string) => `${app.baseUrl}/webhooks/${source}`;

async function jobCount(): Promise<number> {
  const counts = await app.producer.queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}

async function job(id: unknown): Promise<Job<JobData>> {
  const found = await app.producer.queue.getJob(String(id));
  if (!found) throw new Error(`job ${String(id)} is not in Redis`);
  return found;
}

/** Runs `send` and checks it enqueued nothing. */
async function expectNoJob<T>(send: () => Promise<T>): Promise<T> {
  const before = await jobCount();
  const answer = await send();
  expect(await jobCount()).toBe(before);
  return answer;
}

describe('http/webhooks', () => {
  describe('POST /webhooks/harbor', () => {
    it('ignores the published push fixture because its only "tag" is the digest', async () => {
      const answer = await expectNoJob(() =>
        post(url('harbor'), fixtureBytes('harbor/push_artifact.default.json'), harborHeaders()),
      );
      expect(answer.status).toBe(200);
      expect(answer.body.ignored).toMatch(/no tag/);
    });

    it('ignores the published CloudEvents push fixture for the same reason', async () => {
      const body = stripLineComments(fixtureBytes('harbor/push_artifact.cloudevents.jsonc').toString('utf8'));
      const answer = await expectNoJob(() => post(url('harbor'), body, harborHeaders({ cloudEvents: true })));
      expect(answer.status).toBe(200);
      expect(answer.body.ignored).toMatch(/no tag/);
    });

    it('ignores a delete with the reason', async () => {
      const answer = await expectNoJob(() =>
        post(url('harbor'), fixtureBytes('harbor/delete_artifact.default.json'), harborHeaders()),
      );
      expect(answer).toMatchObject({
        status: 200,
        body: { ignored: 'Harbor event DELETE_ARTIFACT is not an artifact push' },
      });
    });

    it('enqueues one ImagePushed for a tagged push', async () => {
      const answer = await post(url('harbor'), harborPushWithTags('4f2a9c1'), harborHeaders());
      expect(answer.status).toBe(202);
      expect(answer.body.duplicate).toBe(false);
      const [jobId] = answer.body.jobIds as string[];
      const enqueued = await job(jobId);
      expect(enqueued.name).toBe('ImagePushed');
      expect(enqueued.data).toMatchObject({
        source: 'harbor',
        event: {
          type: 'ImagePushed',
          source: 'harbor',
          registry: 'localhost',
          project: 'harbor',
          repository: 'harbor/alpine',
          tag: '4f2a9c1',
          digest: 'sha256:954b378c375d852eb3c63ab88978f640b4348b01c1b3456a024a81536dafbbf4',
          occurredAt: '2023-04-03T06:04:53.000Z',
        },
      });
    });

    it('takes the CloudEvents format with its time', async () => {
      const answer = await post(
        url('harbor'),
        harborCloudEventWithTag('7d3e0b2'),
        harborHeaders({ cloudEvents: true }),
      );
      expect(answer.status).toBe(202);
      const enqueued = await job((answer.body.jobIds as string[])[0]);
      expect(enqueued.data.event).toMatchObject({ tag: '7d3e0b2', occurredAt: '2023-04-03T06:04:46.000Z' });
    });

    it('enqueues every tag of a multi-tag push in one answer', async () => {
      const answer = await post(url('harbor'), harborPushWithTags('a1b2c3d', 'stable'), harborHeaders());
      expect(answer.status).toBe(202);
      const ids = answer.body.jobIds as string[];
      expect(ids).toHaveLength(2);
      expect((await job(ids[0])).data.event).toMatchObject({ tag: 'a1b2c3d' });
      expect((await job(ids[1])).data.event).toMatchObject({ tag: 'stable' });
    });

    it('refuses a push listing more resources than a real one ever does, fast and with nothing queued', async () => {
      const tags = Array.from({ length: 3_000 }, (_, i) => `t${i.toString(16).padStart(6, '0')}`);
      const answer = await expectNoJob(() =>
        post(url('harbor'), harborPushWithTags(...tags), harborHeaders()),
      );
      expect(answer.status).toBe(400);
      expect(answer.body.error).toMatch(/resources.*256/);
      // The intake stays free for the genuine push that comes next.
      expect((await post(url('harbor'), harborPushWithTags('c0ffee1'), harborHeaders())).status).toBe(202);
    });

    it('makes one job of the same push posted twice', async () => {
      const body = harborPushWithTags('9e8d7c6');
      const first = await post(url('harbor'), body, harborHeaders());
      const second = await expectNoJob(() => post(url('harbor'), body, harborHeaders()));
      expect(first).toMatchObject({ status: 202, body: { duplicate: false } });
      expect(second).toMatchObject({ status: 202, body: { duplicate: true, jobIds: first.body.jobIds } });
    });

    it('refuses a wrong Authorization header with 401 and enqueues nothing', async () => {
      const answer = await expectNoJob(() =>
        post(
          url('harbor'),
          harborPushWithTags('0000001'),
          harborHeaders({ authorization: 'Basic bm9wZQ==' }),
        ),
      );
      expect(answer.status).toBe(401);
    });

    it('refuses a missing Authorization header with 401', async () => {
      const answer = await expectNoJob(() =>
        post(url('harbor'), harborPushWithTags('0000002'), { 'content-type': 'application/json' }),
      );
      expect(answer.status).toBe(401);
      expect(answer.body.error).toMatch(/HARBOR_WEBHOOK_SECRET/);
    });
  });

  describe('POST /webhooks/gitea', () => {
    const cases = [
      {
        fixture: 'gitea/push.json',
        eventType: 'push',
        event: {
          type: 'PushReceived',
          scm: 'gitea',
          repo: { owner: 'Test-CI', name: 'multi-line-secrets', fullName: 'Test-CI/multi-line-secrets' },
          ref: 'refs/heads/main',
          after: '29be01c073851cf0db0c6a466e396b725a670453',
          pusher: 'test-user',
        },
      },
      {
        fixture: 'gitea/pull_request.opened.json',
        eventType: 'pull_request',
        event: {
          type: 'PullRequestChanged',
          action: 'opened',
          number: 2,
          merged: false,
          mergeCommitSha: null,
        },
      },
      {
        fixture: 'gitea/pull_request.closed_merged.json',
        eventType: 'pull_request',
        event: {
          type: 'PullRequestChanged',
          action: 'closed',
          number: 1,
          merged: true,
          mergeCommitSha: 'f2440f050054df0f8ecabcace648f1683509064c',
          repo: { fullName: 'anbraten/test-repo' },
        },
      },
      {
        fixture: 'gitea/issue_comment.on_pr.created.json',
        eventType: 'pull_request_comment',
        event: { type: 'CommentCreated', number: 2, commentId: 6, body: 'example', author: 'example' },
      },
      {
        fixture: 'gitea/pull_request_review_approved.json',
        eventType: 'pull_request_review_approved',
        event: {
          type: 'ReviewSubmitted',
          number: 7,
          state: 'approved',
          reviewer: 'a_nice_user',
          commitId: null,
          body: 'juhu thats a great idea',
        },
      },
    ];

    for (const { fixture, eventType, event } of cases) {
      it(`enqueues ${event.type} for ${fixture}`, async () => {
        const body = fixtureBytes(fixture);
        const delivery = randomUUID();
        const answer = await post(url('gitea'), body, giteaHeaders(eventType, body, { delivery }));
        expect(answer).toMatchObject({
          status: 202,
          body: { jobIds: [`gitea-${delivery}`], duplicate: false },
        });
        const enqueued = await job(`gitea-${delivery}`);
        expect(enqueued.data).toMatchObject({ deliveryId: delivery, source: 'gitea', event });
      });
    }

    it('makes one job of one delivery posted twice, and the second answer names it', async () => {
      const body = fixtureBytes('gitea/push.json');
      const headers = giteaHeaders('push', body);
      const first = await post(url('gitea'), body, headers);
      const second = await expectNoJob(() => post(url('gitea'), body, headers));
      expect(first).toMatchObject({ status: 202, body: { duplicate: false } });
      expect(second).toMatchObject({ status: 202, body: { duplicate: true, jobIds: first.body.jobIds } });
    });

    it('makes one job of the same delivery posted ten times at once', async () => {
      const body = fixtureBytes('gitea/push.json');
      const headers = giteaHeaders('push', body);
      const before = await jobCount();
      const answers = await Promise.all(Array.from({ length: 10 }, () => post(url('gitea'), body, headers)));
      expect(await jobCount()).toBe(before + 1);
      for (const answer of answers) {
        expect(answer).toMatchObject({
          status: 202,
          body: { jobIds: [`gitea-${headers['x-gitea-delivery']}`] },
        });
      }
      // Copies that race past the existence check may each say duplicate: false; at least one says it.
      expect(answers.some((answer) => answer.body.duplicate === false)).toBe(true);
    });

    it('ignores event types it does not act on, with the reason', async () => {
      const body = fixtureBytes('gitea/push.json');
      const answer = await expectNoJob(() => post(url('gitea'), body, giteaHeaders('create', body)));
      expect(answer).toMatchObject({ status: 200, body: { ignored: 'Gitea event create is not acted on' } });
    });

    it('refuses a forged signature with 401 and enqueues nothing', async () => {
      const body = fixtureBytes('gitea/push.json');
      const answer = await expectNoJob(() =>
        post(url('gitea'), body, giteaHeaders('push', body, { signature: 'ab'.repeat(32) })),
      );
      expect(answer.status).toBe(401);
      expect(answer.body.error).toMatch(
        /X-Gitea-Signature does not match any secret in GITEA_WEBHOOK_SECRET/,
      );
    });

    it('refuses a body signed with another secret with 401', async () => {
      const body = fixtureBytes('gitea/push.json');
      const answer = await expectNoJob(() =>
        post(url('gitea'), body, giteaHeaders('push', body, { secret: 'not-the-secret' })),
      );
      expect(answer.status).toBe(401);
    });

    it('refuses a missing signature with 401', async () => {
      const body = fixtureBytes('gitea/push.json');
      const answer = await expectNoJob(() =>
        post(url('gitea'), body, giteaHeaders('push', body, { signature: null })),
      );
      expect(answer.status).toBe(401);
    });

    it('refuses a signed body altered in transit with 401', async () => {
      const body = fixtureBytes('gitea/push.json');
      const headers = giteaHeaders('push', body);
      const altered = Buffer.from(body.toString('utf8').replace('refs/heads/main', 'refs/heads/prod'));
      const answer = await expectNoJob(() => post(url('gitea'), altered, headers));
      expect(answer.status).toBe(401);
    });

    it('answers truncated JSON with 400', async () => {
      const body = fixtureBytes('gitea/push.json').subarray(0, 200);
      const answer = await expectNoJob(() => post(url('gitea'), body, giteaHeaders('push', body)));
      expect(answer.status).toBe(400);
      expect(answer.body.error).toMatch(/not valid JSON/);
    });

    it('answers right JSON with wrong field types with 400 naming the field', async () => {
      const payload = JSON.parse(fixtureBytes('gitea/pull_request.opened.json').toString('utf8')) as {
        pull_request: { number: unknown };
      };
      payload.pull_request.number = 'two';
      const body = JSON.stringify(payload);
      const answer = await expectNoJob(() => post(url('gitea'), body, giteaHeaders('pull_request', body)));
      expect(answer.status).toBe(400);
      expect(answer.body.error).toMatch(/pull_request\.number: .*number/);
    });

    it('answers a form-encoded body with 415', async () => {
      const body = `payload=${encodeURIComponent(fixtureBytes('gitea/push.json').toString('utf8'))}`;
      const headers = { ...giteaHeaders('push', body), 'content-type': 'application/x-www-form-urlencoded' };
      const answer = await expectNoJob(() => post(url('gitea'), body, headers));
      expect(answer.status).toBe(415);
    });

    it('answers a body over the limit with 413', async () => {
      const body = Buffer.alloc(app.config.bodyLimitBytes + 1024, 0x20);
      const answer = await expectNoJob(() => post(url('gitea'), body, giteaHeaders('push', body)));
      expect(answer.status).toBe(413);
    });

    it('answers a delivery without X-Gitea-Delivery with 400', async () => {
      const body = fixtureBytes('gitea/push.json');
      const { 'x-gitea-delivery': _omitted, ...headers } = giteaHeaders('push', body);
      const answer = await expectNoJob(() => post(url('gitea'), body, headers));
      expect(answer).toMatchObject({ status: 400, body: { error: 'header x-gitea-delivery is required' } });
    });
  });

  describe('POST /webhooks/github', () => {
    const repository = { name: 'app', full_name: 'acme/app', owner: { login: 'acme' } };

    it('enqueues a merged pull request', async () => {
      const body = JSON.stringify({
        action: 'closed',
        number: 12,
        pull_request: {
          number: 12,
          title: 'Promote',
          body: null,
          user: { login: 'dev' },
          merged: true,
          merge_commit_sha: 'c0ffee',
          head: { ref: 'feature', sha: 'abc' },
          base: { ref: 'main' },
        },
        repository,
        sender: { login: 'lead' },
      });
      const answer = await post(url('github'), body, await githubHeaders('pull_request', body));
      expect(answer.status).toBe(202);
      const enqueued = await job((answer.body.jobIds as string[])[0]);
      expect(enqueued.data.event).toMatchObject({
        type: 'PullRequestChanged',
        scm: 'github',
        merged: true,
        mergeCommitSha: 'c0ffee',
        body: '',
      });
    });

    it('refuses a body signed with another secret with 401', async () => {
      const body = JSON.stringify({ zen: 'Keep it logically awesome.' });
      const answer = await expectNoJob(async () =>
        post(url('github'), body, await githubHeaders('ping', body, { secret: 'wrong' })),
      );
      expect(answer.status).toBe(401);
    });

    it('ignores a ping', async () => {
      const body = JSON.stringify({ zen: 'Keep it logically awesome.' });
      const answer = await post(url('github'), body, await githubHeaders('ping', body));
      expect(answer).toMatchObject({ status: 200, body: { ignored: 'GitHub event ping is not acted on' } });
    });
  });

  describe('POST /webhooks/registry', () => {
    it('enqueues only the tagged manifest push of the published envelope', async () => {
      const answer = await post(
        url('registry'),
        fixtureBytes('distribution/envelope.push.event_test.json'),
        registryHeaders(),
      );
      expect(answer.status).toBe(202);
      const ids = answer.body.jobIds as string[];
      expect(ids).toHaveLength(1);
      expect((await job(ids[0])).data.event).toEqual({
        type: 'ImagePushed',
        source: 'registry',
        registry: 'registrycluster.local',
        project: 'library',
        repository: 'library/test',
        tag: 'latest',
        digest: 'sha256:0123456789abcdef0',
        occurredAt: '2006-01-02T15:04:05.000Z',
      });
    });

    it('refuses a wrong Authorization header with 401', async () => {
      const answer = await expectNoJob(() =>
        post(
          url('registry'),
          fixtureBytes('distribution/envelope.push.event_test.json'),
          registryHeaders('x'),
        ),
      );
      expect(answer.status).toBe(401);
    });
  });

  describe('health and metrics', () => {
    it('answers /healthz and /readyz while Redis is up', async () => {
      expect((await fetch(`${app.baseUrl}/healthz`)).status).toBe(200);
      const ready = await fetch(`${app.baseUrl}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ redis: 'ok', worker: 'elsewhere' });
    });

    it('counts deliveries by source, event and outcome on /metrics', async () => {
      const text = await (await fetch(`${app.baseUrl}/metrics`)).text();
      // One from the delivery posted twice; of the ten posted at once, 1 to 9 say so (racing copies may not).
      const duplicates =
        /promobot_webhook_deliveries_total\{source="gitea",event="push",outcome="duplicate"\} (\d+)/.exec(
          text,
        );
      expect(Number(duplicates?.[1])).toBeGreaterThanOrEqual(2);
      expect(Number(duplicates?.[1])).toBeLessThanOrEqual(10);
      expect(text).toMatch(
        /promobot_webhook_deliveries_total\{source="harbor",event="unknown",outcome="unauthorized"\} 2/,
      );
      expect(text).toMatch(/promobot_webhook_ack_seconds_bucket/);
      expect(text).toMatch(/promobot_queue_jobs\{state="waiting"\} \d+/);
    });
  });

  it('writes no secret or signature to any log line', () => {
    const text = app.logText();
    expect(text).toContain('webhook delivery answered');
    for (const secret of Object.values(TEST_SECRETS)) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/[0-9a-f]{64}"?,?\s*"?x-gitea-signature/i);
    expect(text).not.toMatch(/sha256=[0-9a-f]{64}/);
  });
});
