import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isStatusComment } from '../../src/promotion/pull-request-state/index.js';
import type { Config } from '../../src/config/index.js';
import { createWorkerRuntime, type WorkerRuntime as PromotionRuntime } from '../../src/worker/index.js';
import type { EventHandler, HandlerRegistry } from '../../src/queue/index.js';
import type { DomainEventType } from '../../src/events/index.js';
import {
  startGiteaDouble,
  type AccessLevel,
  type DoublePull,
  type GiteaDouble,
} from '../doubles/gitea/index.js';
import type { DoubleComment } from '../doubles/gitea/gitea-model.js';
import { harborHeaders, harborPushWithTags } from '../http/deliveries.js';
import { startApp, TEST_SECRETS, type StartAppOptions, type TestApp } from '../support/app.js';
import { createTempRepo, type TempRepo } from '../support/git.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import {
  startPrometheus,
  type PrometheusServer,
  type StartPrometheusOptions,
} from '../support/prometheus.js';
import { Redis } from 'ioredis';

export interface PromobotUnderTest {
  app: TestApp;
  runtime: PromotionRuntime;
  close(): Promise<void>;
}

const EVENT_TYPES: DomainEventType[] = [
  'ImagePushed',
  'PushReceived',
  'PullRequestChanged',
  'CommentCreated',
  'ReviewSubmitted',
  'RolloutObserved',
];

/**
 * What `promobot start` runs, in this process: the real HTTP server and worker (`startApp`) with the handlers of
 * the real promotion runtime. The runtime needs the app's configuration and the app needs the handlers, so the
 * handlers delegate to the runtime made right after.
 */
export async function startPromobot(options: {
  redisUrl: string;
  home: string;
  config: StartAppOptions['config'] & Partial<Pick<Config, 'policiesDir' | 'dataDir'>>;
}): Promise<PromobotUnderTest> {
  // Set right below, once the app (and so its configuration) exists.
  const holder: { runtime?: PromotionRuntime } = {};
  const handlers = Object.fromEntries(
    EVENT_TYPES.map((type) => [
      type,
      ((event, context) =>
        (holder.runtime?.handlers[type] as EventHandler | undefined)?.(event, context) ??
        Promise.resolve()) as EventHandler,
    ]),
  ) as HandlerRegistry;
  const app = await startApp({ redisUrl: options.redisUrl, handlers, config: options.config });
  const runtime = await createWorkerRuntime({
    config: app.config,
    logger: app.logger,
    metrics: app.metrics,
    gitBaseEnv: { PATH: process.env.PATH ?? '', HOME: options.home },
  });
  holder.runtime = runtime;
  await runtime.start();
  const started = runtime;
  return {
    app,
    runtime: started,
    async close() {
      await app.close();
      await started.close();
    },
  };
}

/** Polls `probe` until it gives a value (not undefined), or fails naming `what`. */
export async function eventually<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 45_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The deploy repo every scenario of this kind uses, and the image its one app `alpine` runs. */
export const DEPLOY_REPO = 'bootcamp/notes-deploy';
export const IMAGE = 'localhost/harbor/alpine';
/** A manifest of `alpine` at `tag`, as the deploy repo holds it. */
export const manifest = (tag: string): string =>
  `containers:\n  - name: alpine\n    image: ${IMAGE}:${tag}\n`;

export interface GiteaWorldOptions {
  /** For the temporary directory's name. */
  name: string;
  /** The one policy, as YAML, written to `policies/alpine.yaml`. */
  policy: string;
  /** The deploy repo's first commit; every environment of `alpine` at `OLD_TAG` unless told. */
  files?: Record<string, string>;
  /** Runs on the deploy repo before Gitea and promobot see it (to give it a history, say). */
  prepare?: (deploy: TempRepo) => void;
  /** People with access to the deploy repo (promobot is always its admin). */
  access: Record<string, AccessLevel>;
  /** Teams of `bootcamp` and their members. */
  teams?: Record<string, string[]>;
  /** `false`: no promobot in this process (the test runs one as a child process, with `config()`). */
  inProcess?: boolean;
  /** A real Prometheus with these series, started beside Redis; the in-process promobot's gates query it. */
  prometheus?: StartPrometheusOptions;
}

/** Redis, the strict Gitea double with the deploy repo, the policies on disk, and promobot, as a scenario needs. */
export interface GiteaWorld {
  redis: RedisServer;
  deploy: TempRepo;
  home: string;
  gitea: GiteaDouble;
  /** API tokens by login. */
  tokens: Record<string, string>;
  /** The in-process promobot, unless `inProcess: false`. */
  promobot: PromobotUnderTest | undefined;
  /** The real Prometheus, when `prometheus` was given. */
  prometheus: PrometheusServer | undefined;
  /** Where promobot's webhooks go: the in-process one, or whatever `hookTo` was given. */
  hookTo(baseUrl: string): Promise<void>;
  /** The bot's status comment on `index`, or ''. */
  statusComment(index: number): DoubleComment | undefined;
  /** Waits until a comment of the bot on `index` contains `text`. */
  said(index: number, text: string): Promise<DoubleComment>;
  /** Waits for the open PR from `head` whose body mentions `tag`. */
  openPull(head: string, tag: string): Promise<DoublePull>;
  /** Harbor pushes `tag` of `IMAGE` at `occurAt` (seconds), to `baseUrl`. */
  push(baseUrl: string, tag: string, occurAt: number): Promise<void>;
  merged(index: number): Promise<DoublePull>;
  /**
   * Waits until promobot has nothing to do: no job waiting or running in any of its queues (delayed ones, such as
   * periodic rechecks, aside), and the double has delivered every webhook. Before a test flushes Redis, so that no
   * job in flight writes back what it read before the flush.
   */
  idle(prefix: string): Promise<void>;
  /** Calls the API as `login`, as a person would; the status code. */
  api(login: string, method: string, path: string, body?: unknown): Promise<number>;
  close(): Promise<void>;
}

export const OLD_TAG = '0000000aaaaaaa';

export async function startGiteaWorld(options: GiteaWorldOptions): Promise<GiteaWorld> {
  const [redis, prometheus] = await Promise.all([
    startRedis(),
    options.prometheus ? startPrometheus(options.prometheus) : undefined,
  ]);
  const deploy = createTempRepo(
    options.files ?? {
      'alpine/dev/app.yaml': manifest(OLD_TAG),
      'alpine/staging/app.yaml': manifest(OLD_TAG),
      'alpine/prod/app.yaml': manifest(OLD_TAG),
    },
  );
  options.prepare?.(deploy);
  const home = mkdtempSync(join(tmpdir(), `promobot-${options.name}-`));
  mkdirSync(join(home, 'policies'));
  writeFileSync(join(home, 'policies', 'alpine.yaml'), options.policy);
  const gitea = await startGiteaDouble();
  const tokens: Record<string, string> = {};
  for (const login of ['promobot', ...Object.keys(options.access)])
    tokens[login] = gitea.addUser(login).token;
  const [owner = '', name = ''] = DEPLOY_REPO.split('/');
  await gitea.addRepo({ owner, name, bare: deploy.bare, access: { promobot: 'admin', ...options.access } });
  for (const [team, members] of Object.entries(options.teams ?? {})) gitea.addTeam(owner, team, members);
  const promobot =
    options.inProcess === false
      ? undefined
      : await startPromobot({
          redisUrl: redis.url,
          home,
          config: {
            logLevel: 'info',
            policiesDir: join(home, 'policies'),
            dataDir: join(home, 'data'),
            gitea: { url: gitea.url, token: tokens.promobot ?? '' },
            git: { authorName: 'promobot', authorEmail: 'promobot@example.test' },
            ...(prometheus ? { prometheus: { url: prometheus.url, timeoutMs: 5_000 } } : {}),
          },
        });
  const api = async (login: string, method: string, path: string, body?: unknown) => {
    const answer = await fetch(`${gitea.url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `token ${tokens[login] ?? ''}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    await answer.arrayBuffer();
    return answer.status;
  };
  const world: GiteaWorld = {
    redis,
    deploy,
    home,
    gitea,
    tokens,
    promobot,
    prometheus,
    async hookTo(baseUrl) {
      const status = await api('promobot', 'POST', `/repos/${DEPLOY_REPO}/hooks`, {
        type: 'gitea',
        active: true,
        events: ['push', 'pull_request', 'issue_comment', 'pull_request_review'],
        config: { url: `${baseUrl}/webhooks/gitea`, content_type: 'json', secret: TEST_SECRETS.gitea },
      });
      if (status !== 201) throw new Error(`the hook was not created: ${String(status)}`);
    },
    statusComment: (index) =>
      gitea
        .comments(DEPLOY_REPO, index)
        .find((c) => c.author.login === 'promobot' && isStatusComment(c.body)),
    said: (index, text) =>
      eventually(`"${text}" on #${String(index)}`, () =>
        gitea
          .comments(DEPLOY_REPO, index)
          .find((c) => c.author.login === 'promobot' && c.body.includes(text)),
      ),
    openPull: (head, tag) =>
      eventually(`the PR from ${head} with ${tag}`, () =>
        gitea.pulls(DEPLOY_REPO).find((p) => p.state === 'open' && p.head === head && p.body.includes(tag)),
      ),
    async push(baseUrl, tag, occurAt) {
      const answer = await fetch(`${baseUrl}/webhooks/harbor`, {
        method: 'POST',
        headers: harborHeaders(),
        // Stamped with its own push time, as each real push is: the newer push wins.
        body: JSON.stringify({ ...(JSON.parse(harborPushWithTags(tag)) as object), occur_at: occurAt }),
      });
      if (answer.status !== 202) throw new Error(`Harbor's push of ${tag} got ${String(answer.status)}`);
    },
    merged: (index) =>
      eventually(`#${String(index)} merged`, () =>
        gitea.pull(DEPLOY_REPO, index)?.merged ? gitea.pull(DEPLOY_REPO, index) : undefined,
      ),
    api,
    async idle(prefix) {
      const client = new Redis(redis.url);
      try {
        const busy = async () => {
          let count = 0;
          for (const queue of ['events', 'reconcile', 'gates']) {
            count += await client.llen(`${prefix}:${queue}:wait`);
            count += await client.llen(`${prefix}:${queue}:active`);
            count += await client.zcard(`${prefix}:${queue}:prioritized`);
          }
          return count;
        };
        // Twice in a row, a moment apart: a finished job may queue the next one.
        let quiet = 0;
        await eventually('promobot idle', async () => {
          await gitea.flush();
          quiet = (await busy()) === 0 ? quiet + 1 : 0;
          return quiet >= 3 ? true : undefined;
        });
      } finally {
        client.disconnect();
      }
    },
    async close() {
      if (process.env.PROMOBOT_E2E_LOG)
        writeFileSync(process.env.PROMOBOT_E2E_LOG, promobot?.app.logText() ?? '');
      await promobot?.close();
      await gitea.close();
      await prometheus?.close();
      await redis.close();
      deploy.cleanup();
      rmSync(home, { recursive: true, force: true });
    },
  };
  if (promobot) await world.hookTo(promobot.app.baseUrl);
  return world;
}

/** A request the proxy holds: it reached the host (and the host answered), but the answer is not passed on. */
export interface HeldAnswer {
  method: string;
  path: string;
  body: string;
}

/**
 * A hop in front of an HTTP host that passes everything on, except that an armed rule keeps the answer of the first
 * request it matches from the caller (the host carried the request out): so a test can kill the caller at exactly
 * that moment, as a crash between a write and its answer would.
 */
export interface HoldingProxy {
  readonly url: string;
  /** Holds the answer of the next request `match` accepts; resolves with it once it came. */
  holdAnswer(match: (request: HeldAnswer) => boolean): Promise<HeldAnswer>;
  close(): Promise<void>;
}

export async function startHoldingProxy(target: string): Promise<HoldingProxy> {
  const upstream = new URL(target);
  let armed: { match: (r: HeldAnswer) => boolean; resolve: (r: HeldAnswer) => void } | undefined;
  const held = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const seen: HeldAnswer = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        body: body.toString('utf8'),
      };
      const forward = httpRequest(
        new URL(req.url ?? '/', upstream),
        { method: req.method, headers: { ...req.headers, host: upstream.host } },
        (answer) => {
          const rule = armed;
          if (rule?.match(seen)) {
            armed = undefined;
            answer.resume();
            held.add(res);
            rule.resolve(seen);
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${String(port)}`,
    holdAnswer: (match) =>
      new Promise<HeldAnswer>((resolve) => {
        armed = { match, resolve };
      }),
    async close() {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
