import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployRepo } from '../../src/git/index.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { createTempRepo, git, GIT_TEST_ENV, type TempRepo } from '../support/git.js';
import { captureLogs } from './helpers/log-capture.js';

const FILES = 10_000;

let server: RedisServer;
let redis: Redis;
let repo: TempRepo;
let dataDir: string;

/** Adds FILES manifests in one commit through `git fast-import`: seconds faster than writing and adding them. */
function seedLargeTree(bare: string): void {
  const parent = git(bare, 'rev-parse', 'main');
  const lines = [
    'commit refs/heads/main',
    'committer Seed <seed@example.test> 1700000000 +0000',
    'data 4',
    'seed',
    `from ${parent}`,
  ];
  for (let i = 0; i < FILES; i += 1) {
    const content = `apiVersion: apps/v1\nkind: Deployment\nspec:\n  image: harbor.example.com/bootcamp/app-${i}:1a2b3c4\n`;
    lines.push(
      `M 100644 inline apps/app-${i % 500}/env-${i % 20}/deployment-${i}.yaml`,
      `data ${Buffer.byteLength(content)}`,
      content,
    );
  }
  execFileSync('git', ['fast-import', '--quiet'], {
    cwd: bare,
    env: GIT_TEST_ENV,
    input: `${lines.join('\n')}\n`,
  });
}

beforeAll(async () => {
  server = await startRedis({ appendOnly: false });
  redis = new Redis(server.url);
  repo = createTempRepo();
  seedLargeTree(repo.bare);
  dataDir = mkdtempSync(join(tmpdir(), 'promobot-data-'));
});
afterAll(async () => {
  redis.disconnect();
  await server.close();
  repo.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('git/deploy-repo on a 10,000-file repo', () => {
  it('bumps one file in well under a second once the working copy is warm', async () => {
    const deploy = createDeployRepo(
      { url: repo.bare, branch: 'main', dataDir, author: { name: 'promobot', email: 'bot@example.test' } },
      { redis, logger: captureLogs().logger },
    );
    const path = 'apps/app-7/env-7/deployment-7.yaml';
    const bump = (tag: string) =>
      deploy.transact(async (tree) => {
        const text = (await tree.read(path)) ?? '';
        await tree.write(path, text.replace(/:[0-9a-f]+\n/, `:${tag}\n`));
        return { message: `promote(app-7): env-7 → ${tag}` };
      });
    await bump('0000001');

    const timings: number[] = [];
    for (const tag of ['0000002', '0000003', '0000004', '0000005', '0000006']) {
      const started = performance.now();
      await bump(tag);
      timings.push(performance.now() - started);
    }
    repo.pull();

    const median = [...timings].sort((a, b) => a - b)[2] ?? Infinity;
    console.log(`warm bump in a ${FILES}-file repo: ${timings.map((t) => Math.round(t)).join(', ')} ms`);
    expect(median).toBeLessThan(1_000);
    expect(git(repo.bare, 'show', `main:${path}`)).toContain('app-7:0000006');
    expect(git(repo.bare, 'show', '--name-only', '--format=', 'main')).toBe(path);
    // The first clone checks out 10,000 files; on a busy machine that alone takes a while.
  }, 120_000);
});
