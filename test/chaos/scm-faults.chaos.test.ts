/**
 * The code host answers 500, 502 or 429 (Retry-After: 1) to 30 % of the calls, API and git HTTP alike, and for
 * half of the failing writes it carries the write out and loses only the answer. Under that, every app goes the
 * whole way: dev by commit, staging by a PR the bot merges, prod by a PR alice approves (by review or with an
 * `/approve` comment, while the faults go on). Every third app gets a second tag once its first has reached prod.
 *
 * Every intended tag must land exactly once in each environment, with no duplicated PR, no PR left open, no failed
 * or stuck job and no call outside Gitea's contract. The landing figures are asserted twice: when the last tag has
 * landed with the faults still on (they must hold then already: faults may delay the flow, never bend it), and
 * again after the faults are switched off and the queues have drained (nothing more lands, nothing failed).
 *
 * Comments the bot created twice on one PR (the same body twice, or a second status comment) are counted and must
 * be none: a comment POST whose answer was lost and that is simply sent again leaves two behind.
 *
 * `CHAOS_SEED=<n>` replays a run's faults (the seed is printed with the figures).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newTag } from '../../bench/support/harbor-push.js';
import { STATUS_COMMENT_MARKER } from '../../src/promotion/pull-request-state/index.js';
import {
  createdComments,
  duplicateBotComments,
  extraMarkedComments,
} from './support/bot-comments-scm-faults.js';
import { newSendReport, sendPushes, type Push } from './support/harbor-sender.js';
import { missingLandings, waitForLandings } from './support/progress-scm-faults.js';
import type { PromobotProcess } from './support/promobot-process.js';
import { duplicatePulls, landings, report, tallyLandings, type Intended } from './support/tally.js';
import { ENVIRONMENTS, REPO, startWorld, type World } from './support/world.js';

const APPS = 8;
/** Every third app gets a second tag once its first has landed in prod. */
const TWICE = (i: number) => i % 3 === 0;
const SEED = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);
const ENVS = ['dev', 'staging', 'prod'] as const;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the code host failing 30 % of the calls', () => {
  let world: World;
  let promobot: PromobotProcess;

  beforeAll(async () => {
    world = await startWorld({ apps: APPS, environments: ENVIRONMENTS.flow });
    promobot = await world.promobot({ port: world.webhookPort });
    await promobot.start();
  });

  afterAll(async () => {
    await world?.close();
  });

  it('lands every tag once per environment, approved in prod, with no duplicate and no failed job', async () => {
    const { gitea, deploy } = world;
    gitea.randomFaults({ rate: 0.3, seed: SEED, lost: 0.5, git: true });

    const occurAt = Math.floor(Date.now() / 1000);
    const first: Push[] = world.apps.map((app) => ({ app, tag: newTag(), occurAt }));
    const second: Push[] = world.apps
      .filter((_, i) => TWICE(i))
      .map((app) => ({ app, tag: newTag(), occurAt: occurAt + 1 }));
    const intended: Intended[] = [...first, ...second].flatMap(({ app, tag }) =>
      ENVS.map((env) => ({ app, env, tag })),
    );
    const sent = newSendReport();
    const sending: Promise<unknown>[] = [
      sendPushes(() => promobot.port, first, { inFlight: 8, report: sent }),
    ];
    const openPulls = () => gitea.pulls(REPO).filter((p) => p.state === 'open');

    // alice approves each prod PR head once, as a person would: by review on even PRs, by comment on odd ones.
    // She never asks twice, so an approval the bot dropped leaves its PR open and the run stuck.
    let running = true;
    const approved = new Set<string>();
    const approvals = { review: 0, comment: 0 };
    const approver = (async () => {
      while (running) {
        for (const pull of openPulls()) {
          const key = `${pull.index}@${pull.headSha}`;
          if (!pull.head.startsWith('promobot/prod/') || approved.has(key)) continue;
          approved.add(key);
          if (pull.index % 2 === 0) {
            await gitea.review(REPO, pull.index, 'alice', 'APPROVED', 'Looks good.');
            approvals.review += 1;
          } else {
            await gitea.comment(REPO, pull.index, 'alice', 'Checked the dashboards.\n\n/approve');
            approvals.comment += 1;
          }
        }
        await sleep(250);
      }
    })();

    // The second tag of an app is pushed once its first runs in prod: two successive releases.
    const waiting = new Map(second.map((push) => [push.app, push]));
    const firstTag = new Map(first.map((push) => [push.app, push.tag]));
    const follower = (async () => {
      while (running && waiting.size > 0) {
        const due = landings(deploy.bare).filter(
          (l) => l.env === 'prod' && waiting.has(l.app) && firstTag.get(l.app) === l.tag,
        );
        for (const { app } of due) {
          const push = waiting.get(app)!;
          waiting.delete(app);
          sending.push(sendPushes(() => promobot.port, [push], { report: sent }));
        }
        await sleep(250);
      }
    })();

    const wait = (deadlineMs: number) =>
      waitForLandings({
        bare: deploy.bare,
        redisUrl: world.redis.url,
        intended,
        deadlineMs,
        extraDone: () => openPulls().length === 0,
      });
    // With the faults still on: every tag landed, no PR open, the queues empty.
    const underFaults = await wait(480_000);
    gitea.randomFaults(undefined);
    const faults = structuredClone(gitea.faultCounts);
    running = false;
    await Promise.all([approver, follower]);
    await Promise.all(sending);
    // Faults off: whatever was still retrying finishes, and nothing more may land.
    const after = await wait(60_000);
    await gitea.flush();

    const pulls = duplicatePulls(gitea.pulls(REPO));
    const comments = createdComments(gitea, 'promobot');
    const duplicates = duplicateBotComments(comments);
    const extraStatusComments = extraMarkedComments(comments, STATUS_COMMENT_MARKER);
    const missing = missingLandings(landings(deploy.bare), intended);
    report('scm-faults', {
      seed: SEED,
      apps: APPS,
      pushes: sent.accepted,
      ...after.figures,
      underFaults: `${underFaults.outcome} in ${underFaults.ms} ms, landed ${underFaults.figures.landed}`,
      afterFaults: `${after.outcome} in ${after.ms} ms`,
      calls: faults.calls,
      failed: faults.failed,
      lostAnswers: faults.lostAnswers,
      failedByStatus: faults.byStatus,
      pulls: pulls.pulls,
      duplicatedPulls: pulls.duplicated,
      openPulls: openPulls().map((p) => `#${p.index} ${p.head}`),
      approvals,
      botComments: duplicates.comments,
      duplicatedBotComments: duplicates.duplicated,
      extraStatusComments,
      duplicatedOn: duplicates.examples,
      missing: missing.slice(0, 10),
      queues: after.queues,
    });
    if (after.outcome !== 'done') process.stdout.write(`${promobot.tail()}\n`);

    const expected = {
      sent: intended.length,
      landed: intended.length,
      duplicated: 0,
      lost: 0,
      unexpected: 0,
    };
    expect(underFaults.figures, 'with the faults still on').toMatchObject(expected);
    expect(underFaults.outcome, 'with the faults still on').toBe('done');
    expect(after.figures, 'after the faults stopped').toMatchObject(expected);
    expect(after.figures).toEqual(tallyLandings(deploy.bare, intended));
    expect(after.outcome).toBe('done');
    expect(pulls.duplicated).toBe(0);
    expect(openPulls()).toEqual([]);
    expect(after.queues.failed).toEqual({ events: 0, reconcile: 0, gates: 0 });
    expect(after.queues.busy).toEqual({ events: 0, reconcile: 0, gates: 0 });
    // The faults were real: about 30 % of the calls failed, some after the write was done, each kind of answer.
    expect(faults.failed).toBeGreaterThan(faults.calls * 0.2);
    expect(faults.lostAnswers).toBeGreaterThan(0);
    expect(Object.keys(faults.byStatus).sort()).toEqual(['429', '500', '502']);
    expect(approvals.review).toBeGreaterThan(0);
    expect(approvals.comment).toBeGreaterThan(0);
    expect(gitea.violations).toEqual([]);
    expect(duplicates, 'comments the bot created twice on one PR').toMatchObject({ duplicated: 0 });
    expect(extraStatusComments, 'second status comments on one PR').toBe(0);
  });
});
