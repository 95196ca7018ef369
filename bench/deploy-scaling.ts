/**
 * Scaling: the same one-app bump on 1,000 / 10,000 / 50,000-file deploy repos, promobot (the real service, POST
 * to commit on the remote) beside the plain-git floor (warm clone, edit, commit, push), to show how each cost grows
 * with the size of the repo.
 */
import { startRedis } from '../test/support/redis-server.js';
import { createDeployRepoFixture } from './support/deploy-repo-fixture.js';
import { newTag } from './support/harbor-push.js';
import { promobotBump } from './support/promobot-bump.js';
import { createWarmClone } from './support/plain-git.js';
import { startPromobotService } from './support/promobot-service.js';
import { ms, ratio, summarize } from './support/stats.js';
import type { Bench } from './run.js';

const SIZES = [1_000, 10_000, 50_000];
const PUSHES = 8;
const POLICY_APPS = 20;

interface SizeRow {
  files: number;
  coldMs: number;
  promobot: ReturnType<typeof summarize>;
  floor: ReturnType<typeof summarize>;
}

export const deployScaling: Bench = {
  name: 'deploy-scaling',
  async run() {
    const redis = await startRedis();
    const rows: SizeRow[] = [];
    try {
      for (const size of SIZES) {
        const fixture = createDeployRepoFixture(size);
        const floor = createWarmClone(fixture.copy());
        const apps = fixture.apps.slice(0, POLICY_APPS);
        const service = await startPromobotService({
          redisUrl: redis.url,
          bare: fixture.bare,
          apps,
          name: `scale-${size}`,
        });
        try {
          // The start-up reconciles make the first clone of the repo: its time is the one-off cost.
          const coldStarted = performance.now();
          await service.settle();
          const coldMs = performance.now() - coldStarted;
          const base = Math.floor(Date.now() / 1000);
          const times = { promobot: [] as number[], floor: [] as number[] };
          for (let i = -1; i < PUSHES; i++) {
            const app = apps[(i + POLICY_APPS) % POLICY_APPS]!;
            const p = await promobotBump(service, fixture.bare, app, newTag(), base + i + 1);
            await service.settle();
            const f = await floor.bump(app, newTag());
            if (i >= 0) {
              times.promobot.push(p);
              times.floor.push(f);
            }
          }
          rows.push({
            files: fixture.files,
            coldMs,
            promobot: summarize(times.promobot),
            floor: summarize(times.floor),
          });
        } finally {
          await service.close();
          floor.cleanup();
          fixture.cleanup();
        }
      }
    } finally {
      await redis.close();
    }
    const [first] = rows;
    return [
      '## Scaling with the size of the deploy repo (`bench/deploy-scaling.ts`)',
      '',
      `The same bump (one app's dev Deployment to a new tag) on generated repos of three sizes, ${PUSHES} pushes ` +
        'each after a warm-up, promobot and the floor taking turns, as in the 10,000-file comparison above. ' +
        '"start-up" is the time from the service starting until its start-up reconciles (which make the first ' +
        'clone of the deploy repo) had finished: a one-off cost, not paid per push.',
      '',
      '| files | promobot p50 ms | promobot p99 ms | floor p50 ms | floor p99 ms | promobot / floor (p50) | promobot p50 vs the smallest | start-up ms |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...rows.map(
        (r) =>
          `| ${r.files.toLocaleString('en')} | ${ms(r.promobot.p50)} | ${ms(r.promobot.p99)} | ${ms(r.floor.p50)} | ` +
          `${ms(r.floor.p99)} | ${ratio(r.promobot.p50, r.floor.p50)} | ${first ? ratio(r.promobot.p50, first.promobot.p50) : ''} | ${ms(r.coldMs)} |`,
      ),
      '',
    ].join('\n');
  },
};
