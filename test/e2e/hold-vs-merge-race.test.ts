import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKeys } from '../../src/redis/keys.js';
import { startGiteaDouble, type GiteaDouble } from '../doubles/gitea/index.js';
import { harborHeaders, harborPushWithTags } from '../http/deliveries.js';
import { TEST_SECRETS } from '../support/app.js';
import { createTempRepo, type TempRepo } from '../support/git.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { eventually, startPromobot, type PromobotUnderTest } from './harness.js';

/**
 * Issue 14: the reconcile job asks ChatOps whether a PR may merge, then merges it, and a `/hold` handled between
 * the two must not be lost. The race is made deterministic by a pass-through proxy in front of the Gitea double
 * that holds promobot's merge request until the test lets it go: the readiness check has happened, the merge has
 * not. Meanwhile a writer says `/hold`.
 *
 * Either order is safe: the hold is handled first and the PR stays open, or the hold waits for the merge and is
 * then too late. Unsafe is the hold being accepted (👍, "held" in the status comment) and the PR merged anyway.
 */

const REPO = 'bootcamp/notes-deploy';
const IMAGE = 'localhost/harbor/alpine';
const OLD = '0000000aaaaaaa';
const TAG = '1111111bbbbbbb';

const manifest = (tag: string) => `containers:\n  - name: alpine\n    image: ${IMAGE}:${tag}\n`;

/** Forwards every request to `target`, except that merge requests wait for `release()`. */
async function startMergeGate(target: string) {
  const upstream = new URL(target);
  let held: () => void = () => undefined;
  const mergeHeld = new Promise<void>((resolve) => (held = resolve));
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  const server: Server = createServer((req, res) => {
    const isMerge = req.method === 'POST' && /\/pulls\/\d+\/merge$/.test(req.url ?? '');
    const forward = () => {
      const out = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: upstream.host },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      out.on('error', () => res.destroy());
      req.pipe(out);
    };
    if (!isMerge) return forward();
    held();
    void released.then(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    mergeHeld,
    release,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('a /hold while the bot merges', () => {
  let redis: RedisServer;
  let client: Redis;
  let deploy: TempRepo;
  let home: string;
  let gitea: GiteaDouble;
  let gate: Awaited<ReturnType<typeof startMergeGate>>;
  let promobot: PromobotUnderTest;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url, { maxRetriesPerRequest: null });
    deploy = createTempRepo({
      'alpine/dev/app.yaml': manifest(OLD),
      'alpine/staging/app.yaml': manifest(OLD),
    });
    gitea = await startGiteaDouble();
    for (const login of ['promobot', 'alice']) tokens[login] = gitea.addUser(login).token;
    await gitea.addRepo({
      owner: 'bootcamp',
      name: 'notes-deploy',
      bare: deploy.bare,
      access: { promobot: 'admin', alice: 'write' },
    });
    gate = await startMergeGate(gitea.url);
    home = mkdtempSync(join(tmpdir(), 'promobot-hold-race-'));
    mkdirSync(join(home, 'policies'));
    // git goes to the double directly; only the API passes the gate.
    writeFileSync(
      join(home, 'policies', 'alpine.yaml'),
      `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: alpine }
spec:
  deployRepo: { scm: gitea, repo: ${REPO}, url: '${gitea.url}/${REPO}.git' }
  apps: [{ name: alpine, image: ${IMAGE} }]
  environments:
    - { name: dev, path: '{{app}}/dev', update: commit }
    - { name: staging, path: '{{app}}/staging', update: pull-request, from: dev, autoMerge: true }
`,
    );
    promobot = await startPromobot({
      redisUrl: redis.url,
      home,
      config: {
        logLevel: 'debug',
        policiesDir: join(home, 'policies'),
        dataDir: join(home, 'data'),
        gitea: { url: gate.url, token: tokens.promobot ?? '' },
        git: { authorName: 'promobot', authorEmail: 'promobot@example.test' },
      },
    });
    const hook = await fetch(`${gitea.url}/api/v1/repos/${REPO}/hooks`, {
      method: 'POST',
      headers: { authorization: `token ${tokens.promobot ?? ''}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'gitea',
        active: true,
        events: ['push', 'pull_request', 'issue_comment', 'pull_request_review'],
        config: {
          url: `${promobot.app.baseUrl}/webhooks/gitea`,
          content_type: 'json',
          secret: TEST_SECRETS.gitea,
        },
      }),
    });
    expect(hook.status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    gate?.release();
    await promobot?.close();
    await gate?.close();
    await gitea?.close();
    client?.disconnect();
    await redis?.close();
    deploy?.cleanup();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('never merges a PR whose /hold was accepted', async () => {
    const lines = () => promobot.app.logLines();
    const push = await fetch(`${promobot.app.baseUrl}/webhooks/harbor`, {
      method: 'POST',
      headers: harborHeaders(),
      body: harborPushWithTags(TAG),
    });
    expect(push.status).toBe(202);

    // The reconcile job found the staging PR ready and asked to merge it; the merge waits at the gate.
    await gate.mergeHeld;
    const pr = gitea.pulls(REPO).find((p) => p.head === 'promobot/staging/alpine');
    if (!pr) throw new Error('no staging PR');
    expect(pr).toMatchObject({ state: 'open', merged: false });
    const prefix = promobot.app.config.queuePrefix;
    const keys = redisKeys(prefix);
    // Whoever holds the PR's lock now is the merging job (nothing else runs): the hold must wait for it, if it is set.
    const mergeLease = await client.get(keys.chatopsLock('gitea', REPO, pr.index));
    const hold = await gitea.comment(REPO, pr.index, 'alice', '/hold');

    // Either the hold is handled now, or its job has claimed the comment and waits for the merge's lease.
    const handledBeforeMerge = await eventually(
      'the /hold to be handled, or to wait for the merge',
      async () => {
        if (lines().some((l) => l.msg === 'comment acted on' && String(l.results).includes('hold:accepted')))
          return true;
        const claimed = (await client.exists(keys.chatopsComment('gitea', REPO, hold.id))) === 1;
        const lease = await client.get(keys.chatopsLock('gitea', REPO, pr.index));
        return mergeLease !== null && claimed && lease === mergeLease ? false : undefined;
      },
    );
    gate.release();

    await eventually('the merge and the hold to be settled', async () => {
      const counts = await Promise.all(
        ['events', 'reconcile'].map(
          async (q) =>
            (await client.llen(`${prefix}:${q}:active`)) + (await client.llen(`${prefix}:${q}:wait`)),
        ),
      );
      const settled = counts.every((n) => n === 0) && lines().some((l) => l.msg === 'app reconciled');
      return settled && lines().some((l) => l.jobId !== undefined && String(l.msg).startsWith('comment'))
        ? true
        : undefined;
    });
    const after = gitea.pull(REPO, pr.index);
    const all = lines();
    const accepted = all.findIndex(
      (l) => l.msg === 'comment acted on' && String(l.results).includes('hold:accepted'),
    );
    const merged = all.findIndex((l) => l.msg === 'promotion PR merged' && l.pr === pr.index);
    // A merge that went ahead after the hold was accepted is the lost hold.
    if (accepted >= 0 && merged >= 0) expect(merged).toBeLessThan(accepted);
    if (handledBeforeMerge) expect(after?.merged).toBe(false);
    else {
      // Handled after the merge, the hold is answered for what it is: too late, and nothing changed.
      expect(after?.merged).toBe(true);
      expect(accepted).toBe(-1);
      await eventually('the answer to the late /hold', () =>
        lines().some((l) => l.msg === 'comment acted on' && String(l.results).includes('hold:refused'))
          ? true
          : undefined,
      );
      const bot = gitea.comments(REPO, pr.index).filter((c) => c.author.login === 'promobot');
      const replies = bot.filter((c) => c.body.includes(`promobot:reply-to ${String(hold.id)} `));
      expect(replies).toHaveLength(1);
      expect(replies[0]?.body).toContain(
        `\`/hold\`: #${String(pr.index)} is already merged: nothing was changed`,
      );
      const status = bot.find((c) => c.body.includes('promobot:chatops-status'));
      expect(status?.body ?? '').not.toContain('held by @alice');
    }
    await gitea.flush();
    expect(gitea.violations).toEqual([]);
  }, 120_000);
});
