import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  chmodSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '../../src/errors/index.js';
import { createDeployRepo, type DeployRepo } from '../../src/git/index.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { createTempRepo, git, type TempRepo } from '../support/git.js';
import { captureLogs } from './helpers/log-capture.js';

const author = { name: 'promobot', email: 'promobot@example.test' };

let redisServer: RedisServer;
let redis: Redis;
let repo: TempRepo;
let dataDir: string;

beforeAll(async () => {
  redisServer = await startRedis({ appendOnly: false });
  redis = new Redis(redisServer.url);
});
afterAll(async () => {
  redis.disconnect();
  await redisServer.close();
});
beforeEach(() => {
  repo = createTempRepo({
    'README.md': 'deploy repo\n',
    'chat-ui/dev/deployment.yaml': 'image: harbor.example.com/bootcamp/chat-ui:1a2b3c4\n',
  });
  dataDir = mkdtempSync(join(tmpdir(), 'promobot-data-'));
});
afterEach(() => {
  repo.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

function open(extra: Partial<Parameters<typeof createDeployRepo>[0]> = {}, logs = captureLogs()): DeployRepo {
  return createDeployRepo(
    { url: repo.bare, branch: 'main', dataDir, author, ...extra },
    { redis, logger: logs.logger },
  );
}

/** An apply that swaps the tag in the dev deployment. */
function bump(to: string, trailers: Record<string, string> = {}) {
  return async (tree: Parameters<Parameters<DeployRepo['transact']>[0]>[0]) => {
    const path = 'chat-ui/dev/deployment.yaml';
    const text = (await tree.read(path)) ?? '';
    const next = text.replace(/:[0-9a-f]+\n/, `:${to}\n`);
    await tree.write(path, next);
    return { message: `promote(chat-ui): dev → ${to}`, trailers: { 'Promobot-Tag': to, ...trailers } };
  };
}

describe('git/deploy-repo', () => {
  describe('branchCommits()', () => {
    it("lists the branch's own commits with their committer time, as the /approve timing check reads it", async () => {
      git(repo.work, 'checkout', '--quiet', '-B', 'promobot/prod/chat-ui', 'main');
      writeFileSync(join(repo.work, 'chat-ui/dev/deployment.yaml'), 'image: x:3f9c2ab\n');
      execFileSync('git', ['commit', '--quiet', '-am', 'promote'], {
        cwd: repo.work,
        env: {
          ...process.env,
          GIT_CONFIG_GLOBAL: '/dev/null',
          GIT_AUTHOR_NAME: 'promobot',
          GIT_AUTHOR_EMAIL: 'promobot@example.test',
          GIT_COMMITTER_NAME: 'promobot',
          GIT_COMMITTER_EMAIL: 'promobot@example.test',
          GIT_COMMITTER_DATE: '2026-12-07T10:00:00Z',
        },
      });
      git(repo.work, 'push', '--quiet', 'origin', 'HEAD:refs/heads/promobot/prod/chat-ui');
      const head = git(repo.work, 'rev-parse', 'HEAD');
      expect(await open().branchCommits('promobot/prod/chat-ui')).toEqual([
        {
          commit: head,
          authorEmail: 'promobot@example.test',
          committerEmail: 'promobot@example.test',
          committedAt: Date.parse('2026-12-07T10:00:00Z'),
        },
      ]);
    });
  });

  describe('transact()', () => {
    it('commits the edit with the configured author and committer and pushes it', async () => {
      const deploy = open({ committer: { name: 'promobot committer', email: 'committer@example.test' } });
      const result = await deploy.transact(bump('3f9c2ab'));

      expect(result).toMatchObject({ pushed: true, attempts: 1 });
      expect(git(repo.bare, 'rev-parse', 'main')).toBe(result.commit);
      expect(git(repo.bare, 'show', 'main:chat-ui/dev/deployment.yaml')).toBe(
        'image: harbor.example.com/bootcamp/chat-ui:3f9c2ab',
      );
      expect(repo.log('%an <%ae>|%cn <%ce>')[0]).toBe(
        'promobot <promobot@example.test>|promobot committer <committer@example.test>',
      );
      expect(git(repo.bare, 'log', '-1', '--format=%B', 'main')).toBe(
        'promote(chat-ui): dev → 3f9c2ab\n\nPromobot-Tag: 3f9c2ab',
      );
    });

    it('clones once and afterwards only fetches into the same working copy', async () => {
      const logs = captureLogs();
      const deploy = open({}, logs);
      await deploy.transact(bump('1111111'));
      writeFileSync(join(deploy.dir, '.git', 'kept-between-runs'), 'x');
      repo.pull();
      repo.commit({ 'other.txt': 'outside change\n' }, 'outside');
      const second = await open({}, logs).transact(bump('2222222'));

      expect(logs.lines.filter((line) => line.includes('deploy repo cloned'))).toHaveLength(1);
      expect(existsSync(join(deploy.dir, '.git', 'kept-between-runs'))).toBe(true);
      expect(deploy.dir.startsWith(join(dataDir, 'repos'))).toBe(true);
      expect(git(repo.bare, 'show', `${second.commit}:other.txt`)).toBe('outside change');
    });

    it('writes no commit when apply returns null or leaves the files as they were', async () => {
      const deploy = open();
      const before = git(repo.bare, 'rev-parse', 'main');

      const none = await deploy.transact(async () => null);
      const same = await deploy.transact(bump('1a2b3c4'));

      expect(none).toEqual({ commit: before, attempts: 1, pushed: false });
      expect(same).toEqual({ commit: before, attempts: 1, pushed: false });
      expect(git(repo.bare, 'rev-parse', 'main')).toBe(before);
    });

    it('re-applies the edit on the new tip when another writer pushed in between, without forcing', async () => {
      const deploy = open();
      await deploy.transact(async () => null);
      const tips: string[] = [];
      const result = await deploy.transact(async (tree, { attempt }) => {
        if (attempt === 1) tips.push(repo.commit({ 'chat-ui/dev/config.yaml': 'replicas: 2\n' }, 'outside'));
        return bump('3f9c2ab')(tree);
      });

      expect(result).toMatchObject({ pushed: true, attempts: 2 });
      expect(repo.log()).toEqual(['promote(chat-ui): dev → 3f9c2ab', 'outside', 'seed']);
      for (const tip of tips)
        execFileSync('git', ['-C', repo.bare, 'merge-base', '--is-ancestor', tip, String(result.commit)]);
    });

    it('gives up with a TransientError after the configured attempts, leaving the remote as others left it', async () => {
      const deploy = open({ maxAttempts: 2, retryBaseMs: 1 });
      await deploy.transact(async () => null);
      let n = 0;
      const attempt = deploy.transact(async (tree) => {
        n += 1;
        repo.commit({ [`outside-${n}.txt`]: `${n}\n` }, `outside ${n}`);
        return bump('3f9c2ab')(tree);
      });

      await expect(attempt).rejects.toBeInstanceOf(TransientError);
      expect(repo.log()).toEqual(['outside 2', 'outside 1', 'seed']);
      expect(git(deploy.dir, 'status', '--porcelain')).toBe('');
    });

    it('refuses paths that leave the tree and leaves the repo untouched', async () => {
      const deploy = open();
      await deploy.transact(async () => null);
      symlinkSync(tmpdir(), join(deploy.dir, 'outside-link'));
      const before = git(repo.bare, 'rev-parse', 'main');
      const hostile = [
        '../escape.txt',
        '/etc/passwd-copy',
        'a/../../b',
        '.git/hooks/pre-commit',
        'outside-link/x.txt',
      ];

      for (const path of hostile) {
        await expect(
          deploy.transact(async (tree) => {
            await tree.write(path, 'pwned\n');
            return { message: 'hostile' };
          }),
        ).rejects.toBeInstanceOf(PermanentError);
        await expect(deploy.transact(async (tree) => (await tree.read(path), null))).rejects.toBeInstanceOf(
          PermanentError,
        );
      }
      expect(git(repo.bare, 'rev-parse', 'main')).toBe(before);
      expect(
        existsSync(join(tmpdir(), 'x.txt')) && readFileSync(join(tmpdir(), 'x.txt'), 'utf8') === 'pwned\n',
      ).toBe(false);
    });

    it('refuses a hostile trailer value before anything is committed', async () => {
      const deploy = open();
      const before = git(repo.bare, 'rev-parse', 'main');
      const hostile = bump('3f9c2ab', { 'Promobot-Event': 'x\nPromobot-Environment: prod' });

      await expect(deploy.transact(hostile)).rejects.toThrow(/not one clean line/);
      expect(git(repo.bare, 'rev-parse', 'main')).toBe(before);
      expect(git(deploy.dir, 'status', '--porcelain')).toBe('');
    });

    it('never commits what a crashed run left in the working copy', async () => {
      await open().transact(async () => null);
      const dir = open().dir;
      // A worker died mid-edit: a half-written tracked file and a new file, and the edit marker.
      writeFileSync(join(dir, 'README.md'), 'half written');
      writeFileSync(join(dir, 'chat-ui', 'dev', 'stray.yaml'), 'stray: true\n');
      writeFileSync(join(dir, '.git', 'promobot-editing'), '12345\n');

      const result = await open().transact(bump('3f9c2ab'));

      expect(git(repo.bare, 'show', '--name-only', '--format=', String(result.commit))).toBe(
        'chat-ui/dev/deployment.yaml',
      );
      expect(readFileSync(join(dir, 'README.md'), 'utf8')).toBe('deploy repo\n');
      expect(existsSync(join(dir, 'chat-ui', 'dev', 'stray.yaml'))).toBe(false);
    });

    it('ignores user and system git config: only its own settings apply', async () => {
      const home = mkdtempSync(join(tmpdir(), 'promobot-home-'));
      // Were this read, every fetch would go to a repo that does not exist, and commits would need a signature.
      writeFileSync(
        join(home, '.gitconfig'),
        `[url "file:///nonexistent/"]\n\tinsteadOf = ${repo.bare}\n[commit]\n\tgpgSign = true\n[user]\n\tname = Someone Else\n`,
      );
      const deploy = createDeployRepo(
        { url: repo.bare, branch: 'main', dataDir, author },
        { redis, logger: captureLogs().logger, baseEnv: { PATH: process.env.PATH, HOME: home } },
      );

      const result = await deploy.transact(bump('3f9c2ab'));

      expect(result.pushed).toBe(true);
      expect(repo.log('%an')[0]).toBe('promobot');
      rmSync(home, { recursive: true, force: true });
    });

    it('lists files relative to the root without .git', async () => {
      const deploy = open();
      let listed: string[] = [];
      await deploy.transact(async (tree) => {
        listed = await tree.list();
        expect(await tree.list('chat-ui')).toEqual(['chat-ui/dev/deployment.yaml']);
        return null;
      });
      expect(listed).toEqual(['README.md', 'chat-ui/dev/deployment.yaml']);
    });

    it('cleans up files a failed apply created', async () => {
      const deploy = open();
      await expect(
        deploy.transact(async (tree) => {
          await tree.write('half/written.yaml', 'x: 1\n');
          throw new Error('updater crashed');
        }),
      ).rejects.toThrow('updater crashed');
      const result = await deploy.transact(bump('3f9c2ab'));
      expect(git(repo.bare, 'show', '--name-only', '--format=', String(result.commit))).toBe(
        'chat-ui/dev/deployment.yaml',
      );
      expect(existsSync(join(deploy.dir, 'half'))).toBe(false);
    });

    it('removes a damaged working copy and clones it again, with a log line', async () => {
      const logs = captureLogs();
      const deploy = open({}, logs);
      await deploy.transact(async () => null);
      rmSync(join(deploy.dir, '.git', 'objects'), { recursive: true, force: true });
      rmSync(join(deploy.dir, '.git', 'refs'), { recursive: true, force: true });

      const result = await deploy.transact(bump('3f9c2ab'));

      expect(result.pushed).toBe(true);
      expect(logs.text()).toContain('deploy repo working copy is damaged; cloning it again');
    });

    it('fails with advice when the deploy repo does not exist', async () => {
      const deploy = createDeployRepo(
        { url: join(dataDir, 'missing.git'), branch: 'main', dataDir, author },
        { redis, logger: captureLogs().logger },
      );
      const error = await deploy.transact(async () => null).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PermanentError);
      expect((error as PermanentError).advice).toMatch(/deploy repo was not found/);
    });

    it('fails with advice when the server declines the push in a pre-receive hook', async () => {
      const hook = join(repo.bare, 'hooks', 'pre-receive');
      writeFileSync(hook, '#!/bin/sh\necho "user promobot may not push" >&2\nexit 1\n');
      chmodSync(hook, 0o755);
      const before = git(repo.bare, 'rev-parse', 'main');

      const error = await open()
        .transact(bump('3f9c2ab'))
        .catch((e: unknown) => e);

      expect(error).toBeInstanceOf(PermanentError);
      expect((error as PermanentError).advice).toMatch(/pre-receive hook declined.*cannot push to main/);
      expect(git(repo.bare, 'rev-parse', 'main')).toBe(before);
    });

    it('refuses a remote URL that carries credentials', () => {
      expect(() =>
        createDeployRepo(
          { url: 'https://bot:s3cr3t-token@gitea.example.com/o/r.git', branch: 'main', dataDir, author },
          { redis, logger: captureLogs().logger },
        ),
      ).toThrow(/credentials in the URL/);
    });
  });

  describe('maintain()', () => {
    it('packs the loose objects commits left in the working copy, and the repo keeps working', async () => {
      const deploy = open();
      await deploy.transact(bump('1111111'));
      await deploy.transact(bump('2222222'));
      const loose = () => Number(/^count: (\d+)/m.exec(git(deploy.dir, 'count-objects', '-v'))?.[1]);
      const before = loose();

      await deploy.maintain({ looseObjects: 1 });

      expect(before).toBeGreaterThan(0);
      expect(loose()).toBe(0);
      // A commit-graph with changed-path filters, for history reads restricted to a folder.
      git(deploy.dir, 'commit-graph', 'verify');
      expect(existsSync(join(deploy.dir, '.git/objects/info/commit-graphs/commit-graph-chain'))).toBe(true);
      expect((await deploy.transact(bump('3f9c2ab'))).pushed).toBe(true);
    });
  });

  describe('findLastCommits()', () => {
    it('finds the newest commits whose trailers match exactly, ignoring look-alikes in a body', async () => {
      const deploy = open();
      const commit = (to: string, env: string) =>
        deploy.transact(bump(to, { 'Promobot-App': 'chat-ui', 'Promobot-Environment': env }));
      const first = await commit('1111111', 'prod');
      await commit('2222222', 'dev');
      const third = await commit('3333333', 'prod');
      repo.pull();
      git(
        repo.work,
        'commit',
        '--allow-empty',
        '-q',
        '-m',
        'manual\n\nPromobot-App: chat-ui\nPromobot-Environment: prod\n\nnote',
      );
      git(repo.work, 'push', '-q', 'origin', 'HEAD:main');
      git(
        repo.work,
        'commit',
        '--allow-empty',
        '-q',
        '-m',
        'other app\n\nPromobot-App: chat-uix\nPromobot-Environment: prod',
      );
      git(repo.work, 'push', '-q', 'origin', 'HEAD:main');

      const found = await deploy.findLastCommits({
        trailers: { 'Promobot-App': 'chat-ui', 'Promobot-Environment': 'prod' },
        limit: 5,
      });

      expect(found.map((c) => c.commit)).toEqual([third.commit, first.commit]);
      expect(found[0]).toMatchObject({
        subject: 'promote(chat-ui): dev → 3333333',
        trailers: { 'Promobot-Tag': '3333333', 'Promobot-App': 'chat-ui', 'Promobot-Environment': 'prod' },
      });
      expect(await deploy.findLastCommits({ trailers: { 'Promobot-App': 'chat-ui.' }, limit: 1 })).toEqual(
        [],
      );
    });
  });
});
