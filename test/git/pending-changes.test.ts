import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createDeployRepo,
  createPendingChanges,
  landPending,
  type DeployRepo,
  type PendingChanges,
} from '../../src/git/index.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { createTempRepo, git, type TempRepo } from '../support/git.js';
import { captureLogs } from './helpers/log-capture.js';

const Tag = z.object({ tag: z.string() });
type Tag = z.infer<typeof Tag>;

let server: RedisServer;
let redis: Redis;
const { logger } = captureLogs();

beforeAll(async () => {
  server = await startRedis({ appendOnly: false });
  redis = new Redis(server.url);
});
afterAll(async () => {
  redis.disconnect();
  await server.close();
});

let n = 0;
function pendingFor(repo = `repo-${(n += 1)}`): PendingChanges<Tag> {
  return createPendingChanges({ redis, repo, schema: Tag, logger });
}

describe('git/pending-changes', () => {
  it('keeps only the newest value per key, whatever order they arrive in', async () => {
    const pending = pendingFor();
    expect(await pending.put('chat-ui/dev', { tag: 'b' }, 20)).toBe('stored');
    expect(await pending.put('chat-ui/dev', { tag: 'a' }, 10)).toBe('superseded');
    expect(await pending.put('chat-ui/dev', { tag: 'b' }, 20)).toBe('duplicate');
    expect(await pending.put('chat-ui/dev', { tag: 'c' }, 30)).toBe('stored');
    expect(await pending.put('notes/dev', { tag: 'x' }, 5)).toBe('stored');

    expect((await pending.snapshot()).map(({ key, value, order }) => ({ key, value, order }))).toEqual([
      { key: 'chat-ui/dev', value: { tag: 'c' }, order: 30 },
      { key: 'notes/dev', value: { tag: 'x' }, order: 5 },
    ]);
  });

  it('acknowledges an entry only if it is unchanged, so a newer one that arrived meanwhile stays', async () => {
    const pending = pendingFor();
    await pending.put('chat-ui/dev', { tag: 'a' }, 1);
    await pending.put('notes/dev', { tag: 'x' }, 1);
    const taken = await pending.snapshot();
    await pending.put('chat-ui/dev', { tag: 'b' }, 2);

    expect(await pending.ack(taken)).toBe(1);
    expect((await pending.snapshot()).map((e) => [e.key, e.value.tag])).toEqual([['chat-ui/dev', 'b']]);
    expect(await pending.landedOrder('chat-ui/dev')).toBe(1);
  });

  it('refuses an older change after a newer one landed', async () => {
    const pending = pendingFor();
    await pending.put('chat-ui/prod', { tag: 'new' }, 200);
    await pending.ack(await pending.snapshot());

    expect(await pending.put('chat-ui/prod', { tag: 'old' }, 100)).toBe('stale');
    expect(await pending.snapshot()).toEqual([]);
    expect(await pending.put('chat-ui/prod', { tag: 'newer' }, 300)).toBe('stored');
  });

  it('orders equal stamps by arrival, since Harbor stamps pushes only to the second', async () => {
    const pending = pendingFor();
    await pending.put('chat-ui/dev', { tag: 'first' }, 100);
    expect(await pending.put('chat-ui/dev', { tag: 'second' }, 100)).toBe('stored');
    await pending.ack(await pending.snapshot());
    expect(await pending.put('chat-ui/dev', { tag: 'third' }, 100)).toBe('stored');
    expect((await pending.snapshot()).map((e) => e.value.tag)).toEqual(['third']);
  });

  it('validates values and orders at the boundary', async () => {
    const pending = pendingFor();
    await expect(pending.put('k', { tag: 1 } as unknown as Tag, 1)).rejects.toThrow();
    await expect(pending.put('k', { tag: 'a' }, 1.5)).rejects.toThrow(/non-negative integer/);
    await expect(pending.put('k', { tag: 'a' }, -1)).rejects.toThrow(/non-negative integer/);
  });

  describe('with landPending()', () => {
    let repo: TempRepo;
    let dataDir: string;
    let deploy: DeployRepo;

    beforeEach(() => {
      repo = createTempRepo({ 'README.md': 'deploy\n' });
      dataDir = mkdtempSync(join(tmpdir(), 'promobot-data-'));
      deploy = createDeployRepo(
        { url: repo.bare, branch: 'main', dataDir, author: { name: 'promobot', email: 'bot@example.test' } },
        { redis, logger },
      );
    });
    afterEach(() => {
      repo.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    });

    const build = async (
      tree: Parameters<Parameters<typeof landPending<Tag>>[2]>[0],
      entries: { key: string; value: Tag }[],
    ) => {
      for (const entry of entries) await tree.write(`apps/${entry.key}.txt`, `${entry.value.tag}\n`);
      return { message: `promote ${entries.length} apps` };
    };

    it('lands a burst of 50 changes for 10 keys in a few commits with the newest value per key', async () => {
      const pending = pendingFor(deploy.key);
      const jobs = Array.from({ length: 50 }, (_, i) => ({
        key: `app-${i % 10}`,
        order: Math.floor(i / 10) + 1,
      }));
      // Arrival order is not event order: shuffle deterministically.
      jobs.sort(
        (a, b) =>
          ((a.order * 7 + Number(a.key.slice(4)) * 13) % 11) -
          ((b.order * 7 + Number(b.key.slice(4)) * 13) % 11),
      );
      const results = await Promise.all(
        jobs.map(async (job) => {
          await pending.put(job.key, { tag: `v${job.order}` }, job.order);
          return landPending(deploy, pending, build);
        }),
      );

      const commits = repo.log().length - 1;
      console.log(`50 changes for 10 keys landed in ${commits} commits`);
      expect(commits).toBeGreaterThanOrEqual(1);
      expect(commits).toBeLessThanOrEqual(8);
      expect(results.filter((r) => r.pushed)).toHaveLength(commits);
      for (let k = 0; k < 10; k += 1) {
        const final = git(repo.bare, 'show', `main:apps/app-${k}.txt`);
        const landed = await pending.landedOrder(`app-${k}`);
        // Whatever landed last is the newest that had arrived; the order-5 event always lands eventually.
        expect(final).toBe('v5');
        expect(landed).toBe(5);
      }
      expect(await pending.snapshot()).toEqual([]);
    });

    it('does nothing for a job whose change another job already landed', async () => {
      const pending = pendingFor(deploy.key);
      await pending.put('app-1', { tag: 'v1' }, 1);
      const first = await landPending(deploy, pending, build);
      const second = await landPending(deploy, pending, build);

      expect(first).toMatchObject({ pushed: true, landed: [{ key: 'app-1' }] });
      expect(second).toEqual({ commit: null, attempts: 0, pushed: false, landed: [] });
      expect(repo.log()).toHaveLength(2);
    });

    it('stops waiting for the lock once the holder landed its change, without fetching', async () => {
      const pending = pendingFor(deploy.key);
      await pending.put('app-1', { tag: 'v1' }, 1);
      await pending.put('app-2', { tag: 'v1' }, 1);
      let release = () => undefined as void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let holding = () => undefined as void;
      const held = new Promise<void>((resolve) => (holding = resolve));
      const holder = landPending(deploy, pending, async (tree, entries) => {
        holding();
        await gate;
        return build(tree, entries);
      });
      await held;
      // The job that put app-2 arrives while the holder, whose snapshot already has app-2, is still at work.
      const waiter = landPending(deploy, pending, build);
      await new Promise((r) => setTimeout(r, 100));
      release();

      const [first, second] = await Promise.all([holder, waiter]);
      expect(first.landed.map((e) => e.key)).toEqual(['app-1', 'app-2']);
      expect(second).toEqual({ commit: null, attempts: 0, pushed: false, landed: [] });
      expect(repo.log()).toHaveLength(2);
    });
  });
});
