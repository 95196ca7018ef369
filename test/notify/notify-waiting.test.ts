import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOY_REPO, eventually, startGiteaWorld, type GiteaWorld } from '../e2e/harness.js';

/**
 * `notifyAfter.waitingForApproval` through the running service on the strict Gitea double and a real Redis, with a
 * short wait: a prod PR that waits only for bob's approval is announced once, signed, when the time is up, however
 * many reconciles see it waiting; a PR approved before its time is up is never announced.
 */

const SECRET = 'waiting-sink-secret';
const AFTER_MS = 3_000;

interface Got {
  id: string;
  kind: string;
  env: string;
  pr: number | undefined;
  sha: string;
  summary: string;
  at: number;
  signed: boolean;
}

describe('waiting for approval longer than notifyAfter.waitingForApproval', () => {
  let world: GiteaWorld;
  const got: Got[] = [];
  let close: () => Promise<void>;

  beforeAll(async () => {
    const server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        const ts = String(req.headers['x-promobot-timestamp']);
        const want = `sha256=${createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex')}`;
        const parsed = JSON.parse(body) as Omit<Got, 'at' | 'signed' | 'id'> & { id: string };
        got.push({
          ...parsed,
          at: Date.now(),
          signed: req.headers['x-promobot-signature'] === want,
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    close = () => new Promise<void>((r) => server.close(() => r()));
    process.env.PROMOBOT_TEST_WAITING_URL = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/`;
    process.env.PROMOBOT_TEST_WAITING_SECRET = SECRET;
    world = await startGiteaWorld({
      name: 'notify-waiting',
      policy: `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: alpine }
spec:
  deployRepo: { scm: gitea, repo: ${DEPLOY_REPO} }
  apps: [{ name: alpine, image: localhost/harbor/alpine }]
  environments:
    - { name: dev, path: '{{app}}/dev', update: commit }
    - name: prod
      path: '{{app}}/prod'
      update: pull-request
      from: dev
      approvals: { required: 1, approvers: [bob] }
  notifyAfter: { waitingForApproval: ${String(AFTER_MS / 1000)}s }
  notify:
    - name: ops
      kind: webhook
      url: { env: PROMOBOT_TEST_WAITING_URL }
      secret: { env: PROMOBOT_TEST_WAITING_SECRET }
      events: [waiting-for-approval]
`,
      access: { bob: 'write' },
    });
  }, 120_000);

  afterAll(async () => {
    await world?.close();
    await close?.();
    delete process.env.PROMOBOT_TEST_WAITING_URL;
    delete process.env.PROMOBOT_TEST_WAITING_SECRET;
  });

  it('announces a PR head waiting only for approvals once when the time is up, and not one approved in time', async () => {
    const baseUrl = world.promobot!.app.baseUrl;
    const pushedAt = Date.now();
    await world.push(baseUrl, '1111111aaaaaaa', 1_790_000_000);
    const first = await world.openPull('promobot/prod/alpine', '1111111aaaaaaa');
    // More reconciles of the waiting PR (a /status asks for none, a /gates does): still one event.
    await world.gitea.comment(DEPLOY_REPO, first.index, 'bob', '/gates');
    const event = await eventually('the waiting-for-approval event', () =>
      got.find((g) => g.kind === 'waiting-for-approval'),
    );
    expect(event.at - pushedAt).toBeGreaterThanOrEqual(AFTER_MS);
    expect(event).toMatchObject({ env: 'prod', pr: first.index, sha: first.headSha, signed: true });
    expect(event.summary).toBe(
      'waiting longer than 3s for approval: 0 of 1 approval so far (approvers: bob)',
    );
    await world.gitea.comment(DEPLOY_REPO, first.index, 'bob', '/gates');
    await new Promise((r) => setTimeout(r, 1_500));
    await world.idle(world.promobot!.app.config.queuePrefix);
    expect(got).toHaveLength(1);

    await world.gitea.comment(DEPLOY_REPO, first.index, 'bob', '/approve');
    await world.merged(first.index);

    // Approved before its time is up: the check when it is up finds nothing waiting.
    await world.push(baseUrl, '2222222bbbbbbb', 1_790_000_100);
    const second = await world.openPull('promobot/prod/alpine', '2222222bbbbbbb');
    await world.gitea.comment(DEPLOY_REPO, second.index, 'bob', '/approve');
    await world.merged(second.index);
    await new Promise((r) => setTimeout(r, AFTER_MS + 1_500));
    await world.idle(world.promobot!.app.config.queuePrefix);
    expect(got).toHaveLength(1);
    await world.gitea.flush();
    expect(world.gitea.violations).toEqual([]);
  }, 150_000);
});
