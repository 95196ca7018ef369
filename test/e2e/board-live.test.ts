import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, startBrowser } from '../board/browser.js';
import {
  DEPLOY_REPO,
  IMAGE,
  OLD_TAG,
  startGiteaWorld,
  type GiteaWorld,
  type PromobotUnderTest,
} from './harness.js';

const REPO = DEPLOY_REPO;
const OLD = OLD_TAG;
const TAG = '7777777eeeeeee';
const UI_TOKEN = 'board-token-for-tests-0123456789';
const HOSTILE = '<img src=x onerror="window.__pwned=1">';
const POLICY = `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: alpine }
spec:
  deployRepo: { scm: gitea, repo: ${REPO} }
  apps: [{ name: alpine, image: ${IMAGE} }]
  environments:
    - { name: dev, path: '{{app}}/dev', update: commit }
    - { name: staging, path: '{{app}}/staging', update: pull-request, from: dev, autoMerge: true }
    - name: prod
      path: '{{app}}/prod'
      update: pull-request
      from: staging
      approvals: { required: 1, approvers: [alice] }
`;

/** The board's cell of one app in one environment. */
const cell = (page: Page, env: string) => page.locator(`td[data-app="alpine"][data-env="${env}"]`);
/** The tag the board says an environment runs (not a promotion's tag in the same cell). */
const runs = (page: Page, env: string, tag: string) =>
  cell(page, env).locator('span.tag', { hasText: tag.slice(0, 12) });

describe('the release board in a real browser, fed by the running service', () => {
  let world: GiteaWorld;
  let gitea: GiteaWorld['gitea'];
  let promobot: PromobotUnderTest;
  let board: { url: string };
  let browser: { context: BrowserContext; close(): Promise<void> };

  beforeAll(async () => {
    // The board is a second `serve`, as another replica would run: it reads the snapshots and the channel the
    // worker writes.
    world = await startGiteaWorld({
      name: 'board',
      policy: POLICY,
      access: { alice: 'write', bob: 'write' },
      config: { ui: { tokens: [UI_TOKEN], proxyCidrs: [], anonymous: false } },
      board: true,
    });
    ({ gitea } = world);
    promobot = world.promobot!;
    board = world.board!;
    browser = await startBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  it('answers 401 without the token, to the API and to the page', async () => {
    expect((await fetch(`${board.url}/api/v1/apps`)).status).toBe(401);
    expect(
      (await fetch(`${board.url}/api/v1/apps`, { headers: { authorization: 'Bearer wrong' } })).status,
    ).toBe(401);
    // A proxy's header counts only from a configured proxy address: none is configured here.
    expect((await fetch(`${board.url}/api/v1/apps`, { headers: { 'x-forwarded-user': 'eve' } })).status).toBe(
      401,
    );
    const page = await browser.context.newPage();
    const response = await page.goto(`${board.url}/`);
    expect(response?.status()).toBe(401);
    await expect(page.getByLabel('Token').count()).resolves.toBe(1);
    await expect(page.locator('#matrix').count()).resolves.toBe(0);
    await page.close();
  });

  it('shows a Harbor push without a reload, the prod PR waiting for approval, a hostile hold reason as text, and the approval flipping it', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${board.url}/`);
    await page.getByLabel('Token').fill(UI_TOKEN);
    await page.getByRole('button', { name: 'Open the board' }).click();
    await page.locator('#live').filter({ hasText: 'live' }).waitFor();
    await runs(page, 'dev', OLD).waitFor({ timeout: 30_000 });
    // Marks this document: if anything reloaded the page, the mark would be gone.
    await page.evaluate(() => {
      (globalThis as unknown as { boardMark: number }).boardMark = 1;
    });

    await world.push(promobot.app.baseUrl, TAG);
    await runs(page, 'dev', TAG).waitFor({ timeout: 30_000 });

    // staging merges by itself; prod waits for alice.
    const waiting = cell(page, 'prod').locator('[data-status="awaiting-approval"]');
    await waiting.waitFor({ timeout: 30_000 });
    await expect(waiting.textContent()).resolves.toContain('0 of 1 approvals');
    await expect(runs(page, 'staging', TAG).count()).resolves.toBe(1);
    expect(await page.evaluate(() => (globalThis as unknown as { boardMark?: number }).boardMark)).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'board.png'), fullPage: true });

    const prod = gitea.pulls(REPO).find((p) => p.state === 'open' && p.head === 'promobot/prod/alpine');
    expect(prod).toBeDefined();

    // A hold reason is anyone's text: it shows as text, and nothing in it runs.
    await gitea.comment(REPO, prod!.index, 'bob', `/hold ${HOSTILE}`);
    const held = cell(page, 'prod').locator('[data-status="held"]');
    await held.waitFor({ timeout: 30_000 });
    await expect(held.textContent()).resolves.toContain(HOSTILE);
    expect(await page.locator('img').count()).toBe(0);
    expect(
      await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned),
    ).toBeUndefined();

    await gitea.comment(REPO, prod!.index, 'bob', '/unhold');
    await waiting.waitFor({ timeout: 30_000 });
    await gitea.comment(REPO, prod!.index, 'alice', '/approve');
    await runs(page, 'prod', TAG).waitFor({ timeout: 30_000 });
    await expect(cell(page, 'prod').locator('.promotion').count()).resolves.toBe(0);
    expect(gitea.pull(REPO, prod!.index)).toMatchObject({ merged: true });
    // The flow figures: the worker counted each landing once, the merged promotion, and its wait for approval.
    const metrics = await promobot.app.metrics.registry.metrics();
    expect(metrics).toMatch(/^promobot_landings_total\{env="prod"\} 1$/m);
    expect(metrics).toMatch(/^promobot_landings_total\{env="staging"\} 1$/m);
    expect(metrics).toMatch(/^promobot_promotions_total\{env="prod",kind="promotion",outcome="merged"\} 1$/m);
    expect(metrics).toMatch(/^promobot_lead_time_seconds_count\{env="prod"\} 1$/m);
    expect(metrics).toMatch(/^promobot_approval_wait_seconds_count\{env="prod"\} 1$/m);
    expect(metrics).not.toMatch(/^promobot_rollbacks_total\{/m);
    expect(await page.evaluate(() => (globalThis as unknown as { boardMark?: number }).boardMark)).toBe(1);

    // The app page: each environment's history, read from the deploy repo with the bot's trailers.
    await page.getByRole('link', { name: 'alpine' }).click();
    await page.locator('.history li').filter({ hasText: 'Approved-By alice' }).waitFor({ timeout: 10_000 });
    // The candidate's journey on one line, from the same history: dev, staging, then prod approved by alice.
    const journey = page.locator(`ol.journeys li[data-tag="${TAG}"]`);
    await journey.waitFor();
    expect(await journey.textContent()).toMatch(
      new RegExp(
        `^${TAG}: pushed [^→]+ → dev \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC[^→]* → staging \\d{4}[^→]+ → prod \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC \\(approved by alice`,
      ),
    );
    await page.screenshot({ path: join(ARTIFACTS, 'board-app.png'), fullPage: true });
    await page.close();
  }, 120_000);

  it('has no serious or critical accessibility violations (axe-core), on a wide and a phone-sized screen', async () => {
    const axeSource = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
    // axe is injected as a script: only its page may bypass the board's Content-Security-Policy.
    const checker = await startBrowser({ bypassCSP: true });
    try {
      await checker.context.setExtraHTTPHeaders({ authorization: `Bearer ${UI_TOKEN}` });
      for (const viewport of [
        { width: 1200, height: 800, name: 'wide' },
        { width: 390, height: 844, name: 'phone' },
      ]) {
        const page = await checker.context.newPage();
        await page.setViewportSize(viewport);
        await page.goto(`${board.url}/`);
        await page.locator('#matrix').waitFor();
        await page.addScriptTag({ path: axeSource });
        const violations = await page.evaluate(async () => {
          const axe = (
            globalThis as unknown as {
              axe: { run(): Promise<{ violations: { id: string; impact: string | null }[] }> };
            }
          ).axe;
          const result = await axe.run();
          return result.violations
            .filter((v) => v.impact === 'serious' || v.impact === 'critical')
            .map((v) => v.id);
        });
        expect(violations).toEqual([]);
        await page.screenshot({ path: join(ARTIFACTS, `board-${viewport.name}.png`), fullPage: true });
        await page.close();
      }
    } finally {
      await checker.close();
    }
  }, 60_000);
});
