/**
 * Board benchmark: `serve`'s board routes in this process against a real redis-server holding 200 app snapshots
 * (3 environments each, a promotion open on every other app), as the worker writes them. Reports the server's
 * answer time for the board's data and page, and how fast one published change reaches 50 event-stream clients.
 */
import { Redis } from 'ioredis';
import { createBoardStore, startBoard } from '../src/board/index.js';
import { loadConfig, type Config } from '../src/config/index.js';
import { createHttpApp, startHttpServer } from '../src/http/index.js';
import { createLogger } from '../src/logger/index.js';
import { createMetrics } from '../src/metrics/index.js';
import { policyWith, snapshotOf } from '../test/board/fixtures.js';
import { startRedis } from '../test/support/redis-server.js';
import type { Bench } from './run.js';
import { ms, summarize } from './support/stats.js';

const APPS = 200;
const REQUESTS = 300;
const CLIENTS = 50;
const EVENTS = 100;
const TOKEN = 'bench-board-token-0123456789abcdef';

async function timeRequests(url: string): Promise<{ times: number[]; bytes: number }> {
  const headers = { authorization: `Bearer ${TOKEN}` };
  let bytes = 0;
  for (let i = 0; i < 20; i += 1) await (await fetch(url, { headers })).arrayBuffer();
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i += 1) {
    const started = performance.now();
    const body = await (await fetch(url, { headers })).arrayBuffer();
    times.push(performance.now() - started);
    bytes = body.byteLength;
  }
  return { times, bytes };
}

export const board: Bench = {
  name: 'board',
  async run() {
    const redis = await startRedis();
    const client = new Redis(redis.url);
    const prefix = 'benchboard';
    const logger = createLogger({ level: 'silent' });
    const names = Array.from({ length: APPS }, (_, i) => `app-${String(i).padStart(3, '0')}`);
    const store = createBoardStore(client, prefix, logger);
    for (const [i, name] of names.entries()) {
      const snapshot = snapshotOf('bench', name);
      await store.write(i % 2 === 0 ? snapshot : { ...snapshot, promotions: [] });
    }
    const policies = [policyWith('bench', names)];
    const config: Config = {
      ...loadConfig({ REDIS_URL: redis.url, PROMOBOT_QUEUE_PREFIX: prefix }),
      ui: { tokens: [TOKEN], proxyCidrs: [], anonymous: false },
    };
    const parts = await startBoard({ config, logger, policies: () => policies });
    const app = createHttpApp({
      config,
      logger,
      queue: { enqueue: () => Promise.reject(new Error('no queue')), ping: () => Promise.resolve(true) },
      metrics: createMetrics({ defaultMetrics: false }),
      board: parts.routes,
    });
    const server = await startHttpServer(app, 0, '127.0.0.1');
    try {
      const rows: string[] = [];
      for (const [what, path] of [
        ['`GET /api/v1/apps` (the board: 200 apps × 3 environments, 100 open promotions)', '/api/v1/apps'],
        ['`GET /api/v1/promotions`', '/api/v1/promotions'],
        ['`GET /api/v1/apps/{policy}/{app}` (one app with history)', '/api/v1/apps/bench/app-000'],
        ['`GET /` (the page shell; the script then loads /api/v1/apps)', '/'],
      ] as const) {
        const { times, bytes } = await timeRequests(`${server.url}${path}`);
        const s = summarize(times);
        rows.push(
          `| ${what} | ${s.n} | ${(bytes / 1024).toFixed(1)} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.max)} |`,
        );
      }

      // SSE fan-out: 50 streams on this serve, 100 changes published to Redis 20 ms apart.
      const received: number[] = [];
      const controllers: AbortController[] = [];
      const readers = await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          const controller = new AbortController();
          controllers.push(controller);
          const response = await fetch(`${server.url}/api/v1/events`, {
            headers: { authorization: `Bearer ${TOKEN}` },
            signal: controller.signal,
          });
          const reader = response.body!.getReader();
          await reader.read(); // ": connected"
          return reader;
        }),
      );
      const decoder = new TextDecoder();
      const done = readers.map(async (reader) => {
        let text = '';
        let seen = 0;
        while (seen < EVENTS) {
          const { value, done: ended } = await reader.read();
          if (ended) break;
          text += decoder.decode(value, { stream: true });
          let cut: number;
          while ((cut = text.indexOf('\n\n')) >= 0) {
            const frame = text.slice(0, cut);
            text = text.slice(cut + 2);
            const data = /^data: (.*)$/m.exec(frame)?.[1];
            if (!data) continue;
            const { at } = JSON.parse(data) as { at: number };
            received.push(performance.timeOrigin + performance.now() - at);
            seen += 1;
          }
        }
      });
      for (let i = 0; i < EVENTS; i += 1) {
        await store.publish({
          kind: 'reconcile',
          policy: 'bench',
          app: names[i % APPS]!,
          at: Math.round(performance.timeOrigin + performance.now()),
        });
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await Promise.race([Promise.all(done), new Promise((resolve) => setTimeout(resolve, 10_000))]);
      for (const c of controllers) c.abort();
      const fan = summarize(received);

      return [
        '## Board: API answer time and SSE fan-out (`bench/board.ts`)',
        '',
        `The board routes of \`serve\` in the bench process, on a real \`redis-server\` holding ${APPS} app snapshots (dev, staging, prod; a prod promotion with one gate round open on every other app) as the worker writes them. ${REQUESTS} requests per row, one at a time after 20 warm-up requests, timed at the client over loopback (so: server time plus a loopback round trip). Each request reads every snapshot from Redis, checks it with zod, filters by the policies in force and checks the answer against its schema.`,
        '',
        '| request | requests | KiB | p50 ms | p99 ms | max ms |',
        '|---|---:|---:|---:|---:|---:|',
        ...rows,
        '',
        `SSE fan-out: ${CLIENTS} clients on \`GET /api/v1/events\` of one \`serve\`; ${EVENTS} changes published on the Redis channel 20 ms apart (as the worker does after each snapshot). Delivered ${received.length} of ${CLIENTS * EVENTS} events; time from publish to each client reading the event: p50 ${ms(fan.p50)} ms, p99 ${ms(fan.p99)} ms, max ${ms(fan.max)} ms.`,
        '',
      ].join('\n');
    } finally {
      await parts.close();
      await server.close();
      client.disconnect();
      await redis.close();
    }
  },
};
