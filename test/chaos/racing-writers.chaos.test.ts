/**
 * Two promobot processes — `start` (webhooks and jobs) and a separate `worker` with its own working copy — share
 * one Redis and write one deploy repo, while a person commits to main with plain git as fast as git goes (their
 * own clone, pushing to the bare repo's path). Harbor pushes for 32 apps arrive in waves meanwhile. Every pushed
 * tag must land exactly once, every one of the person's commits must still be on main (nothing force-pushed away),
 * and promobot's commits may change nothing but the files of the apps it was asked to move. A hop in front of Gitea
 * counts promobot's push attempts, so the races it lost (and recovered from by re-applying on the new tip) are
 * counted from the outside. Thirty seconds after the last wave the person slows to a commit every 400 ms and goes
 * on until everything landed. How much landed at full speed is a figure, not a pass mark: a writer faster than
 * promobot's fetch-to-push window starves it, and it must catch up once the pace drops, losing and duplicating
 * nothing, while the person's own pushes are now refused now and then and they rebase.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newTag } from '../../bench/support/harbor-push.js';
import { git } from '../support/git.js';
import { completedJobs, failedJobs } from './support/job-audit-sigkill.js';
import { newSendReport, sendPushes, type Push } from './support/harbor-sender.js';
import { botEditsOutside, startOutsideCommitter } from './support/outside-committer-racing.js';
import type { PromobotProcess } from './support/promobot-process.js';
import { startPushTap, type PushTap } from './support/push-tap-sigkill.js';
import { queueState, report, settle, tallyLandings } from './support/tally.js';
import { ENVIRONMENTS, manifestPath, startWorld, type World } from './support/world.js';

const APPS = 40;
/** The last eight apps get no push: the person edits their files. */
const TOUCHED = 32;
const WAVES = 8;
/** How long the person keeps committing as fast as git goes after the last wave, unless everything landed. */
const RACE_MS = 30_000;
/** Then they go on at a person's pace (a commit every PACE_MS) until everything landed, for at most PACED_MS. */
const PACE_MS = 400;
const PACED_MS = 120_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('two workers and a person racing to push to one deploy repo', () => {
  let world: World;
  let tap: PushTap;
  let front: PromobotProcess;
  let back: PromobotProcess;

  beforeAll(async () => {
    world = await startWorld({ apps: APPS, environments: ENVIRONMENTS.devOnly });
    tap = await startPushTap(world.gitea.url);
    front = await world.promobot({ port: world.webhookPort, env: { GITEA_URL: tap.url } });
    back = await world.promobot({ command: 'worker', dataName: 'second', env: { GITEA_URL: tap.url } });
    await Promise.all([front.start(), back.start()]);
  });

  afterAll(async () => {
    await tap?.close();
    await world?.close();
  });

  it("lands every tag once and keeps every one of the person's commits", async () => {
    const started = Date.now();
    const touched = world.apps.slice(0, TOUCHED);
    const untouched = world.apps.slice(TOUCHED);
    const occurAt = Math.floor(Date.now() / 1000);
    const pushes: Push[] = touched.map((app) => ({ app, tag: newTag(), occurAt }));
    const intended = pushes.map(({ app, tag }) => ({ app, env: 'dev', tag }));

    const person = await startOutsideCommitter({
      bare: world.deploy.bare,
      untouchedApps: untouched,
      envs: world.envs,
    });
    // Waves, so that promobot pushes many times while the person does, not once for a coalesced burst.
    const sent = newSendReport();
    const perWave = Math.ceil(pushes.length / WAVES);
    for (let wave = 0; wave < WAVES; wave += 1) {
      await sendPushes(() => front.port, pushes.slice(wave * perWave, (wave + 1) * perWave), {
        inFlight: 4,
        report: sent,
      });
      await sleep(750);
    }
    const landedBy = async (ms: number) => {
      const deadline = Date.now() + ms;
      while (tallyLandings(world.deploy.bare, intended).lost > 0 && Date.now() < deadline) await sleep(250);
      return tallyLandings(world.deploy.bare, intended).landed;
    };
    const landedAtFullSpeed = await landedBy(RACE_MS);
    const fullSpeedCommits = person.figures.commits;
    person.pace(PACE_MS);
    const landedWhilePaced = await landedBy(PACED_MS);
    const racingMs = Date.now() - started;
    await person.stop();
    // Gitea announces the person's last pushes (push webhooks) on its next call; let promobot see and drain them.
    await world.gitea.syncRefs();
    const { figures, queues, settledInMs } = await settle(world.deploy.bare, world.redis.url, intended);
    await world.gitea.flush();

    const missing = person.pushed.filter((commit) => {
      try {
        git(world.deploy.bare, 'merge-base', '--is-ancestor', commit, 'main');
        return false;
      } catch {
        return true;
      }
    });
    const mine = new Set(touched.map((app) => manifestPath(app, 'dev')));
    const undone = botEditsOutside(world.deploy.bare, 'promobot@example.test', (path) => mine.has(path));
    const theirsOnMain = git(world.deploy.bare, 'log', '--format=%ae', 'main')
      .split('\n')
      .filter((email) => email === 'alice@example.test').length;
    const botOnMain = git(world.deploy.bare, 'log', '--format=%ae', 'main')
      .split('\n')
      .filter((email) => email === 'promobot@example.test').length;
    // A push attempt git refused on its own side sends no POST; one Gitea refused answers `ng`.
    const racesLost = tap.figures.advertisements - tap.figures.posts + tap.figures.refsRefused;
    const finalQueues = await queueState(world.redis.url);
    const failed = await failedJobs(world.redis.url);
    report('racing-writers', {
      ...figures,
      outsideCommits: person.figures.commits,
      outsideRejected: person.figures.rejected,
      outsideEdits: {
        readme: person.figures.readme,
        notes: person.figures.notes,
        appFiles: person.figures.appFiles,
      },
      outsideMissing: missing.length,
      botEditsOutside: undone.length,
      landedAtFullSpeed,
      fullSpeedCommits,
      landedWhilePaced,
      botCommits: botOnMain,
      promobotPushAttempts: tap.figures.advertisements,
      promobotRacesLost: racesLost,
      pushes: tap.figures,
      deliveries: sent.outcomes,
      racingMs,
      settledInMs,
      totalMs: Date.now() - started,
      queues: finalQueues,
      completed: await completedJobs(world.redis.url),
    });
    const context = [
      `failed jobs:\n${failed.map((j) => JSON.stringify(j)).join('\n')}`,
      `start's last lines:\n${front.tail()}`,
      `worker's last lines:\n${back.tail()}`,
    ].join('\n\n');

    expect(figures, context).toMatchObject({
      sent: TOUCHED,
      landed: TOUCHED,
      duplicated: 0,
      lost: 0,
      unexpected: 0,
    });
    // The race was real: the person pushed many times, and promobot lost pushes to them and recovered.
    expect(person.figures.commits).toBeGreaterThan(50);
    expect(racesLost).toBeGreaterThan(0);
    expect(missing).toEqual([]);
    // promobot's commits touched only the files of the apps it was asked to move: none undid the person's edits.
    expect(undone).toEqual([]);
    expect(theirsOnMain).toBe(person.figures.commits);
    expect(queues.busy).toEqual({ events: 0, reconcile: 0, gates: 0 });
    expect(finalQueues.failed, context).toEqual({ events: 0, reconcile: 0, gates: 0 });
    expect(world.gitea.violations).toEqual([]);
  });
});
