/**
 * Resident memory of `promobot start` in its own process (read from /proc/<pid>/status, the figure
 * `process.memoryUsage().rss` reports inside it): after start-up, at steady state after real pushes landed in a
 * 10,000-file deploy repo, and after 10,000 more intake events.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { EVENTS_QUEUE } from '../src/queue/index.js';
import { RECONCILE_QUEUE } from '../src/promotion/index.js';
import { startGiteaDouble } from '../test/doubles/gitea/index.js';
import { freePort, startRedis } from '../test/support/redis-server.js';
import { createDeployRepoFixture, devPath, git } from './support/deploy-repo-fixture.js';
import { harborPush, newTag } from './support/harbor-push.js';
import { commitOnlyPolicy } from './support/promobot-service.js';
import { readRef, waitForRefChange } from './support/remote-ref.js';
import type { Bench } from './run.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const HARBOR_AUTH = 'Basic YmVuY2g6bWVtb3J5';
const PREFIX = 'benchmem';
const FILES = 10_000;
const APPS = 20;
const LANDINGS = 5;
const EVENTS = 10_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** VmRSS and VmHWM (peak) of a process, in MiB. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

async function waitReady(base: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error('promobot start did not become ready');
    await sleep(100);
  }
}

export const memory: Bench = {
  name: 'memory',
  async run() {
    const fixture = createDeployRepoFixture(FILES);
    const redis = await startRedis();
    const gitea = await startGiteaDouble();
    const home = mkdtempSync(join(tmpdir(), 'promobot-bench-mem-'));
    const apps = fixture.apps.slice(0, APPS);
    let child: ChildProcess | undefined;
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queues = [EVENTS_QUEUE, RECONCILE_QUEUE].map((q) => new Queue(q, { connection, prefix: PREFIX }));
    const settle = async () => {
      const deadline = Date.now() + 300_000;
      for (;;) {
        let busy = 0;
        for (const queue of queues)
          busy += Object.values(await queue.getJobCounts('waiting', 'active', 'prioritized')).reduce(
            (a, b) => a + b,
            0,
          );
        if (busy === 0) return;
        if (Date.now() > deadline) throw new Error(`${busy} jobs still pending`);
        await sleep(50);
      }
    };
    try {
      const bot = gitea.addUser('promobot');
      await gitea.addRepo({
        owner: 'bench',
        name: 'memory',
        bare: fixture.bare,
        access: { promobot: 'admin' },
      });
      mkdirSync(join(home, 'policies'));
      writeFileSync(join(home, 'policies', 'memory.yaml'), commitOnlyPolicy('memory', fixture.bare, apps));
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      // node itself with tsx as a loader, so the pid is the service's and not a wrapper's.
      child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'main.ts'), 'start'], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          HOME: home,
          REDIS_URL: redis.url,
          PORT: String(port),
          HOST: '127.0.0.1',
          LOG_LEVEL: 'warn',
          PROMOBOT_QUEUE_PREFIX: PREFIX,
          PROMOBOT_DATA_DIR: join(home, 'data'),
          PROMOBOT_POLICIES: join(home, 'policies'),
          HARBOR_WEBHOOK_SECRET: HARBOR_AUTH,
          GITEA_URL: gitea.url,
          GITEA_TOKEN: bot.token,
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      const pid = child.pid!;
      await waitReady(base, child);
      await settle();
      await sleep(2_000);
      const started = memoryOf(pid);

      const post = async (body: string) => {
        const response = await fetch(`${base}/webhooks/harbor`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: HARBOR_AUTH },
          body,
        });
        await response.arrayBuffer();
        if (response.status !== 202) throw new Error(`promobot answered ${response.status}`);
      };
      const at = Math.floor(Date.now() / 1000);
      for (let i = 0; i < LANDINGS; i++) {
        const app = apps[i % APPS]!;
        const tag = newTag();
        const before = readRef(fixture.bare);
        await post(harborPush(app, tag, at + i));
        const { commit } = await waitForRefChange(fixture.bare, before, { timeoutMs: 60_000 });
        if (!git(fixture.bare, 'show', `${commit}:${devPath(app)}`).includes(tag))
          throw new Error(`${app} did not land ${tag}`);
        await settle();
      }
      await sleep(3_000);
      const steady = memoryOf(pid);

      // 10,000 more events through intake, the queue and the worker: Harbor pushes of images no policy promotes,
      // each with its own tag, so each is a new job that the worker runs to its end ("no app").
      let n = 0;
      const result = await autocannon({
        url: `${base}/webhooks/harbor`,
        connections: 8,
        amount: EVENTS,
        requests: [
          {
            method: 'POST',
            setupRequest: (request) => {
              n += 1;
              return {
                ...request,
                headers: { 'content-type': 'application/json', authorization: HARBOR_AUTH },
                body: harborPush(`other-${n % 500}`, newTag(), at + 100),
              };
            },
          },
        ],
      });
      const accepted = result.statusCodeStats?.['202']?.count ?? 0;
      await settle();
      const drained = memoryOf(pid);
      await sleep(10_000);
      const later = memoryOf(pid);
      const mib = (n: number) => `${n.toFixed(0)} MiB`;
      return [
        '## Resident memory (`bench/memory.ts`)',
        '',
        '`promobot start` (serve and worker in one process, LOG_LEVEL=warn) run as its own child process ' +
          '(`node --import tsx src/main.ts start`, so the TypeScript loader is part of the figure), with a ' +
          `${fixture.files.toLocaleString('en')}-file deploy repo in a local bare remote, ${APPS} apps in a commit-only ` +
          'policy, the Gitea double as its SCM, and its own `redis-server`. RSS is `VmRSS` of `/proc/<pid>/status` ' +
          '(what `process.memoryUsage().rss` reports inside the process); peak is `VmHWM`. git runs in child ' +
          'processes of its own and is not counted.',
        '',
        '| when | RSS | peak so far |',
        '|---|---:|---:|',
        `| ready, start-up reconciles done (first clone made) | ${mib(started.rss)} | ${mib(started.peak)} |`,
        `| steady state: ${LANDINGS} pushes landed one by one, then 3 s idle | ${mib(steady.rss)} | ${mib(steady.peak)} |`,
        `| right after ${EVENTS.toLocaleString('en')} more intake events were all processed | ${mib(drained.rss)} | ${mib(drained.peak)} |`,
        `| 10 s later | ${mib(later.rss)} | ${mib(later.peak)} |`,
        '',
        `The ${EVENTS.toLocaleString('en')} events were Harbor pushes of images no policy promotes (each a new tag, ` +
          `so each a new job; ${accepted} answered 202, sent by autocannon with 8 connections at ` +
          `${Math.round(result.requests.average)}/s): they exercise intake, the queue and the worker but no git, ` +
          `so growth here is what the process keeps per event. Growth from steady state: ` +
          `${(later.rss - steady.rss).toFixed(0)} MiB.`,
        '',
      ].join('\n');
    } finally {
      if (child && child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((resolve) => child!.once('exit', resolve));
      }
      for (const queue of queues) await queue.close();
      connection.disconnect();
      await gitea.close();
      await redis.close();
      rmSync(home, { recursive: true, force: true });
      fixture.cleanup();
    }
  },
};
