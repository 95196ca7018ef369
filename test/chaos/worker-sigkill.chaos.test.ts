/**
 * promobot is SIGKILLed again and again while it carries 24 apps through dev → staging → prod, each kill aimed at
 * a git push in flight: a hop in front of Gitea (`push-tap-sigkill.ts`) holds the push and kills promobot either
 * before Gitea sees it (the commit exists only in promobot's working copy) or after Gitea carried it out and before
 * promobot reads the answer (the push landed and promobot cannot know) — on main (a dev commit, unacknowledged in
 * Redis) and on the promotion branches (a branch pushed, its PR not yet opened or refreshed). Two kills land at
 * random short delays after a restart instead (mid start-up reconcile). Each kill takes promobot's git children
 * with it, as a dying container does (`kill-tree-sigkill.ts`). After each kill promobot is started again on the
 * same port; Harbor keeps retrying what it could not deliver.
 *
 * A third of the apps get a second tag once their prod PR is open, so that PR must be updated in place. In the end:
 * every tag landed in dev exactly once, staging got each app's final tag exactly once by exactly one merged bot PR,
 * each app has exactly one open prod PR carrying its final tag, no PR is duplicated, no job failed or is stuck.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newTag } from '../../bench/support/harbor-push.js';
import { parsePromotionMeta } from '../../src/promotion/index.js';
import { completedJobs, failedJobs } from './support/job-audit-sigkill.js';
import { auditFlow, intendedLandings } from './support/flow-audit-sigkill.js';
import { newSendReport, sendPushes, type Push } from './support/harbor-sender.js';
import { killWithChildren } from './support/kill-tree-sigkill.js';
import type { PromobotProcess } from './support/promobot-process.js';
import { startPushTap, type KillMoment, type PushTap } from './support/push-tap-sigkill.js';
import { duplicatePulls, queueState, report, settle } from './support/tally.js';
import { ENVIRONMENTS, REPO, startWorld, type World } from './support/world.js';
import { seededRandom } from '../support/seeded-random.js';

const APPS = 24;
/** Every third app gets a second tag once its prod PR carries the first. */
const twice = (index: number) => index % 3 === 1;

/** Where each kill is aimed, in order: a push (to a ref) and the moment, or a random short delay after a restart. */
const AIMS: (
  { when: KillMoment; ref?: RegExp; what: string } | { randomMs: [number, number]; what: string }
)[] = [
  { when: 'after', ref: /^refs\/heads\/main$/, what: 'dev commit landed, unanswered' },
  { when: 'after', ref: /^refs\/heads\/promobot\//, what: 'promotion branch landed, unanswered' },
  { when: 'before', what: 'push never reached Gitea' },
  { randomMs: [300, 3_000], what: 'random, mid start-up' },
  { when: 'after', what: 'push landed, unanswered' },
  { when: 'before', what: 'push never reached Gitea' },
  { randomMs: [300, 3_000], what: 'random, mid start-up' },
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a worker SIGKILLed mid-push, again and again, through the full flow', () => {
  let world: World;
  let tap: PushTap;
  let promobot: PromobotProcess;

  beforeAll(async () => {
    world = await startWorld({ apps: APPS, environments: ENVIRONMENTS.flow });
    tap = await startPushTap(world.gitea.url);
    promobot = await world.promobot({ port: world.webhookPort, env: { GITEA_URL: tap.url } });
    await promobot.start();
  });

  afterAll(async () => {
    await tap?.close();
    await world?.close();
  });

  it('lands every tag once and leaves one prod PR per app with its final tag', async () => {
    const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);
    const random = seededRandom(seed);
    const started = Date.now();
    const firstAt = Math.floor(Date.now() / 1000) - 60;
    const first: Push[] = world.apps.map((app) => ({ app, tag: newTag(), occurAt: firstAt }));
    const second = new Map<string, Push>(
      world.apps
        .filter((_, i) => twice(i))
        .map((app) => [app, { app, tag: newTag(), occurAt: firstAt + 30 }]),
    );
    const tags = new Map(
      first.map((p) => [p.app, [p.tag, ...(second.has(p.app) ? [second.get(p.app)!.tag] : [])]]),
    );
    const firstTag = new Map(first.map((p) => [p.app, p.tag]));

    const sent = newSendReport();
    const deliveries: Promise<unknown>[] = [
      sendPushes(() => promobot.port, first, { inFlight: 10, deadlineMs: 600_000, report: sent }),
    ];
    // The second tag of an app goes out once its prod PR is open with the first, so that PR must move in place.
    const waiting = new Set(second.keys());
    const secondWave = (async () => {
      const deadline = started + 300_000;
      while (waiting.size > 0) {
        const open = world.gitea
          .pulls(REPO)
          .filter((p) => p.state === 'open' && p.head.startsWith('promobot/prod/'));
        const due = [...waiting].filter(
          (app) =>
            Date.now() > deadline ||
            open.some(
              (p) =>
                p.head === `promobot/prod/${app}` && parsePromotionMeta(p.body)?.tag === firstTag.get(app),
            ),
        );
        for (const app of due) waiting.delete(app);
        if (due.length > 0)
          deliveries.push(
            sendPushes(
              () => promobot.port,
              due.map((app) => second.get(app)!),
              {
                inFlight: 10,
                deadlineMs: 600_000,
                report: sent,
              },
            ),
          );
        await sleep(due.length > 0 ? 50 : 250);
      }
    })();

    const kills: { what: string; ref: string; atMs: number }[] = [];
    // The whole process tree, as a container dies: no orphaned `git push` finishes what promobot started.
    let gitChildrenKilled = 0;
    const kill = async () => {
      gitChildrenKilled += await killWithChildren(promobot);
    };
    for (const aim of AIMS) {
      if ('randomMs' in aim) {
        const [low, high] = aim.randomMs;
        await sleep(low + Math.floor(random() * (high - low)));
        await kill();
        kills.push({ what: aim.what, ref: '-', atMs: Date.now() - started });
      } else {
        // The aimed ref first; if none comes (its work is done), the next push of any kind; then a plain kill.
        let armed = tap.arm({ when: aim.when, ...(aim.ref ? { ref: aim.ref } : {}), kill });
        let ref = await Promise.race([armed.fired, sleep(aim.ref ? 30_000 : 90_000).then(() => undefined)]);
        let what = aim.what;
        if (ref === undefined && aim.ref) {
          armed.disarm();
          armed = tap.arm({ when: aim.when, kill });
          what = `${aim.when}: the next push (none to the aimed ref came)`;
          ref = await Promise.race([armed.fired, sleep(60_000).then(() => undefined)]);
        }
        if (ref === undefined) {
          armed.disarm();
          what = 'no push came at all';
          await kill();
        }
        kills.push({ what, ref: ref ?? '-', atMs: Date.now() - started });
      }
      await promobot.start();
    }
    const killsDoneMs = Date.now() - started;
    await secondWave;
    await Promise.all(deliveries);
    const deliveredMs = Date.now() - started;

    const plan = { tags };
    const { queues, settledInMs } = await settle(
      world.deploy.bare,
      world.redis.url,
      intendedLandings(plan),
      300_000,
    );
    await world.gitea.flush();
    const audit = auditFlow(world.deploy.bare, world.gitea.pulls(REPO), plan);
    const duplicates = duplicatePulls(world.gitea.pulls(REPO));
    const finalQueues = await queueState(world.redis.url);
    report('worker-sigkill', {
      ...audit.figures,
      seed,
      kills: kills.length,
      gitChildrenKilled,
      starts: promobot.starts,
      intermediateStaging: audit.intermediateStaging,
      updatedInPlace: audit.updatedInPlace,
      pulls: audit.pulls,
      duplicatedPulls: duplicates.duplicated,
      pushes: tap.figures,
      deliveries: sent.outcomes,
      killsDoneMs,
      deliveredMs,
      settledInMs,
      totalMs: Date.now() - started,
      queues: finalQueues,
      completed: await completedJobs(world.redis.url),
    });
    for (const k of kills) report('worker-sigkill kill', k);
    const failed = await failedJobs(world.redis.url);
    const context = [
      `problems:\n${audit.problems.join('\n')}`,
      `failed jobs:\n${failed.map((j) => JSON.stringify(j)).join('\n')}`,
      `promobot's last lines:\n${promobot.tail()}`,
    ].join('\n\n');

    expect(kills.length).toBeGreaterThanOrEqual(5);
    // The aims were met: pushes killed before Gitea saw them, and after it carried them out on main and on a
    // promotion branch.
    expect(tap.kills.filter((k) => k.when === 'before').length, context).toBeGreaterThanOrEqual(1);
    expect(
      tap.kills.filter((k) => k.when === 'after' && k.ref === 'refs/heads/main').length,
    ).toBeGreaterThanOrEqual(1);
    expect(
      tap.kills.filter((k) => k.when === 'after' && k.ref.startsWith('refs/heads/promobot/')).length,
    ).toBeGreaterThanOrEqual(1);
    expect(audit.figures, context).toMatchObject({
      sent: APPS + second.size + APPS,
      landed: APPS + second.size + APPS,
      duplicated: 0,
      lost: 0,
    });
    expect(audit.problems).toEqual([]);
    expect(audit.updatedInPlace).toBe(second.size);
    expect(duplicates.duplicated).toBe(0);
    expect(queues.busy).toEqual({ events: 0, reconcile: 0, gates: 0 });
    expect(finalQueues.failed, context).toEqual({ events: 0, reconcile: 0, gates: 0 });
    expect(world.gitea.violations).toEqual([]);
  }, 900_000);
});
