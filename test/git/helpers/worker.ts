/**
 * A promobot worker process for the concurrency test: lands `count` events, each appending its own line to
 * `events.log` through `transact`, and `count` coalesced tag changes through `landPending`. Prints a JSON summary.
 */
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { isTransient } from '../../../src/errors/index.js';
import { createDeployRepo, createPendingChanges, landPending } from '../../../src/git/index.js';
import { createLogger } from '../../../src/logger/index.js';

const { values } = parseArgs({
  options: {
    redis: { type: 'string' },
    url: { type: 'string' },
    data: { type: 'string' },
    id: { type: 'string' },
    count: { type: 'string' },
  },
});
const id = values.id ?? 'w';
const count = Number(values.count ?? '10');
const redis = new Redis(values.redis ?? '');
const logger = createLogger({ level: 'warn', base: { worker: id } });
const deploy = createDeployRepo(
  {
    url: values.url ?? '',
    branch: 'main',
    dataDir: values.data ?? '',
    author: { name: `promobot ${id}`, email: `${id}@example.test` },
    maxAttempts: 8,
    retryBaseMs: 5,
    retryMaxMs: 100,
  },
  { redis, logger },
);
const pending = createPendingChanges({ redis, repo: deploy.key, schema: z.string(), logger });

let retries = 0;
let commits = 0;
let jobRetries = 0;

/** Runs a job the way the queue does: a TransientError means "try the whole job again later". */
async function asJob<T>(job: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await job();
    } catch (error) {
      if (!isTransient(error) || attempt === 10) throw error;
      jobRetries += 1;
      await new Promise((r) => setTimeout(r, 50 * attempt));
    }
  }
}
for (let i = 0; i < count; i += 1) {
  const event = `${id}-${i}`;
  const result = await asJob(() =>
    deploy.transact(async (tree) => {
      const log = (await tree.read('events.log')) ?? '';
      await tree.write('events.log', `${log}${event}\n`);
      return { message: `record ${event}`, trailers: { 'Promobot-Event': event } };
    }),
  );
  retries += result.attempts - 1;
  if (result.pushed) commits += 1;

  // Both workers bump the same apps; the order is global (i), so the newest value per app is known.
  const app = `app-${i % 3}`;
  await pending.put(app, `${i}-${id}`, i);
  const landed = await asJob(() =>
    landPending(deploy, pending, async (tree, entries) => {
      for (const entry of entries) await tree.write(`apps/${entry.key}.txt`, `${entry.value}\n`);
      return {
        message: `promote ${entries.map((e) => e.key).join(', ')}`,
        trailers: { 'Promobot-Event': `coalesced-${id}-${i}` },
      };
    }),
  );
  retries += Math.max(0, landed.attempts - 1);
  if (landed.pushed) commits += 1;
}
redis.disconnect();
process.stdout.write(`${JSON.stringify({ id, retries, jobRetries, commits })}\n`);
