/**
 * A burst: 100 pushes for 100 different apps sent to the running service within one second, on a 10,000-file
 * deploy repo. Measures the time from the first POST until every app's tag is on the bare remote and how many
 * commits that took (coalescing), and checks that every app got exactly its own tag and nothing else moved.
 */
import { execFile } from 'node:child_process';
import { TEST_SECRETS } from '../test/support/app.js';
import { startRedis } from '../test/support/redis-server.js';
import { createDeployRepoFixture, devPath, git } from './support/deploy-repo-fixture.js';
import { harborPush, newTag } from './support/harbor-push.js';
import { startPromobotService, type PromobotService } from './support/promobot-service.js';
import { readRef } from './support/remote-ref.js';
import { ms } from './support/stats.js';
import type { Bench } from './run.js';

const FILES = 10_000;
const APPS = 100;
const SPREAD_MS = 1_000;
const AIM_MS = 3_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// The sender runs in a process of its own, so the service's work in the bench process cannot slow the sending.
// argv: url, authorization, spread ms; stdin: the bodies as a JSON array. Prints when it started and the statuses.
const SENDER = `
const [url, authorization, spread] = process.argv.slice(1);
let input = '';
process.stdin.on('data', (c) => (input += c));
process.stdin.on('end', async () => {
  const bodies = JSON.parse(input);
  const started = Date.now();
  const statuses = await Promise.all(bodies.map(async (body, i) => {
    await new Promise((r) => setTimeout(r, started + (i * Number(spread)) / bodies.length - Date.now()));
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body });
    await res.arrayBuffer();
    return res.status;
  }));
  process.stdout.write(JSON.stringify({ started, sentIn: Date.now() - started, statuses }));
});`;

function sendBurst(
  url: string,
  bodies: string[],
): Promise<{ started: number; sentIn: number; statuses: number[] }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ['-e', SENDER, url, TEST_SECRETS.harbor, String(SPREAD_MS)],
      (error, stdout) => {
        if (error) reject(error);
        else resolve(JSON.parse(stdout) as { started: number; sentIn: number; statuses: number[] });
      },
    );
    child.stdin?.end(JSON.stringify(bodies));
  });
}

export const deployBurst: Bench = {
  name: 'deploy-burst',
  async run() {
    const fixture = createDeployRepoFixture(FILES);
    const redis = await startRedis();
    const apps = fixture.apps.slice(0, APPS);
    let service: PromobotService | undefined;
    try {
      // info, as in production: the lines say how long each landing held the repo lock and when reconciles ran.
      service = await startPromobotService({
        redisUrl: redis.url,
        bare: fixture.bare,
        apps,
        logLevel: 'info',
      });
      await service.settle();
      const start = readRef(fixture.bare);
      if (start === null) throw new Error('the fixture has no main branch');
      const tags = new Map(apps.map((app) => [app, newTag()]));
      const occurAt = Math.floor(Date.now() / 1000);

      // Every tip the remote shows, with when it was first seen.
      const seen: { commit: string; at: number }[] = [];
      let watching = true;
      const watch = (async () => {
        let last = start;
        while (watching) {
          const tip = readRef(fixture.bare);
          if (tip !== null && tip !== last) {
            seen.push({ commit: tip, at: Date.now() });
            last = tip;
          }
          await sleep(2);
        }
      })();

      const logsBefore = service.app.logLines().length;
      const sent = await sendBurst(
        `${service.baseUrl}/webhooks/harbor`,
        apps.map((app) => harborPush(app, tags.get(app)!, occurAt)),
      );
      const { started, sentIn } = sent;
      if (sent.statuses.some((status) => status !== 202))
        throw new Error(`not every push was accepted: ${sent.statuses.join(', ')}`);

      // Done when the remote's tip has every tag; checked with git only when the tip moves.
      const deadline = Date.now() + 60_000;
      let checked = start;
      let missing = apps.length;
      while (missing > 0) {
        const tip = readRef(fixture.bare);
        if (tip !== null && tip !== checked) {
          checked = tip;
          const changed = new Set(git(fixture.bare, 'diff', '--name-only', start, tip).split('\n'));
          missing = apps.filter((app) => !changed.has(devPath(app))).length;
        }
        if (Date.now() > deadline) throw new Error(`${missing} apps had not landed after 60 s`);
        if (missing > 0) await sleep(5);
      }
      watching = false;
      await watch;
      await service.settle();

      // When each app landed: the first tip seen that contains its change.
      const landedAt = new Map<string, number>();
      let previous = start;
      for (const { commit, at } of seen) {
        for (const path of git(fixture.bare, 'diff', '--name-only', previous, commit).split('\n')) {
          const app = path.split('/')[0] ?? '';
          if (tags.has(app) && !landedAt.has(app)) landedAt.set(app, at - started);
        }
        previous = commit;
      }
      const allLanded = Math.max(...landedAt.values());
      const commits = Number(git(fixture.bare, 'rev-list', '--count', `${start}..main`));
      const tips = seen.length;

      // What held the repo lock meanwhile: the landings (their own timing of sync → push) and the reconciles
      // every landing asks for.
      const end = started + allLanded;
      const lines = service.app.logLines().slice(logsBefore);
      // The logger stamps ISO times.
      const timeOf = (line: Record<string, unknown>) =>
        typeof line.time === 'number' ? line.time : Date.parse(String(line.time));
      const within = (line: Record<string, unknown>) => timeOf(line) >= started && timeOf(line) <= end;
      const landings = lines.filter((l) => l.msg === 'deploy repo change pushed' && within(l));
      const landingMs = landings.reduce((sum, l) => sum + Number(l.ms ?? 0), 0);
      const reconciles = lines.filter((l) => l.msg === 'app reconciled' && within(l)).length;
      const reconcilesAfter = lines.filter((l) => l.msg === 'app reconciled').length;

      // Exactly right: each app's dev file differs only in its own tag, and nothing else moved.
      const changed = git(fixture.bare, 'diff', '--name-only', start, 'main').split('\n').sort();
      const expected = apps.map(devPath).sort();
      const wrongFiles = changed.join('\n') !== expected.join('\n');
      let wrongTags = 0;
      for (const app of apps) {
        const text = git(fixture.bare, 'show', `main:${devPath(app)}`);
        const refs = text.match(/image: "?localhost\/harbor\/app-\d+:([^"\s]+)/g) ?? [];
        if (refs.length !== 2 || !refs.every((r) => r.endsWith(`:${tags.get(app)}`))) wrongTags += 1;
      }
      const met = allLanded <= AIM_MS;
      return [
        '## Burst: 100 apps pushed within 1 s (`bench/deploy-burst.ts`)',
        '',
        `${APPS} signed Harbor deliveries for ${APPS} different apps of one ${fixture.files.toLocaleString('en')}-file ` +
          `deploy repo, POSTed to the running service ${SPREAD_MS / APPS} ms apart by a sender in its own process ` +
          `(the last answer came ${ms(sentIn)} ms after the first POST; every one was 202). Timed from the first ` +
          'POST until the last app\u2019s tag was on the bare remote (its ref file polled every 2 ms). The event ' +
          `worker runs ${service.app.config.concurrency} jobs at once (the default \`PROMOBOT_CONCURRENCY\`): the ` +
          'jobs running when a landing starts ride along in its one push, each app as its own commit, so "branch ' +
          'tips seen moving" counts pushes. Every landing asks for a reconcile of each app it landed.',
        '',
        '| what | value |',
        '|---|---:|',
        `| all ${APPS} landed after | ${ms(allLanded)} ms |`,
        `| first app landed after | ${ms(Math.min(...landedAt.values()))} ms |`,
        `| commits it took | ${commits} |`,
        `| branch tips seen moving | ${tips} |`,
        `| lock time of those landings (sum of their sync → push \`ms\`) | ${ms(landingMs)} ms |`,
        `| reconciles finished before the last landing / in all | ${reconciles} / ${reconcilesAfter} |`,
        `| apps whose dev Deployment holds exactly its tag (both image refs) | ${APPS - wrongTags} / ${APPS} |`,
        `| files changed besides those ${APPS} | ${wrongFiles ? 'some (see the run)' : 'none'} |`,
        '',
        `Aim: all landed within ${AIM_MS / 1000} s — ${met ? 'met' : '**not met**'} in this run.`,
        '',
      ].join('\n');
    } finally {
      await service?.close();
      await redis.close();
      fixture.cleanup();
    }
  },
};
