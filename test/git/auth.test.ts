import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/errors/index.js';
import { createDeployRepo } from '../../src/git/index.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { createTempRepo, git, type TempRepo } from '../support/git.js';
import { startGitHttpServer, type GitHttpServer } from './helpers/git-http-server.js';
import { captureLogs } from './helpers/log-capture.js';

const TOKEN = 'gta_9f8e7d6c5b4a39281706f5e4d3c2b1a0';
const READ_ONLY_TOKEN = 'gta_readonly_0a1b2c3d4e5f60718293a4b5';
const author = { name: 'promobot', email: 'promobot@example.test' };
const base64 = (user: string, token: string) => Buffer.from(`${user}:${token}`).toString('base64');

let redisServer: RedisServer;
let redis: Redis;
let repo: TempRepo;
let http: GitHttpServer;
// The App's installation token the server accepts right now; changed by a test to play an expiry.
const appUser = { password: 'ghs_first_00112233445566778899aabbccdd' };
let dataDir: string;

beforeAll(async () => {
  redisServer = await startRedis({ appendOnly: false });
  redis = new Redis(redisServer.url);
  repo = createTempRepo({ 'chat-ui/dev/tag.txt': '1a2b3c4\n' });
  http = await startGitHttpServer({
    root: repo.root,
    users: {
      'x-access-token': { password: TOKEN },
      reader: { password: READ_ONLY_TOKEN, readOnly: true },
      'app-bot': appUser,
    },
  });
  dataDir = mkdtempSync(join(tmpdir(), 'promobot-data-'));
});
afterAll(async () => {
  await http.close();
  redis.disconnect();
  await redisServer.close();
  repo.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Every file under a folder, as one string, to search for a leaked secret. */
function allText(dir: string): string {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => readFileSync(path, 'latin1'))
    .join('\n');
}

const bump = (to: string) => async (tree: { write(path: string, content: string): Promise<void> }) => {
  await tree.write('chat-ui/dev/tag.txt', `${to}\n`);
  return { message: `promote(chat-ui): dev → ${to}` };
};

describe('git/deploy-repo over HTTP with a token', () => {
  it('clones and pushes with the token sent only as a header, never stored or logged', async () => {
    const logs = captureLogs();
    const deploy = createDeployRepo(
      { url: `${http.url}/remote.git`, branch: 'main', dataDir, author, auth: { token: TOKEN } },
      { redis, logger: logs.logger },
    );

    const result = await deploy.transact(bump('3f9c2ab'));

    expect(result.pushed).toBe(true);
    expect(git(repo.bare, 'show', 'main:chat-ui/dev/tag.txt')).toBe('3f9c2ab');
    expect(http.authorizations).toContain(`Basic ${base64('x-access-token', TOKEN)}`);
    const onDisk = allText(join(deploy.dir, '.git'));
    expect(onDisk).toContain(`url = ${http.url}/remote.git`);
    expect(onDisk).not.toContain(TOKEN);
    expect(onDisk).not.toContain(base64('x-access-token', TOKEN));
    expect(logs.text()).not.toContain(TOKEN);
    expect(logs.text()).not.toContain(base64('x-access-token', TOKEN));
  });

  it('fails with advice and without the token when the server refuses it', async () => {
    const logs = captureLogs();
    const wrong = 'gta_wrong_5566778899aabbccddeeff0011';
    const deploy = createDeployRepo(
      {
        url: `${http.url}/remote.git`,
        branch: 'main',
        dataDir: join(dataDir, 'wrong'),
        author,
        auth: { token: wrong },
      },
      { redis, logger: logs.logger },
    );

    const error = (await deploy.transact(bump('4444444')).catch((e: unknown) => e)) as PermanentError;

    expect(error).toBeInstanceOf(PermanentError);
    expect(error.advice).toMatch(/did not accept the token/);
    const everything = `${error.message}\n${error.stack ?? ''}\n${error.advice ?? ''}\n${logs.text()}`;
    expect(everything).not.toContain(wrong);
    expect(everything).not.toContain(base64('x-access-token', wrong));
  });

  it('tells a read-only token apart: 403 on push needs write access', async () => {
    const deploy = createDeployRepo(
      {
        url: `${http.url}/remote.git`,
        branch: 'main',
        dataDir: join(dataDir, 'reader'),
        author,
        auth: { username: 'reader', token: READ_ONLY_TOKEN },
      },
      { redis, logger: captureLogs().logger },
    );
    const before = git(repo.bare, 'rev-parse', 'main');

    const error = (await deploy.transact(bump('5555555')).catch((e: unknown) => e)) as PermanentError;

    expect(error).toBeInstanceOf(PermanentError);
    expect(error.advice).toMatch(/403 on push: the token needs write:repository/);
    expect(error.message).not.toContain(READ_ONLY_TOKEN);
    expect(git(repo.bare, 'rev-parse', 'main')).toBe(before);
  });

  it('asks a token source before each command, and renews a token the server refused once, mid-run', async () => {
    const logs = captureLogs();
    const issued = ['ghs_first_00112233445566778899aabbccdd', 'ghs_second_99887766554433221100ffeedd'];
    let current = 0;
    const refusedSeen: Array<string | undefined> = [];
    const source = async (refused?: string) => {
      refusedSeen.push(refused);
      if (refused !== undefined && refused === issued[current]) current += 1;
      return issued[current] ?? 'ghs_none_left';
    };
    const deploy = createDeployRepo(
      {
        url: `${http.url}/remote.git`,
        branch: 'main',
        dataDir: join(dataDir, 'app'),
        author,
        auth: { username: 'app-bot', token: source },
      },
      { redis, logger: logs.logger },
    );
    expect((await deploy.transact(bump('6666666'))).pushed).toBe(true);
    expect(refusedSeen.every((r) => r === undefined)).toBe(true);

    // The first token expires on the server; the next fetch is refused, renewed once and the push goes through.
    appUser.password = issued[1]!;
    expect((await deploy.transact(bump('7777777'))).pushed).toBe(true);

    expect(git(repo.bare, 'show', 'main:chat-ui/dev/tag.txt')).toBe('7777777');
    expect(refusedSeen).toContain(issued[0]);
    expect(http.authorizations).toContain(`Basic ${base64('app-bot', issued[1]!)}`);
    const everything = `${allText(join(deploy.dir, '.git'))}\n${logs.text()}`;
    for (const token of issued) {
      expect(everything).not.toContain(token);
      expect(everything).not.toContain(base64('app-bot', token));
    }
  });

  it('fails with advice when the source has no better token than the refused one', async () => {
    const logs = captureLogs();
    let asked = 0;
    const stale = 'ghs_stale_0011223344556677889900aabb';
    const deploy = createDeployRepo(
      {
        url: `${http.url}/remote.git`,
        branch: 'main',
        dataDir: join(dataDir, 'stale'),
        author,
        auth: {
          username: 'app-bot',
          token: async () => {
            asked += 1;
            return stale;
          },
        },
      },
      { redis, logger: logs.logger },
    );

    const error = (await deploy.transact(bump('8888888')).catch((e: unknown) => e)) as PermanentError;

    expect(error).toBeInstanceOf(PermanentError);
    expect(error.advice).toMatch(/did not accept the token/);
    // Asked for the command, and once more with the refused token: no loop.
    expect(asked).toBe(2);
    expect(`${error.message}\n${logs.text()}`).not.toContain(stale);
  });
});
