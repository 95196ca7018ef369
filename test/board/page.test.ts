import { Redis } from 'ioredis';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBoardStore, startBoard } from '../../src/board/index.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { createHttpApp, startHttpServer } from '../../src/http/index.js';
import { createLogger } from '../../src/logger/index.js';
import { createMetrics } from '../../src/metrics/index.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { startBrowser } from './browser.js';
import { buildJourneys } from '../../src/board/journey.js';
import { policyWith, snapshotOf } from './fixtures.js';

const TOKEN = 'board-page-token-0123456789abcdef';
const HOSTILE = '<img src=x onerror="globalThis.pwned=1">';
const HOSTILE_TAG = '"><svg onload=globalThis.pwned=2>';

/** search-api: staging verified running its tag, and its prod PR waits out a freeze window. */
function searchApi() {
  const board = snapshotOf('search', 'search-api');
  const staging = board.environments[1]!;
  const next = {
    ...board,
    environments: board.environments.map((e) =>
      e.env === 'staging'
        ? {
            ...e,
            verification: {
              state: 'verified' as const,
              tag: staging.tag!,
              verifiedAt: staging.since! + 60_000,
              reason: 'Argo CD Synced and Healthy',
            },
          }
        : e,
    ),
    promotions: board.promotions.map((p) => ({
      ...p,
      status: 'frozen' as const,
      words: 'frozen until 2026-12-24T00:00:00.000Z: year-end; 0 of 2 approvals',
    })),
  };
  return { ...next, journeys: buildJourneys(next) };
}

describe('the board page', () => {
  let redis: RedisServer;
  let client: Redis;
  let close: () => Promise<void>;
  let url: string;
  let browser: { context: BrowserContext; close(): Promise<void> };

  beforeAll(async () => {
    redis = await startRedis();
    const prefix = `p${Math.random().toString(36).slice(2, 8)}`;
    client = new Redis(redis.url);
    const logger = createLogger({ level: 'silent' });
    const store = createBoardStore(client, prefix, logger);
    await store.write(snapshotOf('chat', 'chat-ui'));
    await store.write(snapshotOf('chat', HOSTILE, HOSTILE_TAG));
    await store.write(searchApi());
    const policies = [policyWith('chat', ['chat-ui', HOSTILE]), policyWith('search', ['search-api'])];
    const config: Config = {
      ...loadConfig({ REDIS_URL: redis.url, PROMOBOT_QUEUE_PREFIX: prefix }),
      ui: { tokens: [TOKEN], proxyCidrs: [], anonymous: false },
    };
    const board = await startBoard({ config, logger, policies: () => policies });
    const app = createHttpApp({
      config,
      logger,
      queue: { enqueue: () => Promise.reject(new Error('no queue here')), ping: () => Promise.resolve(true) },
      metrics: createMetrics({ defaultMetrics: false }),
      board: board.routes,
    });
    const server = await startHttpServer(app, 0, '127.0.0.1');
    url = server.url;
    close = async () => {
      await board.close();
      await server.close();
    };
    browser = await startBrowser();
    await browser.context.setExtraHTTPHeaders({ authorization: `Bearer ${TOKEN}` });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await close?.();
    client?.disconnect();
    await redis?.close();
  });

  it('renders a hostile app name and tag as text, never as markup', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${url}/`);
    const row = page.locator('tr[data-app]').filter({ hasText: HOSTILE });
    await row.waitFor();
    await expect(row.locator('th a').textContent()).resolves.toBe(HOSTILE);
    await expect(row.locator('td[data-env="dev"] span.tag').getAttribute('title')).resolves.toBe(HOSTILE_TAG);
    expect(await page.locator('img, svg, script:not([src])').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined();

    // Its app page too: the name comes back through the URL fragment.
    await row.locator('th a').click();
    await page.getByRole('heading', { name: `${HOSTILE} (chat)` }).waitFor();
    expect(await page.locator('img, svg').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined();
    await page.close();
  });

  it('charts each gate on the app page: one point per round, with the threshold, and the numbers as text', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${url}/#app/chat/chat-ui`);
    const chart = page.locator('figure.chart[data-gate="ttft-p95"]');
    await chart.waitFor();
    await expect(chart.locator('figcaption').textContent()).resolves.toBe(
      'ttft-p95 on PR #12 (1 round) query in Prometheus',
    );
    await expect(chart.locator('figcaption a.query').getAttribute('href')).resolves.toBe(
      'http://prometheus.example/graph?g0.expr=ttft&g0.tab=1',
    );
    await expect(page.locator('.promotion a.commit').getAttribute('href')).resolves.toBe(
      `http://gitea.example/bootcamp/notes-deploy/commit/${'a'.repeat(40)}`,
    );
    expect(await chart.locator('canvas').count()).toBe(1);
    expect(await chart.locator('table.rounds tbody tr').count()).toBe(1);
    expect(await chart.locator('table.rounds tbody td').allTextContents()).toEqual(['1', '0.42', '0.8']);
    await page.close();
  });

  it('shows the journey of each candidate on the app page, and which environment is verified running', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${url}/#app/search/search-api`);
    const journey = page.locator('ol.journeys li[data-tag="7777777eeeeeee"]');
    await journey.waitFor();
    const text = (await journey.textContent()) ?? '';
    // pushed → dev → staging (approved by dave) → prod pending, in the words of its open PR.
    expect(text).toMatch(
      /^7777777eeeeeee: pushed \d{4}-\d\d-\d\d \d\d:\d\d UTC → dev \d{4}-\d\d-\d\d \d\d:\d\d UTC → staging \d{4}-\d\d-\d\d \d\d:\d\d UTC \(approved by dave\) → prod pending \(frozen until 2026-12-24T00:00:00.000Z: year-end; 0 of 2 approvals\) PR$/,
    );
    expect(
      await journey.locator('[data-step]').evaluateAll((n) => n.map((e) => e.getAttribute('data-step'))),
    ).toEqual(['pushed', 'dev', 'staging', 'prod']);
    // The older tag prod runs has its own line, with who approved it there.
    await expect(page.locator('ol.journeys li[data-tag="0000000aaaaaaa"]').textContent()).resolves.toContain(
      'approved by alice',
    );
    await expect(page.locator('li [data-verify]').allTextContents()).resolves.toEqual([
      expect.stringMatching(/^✓ verified running since \d+ min$/),
    ]);

    await page.goto(`${url}/`);
    const cell = page.locator('tr[data-app="search-api"] td[data-env="staging"]');
    await expect(cell.locator('[data-verify]').getAttribute('data-verify')).resolves.toBe('verified');
    expect(await page.locator('tr[data-app="chat-ui"] [data-verify]').count()).toBe(0);
    const prod = page.locator('tr[data-app="search-api"] td[data-env="prod"] .promotion');
    await expect(prod.locator('.word').textContent()).resolves.toBe('frozen');
    await page.close();
  });

  it('filters by policy, environment and a search, and stacks each app on a phone-sized screen', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${url}/`);
    const rows = page.locator('#matrix tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(3);
    await page.getByLabel('Policy').selectOption('search');
    expect(await rows.count()).toBe(1);
    await page.getByLabel('Policy').selectOption('');
    await page.getByLabel('Search').fill('chat-ui');
    expect(await rows.count()).toBe(1);
    await page.getByLabel('Search').fill('no such thing');
    await page.getByText('No app matches.').waitFor();
    await page.getByLabel('Search').fill('');
    await page.getByLabel('Environment').selectOption('prod');
    expect(await page.locator('#matrix thead th').allTextContents()).toEqual(['App', 'prod']);

    await page.setViewportSize({ width: 390, height: 844 });
    const box = await page.locator('#matrix tbody tr').first().boundingBox();
    expect(box!.width).toBeLessThanOrEqual(390);
    await page.close();
  });
});
