/**
 * Harbor push → commit pushed on a generated 10,000-file deploy repo, side by side in one run: promobot (a Harbor
 * delivery POSTed to the real service, timed until the commit is on the bare remote), the naive CI script (fresh
 * shallow clone, sed, commit, push) and the plain-git floor (warm clone, one edit, commit, push). Each contender
 * has its own bare remote with the same content, and the three take turns push by push so they share the
 * machine's conditions.
 */
import { startRedis } from '../test/support/redis-server.js';
import { createDeployRepoFixture, git } from './support/deploy-repo-fixture.js';
import { newTag } from './support/harbor-push.js';
import { promobotBump } from './support/promobot-bump.js';
import { createWarmClone, naiveBump } from './support/plain-git.js';
import { startPromobotService, type PromobotService } from './support/promobot-service.js';
import { ms, ratio, summarize, type Summary } from './support/stats.js';
import type { Bench } from './run.js';

const FILES = 10_000;
const PUSHES = 30;
const POLICY_APPS = 20;

const row = (name: string, s: Summary) => `| ${name} | ${s.n} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.max)} |`;

export const deployWrite: Bench = {
  name: 'deploy-write',
  async run() {
    const fixture = createDeployRepoFixture(FILES);
    const redis = await startRedis();
    const naiveBare = fixture.copy();
    const floor = createWarmClone(fixture.copy());
    const apps = fixture.apps.slice(0, POLICY_APPS);
    let service: PromobotService | undefined;
    try {
      service = await startPromobotService({ redisUrl: redis.url, bare: fixture.bare, apps });
      // The start-up reconcile of every app clones the repo; measuring starts once that is done.
      await service.settle();
      const base = Math.floor(Date.now() / 1000);
      const times = {
        promobot: [] as number[],
        naive: [] as number[],
        floor: [] as number[],
        reconcile: [] as number[],
      };
      // One warm-up round (not counted): the first push of each contender pays for cold caches.
      for (let i = -1; i < PUSHES; i++) {
        const app = apps[(i + POLICY_APPS) % POLICY_APPS]!;
        const p = await promobotBump(service, fixture.bare, app, newTag(), base + i + 1);
        const settleStarted = performance.now();
        await service.settle();
        const settled = performance.now() - settleStarted;
        const n = await naiveBump(naiveBare, app, newTag());
        const f = await floor.bump(app, newTag());
        process.stderr.write(
          `deploy-write ${i + 1}/${PUSHES}: promobot ${ms(p)} ms (reconcile after it ${ms(settled)} ms), naive ${ms(n)} ms, floor ${ms(f)} ms\n`,
        );
        if (i >= 0) {
          times.promobot.push(p);
          times.naive.push(n);
          times.floor.push(f);
          times.reconcile.push(settled);
        }
      }
      const commits = Number(git(fixture.bare, 'rev-list', '--count', 'main'));
      const promobot = summarize(times.promobot);
      const naive = summarize(times.naive);
      const floorS = summarize(times.floor);
      const withinFloor = promobot.p50 <= 2 * floorS.p50;
      const fasterThanNaive = naive.p50 / promobot.p50 >= 25;
      return [
        '## Deploy repo write: Harbor push → commit pushed (`bench/deploy-write.ts`)',
        '',
        `A generated deploy repo of ${fixture.files.toLocaleString('en')} files (${fixture.apps.length} apps × ` +
          'dev/staging/prod × Deployment, Service, ConfigMap, HPA, kustomization) in a local bare remote, one per ' +
          `contender. ${PUSHES} pushes each (after one warm-up round), taking turns push by push; each push bumps ` +
          `another of ${POLICY_APPS} apps to a new 40-hex tag.`,
        '',
        '- **promobot**: a signed Harbor Default delivery POSTed to the real service (HTTP intake, bullmq on a real ' +
          '`redis-server` with appendfsync always, the event worker, `createWorkerRuntime` handlers, a ' +
          'commit-only policy), timed from the POST until the new commit is the branch tip of the bare remote ' +
          '(its ref file polled every 2 ms). The reconcile every landing asks for runs after the push (against the ' +
          'Gitea double) and is let finish before the next contender runs.',
        '- **naive script**: `git clone --depth 1 file://…`, `sed -i`, `git commit -am`, `git push` in `sh`, from ' +
          'a fresh temp dir each time (as CI pipelines do today).',
        '- **plain-git floor**: a warm full clone, the file edited in place, `git add`, `git commit`, `git push` ' +
          '(no fetch: it is the only writer of its remote).',
        '',
        '| contender | pushes | p50 ms | p99 ms | max ms |',
        '|---|---:|---:|---:|---:|',
        row('promobot', promobot),
        row('naive script', naive),
        row('plain-git floor', floorS),
        '',
        `- promobot / floor: ${ratio(promobot.p50, floorS.p50)} at p50, ${ratio(promobot.p99, floorS.p99)} at p99 ` +
          `(aim: p50 within 2×) — ${withinFloor ? 'met' : '**not met**'}.`,
        `- naive / promobot: ${ratio(naive.p50, promobot.p50)} at p50, ${ratio(naive.p99, promobot.p99)} at p99 ` +
          `(aim: ≥ 25× at p50) — ${fasterThanNaive ? 'met' : '**not met**'}.`,
        `- After each landing the service asks for a reconcile of the app, which reads the environment back (one ` +
          `fetch, a read of the folder and \`git log -S\` for "since when", in this process's working copy, not ` +
          `under the cross-worker repo lock); from the landing until the queues were idle again took p50 ` +
          `${ms(summarize(times.reconcile).p50)} ms, p99 ${ms(summarize(times.reconcile).p99)} ms. It is not part ` +
          'of the push → commit time; a push that arrives meanwhile waits only for that read.',
        `- promobot's remote holds ${commits} commits afterwards (seed, the warm-up and one per push): every push ` +
          'was checked to carry exactly its tag in its app\u2019s dev Deployment.',
        '',
      ].join('\n');
    } finally {
      await service?.close();
      floor.cleanup();
      await redis.close();
      fixture.cleanup();
    }
  },
};
