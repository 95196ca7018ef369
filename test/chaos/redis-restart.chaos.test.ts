/**
 * Redis is killed while 500 Harbor pushes are being delivered and comes back (append-only file, fsync always, as
 * a production Redis for a job queue is run). A delivery promobot acknowledged with 202 is in the AOF; one it
 * answered 503 is delivered again by Harbor. Every app's tag must land in the deploy repo exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newTag } from '../../bench/support/harbor-push.js';
import { newSendReport, sendPushes } from './support/harbor-sender.js';
import type { PromobotProcess } from './support/promobot-process.js';
import { report, settle } from './support/tally.js';
import { ENVIRONMENTS, startWorld, type World } from './support/world.js';

const APPS = 500;

describe('Redis restarted with 500 pushes in flight', () => {
  let world: World;
  let promobot: PromobotProcess;

  beforeAll(async () => {
    world = await startWorld({ apps: APPS, environments: ENVIRONMENTS.devOnly });
    promobot = await world.promobot({ port: world.webhookPort });
    await promobot.start();
  });

  afterAll(async () => {
    await world?.close();
  });

  it('lands every pushed tag exactly once', async () => {
    const occurAt = Math.floor(Date.now() / 1000);
    const pushes = world.apps.map((app) => ({ app, tag: newTag(), occurAt }));
    const sent = newSendReport();
    const sending = sendPushes(() => promobot.port, pushes, { inFlight: 50, report: sent });

    // Stop Redis once a fifth has been acknowledged: the rest are in flight, queued or landing.
    while (sent.accepted < APPS / 5) await new Promise((resolve) => setTimeout(resolve, 10));
    const acceptedBefore = sent.accepted;
    // Killed, not shut down: what it acknowledged must already be in the append-only file (fsync always).
    await world.redis.stop('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await world.redis.start();
    await sending;

    const intended = pushes.map(({ app, tag }) => ({ app, env: 'dev', tag }));
    const { figures, queues, settledInMs } = await settle(world.deploy.bare, world.redis.url, intended);
    report('redis-restart', {
      ...figures,
      acceptedBeforeStop: acceptedBefore,
      deliveries: sent.outcomes,
      settledInMs,
      queues,
    });
    expect(figures).toMatchObject({ sent: APPS, landed: APPS, duplicated: 0, lost: 0, unexpected: 0 });
    expect(queues.failed).toEqual({ events: 0, reconcile: 0, gates: 0 });
    expect(queues.busy).toEqual({ events: 0, reconcile: 0, gates: 0 });
    // The outage was real: some deliveries were refused while Redis was away and delivered again.
    expect(sent.retried).toBeGreaterThan(0);
    await world.gitea.flush();
    expect(world.gitea.violations).toEqual([]);
  });
});
