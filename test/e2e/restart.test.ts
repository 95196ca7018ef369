import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePromotionMeta } from '../../src/promotion/index.js';
import { startGiteaDouble, type GiteaDouble } from '../doubles/gitea/index.js';
import { harborHeaders, harborPushWithTags } from '../http/deliveries.js';
import { TEST_SECRETS } from '../support/app.js';
import { createTempRepo, type TempRepo } from '../support/git.js';
import { freePort, startRedis, type RedisServer } from '../support/redis-server.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN = join(ROOT, 'src', 'main.ts');
const REPO = 'bootcamp/notes-deploy';
const IMAGE = 'localhost/harbor/alpine';
const OLD = '0000000aaaaaaa';
const TAG = '3333333ddddddd';

const manifest = (tag: string) => `containers:\n  - name: alpine\n    image: ${IMAGE}:${tag}\n`;

async function eventually<T>(what: string, probe: () => T | undefined, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a promobot killed mid-flow', () => {
  let redis: RedisServer;
  let deploy: TempRepo;
  let home: string;
  let gitea: GiteaDouble;
  let port: number;
  let botToken: string;
  const children: ChildProcess[] = [];

  const startPromobot = async (): Promise<ChildProcess> => {
    // node itself, not the tsx wrapper, so SIGKILL reaches the service and nothing outlives the test.
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'start'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: home,
        REDIS_URL: redis.url,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        PROMOBOT_QUEUE_PREFIX: 'restart',
        PROMOBOT_POLICIES: join(home, 'policies'),
        PROMOBOT_DATA_DIR: join(home, 'data'),
        HARBOR_WEBHOOK_SECRET: TEST_SECRETS.harbor,
        GITEA_WEBHOOK_SECRET: TEST_SECRETS.gitea,
        PROMOBOT_STATE_KEY: TEST_SECRETS.stateKey,
        GITEA_URL: gitea.url,
        GITEA_TOKEN: botToken,
        GIT_AUTHOR_EMAIL: 'promobot@example.test',
      },
      stdio: 'ignore',
    });
    children.push(child);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) return child;
      if (Date.now() > deadline) throw new Error('promobot did not become ready');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  beforeAll(async () => {
    redis = await startRedis();
    deploy = createTempRepo({
      'alpine/dev/app.yaml': manifest(OLD),
      'alpine/staging/app.yaml': manifest(OLD),
      'alpine/prod/app.yaml': manifest(OLD),
    });
    home = mkdtempSync(join(tmpdir(), 'promobot-restart-'));
    mkdirSync(join(home, 'policies'));
    writeFileSync(
      join(home, 'policies', 'alpine.yaml'),
      `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: alpine }
spec:
  deployRepo: { scm: gitea, repo: ${REPO} }
  apps: [{ name: alpine, image: ${IMAGE} }]
  environments:
    - { name: dev, path: '{{app}}/dev', update: commit }
    - { name: staging, path: '{{app}}/staging', update: pull-request, from: dev, autoMerge: true }
    - { name: prod, path: '{{app}}/prod', update: pull-request, from: staging, approvals: { required: 1 } }
`,
    );
    port = await freePort();
    gitea = await startGiteaDouble({
      webhook: { url: `http://127.0.0.1:${port}/webhooks/gitea`, secret: TEST_SECRETS.gitea },
    });
    botToken = gitea.addUser('promobot').token;
    await gitea.addRepo({
      owner: 'bootcamp',
      name: 'notes-deploy',
      bare: deploy.bare,
      access: { promobot: 'admin' },
    });
  }, 60_000);

  afterAll(async () => {
    for (const child of children) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    await gitea?.close();
    await redis?.close();
    deploy?.cleanup();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('finds its open work on restart and finishes the flow, duplicating nothing', async () => {
    const first = await startPromobot();
    const push = await fetch(`http://127.0.0.1:${port}/webhooks/harbor`, {
      method: 'POST',
      headers: harborHeaders(),
      body: harborPushWithTags(TAG),
    });
    expect(push.status).toBe(202);
    // Killed as soon as the dev commit is on the remote: the downstream PRs are still to come.
    await eventually(
      'the dev commit',
      () => (deploy.log('%s')[0]?.includes(' dev ') ? true : undefined),
      30_000,
    );
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));

    await startPromobot();
    const prod = await eventually('the prod PR', () => {
      const open = gitea.pulls(REPO).filter((p) => p.state === 'open' && p.head === 'promobot/prod/alpine');
      return open.length === 1 ? open[0] : undefined;
    });
    expect(parsePromotionMeta(prod.body)).toMatchObject({ env: 'prod', tag: TAG });
    const staging = gitea.pulls(REPO).filter((p) => p.head === 'promobot/staging/alpine');
    expect(staging.map((p) => p.merged)).toEqual([true]);
    expect(gitea.pulls(REPO).filter((p) => p.head === 'promobot/prod/alpine')).toHaveLength(1);
    await gitea.flush();
    expect(gitea.violations).toEqual([]);
  }, 180_000);
});
