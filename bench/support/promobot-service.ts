/**
 * The real promobot service in the bench process, wired as `promobot start` wires it: the HTTP intake and the
 * event worker (`test/support/app.ts`) with the handlers of `createWorkerRuntime`, a policy whose entry
 * environment `dev` is updated by commit, and the deploy repo's remote set to a local bare repo.
 *
 * Every landing asks for a reconcile of the app, and a reconcile lists the app's open PRs on the SCM host even
 * when every environment is commit-only, so the Gitea double stands in for Gitea (it answers from memory; a
 * dummy URL would make each reconcile fail and retry against the same repo lock, which production never sees).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { RECONCILE_QUEUE } from '../../src/promotion/index.js';
import { createWorkerRuntime, type WorkerRuntime as PromotionRuntime } from '../../src/worker/index.js';
import { EVENTS_QUEUE, type HandlerRegistry } from '../../src/queue/index.js';
import { startGiteaDouble, type GiteaDouble } from '../../test/doubles/gitea/index.js';
import { startApp, TEST_SECRETS, type TestApp } from '../../test/support/app.js';
import { imageOf } from './deploy-repo-fixture.js';

export interface PromobotService {
  readonly baseUrl: string;
  readonly app: TestApp;
  /** POSTs a Harbor delivery as Harbor does; resolves with the HTTP status. */
  postHarbor(body: string): Promise<number>;
  /** Resolves once no event or reconcile job is waiting or running (reconciles run after each landing). */
  settle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** A commit-only policy for `apps` whose deploy repo is the bare repo at `bare`. */
export function commitOnlyPolicy(name: string, bare: string, apps: readonly string[]): string {
  return [
    'apiVersion: promobot.dev/v1alpha1',
    'kind: PromotionPolicy',
    `metadata: { name: ${name} }`,
    'spec:',
    `  deployRepo: { scm: gitea, repo: bench/${name}, branch: main, url: ${JSON.stringify(bare)} }`,
    '  apps:',
    ...apps.map((app) => `    - { name: ${app}, image: ${imageOf(app)} }`),
    '  environments:',
    "    - { name: dev, path: '{{app}}/dev', update: commit }",
    '',
  ].join('\n');
}

export async function startPromobotService(options: {
  redisUrl: string;
  bare: string;
  apps: readonly string[];
  name?: string;
  /** pino level of the service; its lines are kept in memory (`app.logLines()`). Default warn. */
  logLevel?: 'warn' | 'info';
}): Promise<PromobotService> {
  const name = options.name ?? 'bench';
  const home = mkdtempSync(join(tmpdir(), 'promobot-bench-home-'));
  mkdirSync(join(home, 'policies'));
  writeFileSync(join(home, 'policies', `${name}.yaml`), commitOnlyPolicy(name, options.bare, options.apps));

  let gitea: GiteaDouble | undefined;
  let app: TestApp | undefined;
  let runtime: PromotionRuntime | undefined;
  let queues: Queue[] = [];
  let connection: Redis | undefined;
  const close = async () => {
    for (const queue of queues) await queue.close();
    connection?.disconnect();
    await app?.close();
    await runtime?.close();
    await gitea?.close();
    rmSync(home, { recursive: true, force: true });
  };
  try {
    gitea = await startGiteaDouble();
    const bot = gitea.addUser('promobot');
    await gitea.addRepo({ owner: 'bench', name, bare: options.bare, access: { promobot: 'admin' } });
    // The handlers exist once the runtime does, and the runtime needs the app's configuration: delegate.
    const handlers: HandlerRegistry = {
      ImagePushed: (event, context) => runtime!.handlers.ImagePushed!(event, context),
      PullRequestChanged: (event, context) => runtime!.handlers.PullRequestChanged!(event, context),
      PushReceived: (event, context) => runtime!.handlers.PushReceived!(event, context),
    };
    app = await startApp({
      redisUrl: options.redisUrl,
      handlers,
      config: {
        logLevel: options.logLevel ?? 'warn',
        policiesDir: join(home, 'policies'),
        dataDir: join(home, 'data'),
        gitea: { url: gitea.url, token: bot.token },
        git: { authorName: 'promobot', authorEmail: 'promobot@example.test' },
      },
    });
    runtime = await createWorkerRuntime({
      config: app.config,
      logger: app.logger,
      gitBaseEnv: { PATH: process.env.PATH ?? '', HOME: home },
    });
    await runtime.start();
    connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
    const prefix = app.config.queuePrefix;
    queues = [EVENTS_QUEUE, RECONCILE_QUEUE].map(
      (queue) => new Queue(queue, { connection: connection!, prefix }),
    );
  } catch (error) {
    await close();
    throw error;
  }
  const baseUrl = app.baseUrl;
  return {
    baseUrl,
    app,
    async postHarbor(body) {
      const response = await fetch(`${baseUrl}/webhooks/harbor`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: TEST_SECRETS.harbor },
        body,
      });
      await response.arrayBuffer();
      return response.status;
    },
    async settle(timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        let busy = 0;
        for (const queue of queues) {
          const counts = await queue.getJobCounts('waiting', 'active', 'prioritized', 'waiting-children');
          busy += Object.values(counts).reduce((a, b) => a + b, 0);
        }
        if (busy === 0) return;
        if (Date.now() > deadline) throw new Error(`promobot still has ${busy} jobs after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    close,
  };
}
