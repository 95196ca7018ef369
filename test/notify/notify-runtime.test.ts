import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startGiteaWorld, type GiteaWorld } from '../e2e/harness.js';

/**
 * The running service on the strict Gitea double, with a signed webhook sink in its policy: a push promotes to
 * staging (PR opened, merged by itself) and opens the prod PR, and the receiver gets each of those events once,
 * signed.
 */

const SECRET = 'runtime-sink-secret';

interface Got {
  id: string;
  kind: string;
  env: string;
  signed: boolean;
}

describe('promotion events reach a policy sink', () => {
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
        const parsed = JSON.parse(body) as { id: string; kind: string; env: string };
        got.push({
          id: String(req.headers['x-promobot-event-id']),
          kind: parsed.kind,
          env: parsed.env,
          signed:
            req.headers['x-promobot-signature'] === want && parsed.id === req.headers['x-promobot-event-id'],
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    close = () => new Promise<void>((r) => server.close(() => r()));
    // The worker reads secret references from its environment, as a deployment mounts them.
    process.env.PROMOBOT_TEST_NOTIFY_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/promobot`;
    process.env.PROMOBOT_TEST_NOTIFY_SECRET = SECRET;
    world = await startGiteaWorld({
      name: 'notify',
      policy: `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: alpine }
spec:
  deployRepo: { scm: gitea, repo: bootcamp/notes-deploy }
  apps: [{ name: alpine, image: localhost/harbor/alpine }]
  environments:
    - { name: dev, path: '{{app}}/dev', update: commit }
    - { name: staging, path: '{{app}}/staging', update: pull-request, from: dev, autoMerge: true }
    - { name: prod, path: '{{app}}/prod', update: pull-request, from: staging, approvals: { required: 1 } }
  notify:
    - name: ops
      kind: webhook
      url: { env: PROMOBOT_TEST_NOTIFY_URL }
      secret: { env: PROMOBOT_TEST_NOTIFY_SECRET }
      events: [pr-opened, merged]
`,
      access: { alice: 'write' },
    });
  }, 120_000);

  afterAll(async () => {
    await world?.close();
    await close?.();
    delete process.env.PROMOBOT_TEST_NOTIFY_URL;
    delete process.env.PROMOBOT_TEST_NOTIFY_SECRET;
  });

  it('sends pr-opened and merged for staging and pr-opened for prod, each once and signed', async () => {
    await world.push(world.promobot!.app.baseUrl, '1111111bbbbbbb', 1_790_000_000);
    await world.openPull('promobot/prod/alpine', '1111111bbbbbbb');
    await eventually('three notifications', () => (got.length >= 3 ? true : undefined));
    await world.idle('promobot');
    const seen = got.map((g) => `${g.kind}:${g.env}`).sort();
    expect(seen).toEqual(['merged:staging', 'pr-opened:prod', 'pr-opened:staging']);
    expect(got.every((g) => g.signed)).toBe(true);
    expect(new Set(got.map((g) => g.id)).size).toBe(got.length);
    const counted = await world.promobot!.app.metrics.registry.getSingleMetricAsString(
      'promobot_notifications_total',
    );
    expect(counted).toContain('promobot_notifications_total{kind="webhook",outcome="completed"} 3');
  }, 120_000);
});
