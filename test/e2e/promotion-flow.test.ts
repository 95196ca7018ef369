import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTrailers } from '../../src/git/index.js';
import { createLogger } from '../../src/logger/index.js';
import { createScmHost } from '../../src/hosts/index.js';
import { repoRef } from '../../src/scm/index.js';
import { parsePromotionMeta } from '../../src/promotion/index.js';
import { startGiteaDouble } from '../doubles/gitea/index.js';
import { startGitHubDouble } from '../doubles/github/index.js';
import { harborHeaders, harborPushWithTags } from '../http/deliveries.js';

/** The captured Harbor push with a real tag, stamped with its own push time as each real push is. */
function harborPush(tag: string, occurAt: number): string {
  return JSON.stringify({ ...(JSON.parse(harborPushWithTags(tag)) as object), occur_at: occurAt });
}
import { TEST_SECRETS, type TestApp } from '../support/app.js';
import { eventually, startPromobot, type PromobotUnderTest } from './harness.js';
import { createTempRepo, git, type TempRepo } from '../support/git.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

const REPO = 'bootcamp/notes-deploy';
const IMAGE = 'localhost/harbor/alpine';
const OLD = '0000000aaaaaaa';
const FIRST = '1111111bbbbbbb';
const SECOND = '2222222ccccccc';

const manifest = (env: string, tag: string) =>
  `# alpine in ${env}\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: alpine\nspec:\n  template:\n    spec:\n      containers:\n        - name: alpine\n          image: ${IMAGE}:${tag}\n`;

const policy = (scm: string) => `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: alpine }
spec:
  deployRepo: { scm: ${scm}, repo: ${REPO}, branch: main }
  apps:
    - name: alpine
      image: ${IMAGE}
  environments:
    - { name: dev, path: '{{app}}/dev', update: commit }
    - { name: staging, path: '{{app}}/staging', update: pull-request, from: dev, autoMerge: true }
    - name: prod
      path: '{{app}}/prod'
      update: pull-request
      from: staging
      approvals: { required: 1 }
`;

/** What the flow needs of a code host double, the same for Gitea and GitHub. */
interface Host {
  readonly url: string;
  readonly botToken: string;
  readonly violations: string[];
  readonly answerProblems: string[];
  pulls(): {
    number: number;
    head: string;
    state: string;
    merged: boolean;
    body: string;
    title: string;
    headSha: string;
  }[];
  /** Notices pushes made straight to the bare repo, as the host's hooks do. */
  syncRefs(): Promise<void>;
  /** The repo hook as `promobot webhooks sync` creates it. */
  hookBody(url: string, secret: string): Record<string, unknown>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

const EVENTS = ['push', 'pull_request', 'issue_comment', 'pull_request_review'];

async function startGitea(bare: string): Promise<Host> {
  const double = await startGiteaDouble();
  const bot = double.addUser('promobot');
  double.addUser('alice');
  await double.addRepo({
    owner: 'bootcamp',
    name: 'notes-deploy',
    bare,
    access: { promobot: 'admin', alice: 'write' },
  });
  return {
    url: double.url,
    botToken: bot.token,
    violations: double.violations,
    answerProblems: double.answerProblems,
    pulls: () => double.pulls(REPO).map((p) => ({ ...p, number: p.index })),
    hookBody: (url, secret) => ({
      type: 'gitea',
      active: true,
      events: EVENTS,
      config: { url, content_type: 'json', secret },
    }),
    syncRefs: () => double.syncRefs(),
    flush: () => double.flush(),
    close: () => double.close(),
  };
}

async function startGitHub(bare: string): Promise<Host> {
  const double = await startGitHubDouble();
  const bot = double.addUser('promobot');
  double.addUser('alice');
  await double.addRepo({
    owner: 'bootcamp',
    name: 'notes-deploy',
    bare,
    access: { promobot: 'admin', alice: 'write' },
  });
  return {
    url: double.url,
    botToken: bot.token,
    violations: double.violations,
    answerProblems: double.answerProblems,
    pulls: () => double.pulls(REPO),
    hookBody: (url, secret) => ({
      name: 'web',
      active: true,
      events: EVENTS,
      config: { url, content_type: 'json', secret },
    }),
    syncRefs: () => double.syncRefs(),
    flush: () => double.flush(),
    close: () => double.close(),
  };
}

describe.each([
  { scm: 'gitea' as const, start: startGitea },
  { scm: 'github' as const, start: startGitHub },
])('promotion flow against the $scm double', ({ scm, start }) => {
  let redis: RedisServer;
  let deploy: TempRepo;
  let home: string;
  let double: Host;
  let app: TestApp;
  let promobot: PromobotUnderTest | undefined;

  beforeAll(async () => {
    redis = await startRedis();
    deploy = createTempRepo({
      'alpine/dev/deployment.yaml': manifest('dev', OLD),
      'alpine/staging/deployment.yaml': manifest('staging', OLD),
      'alpine/prod/deployment.yaml': manifest('prod', OLD),
    });
    home = mkdtempSync(join(tmpdir(), 'promobot-e2e-'));
    mkdirSync(join(home, 'policies'));
    writeFileSync(join(home, 'policies', 'alpine.yaml'), policy(scm));
    double = await start(deploy.bare);

    promobot = await startPromobot({
      redisUrl: redis.url,
      home,
      config: {
        logLevel: 'info',
        policiesDir: join(home, 'policies'),
        dataDir: join(home, 'data'),
        ...(scm === 'gitea'
          ? { gitea: { url: double.url, token: double.botToken } }
          : { github: { apiUrl: double.url, token: double.botToken } }),
        git: { authorName: 'promobot', authorEmail: 'promobot@example.test' },
      },
    });
    app = promobot.app;
    // Wired as `promobot webhooks sync` would: a repo hook, active, with the shared secret.
    const api = scm === 'gitea' ? `${double.url}/api/v1` : double.url;
    const hook = await fetch(`${api}/repos/${REPO}/hooks`, {
      method: 'POST',
      headers: { authorization: `token ${double.botToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(double.hookBody(`${app.baseUrl}/webhooks/${scm}`, TEST_SECRETS[scm])),
    });
    expect(hook.status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    if (process.env.PROMOBOT_E2E_LOG) writeFileSync(process.env.PROMOBOT_E2E_LOG, app?.logText() ?? '');
    await promobot?.close();
    await double?.close();
    await redis?.close();
    deploy?.cleanup();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  const openProd = () =>
    double.pulls().filter((p) => p.state === 'open' && p.head === 'promobot/prod/alpine');

  it('lands a Harbor push in dev, auto-merges staging, and leaves prod waiting; a newer push updates prod in place', async () => {
    const push = await fetch(`${app.baseUrl}/webhooks/harbor`, {
      method: 'POST',
      headers: harborHeaders(),
      body: harborPush(FIRST, 1_800_000_000),
    });
    expect(push.status).toBe(202);

    // dev: a commit by the bot with the evidence trailers.
    const devCommit = await eventually('the dev commit', () =>
      deploy.log('%H %s').find((line) => line.includes('promote(alpine): dev ')),
    );
    expect(devCommit).toContain('promote(alpine): dev 0000000 → 1111111');
    expect(
      parseTrailers(git(deploy.bare, 'log', '-1', '--format=%B', devCommit.split(' ')[0]!)),
    ).toMatchObject({
      'Promobot-App': 'alpine',
      'Promobot-Environment': 'dev',
      'Promobot-Tag': FIRST,
    });
    // staging: a PR opened and merged by the bot; prod: a PR opened and waiting.
    const [prod] = await eventually('the prod PR', () => (openProd().length === 1 ? openProd() : undefined));
    const staging = double.pulls().filter((p) => p.head === 'promobot/staging/alpine');
    expect(staging).toHaveLength(1);
    expect(staging[0]).toMatchObject({ merged: true });
    expect(parsePromotionMeta(prod!.body)).toMatchObject({
      app: 'alpine',
      env: 'prod',
      from: 'staging',
      tag: FIRST,
      previousTag: OLD,
    });
    expect(prod!.title).toBe('promote alpine to prod: 0000000 → 1111111');
    deploy.pull();
    expect(git(deploy.work, 'show', 'HEAD:alpine/staging/deployment.yaml')).toContain(`${IMAGE}:${FIRST}`);
    expect(git(deploy.work, 'show', 'HEAD:alpine/prod/deployment.yaml')).toContain(`${IMAGE}:${OLD}`);
    const prodNumber = prod!.number;

    // A second build half-way: dev and staging move again, and the same prod PR carries the newer tag.
    const second = await fetch(`${app.baseUrl}/webhooks/harbor`, {
      method: 'POST',
      headers: harborHeaders(),
      body: harborPush(SECOND, 1_800_000_060),
    });
    expect(second.status).toBe(202);
    const updated = await eventually('the prod PR to carry the second tag', () => {
      const open = openProd();
      return open.length === 1 && parsePromotionMeta(open[0]!.body)?.tag === SECOND ? open[0] : undefined;
    });
    expect(updated.number).toBe(prodNumber);
    expect(double.pulls().filter((p) => p.head === 'promobot/prod/alpine')).toHaveLength(1);
    expect(double.pulls().filter((p) => p.head === 'promobot/staging/alpine' && p.merged)).toHaveLength(2);
    // The status is set right after the PR is refreshed.
    const host = createScmHost(scm as 'gitea', {
      baseUrl: double.url,
      token: double.botToken,
      logger: createLogger({ level: 'silent' }),
    });
    await eventually('the promotion status on the new head', async () =>
      (await host.listCommitStatuses(repoRef(REPO), updated.headSha)).some(
        (s) => s.context === 'promobot/promotion' && s.state === 'success',
      )
        ? true
        : undefined,
    );

    // The prod branch holds exactly one changed value against main.
    await git(deploy.work, 'fetch', '--quiet', 'origin');
    const diff = git(deploy.work, 'diff', 'origin/main...origin/promobot/prod/alpine', '--unified=0');
    expect(diff.split('\n').filter((l) => /^[-+] /.test(l))).toEqual([
      `-          image: ${IMAGE}:${OLD}`,
      `+          image: ${IMAGE}:${SECOND}`,
    ]);

    await double.flush();
    expect(double.violations).toEqual([]);
    expect(double.answerProblems).toEqual([]);
  }, 120_000);

  it("never overwrites a person's commit on the bot's branch, and says so once", async () => {
    const before = openProd();
    expect(before).toHaveLength(1);
    // A person pushes a fix of their own onto the prod promotion branch.
    await git(deploy.work, 'fetch', '--quiet', 'origin');
    git(deploy.work, 'checkout', '--quiet', '-B', 'person', 'origin/promobot/prod/alpine');
    writeFileSync(join(deploy.work, 'alpine/prod/NOTES.md'), 'hand-made\n');
    git(deploy.work, 'add', '--all');
    git(deploy.work, 'commit', '--quiet', '-m', 'a person edits the promotion branch');
    git(deploy.work, 'push', '--quiet', 'origin', 'HEAD:promobot/prod/alpine');
    const personal = git(deploy.work, 'rev-parse', 'HEAD');
    git(deploy.work, 'checkout', '--quiet', 'main');
    await double.syncRefs();

    const third = await fetch(`${app.baseUrl}/webhooks/harbor`, {
      method: 'POST',
      headers: harborHeaders(),
      body: harborPush('4444444eeeeeee', 1_800_000_120),
    });
    expect(third.status).toBe(202);
    const host = createScmHost(scm as 'gitea', {
      baseUrl: double.url,
      token: double.botToken,
      logger: createLogger({ level: 'silent' }),
    });
    const handsOff = await eventually('the hands-off comment', async () => {
      const comments = await host.listComments(repoRef(REPO), before[0]!.number);
      const found = comments.filter((c) => c.body.includes('will not update this PR'));
      return found.length > 0 ? found : undefined;
    });
    // Staging moved on; prod's branch still ends with the person's commit, and the comment was made once.
    await eventually('staging to take the third build', () =>
      double.pulls().filter((p) => p.head === 'promobot/staging/alpine' && p.merged).length === 3
        ? true
        : undefined,
    );
    await git(deploy.work, 'fetch', '--quiet', 'origin');
    expect(git(deploy.work, 'rev-parse', 'origin/promobot/prod/alpine')).toBe(personal);
    expect(handsOff).toHaveLength(1);
    expect(openProd()).toHaveLength(1);
    await double.flush();
    expect(double.violations).toEqual([]);
  }, 120_000);
});
