import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validatePolicyFiles, type PromotionPolicy } from '../../src/policy/index.js';
import { startApp, type TestApp } from '../support/app.js';
import { fixtureJson } from '../support/fixtures.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { giteaHeaders, harborHeaders, post, registryHeaders } from './deliveries.js';

/**
 * Intake answers 200 without a job what no policy can act on: comments that ask nothing, reviews that neither
 * approve nor reject, events of repositories no policy names, pushes of images no policy promotes. Everything
 * else is queued as before, and a policy change applies to the very next delivery.
 */

function policiesFor(repo: string, ...images: string[]): PromotionPolicy[] {
  const { policies, problems } = validatePolicyFiles([
    {
      path: 'p.yaml',
      text: [
        'apiVersion: promobot.dev/v1alpha1',
        'kind: PromotionPolicy',
        'metadata: { name: chat }',
        'spec:',
        `  deployRepo: { scm: gitea, repo: ${repo} }`,
        '  apps:',
        ...images.map((image, i) => `    - { name: app-${i}, image: ${image} }`),
        '  environments:',
        '    - { name: dev, path: chat-ui/dev, update: commit }',
        '    - { name: prod, path: chat-ui/prod, update: pull-request, from: dev }',
        '',
      ].join('\n'),
    },
  ]);
  expect(problems).toEqual([]);
  return policies;
}

type Json = Record<string, unknown>;

/** The captured PR comment (repository example/example), with another body and, optionally, on a plain issue. */
function comment(body: string, options: { repo?: string; onIssue?: boolean } = {}): string {
  const payload = fixtureJson<Json>('gitea/issue_comment.on_pr.created.json');
  payload['comment'] = { ...(payload['comment'] as Json), body };
  if (options.repo) payload['repository'] = { ...(payload['repository'] as Json), full_name: options.repo };
  if (options.onIssue) {
    payload['is_pull'] = false;
    delete payload['pull_request'];
    payload['issue'] = { ...(payload['issue'] as Json), pull_request: null };
  }
  return JSON.stringify(payload);
}

/** The captured approving review of a_nice_user/hello_world_ci, as another verdict. */
function review(type: 'approved' | 'comment'): { body: string; eventType: string } {
  const payload = fixtureJson<Json>('gitea/pull_request_review_approved.json');
  const eventType = type === 'approved' ? 'pull_request_review_approved' : 'pull_request_review_comment';
  payload['review'] = { type: eventType, content: 'looks fine' };
  return { body: JSON.stringify(payload), eventType };
}

/** The Harbor push fixture as a tagged push of `localhost/harbor/<name>`. */
function harborPush(name: string): string {
  const payload = fixtureJson<{ event_data: { resources: Json[]; repository: Json } }>(
    'harbor/push_artifact.default.json',
  );
  const data = payload.event_data;
  data.repository = { ...data.repository, name, repo_full_name: `harbor/${name}` };
  data.resources = data.resources.map((r) => ({
    ...r,
    tag: '3f9c2ab',
    resource_url: `localhost/harbor/${name}:3f9c2ab`,
  }));
  return JSON.stringify(payload);
}

/** The captured registry envelope's first manifest push, once per repository, each tagged. */
function registryPush(...repositories: string[]): string {
  const envelope = fixtureJson<{ events: { target: Json }[] }>('distribution/envelope.push.event_test.json');
  const [first] = envelope.events;
  envelope.events = repositories.map((repository) => ({
    ...first!,
    target: { ...first!.target, repository, url: `http://example.com/v2/${repository}/manifests/3f9c2ab` },
  }));
  return JSON.stringify(envelope);
}

let redis: RedisServer;
let app: TestApp;
let policies: PromotionPolicy[];

beforeAll(async () => {
  redis = await startRedis({ appendOnly: false });
  policies = policiesFor('example/example', 'localhost/harbor/alpine', 'registrycluster.local/library/test');
  app = await startApp({ redisUrl: redis.url, worker: false, policies: () => policies });
});

afterAll(async () => {
  await app?.close();
  await redis?.close();
});

async function waitingJobs(): Promise<number> {
  return (await app.producer.queue.getJobCounts('waiting')).waiting ?? 0;
}

async function sendGitea(eventType: string, body: string) {
  return post(`${app.baseUrl}/webhooks/gitea`, body, giteaHeaders(eventType, body));
}

describe('intake screening', () => {
  it.each([
    ['a chat message', 'Thanks, looks good to me.'],
    ['a command inside a code block', 'Run this:\n```\n/approve\n```'],
    ['a command inside a quote', '> /approve\nagreed'],
  ])('answers %s on a promotion repo 200 without a job', async (_what, body) => {
    const before = await waitingJobs();
    const answer = await sendGitea('pull_request_comment', comment(body));
    expect(answer).toMatchObject({ status: 200, body: { reason: 'no-command' } });
    expect(await waitingJobs()).toBe(before);
  });

  it.each([
    ['a command', 'LGTM\n/approve'],
    ['a mistyped command, which gets its answer', '/aprove'],
    ['a comment over the size limit, which gets its answer', `/approve\n${'x'.repeat(70_000)}`],
  ])('queues %s', async (_what, body) => {
    const before = await waitingJobs();
    const answer = await sendGitea('pull_request_comment', comment(body));
    expect(answer.status).toBe(202);
    expect(await waitingJobs()).toBe(before + 1);
  });

  it('reads an issue comment as the worker does: only /promote, /rollback and the global stop count there', async () => {
    expect(await sendGitea('issue_comment', comment('/approve', { onIssue: true }))).toMatchObject({
      status: 200,
      body: { reason: 'no-command' },
    });
    expect((await sendGitea('issue_comment', comment('/rollback prod', { onIssue: true }))).status).toBe(202);
    expect((await sendGitea('issue_comment', comment('/hold all', { onIssue: true }))).status).toBe(202);
    // A malformed one gets its answer too.
    expect((await sendGitea('issue_comment', comment('/unhold', { onIssue: true }))).status).toBe(202);
  });

  it('ignores every event of a repository no policy names, and takes it once a policy does', async () => {
    const elsewhere = comment('/approve', { repo: 'example/elsewhere' });
    expect(await sendGitea('pull_request_comment', elsewhere)).toMatchObject({
      status: 200,
      body: { reason: 'unknown-repository' },
    });
    const saved = policies;
    policies = policiesFor('example/elsewhere', 'localhost/harbor/alpine');
    try {
      expect((await sendGitea('pull_request_comment', elsewhere)).status).toBe(202);
    } finally {
      policies = saved;
    }
  });

  it('counts a review only when it approves or rejects', async () => {
    // The review fixture's repository is a_nice_user/hello_world_ci: name it in a policy for this test.
    const saved = policies;
    policies = policiesFor('a_nice_user/hello_world_ci', 'localhost/harbor/alpine');
    try {
      const plain = review('comment');
      expect(await sendGitea(plain.eventType, plain.body)).toMatchObject({
        status: 200,
        body: { reason: 'no-command' },
      });
      const approving = review('approved');
      expect((await sendGitea(approving.eventType, approving.body)).status).toBe(202);
    } finally {
      policies = saved;
    }
  });

  it('ignores a Harbor push of an image no policy promotes', async () => {
    const url = `${app.baseUrl}/webhooks/harbor`;
    expect(await post(url, harborPush('busybox'), harborHeaders())).toMatchObject({
      status: 200,
      body: { reason: 'unknown-image' },
    });
    expect((await post(url, harborPush('alpine'), harborHeaders())).status).toBe(202);
  });

  it('keeps the images some policy promotes from a registry notification and drops the rest', async () => {
    const url = `${app.baseUrl}/webhooks/registry`;
    expect(await post(url, registryPush('library/other'), registryHeaders())).toMatchObject({
      status: 200,
      body: { reason: 'unknown-image' },
    });
    const before = await waitingJobs();
    const mixed = await post(url, registryPush('library/other', 'library/test'), registryHeaders());
    expect(mixed.status).toBe(202);
    expect(mixed.body['jobIds']).toHaveLength(1);
    expect(await waitingJobs()).toBe(before + 1);
  });

  it('counts what it ignored by reason on /metrics', async () => {
    const metrics = await (await fetch(`${app.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/promobot_webhook_ignored_total\{source="gitea",reason="no-command"\} [4-9]/);
    expect(metrics).toMatch(/promobot_webhook_ignored_total\{source="gitea",reason="unknown-repository"\} 1/);
    expect(metrics).toMatch(/promobot_webhook_ignored_total\{source="harbor",reason="unknown-image"\} 1/);
    expect(metrics).toMatch(/promobot_webhook_ignored_total\{source="registry",reason="unknown-image"\} 1/);
  });
});
