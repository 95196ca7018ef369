import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliIo, type Command } from '../../src/cli/index.js';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/logger/index.js';
import { fixtureJson } from '../support/fixtures.js';
import { createTempRepo, type TempRepo } from '../support/git.js';
import { freePort, startRedis, type RedisServer } from '../support/redis-server.js';
import { giteaHeaders, post } from './deliveries.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const MAIN = join(ROOT, 'src', 'main.ts');

let redis: RedisServer;
let deploy: TempRepo;
let home: string;

beforeAll(async () => {
  redis = await startRedis({ appendOnly: false });
  deploy = createTempRepo({
    'chat-ui/dev/deployment.yaml': 'image: harbor.example.com/bootcamp/chat-ui:1a2b3c4\n',
  });
  home = mkdtempSync(join(tmpdir(), 'promobot-cli-'));
  mkdirSync(join(home, 'policies'));
  writeFileSync(
    join(home, 'policies', 'chat.yaml'),
    [
      'apiVersion: promobot.dev/v1alpha1',
      'kind: PromotionPolicy',
      'metadata: { name: chat }',
      'spec:',
      `  deployRepo: { scm: gitea, repo: bootcamp/notes-deploy, url: ${JSON.stringify(deploy.bare)} }`,
      '  apps: [{ name: chat-ui, image: harbor.example.com/bootcamp/chat-ui }]',
      '  environments: [{ name: dev, path: chat-ui/dev, update: commit }]',
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  await redis?.close();
  deploy?.cleanup();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('promobot (the bin)', () => {
  it('lists its commands on --help and exits 0', () => {
    const result = spawnSync(TSX, [MAIN, '--help'], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/serve\s+take webhook deliveries/);
    expect(result.stdout).toMatch(/start\s+run serve and worker in one process/);
  });

  it('exits 2 naming the variable when the configuration is wrong', () => {
    const result = spawnSync(TSX, [MAIN, 'serve'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, PORT: 'eighty' },
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/PORT: .*"eighty"/);
  });

  it('start serves a delivery, then drains and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    // node itself, not the tsx wrapper: the signals must reach promobot's own process.
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'start'], {
      env: {
        PATH: process.env.PATH,
        REDIS_URL: redis.url,
        PORT: String(port),
        HOST: '127.0.0.1',
        GITEA_WEBHOOK_SECRET: 'gitea-test-secret',
        PROMOBOT_QUEUE_PREFIX: 'cli',
        PROMOBOT_POLICIES: join(home, 'policies'),
        PROMOBOT_DATA_DIR: join(home, 'data'),
        HOME: home,
        // Nothing listens there: the start-up reconcile fails fast and is retried, which this test does not need.
        GITEA_URL: 'http://127.0.0.1:9',
        GITEA_TOKEN: 'gitea-token',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 20_000;
    while (!out.includes('serving webhooks')) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`promobot did not start:\n${out}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const hook = `http://127.0.0.1:${port}/webhooks/gitea`;
    // The captured push, moved to the deploy repo the policy names.
    const pushTo = (repo: string) => {
      const payload = fixtureJson<{ repository: Record<string, unknown> }>('gitea/push.json');
      payload.repository['full_name'] = repo;
      payload.repository['name'] = repo.split('/')[1];
      return Buffer.from(JSON.stringify(payload));
    };
    const body = pushTo('bootcamp/notes-deploy');
    const answer = await post(hook, body, giteaHeaders('push', body));
    expect(answer.status).toBe(202);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(await ready.json()).toMatchObject({ redis: 'ok', worker: 'ok' });

    // A repository no policy names is answered without a job ...
    const other = pushTo('bootcamp/elsewhere');
    const ignored = await post(hook, other, giteaHeaders('push', other));
    expect(ignored).toMatchObject({ status: 200, body: { reason: 'unknown-repository' } });

    // ... until a policy names it: SIGHUP applies the edited policies at once, and the process lives on.
    writeFileSync(
      join(home, 'policies', 'chat.yaml'),
      readFileSync(join(home, 'policies', 'chat.yaml'), 'utf8').replace(
        'bootcamp/notes-deploy',
        'bootcamp/elsewhere',
      ),
    );
    child.kill('SIGHUP');
    // The file watcher needs two reads 10 s apart to apply an edit; SIGHUP applies it at once.
    const reloaded = Date.now() + 8_000;
    while (!out.includes('"repos":["bootcamp/elsewhere"]')) {
      if (Date.now() > reloaded || child.exitCode !== null)
        throw new Error(`SIGHUP did not reload the policies:\n${out}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(child.exitCode).toBeNull();
    const again = pushTo('bootcamp/elsewhere');
    expect((await post(hook, again, giteaHeaders('push', again))).status).toBe(202);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(
      /promobot_webhook_ignored_total\{source="gitea",reason="unknown-repository"\} 1\b/,
    );

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('"msg":"stopped"');
    expect(out).not.toContain('gitea-test-secret');
  });
});

describe('promobot start with the placeholder settings of .env.example', () => {
  it('says once, at error level, that the code host cannot be used and that doctor lists the fixes', async () => {
    const port = await freePort();
    // .env.example's values, with Gitea's URL on a port where nothing listens.
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: home };
    for (const line of readFileSync(join(ROOT, '.env.example'), 'utf8').split('\n')) {
      const match = /^([A-Z_]+)=(.*)$/.exec(line);
      if (match) env[match[1]!] = match[2]!;
    }
    Object.assign(env, {
      REDIS_URL: redis.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      GITEA_URL: `http://127.0.0.1:${await freePort()}`,
      PROMOBOT_POLICIES: join(ROOT, 'policies'),
      PROMOBOT_DATA_DIR: join(home, 'placeholder-data'),
      PROMOBOT_QUEUE_PREFIX: 'placeholder',
    });
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'start'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const lines = () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    const told = () => lines().filter((l) => String(l['msg']).startsWith('promobot cannot use Gitea'));
    const deadline = Date.now() + 30_000;
    while (told().length === 0) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`nothing said:\n${out}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Let the retries run a while: every reconcile and request keeps failing the same way meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);

    expect(told()).toHaveLength(1);
    expect(told()[0]).toMatchObject({ level: 'error', scm: 'gitea', url: env['GITEA_URL'] });
    expect(String(told()[0]!['msg'])).toContain('`promobot doctor` lists every fix');
    // One warning per distinct failure per minute, however often the retries ran.
    const warnings = lines().filter((l) => l['level'] === 'warn');
    const distinct = new Set(warnings.map((l) => `${String(l['msg'])}|${String(l['reason'] ?? l['err'])}`));
    expect(warnings.length).toBe(distinct.size);
  });
});

describe('cli/runCli()', () => {
  const io = (out: string[]): CliIo => ({
    stdout: (text) => out.push(text),
    stderr: (text) => out.push(text),
    env: {},
    config: () => loadConfig({}),
    logger: () => createLogger({ level: 'silent' }),
    jobs: async () => ({ handlers: {}, start: async () => undefined, close: async () => undefined }),
    stopped: new Promise(() => undefined),
    hangups: () => () => undefined,
  });
  const recorder = (name: string, calls: string[][]): Command => ({
    name,
    summary: `the ${name} command`,
    run: async (argv) => {
      calls.push([name, ...argv]);
      return 0;
    },
  });

  it('runs a multi-word command with the arguments after its words', async () => {
    const calls: string[][] = [];
    const commands = [recorder('webhooks', calls), recorder('webhooks sync', calls)];
    expect(await runCli(['webhooks', 'sync', '--dry-run', 'x'], io([]), commands)).toBe(0);
    expect(calls).toEqual([['webhooks sync', '--dry-run', 'x']]);
  });

  it('answers an unknown command with 2 and the list of commands', async () => {
    const out: string[] = [];
    expect(await runCli(['deploy'], io(out), [recorder('plan', [])])).toBe(2);
    expect(out.join('')).toMatch(/unknown command "deploy"[\s\S]*plan {2}the plan command/);
  });
});
