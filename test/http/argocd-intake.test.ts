import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeArgoCd } from '../../src/hosts/argocd/normalize.js';
import { PayloadValidationError } from '../../src/events/payload-validation-error.js';
import { validatePolicyFiles, type PromotionPolicy } from '../../src/policy/index.js';
import { startApp, TEST_SECRETS, type TestApp } from '../support/app.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { post } from './deliveries.js';

/** A policy whose staging environment verifies through the Argo CD Application chat-ui-staging. */
function policies(): PromotionPolicy[] {
  const { policies: loaded, problems } = validatePolicyFiles([
    {
      path: 'p.yaml',
      text: [
        'apiVersion: promobot.dev/v1alpha1',
        'kind: PromotionPolicy',
        'metadata: { name: chat }',
        'spec:',
        '  deployRepo: { scm: gitea, repo: bootcamp/notes-deploy }',
        '  apps:',
        '    - { name: chat-ui, image: harbor.example.com/bootcamp/chat-ui }',
        '  environments:',
        '    - { name: dev, path: chat-ui/dev, update: commit }',
        '    - name: staging',
        '      path: chat-ui/staging',
        '      update: pull-request',
        '      from: dev',
        '      verify: { provider: argocd, project: apps }',
        '',
      ].join('\n'),
    },
  ]);
  expect(problems).toEqual([]);
  return loaded;
}

/** What the documented argocd-notifications template renders (webhooks/README.md, "Argo CD"). */
function notification(app: string, overrides: Record<string, string> = {}): string {
  return JSON.stringify({
    app,
    appNamespace: 'argocd',
    revision: '3f9c2ab00112233445566778899aabbccddeeff0',
    syncStatus: 'Synced',
    healthStatus: 'Healthy',
    ...overrides,
  });
}

const headers = (authorization: string = TEST_SECRETS.argocd) => ({
  'content-type': 'application/json',
  authorization,
});

describe('normalizeArgoCd', () => {
  it('turns the template’s body into a RolloutObserved hint', () => {
    expect(normalizeArgoCd({}, JSON.parse(notification('chat-ui-staging')))).toEqual({
      events: [
        {
          type: 'RolloutObserved',
          source: 'argocd',
          application: 'chat-ui-staging',
          appNamespace: 'argocd',
          revision: '3f9c2ab00112233445566778899aabbccddeeff0',
        },
      ],
    });
  });

  it('takes an empty namespace or revision (Argo CD renders unset values as "") for absent', () => {
    expect(normalizeArgoCd({}, { app: 'chat-ui-staging', appNamespace: '', revision: '' })).toEqual({
      events: [{ type: 'RolloutObserved', source: 'argocd', application: 'chat-ui-staging' }],
    });
  });

  it.each([
    ['no app', { syncStatus: 'Synced' }],
    ['an app name Kubernetes refuses', { app: 'Chat UI' }],
    ['a huge revision', { app: 'a', revision: 'x'.repeat(300) }],
  ])('refuses a body with %s', (_what, body) => {
    expect(() => normalizeArgoCd({}, body)).toThrow(PayloadValidationError);
  });
});

describe('POST /webhooks/argocd', () => {
  let redis: RedisServer;
  let app: TestApp;

  beforeAll(async () => {
    redis = await startRedis({ appendOnly: false });
    const loaded = policies();
    app = await startApp({ redisUrl: redis.url, worker: false, policies: () => loaded });
  });

  afterAll(async () => {
    await app?.close();
    await redis?.close();
  });

  const url = () => `${app.baseUrl}/webhooks/argocd`;
  const waiting = async () => (await app.producer.queue.getJobCounts('waiting')).waiting ?? 0;

  it('queues a notification about an Application a policy verifies through', async () => {
    const before = await waiting();
    const answer = await post(url(), notification('chat-ui-staging'), headers());
    expect(answer.status).toBe(202);
    expect(await waiting()).toBe(before + 1);
  });

  it('answers a repeated notification without a second job', async () => {
    const body = notification('chat-ui-staging', { healthStatus: 'Degraded' });
    expect((await post(url(), body, headers())).status).toBe(202);
    const before = await waiting();
    expect((await post(url(), body, headers())).status).toBeLessThan(300);
    expect(await waiting()).toBe(before);
  });

  it('ignores an Application no policy verifies through, 200 without a job', async () => {
    const before = await waiting();
    expect(await post(url(), notification('billing-prod'), headers())).toMatchObject({
      status: 200,
      body: { reason: 'unknown-application' },
    });
    expect(await waiting()).toBe(before);
  });

  it('refuses a wrong or missing secret with 401 naming ARGOCD_WEBHOOK_SECRET', async () => {
    const wrong = await post(url(), notification('chat-ui-staging'), headers('Bearer guessed'));
    expect(wrong.status).toBe(401);
    expect(JSON.stringify(wrong.body)).toContain('ARGOCD_WEBHOOK_SECRET');
    const missing = await post(url(), notification('chat-ui-staging'), {
      'content-type': 'application/json',
    });
    expect(missing.status).toBe(401);
  });

  it('refuses a body that is not the template’s shape with 400, and another content type with 415', async () => {
    expect((await post(url(), JSON.stringify({ application: 'x' }), headers())).status).toBe(400);
    const text = await post(url(), notification('chat-ui-staging'), {
      ...headers(),
      'content-type': 'text/plain',
    });
    expect(text.status).toBe(415);
  });
});
