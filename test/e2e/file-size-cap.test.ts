import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_DEPLOY_FILE_BYTES } from '../../src/git/index.js';
import { startGiteaDouble, type GiteaDouble } from '../doubles/gitea/index.js';
import { harborHeaders, harborPushWithTags } from '../http/deliveries.js';
import { createTempRepo, git, type TempRepo } from '../support/git.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { eventually, startPromobot, type PromobotUnderTest } from './harness.js';

/**
 * A file over the per-file cap in an environment's folder (issue #13: a 200 MB YAML file put the worker into an
 * out-of-memory crash loop): the push that would change that folder fails once, permanently, naming the file and
 * the cap; the worker stays up and the deploy repo is untouched.
 */

const REPO = 'bootcamp/notes-deploy';
const IMAGE = 'localhost/harbor/alpine';
const OLD = '0000000aaaaaaa';
const TAG = '1111111bbbbbbb';

const POLICY = `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: alpine }
spec:
  deployRepo: { scm: gitea, repo: ${REPO} }
  apps: [{ name: alpine, image: ${IMAGE} }]
  environments:
    - { name: dev, path: '{{app}}/dev', update: commit }
`;

describe('a file over the size cap in the deploy repo', () => {
  let redis: RedisServer;
  let deploy: TempRepo;
  let home: string;
  let gitea: GiteaDouble;
  let promobot: PromobotUnderTest;

  beforeAll(async () => {
    redis = await startRedis();
    const filler = `# ${'x'.repeat(78)}\n`.repeat(Math.ceil((MAX_DEPLOY_FILE_BYTES + 1) / 81));
    deploy = createTempRepo({
      'alpine/dev/app.yaml': `containers:\n  - name: alpine\n    image: ${IMAGE}:${OLD}\n`,
      'alpine/dev/huge.yaml': filler,
    });
    home = mkdtempSync(join(tmpdir(), 'promobot-size-cap-'));
    mkdirSync(join(home, 'policies'));
    writeFileSync(join(home, 'policies', 'alpine.yaml'), POLICY);
    gitea = await startGiteaDouble();
    const bot = gitea.addUser('promobot');
    await gitea.addRepo({
      owner: 'bootcamp',
      name: 'notes-deploy',
      bare: deploy.bare,
      access: { promobot: 'admin' },
    });
    promobot = await startPromobot({
      redisUrl: redis.url,
      home,
      config: {
        logLevel: 'info',
        policiesDir: join(home, 'policies'),
        dataDir: join(home, 'data'),
        gitea: { url: gitea.url, token: bot.token },
        git: { authorName: 'promobot', authorEmail: 'promobot@example.test' },
      },
    });
  }, 120_000);

  afterAll(async () => {
    await promobot?.close();
    await gitea?.close();
    await redis?.close();
    deploy?.cleanup();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('fails the push once with the file and the cap named, and changes nothing', async () => {
    const before = git(deploy.bare, 'rev-parse', 'main');
    const push = await fetch(`${promobot.app.baseUrl}/webhooks/harbor`, {
      method: 'POST',
      headers: harborHeaders(),
      body: harborPushWithTags(TAG),
    });
    expect(push.status).toBe(202);
    const failure = await eventually('the push job to fail', () =>
      promobot.app.logLines().find((l) => l.msg === 'job failed permanently'),
    );
    expect(String(failure.reason)).toContain('alpine/dev/huge.yaml in the deploy repo has');
    expect(String(failure.reason)).toContain(`promobot reads files of up to ${MAX_DEPLOY_FILE_BYTES} bytes`);
    expect(promobot.app.logLines().filter((l) => l.msg === 'job failed, will retry')).toEqual([]);
    expect(git(deploy.bare, 'rev-parse', 'main')).toBe(before);
    expect((await fetch(`${promobot.app.baseUrl}/healthz`)).status).toBe(200);
  }, 60_000);
});
