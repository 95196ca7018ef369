import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Promotion } from '../../src/board/index.js';
import { ARTIFACTS, startBrowser } from '../board/browser.js';
import { chatFamilies, SITUATIONS } from '../gates/chat-history.js';
import type { PrometheusServer } from '../support/prometheus.js';
import {
  DEPLOY_REPO,
  eventually,
  IMAGE,
  startGiteaWorld,
  type GiteaWorld,
  type PromobotUnderTest,
} from './harness.js';

const REPO = DEPLOY_REPO;
const TAG = '8888888ddddddd';
const UI_TOKEN = 'board-gates-token-0123456789abcd';

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
  let world: GiteaWorld;
  let gitea: GiteaWorld['gitea'];
  let prometheus: PrometheusServer;
  let promobot: PromobotUnderTest;
  let board: { url: string };
  let browser: { context: BrowserContext; close(): Promise<void> };

  beforeAll(async () => {
    world = await startGiteaWorld({
      name: 'board-gates',
      policy: POLICY,
      access: { alice: 'write' },
      prometheus: {
        families: chatFamilies(
          SITUATIONS.filter((s) => s.namespace === 'chat-staging' || s.namespace === 'chat-prod'),
        ),
      },
      config: { ui: { tokens: [UI_TOKEN], proxyCidrs: [], anonymous: false } },
      board: true,
    });
    ({ gitea } = world);
    prometheus = world.prometheus!;
    promobot = world.promobot!;
    board = world.board!;
    browser = await startBrowser();
    await browser.context.setExtraHTTPHeaders({ authorization: `Bearer ${UI_TOKEN}` });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  it('shows the gates passing, waits for the approval, and charts one point per round', async () => {
    await world.push(promobot.app.baseUrl, TAG);

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
