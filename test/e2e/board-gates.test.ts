import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Promotion, startBoard } from '../../src/board/index.js';
import { createHttpApp, startHttpServer } from '../../src/http/index.js';
import { createMetrics } from '../../src/metrics/index.js';
import { ARTIFACTS, startBrowser } from '../board/browser.js';
import { startGiteaDouble, type GiteaDouble } from '../doubles/gitea/index.js';
import { chatFamilies, SITUATIONS } from '../gates/chat-history.js';
import { harborHeaders, harborPushWithTags } from '../http/deliveries.js';
import { TEST_SECRETS } from '../support/app.js';
import { createTempRepo, type TempRepo } from '../support/git.js';
import { startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { eventually, startPromobot, type PromobotUnderTest } from './harness.js';

const REPO = 'bootcamp/notes-deploy';
const IMAGE = 'localhost/harbor/alpine';
const OLD = '0000000aaaaaaa';
const TAG = '8888888ddddddd';
const UI_TOKEN = 'board-gates-token-0123456789abcd';

const manifest = (tag: string) => `containers:\n  - name: alpine\n    image: ${IMAGE}:${tag}\n`;
// prod is gated on TTFT p95 and error rate measured in staging (healthy in the generated history).
const POLICY = `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: alpine }
spec:
  deployRepo: { scm: gitea, repo: ${REPO} }
  apps: [{ name: alpine, image: ${IMAGE} }]
  environments:
    - { name: dev, path: '{{app}}/dev', update: commit, namespace: chat-dev }
    - { name: staging, path: '{{app}}/staging', update: pull-request, from: dev, autoMerge: true, namespace: chat-staging }
    - name: prod
      path: '{{app}}/prod'
      update: pull-request
      from: staging
      namespace: chat-prod
      approvals: { required: 1, approvers: [alice] }
      gates: [ttft-p95, error-rate]
      gating: { interval: 300ms, passes: 2, failureLimit: 1, maxInconclusive: 1m }
`;

describe('the board follows a gated prod promotion round by round', () => {
  let redis: RedisServer;
  let prometheus: PrometheusServer;
  let deploy: TempRepo;
  let home: string;
  let gitea: GiteaDouble;
  let promobot: PromobotUnderTest;
  let board: { url: string; close(): Promise<void> };
  let browser: { context: BrowserContext; close(): Promise<void> };

  beforeAll(async () => {
    [redis, prometheus] = await Promise.all([
      startRedis(),
      startPrometheus({
        families: chatFamilies(
          SITUATIONS.filter((s) => s.namespace === 'chat-staging' || s.namespace === 'chat-prod'),
        ),
      }),
    ]);
    deploy = createTempRepo({
      'alpine/dev/app.yaml': manifest(OLD),
      'alpine/staging/app.yaml': manifest(OLD),
      'alpine/prod/app.yaml': manifest(OLD),
    });
    home = mkdtempSync(join(tmpdir(), 'promobot-board-gates-'));
    mkdirSync(join(home, 'policies'));
    writeFileSync(join(home, 'policies', 'alpine.yaml'), POLICY);
    gitea = await startGiteaDouble();
    const bot = gitea.addUser('promobot');
    gitea.addUser('alice');
    await gitea.addRepo({
      owner: 'bootcamp',
      name: 'notes-deploy',
      bare: deploy.bare,
      access: { promobot: 'admin', alice: 'write' },
    });
    promobot = await startPromobot({
      redisUrl: redis.url,
      home,
      config: {
        logLevel: 'info',
        policiesDir: join(home, 'policies'),
        dataDir: join(home, 'data'),
        gitea: { url: gitea.url, token: bot.token },
        git: { authorName: 'promobot', authorEmail: 'promobot@example.test' },
        prometheus: { url: prometheus.url, timeoutMs: 5_000 },
        ui: { tokens: [UI_TOKEN], proxyCidrs: [], anonymous: false },
      },
    });
    const hook = await fetch(`${gitea.url}/api/v1/repos/${REPO}/hooks`, {
      method: 'POST',
      headers: { authorization: `token ${bot.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'gitea',
        active: true,
        events: ['push', 'pull_request', 'issue_comment', 'pull_request_review'],
        config: {
          url: `${promobot.app.baseUrl}/webhooks/gitea`,
          content_type: 'json',
          secret: TEST_SECRETS.gitea,
        },
      }),
    });
    expect(hook.status).toBe(201);
    const { config, logger, producer } = promobot.app;
    const parts = await startBoard({ config, logger, policies: () => promobot.runtime.policies.current() });
    const app = createHttpApp({
      config,
      logger,
      queue: producer,
      metrics: createMetrics({ defaultMetrics: false }),
      board: parts.routes,
    });
    const server = await startHttpServer(app, 0, '127.0.0.1');
    board = {
      url: server.url,
      async close() {
        await parts.close();
        await server.close();
      },
    };
    browser = await startBrowser();
    await browser.context.setExtraHTTPHeaders({ authorization: `Bearer ${UI_TOKEN}` });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await board?.close();
    await promobot?.close();
    await gitea?.close();
    await prometheus?.close();
    await redis?.close();
    deploy?.cleanup();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('shows the gates passing, waits for the approval, and charts one point per round', async () => {
    const push = await fetch(`${promobot.app.baseUrl}/webhooks/harbor`, {
      method: 'POST',
      headers: harborHeaders(),
      body: harborPushWithTags(TAG),
    });
    expect(push.status).toBe(202);

    // Through the API: the gates pass (two rounds in a row), then only the approval is missing.
    const promotion = await eventually('the gated prod promotion to wait for its approval', async () => {
      const response = await fetch(`${board.url}/api/v1/apps/alpine/alpine/promotions/prod`, {
        headers: { authorization: `Bearer ${UI_TOKEN}` },
      });
      if (response.status !== 200) return undefined;
      const body = Promotion.parse(await response.json());
      return body.status === 'awaiting-approval' ? body : undefined;
    });
    expect(promotion.gates).toMatchObject({ status: 'success', passesNeeded: 2 });
    expect(promotion.words).toContain('0 of 1 approval');
    expect(promotion.rounds.length).toBe(promotion.gates!.round);
    expect(promotion.rounds.map((r) => r.round)).toEqual(
      Array.from({ length: promotion.rounds.length }, (_, i) => i + 1),
    );

    const page = await browser.context.newPage();
    await page.goto(`${board.url}/`);
    const waiting = page.locator('td[data-app="alpine"][data-env="prod"] [data-status="awaiting-approval"]');
    await waiting.waitFor();
    await expect(waiting.textContent()).resolves.toContain('gates passed');

    await page.goto(`${board.url}/#app/alpine/alpine`);
    for (const gate of ['ttft-p95', 'error-rate']) {
      const chart = page.locator(`figure.chart[data-gate="${gate}"]`);
      await chart.waitFor();
      expect(await chart.locator('canvas').count()).toBe(1);
      expect(await chart.locator('table.rounds tbody tr').count()).toBe(promotion.rounds.length);
      expect(await chart.locator('figcaption a.query').getAttribute('href')).toMatch(
        new RegExp(`^${prometheus.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/graph\\?g0\\.expr=`),
      );
    }
    await page.screenshot({ path: join(ARTIFACTS, 'board-app-gates.png'), fullPage: true });
    const metrics = await promobot.app.metrics.registry.metrics();
    expect(metrics).toMatch(
      new RegExp(
        `^promobot_gate_rounds_total\\{env="prod",outcome="pass"\\} ${promotion.rounds.length}$`,
        'm',
      ),
    );
    await page.close();
    await gitea.flush();
    expect(gitea.violations).toEqual([]);
  }, 120_000);
});
