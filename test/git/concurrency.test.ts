import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { createTempRepo, git, GIT_TEST_ENV, type TempRepo } from '../support/git.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const COUNT = 10;
const OUTSIDE = 5;

let server: RedisServer;
let repo: TempRepo;
let scratch: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  server = await startRedis({ appendOnly: false });
  repo = createTempRepo({ 'README.md': 'deploy\n' });
  scratch = mkdtempSync(join(tmpdir(), 'promobot-concurrency-'));
  // Records every update of the branch, so the test can prove none of them was a forced (non-fast-forward) one.
  const hook = join(repo.bare, 'hooks', 'update');
  writeFileSync(hook, `#!/bin/sh\necho "$2 $3" >> "${join(scratch, 'updates.log')}"\n`);
  chmodSync(hook, 0o755);
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await server.close();
  repo.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

function startWorker(id: string): Promise<{ id: string; retries: number; commits: number }> {
  const args = [
    join(ROOT, 'test/git/helpers/worker.ts'),
    '--redis',
    server.url,
    '--url',
    repo.bare,
    '--data',
    join(scratch, `data-${id}`),
    '--id',
    id,
    '--count',
    String(COUNT),
  ];
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((resolvePromise, reject) => {
    child.once('exit', (code) =>
      code === 0
        ? resolvePromise(JSON.parse(out.trim().split('\n').pop() ?? '{}'))
        : reject(new Error(`worker ${id} exited ${code}:\n${err}`)),
    );
  });
}

/** A person committing to the same branch with plain git, retrying with pull --rebase as people do. */
async function outsideCommitter(observedTips: string[], until: () => boolean): Promise<number> {
  const gitAsync = (...args: string[]) => run('git', args, { cwd: repo.work, env: GIT_TEST_ENV });
  let j = 0;
  for (; j < OUTSIDE || !until(); j += 1) {
    writeFileSync(join(repo.work, `outside-${j}.txt`), `${j}\n`);
    await gitAsync('add', '--all');
    await gitAsync('commit', '-q', '-m', `outside ${j}`);
    for (;;) {
      try {
        await gitAsync('push', '-q', 'origin', 'HEAD:main');
        break;
      } catch {
        await gitAsync('pull', '-q', '--rebase', 'origin', 'main');
      }
    }
    observedTips.push((await gitAsync('rev-parse', 'HEAD')).stdout.trim());
    // Several pushes a second: far more than people push to a deploy repo, and enough to lose races often.
    await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
  }
  return j;
}

describe('git/deploy-repo under concurrency', () => {
  it('lands every change of two worker processes and an outside committer exactly once, without a force-push', async () => {
    const observedTips: string[] = [];
    let done = false;
    const workers = Promise.all([startWorker('A'), startWorker('B')]).finally(() => (done = true));
    const [[a, b], outside] = await Promise.all([workers, outsideCommitter(observedTips, () => done)]);
    console.log(`workers: ${JSON.stringify([a, b])}, outside commits: ${outside}`);

    // Every event line exactly once, in one commit each.
    const events = git(repo.bare, 'show', 'main:events.log').split('\n');
    const intended = ['A', 'B'].flatMap((id) => Array.from({ length: COUNT }, (_, i) => `${id}-${i}`));
    expect([...events].sort()).toEqual([...intended].sort());
    const trailers = git(repo.bare, 'log', '--format=%(trailers:key=Promobot-Event,valueonly)', 'main')
      .split('\n')
      .filter((line) => /^[AB]-\d+$/.test(line));
    expect(trailers.sort()).toEqual([...intended].sort());

    // No outside commit lost.
    for (let j = 0; j < outside; j += 1)
      expect(git(repo.bare, 'show', `main:outside-${j}.txt`)).toBe(String(j));

    // Coalesced tags: the newest order per app won (value "<i>-<worker>").
    for (let k = 0; k < 3; k += 1) {
      const newest = Math.max(...Array.from({ length: COUNT }, (_, i) => i).filter((i) => i % 3 === k));
      expect(git(repo.bare, 'show', `main:apps/app-${k}.txt`)).toMatch(new RegExp(`^${newest}-[AB]$`));
    }

    // No force-push: every update the server saw was a fast-forward, and every tip anyone saw is in the history.
    const final = git(repo.bare, 'rev-parse', 'main');
    const updates = readFileSync(join(scratch, 'updates.log'), 'utf8').trim().split('\n');
    expect(updates.length).toBeGreaterThan(2 * COUNT);
    for (const update of updates) {
      const [before = '', after = ''] = update.split(' ');
      if (/^0+$/.test(before)) continue;
      await expect(
        run('git', ['merge-base', '--is-ancestor', before, after], { cwd: repo.bare }),
      ).resolves.toBeDefined();
    }
    for (const tip of observedTips) {
      await expect(
        run('git', ['merge-base', '--is-ancestor', tip, final], { cwd: repo.bare }),
      ).resolves.toBeDefined();
    }
  }, 120_000);
});
