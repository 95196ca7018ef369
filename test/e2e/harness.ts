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
import { startBoard } from '../../src/board/index.js';
import { createHttpApp, startHttpServer } from '../../src/http/index.js';
import { createMetrics } from '../../src/metrics/index.js';
import { startArgoCdDouble, type ArgoCdDouble } from '../doubles/argocd/index.js';
import {
  startGiteaDouble,
  type AccessLevel,
  type DoublePull,
  type GiteaDouble,
} from '../doubles/gitea/index.js';
import {
  startGitHubDouble,
  type FineLevel,
  type FinePermission,
  type GitHubAccess,
  type GitHubApp,
  type GitHubDouble,
  type GitHubPull,
  type OrgRole,
  type TeamPrivacy,
} from '../doubles/github/index.js';
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

/** The code host a world's deploy repo lives on. */
export type WorldHost = 'gitea' | 'github';

/** A PR as either host's double holds it, in the same words for both (Gitea's `index` is `number` here). */
export interface WorldPull {
  number: number;
  head: string;
  state: 'open' | 'closed';
  merged: boolean;
  headSha: string;
  body: string;
  mergeCommitSha: string | null;
  author: string;
  mergedBy: string | undefined;
}

/** The code host's double, as a scenario written once for both hosts sees it (on the deploy repo). */
export interface WorldScm {
  readonly host: WorldHost;
  readonly url: string;
  readonly violations: readonly string[];
  readonly answerProblems: readonly string[];
  pulls(): WorldPull[];
  pull(number: number): WorldPull | undefined;
  /** The commit statuses on `sha`, oldest first. */
  statuses(sha: string): { context: string; state: string }[];
  /** The comments on PR `number`, oldest first. */
  comments(number: number): { author: string; body: string }[];
  /** `login` comments on PR `number` through the API, as a person would. */
  comment(number: number, login: string, body: string): Promise<void>;
  /** `login` presses the merge button; the status code. */
  merge(number: number, login: string): Promise<number>;
  /** Waits until every webhook the double owes is delivered. */
  flush(): Promise<void>;
}

/** What every world takes, whichever the host. */
export interface WorldOptions<W> {
  /** For the temporary directory's name. */
  name: string;
  /** The one policy, as YAML, written to `policies/alpine.yaml`. */
  policy: string;
  /** The deploy repo's first commit; every environment of `alpine` at `OLD_TAG` unless told. */
  files?: Record<string, string>;
  /** Runs on the deploy repo before the host and promobot see it (to give it a history, say). */
  prepare?: (deploy: TempRepo) => void;
  /** `false`: no promobot in this process (the test runs one as a child process). */
  inProcess?: boolean;
  /** A real Prometheus with these series, started beside Redis; the in-process promobot's gates query it. */
  prometheus?: StartPrometheusOptions;
  /** The Argo CD double, with a token allowed these `project/application` globs; promobot verifies through it. */
  argocd?: { allow: string[] };
  /** Fields of promobot's configuration beside the world's own (the board's `ui`, say). */
  config?: StartAppOptions['config'];
  /**
   * A second `serve` with the release board, as another replica would run it: it reads the snapshots and the
   * channel the in-process worker writes.
   */
  board?: boolean;
  /** Runs once the host, Redis and the doubles are ready, before promobot starts (`promobot setup`, Argo CD apps). */
  beforePromobot?: (world: W) => void | Promise<void>;
}

/** Redis, the host's strict double with the deploy repo, the policies on disk, and promobot, as a scenario needs. */
export interface World {
  redis: RedisServer;
  deploy: TempRepo;
  home: string;
  /** API tokens by login. */
  tokens: Record<string, string>;
  /** The in-process promobot, unless `inProcess: false`. */
  promobot: PromobotUnderTest | undefined;
  /** The real Prometheus, when `prometheus` was given. */
  prometheus: PrometheusServer | undefined;
  /** The Argo CD double, when `argocd` was given. */
  argocd: ArgoCdDouble | undefined;
  /** The second `serve`'s board, when `board` was asked for. */
  board: { url: string } | undefined;
  /** The host's double in host-neutral words. */
  scm: WorldScm;
  /** Where promobot's webhooks go: the in-process one, or whatever `hookTo` was given. */
  hookTo(baseUrl: string): Promise<void>;
  /** Harbor pushes `tag` of `IMAGE` at `occurAt` (seconds; the fixture's push time if not given), to `baseUrl`. */
  push(baseUrl: string, tag: string, occurAt?: number): Promise<void>;
  /**
   * Waits until promobot has nothing to do: no job waiting or running in any of its queues (delayed ones, such as
   * periodic rechecks, aside), and the double has delivered every webhook. Before a test flushes Redis, so that no
   * job in flight writes back what it read before the flush.
   */
  idle(prefix: string): Promise<void>;
  close(): Promise<void>;
}

export interface GiteaWorldOptions extends WorldOptions<GiteaWorld> {
  /** People with access to the deploy repo (promobot is always its admin). */
  access: Record<string, AccessLevel>;
  /** Teams of `bootcamp` and their members. */
  teams?: Record<string, string[]>;
}

export interface GiteaWorld extends World {
  gitea: GiteaDouble;
  /** The bot's status comment on `index`, or ''. */
  statusComment(index: number): DoubleComment | undefined;
  /** Waits until a comment of the bot on `index` contains `text`. */
  said(index: number, text: string): Promise<DoubleComment>;
  /** Waits for the open PR from `head` whose body mentions `tag`. */
  openPull(head: string, tag: string): Promise<DoublePull>;
  merged(index: number): Promise<DoublePull>;
  /** Calls the API as `login`, as a person would; the status code. */
  api(login: string, method: string, path: string, body?: unknown): Promise<number>;
}

export interface GitHubWorldOptions extends WorldOptions<GitHubWorld> {
  /**
   * People with access to the deploy repo. promobot has `write` unless told (docs/ACCESS.md: GitHub's least
   * privilege); `owner` is always its admin, and registers the hooks.
   */
  access: Record<string, GitHubAccess>;
  /** Members of the organization `bootcamp`, and their role. */
  orgMembers?: Record<string, OrgRole>;
  /** Teams of `bootcamp`: their members and privacy (the double's default: secret). */
  teams?: Record<string, { members: string[]; privacy?: TeamPrivacy }>;
  /** promobot acts as a GitHub App `promobot` installed on `bootcamp` with these permissions, not with a token. */
  app?: Partial<Record<FinePermission, FineLevel>>;
}

export interface GitHubWorld extends World {
  github: GitHubDouble;
  /** The App promobot acts as, when `app` was given. */
  app: GitHubApp | undefined;
  /** The login promobot acts as: `promobot`, `promobot[bot]` as an App, or the one of `restartPromobot`. */
  bot: string;
  /** Stops the in-process promobot and starts another with `login`'s token (its own data dir), hooked to. */
  restartPromobot(login: string): Promise<PromobotUnderTest>;
}

export const OLD_TAG = '0000000aaaaaaa';

/** What a host brings to a world: its double, promobot's configuration for it, and its hook registration. */
interface HostParts {
  scm: WorldScm;
  tokens: Record<string, string>;
  /** promobot's configuration for this host, as `login` (the host's default bot when not given). */
  promobotConfig(login?: string): StartAppOptions['config'];
  hookTo(baseUrl: string): Promise<void>;
  close(): Promise<void>;
}

/** The second `serve` of `board`: the release board over what the worker of `promobot` publishes. */
async function startBoardServe(
  promobot: PromobotUnderTest,
): Promise<{ url: string; close(): Promise<void> }> {
  const { config, logger, producer } = promobot.app;
  const parts = await startBoard({ config, logger, policies: () => promobot.runtime.policies.current() });
  const app = createHttpApp({
    config,
    logger,
    queue: producer,
    metrics: createMetrics({ defaultMetrics: false }),
    board: parts.routes,
  });
  const server = await startHttpServer(app, 0, '127.0.0.1');
  return {
    url: server.url,
    async close() {
      await parts.close();
      await server.close();
    },
  };
}

/**
 * The part of every world that is the same on each host: Redis, Prometheus and Argo CD, the deploy repo and the
 * policies, promobot and its board; `startHost` brings up the host's double on the deploy repo, `extend` adds the
 * host's own helpers to the world.
 */
async function startWorld<W extends World>(
  options: WorldOptions<W>,
  startHost: (deploy: TempRepo) => Promise<HostParts>,
  extend: (
    world: World,
    relaunch: (login: string | undefined, dataDir: string) => Promise<PromobotUnderTest>,
  ) => W,
): Promise<W> {
  const [redis, prometheus, argocd] = await Promise.all([
    startRedis(),
    options.prometheus ? startPrometheus(options.prometheus) : undefined,
    options.argocd ? startArgoCdDouble() : undefined,
  ]);
  const argocdToken = options.argocd ? argocd?.addToken(options.argocd.allow) : undefined;
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
  const host = await startHost(deploy);
  let board: { url: string; close(): Promise<void> } | undefined;
  // The one place a world's promobot is made, with everything the world runs beside it.
  const launch = (login: string | undefined, dataDir: string) =>
    startPromobot({
      redisUrl: redis.url,
      home,
      config: {
        logLevel: 'info',
        policiesDir: join(home, 'policies'),
        dataDir: join(home, dataDir),
        ...host.promobotConfig(login),
        git: { authorName: 'promobot', authorEmail: 'promobot@example.test' },
        ...(prometheus ? { prometheus: { url: prometheus.url, timeoutMs: 5_000 } } : {}),
        ...(argocd && argocdToken ? { argocd: { url: argocd.url, token: argocdToken } } : {}),
        ...options.config,
      },
    });
  const base: World = {
    redis,
    deploy,
    home,
    tokens: host.tokens,
    promobot: undefined,
    prometheus,
    argocd,
    board: undefined,
    scm: host.scm,
    hookTo: (baseUrl) => host.hookTo(baseUrl),
    async push(baseUrl, tag, occurAt) {
      const answer = await fetch(`${baseUrl}/webhooks/harbor`, {
        method: 'POST',
        headers: harborHeaders(),
        // Stamped with its own push time, as each real push is: the newer push wins.
        body:
          occurAt === undefined
            ? harborPushWithTags(tag)
            : JSON.stringify({ ...(JSON.parse(harborPushWithTags(tag)) as object), occur_at: occurAt }),
      });
      if (answer.status !== 202) throw new Error(`Harbor's push of ${tag} got ${String(answer.status)}`);
    },
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
          await host.scm.flush();
          quiet = (await busy()) === 0 ? quiet + 1 : 0;
          return quiet >= 3 ? true : undefined;
        });
      } finally {
        client.disconnect();
      }
    },
    async close() {
      if (process.env.PROMOBOT_E2E_LOG)
        writeFileSync(process.env.PROMOBOT_E2E_LOG, world.promobot?.app.logText() ?? '');
      await board?.close();
      await world.promobot?.close();
      await host.close();
      await argocd?.close();
      await prometheus?.close();
      await redis.close();
      deploy.cleanup();
      rmSync(home, { recursive: true, force: true });
    },
  };
  const world = extend(base, async (login, dataDir) => {
    await world.promobot?.close();
    world.promobot = await launch(login, dataDir);
    await world.hookTo(world.promobot.app.baseUrl);
    return world.promobot;
  });
  await options.beforePromobot?.(world);
  if (options.inProcess !== false) {
    world.promobot = await launch(undefined, 'data');
    await world.hookTo(world.promobot.app.baseUrl);
    if (options.board) {
      board = await startBoardServe(world.promobot);
      world.board = { url: board.url };
    }
  }
  return world;
}

/** A PR of either double as `WorldPull`, numbered `number`. */
const pullView = (number: number, p: DoublePull | GitHubPull): WorldPull => ({
  number,
  head: p.head,
  state: p.state,
  merged: p.merged,
  headSha: p.headSha,
  body: p.body,
  mergeCommitSha: p.mergeCommitSha,
  author: p.author.login,
  mergedBy: p.mergedBy?.login,
});

/** The host-neutral view of a double: both doubles keep the same helpers, Gitea's PR `index` is GitHub's `number`. */
function worldScm<P>(
  host: WorldHost,
  double: {
    readonly url: string;
    readonly violations: string[];
    readonly answerProblems: string[];
    pulls(fullName: string): P[];
    pull(fullName: string, number: number): P | undefined;
    statuses(fullName: string, sha: string): { context: string; state: string }[];
    comments(fullName: string, number: number): { author: { login: string }; body: string }[];
    comment(fullName: string, number: number, author: string, body: string): Promise<unknown>;
    merge(fullName: string, number: number, user: string): Promise<number>;
    flush(): Promise<void>;
  },
  view: (pull: P) => WorldPull,
): WorldScm {
  return {
    host,
    url: double.url,
    get violations() {
      return double.violations;
    },
    get answerProblems() {
      return double.answerProblems;
    },
    pulls: () => double.pulls(DEPLOY_REPO).map(view),
    pull(number) {
      const pull = double.pull(DEPLOY_REPO, number);
      return pull && view(pull);
    },
    statuses: (sha) => double.statuses(DEPLOY_REPO, sha).map(({ context, state }) => ({ context, state })),
    comments: (number) =>
      double.comments(DEPLOY_REPO, number).map((c) => ({ author: c.author.login, body: c.body })),
    async comment(number, login, body) {
      await double.comment(DEPLOY_REPO, number, login, body);
    },
    merge: (number, login) => double.merge(DEPLOY_REPO, number, login),
    flush: () => double.flush(),
  };
}

export async function startGiteaWorld(options: GiteaWorldOptions): Promise<GiteaWorld> {
  let gitea: GiteaDouble | undefined;
  return startWorld(
    options,
    async (deploy) => {
      const double = await startGiteaDouble();
      gitea = double;
      const tokens: Record<string, string> = {};
      for (const login of ['promobot', ...Object.keys(options.access)])
        tokens[login] = double.addUser(login).token;
      const [owner = '', name = ''] = DEPLOY_REPO.split('/');
      await double.addRepo({
        owner,
        name,
        bare: deploy.bare,
        access: { promobot: 'admin', ...options.access },
      });
      for (const [team, members] of Object.entries(options.teams ?? {})) double.addTeam(owner, team, members);
      return {
        tokens,
        scm: worldScm('gitea', double, (p) => pullView(p.index, p)),
        promobotConfig: (login = 'promobot') => ({ gitea: { url: double.url, token: tokens[login] ?? '' } }),
        async hookTo(baseUrl) {
          const status = await giteaApi(
            double.url,
            tokens.promobot ?? '',
            'POST',
            `/repos/${DEPLOY_REPO}/hooks`,
            {
              type: 'gitea',
              active: true,
              events: ['push', 'pull_request', 'issue_comment', 'pull_request_review'],
              config: { url: `${baseUrl}/webhooks/gitea`, content_type: 'json', secret: TEST_SECRETS.gitea },
            },
          );
          if (status !== 201) throw new Error(`the hook was not created: ${String(status)}`);
        },
        close: () => double.close(),
      };
    },
    (world) => {
      const double = gitea!;
      return {
        ...world,
        gitea: double,
        statusComment: (index) =>
          double
            .comments(DEPLOY_REPO, index)
            .find((c) => c.author.login === 'promobot' && isStatusComment(c.body)),
        said: (index, text) =>
          eventually(`"${text}" on #${String(index)}`, () =>
            double
              .comments(DEPLOY_REPO, index)
              .find((c) => c.author.login === 'promobot' && c.body.includes(text)),
          ),
        openPull: (head, tag) =>
          eventually(`the PR from ${head} with ${tag}`, () =>
            double
              .pulls(DEPLOY_REPO)
              .find((p) => p.state === 'open' && p.head === head && p.body.includes(tag)),
          ),
        merged: (index) =>
          eventually(`#${String(index)} merged`, () =>
            double.pull(DEPLOY_REPO, index)?.merged ? double.pull(DEPLOY_REPO, index) : undefined,
          ),
        api: (login, method, path, body) =>
          giteaApi(double.url, world.tokens[login] ?? '', method, path, body),
      };
    },
  );
}

/** Calls Gitea's API with `token`, as a person would; the status code. */
async function giteaApi(url: string, token: string, method: string, path: string, body?: unknown) {
  const answer = await fetch(`${url}/api/v1${path}`, {
    method,
    headers: {
      authorization: `token ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  await answer.arrayBuffer();
  return answer.status;
}

export async function startGitHubWorld(options: GitHubWorldOptions): Promise<GitHubWorld> {
  let github: GitHubDouble | undefined;
  let app: GitHubApp | undefined;
  const [org = '', name = ''] = DEPLOY_REPO.split('/');
  return startWorld(
    options,
    async (deploy) => {
      const double = await startGitHubDouble();
      github = double;
      const tokens: Record<string, string> = {};
      const people = Object.keys(options.access).filter((login) => login !== 'promobot');
      for (const login of ['owner', ...(options.app ? [] : ['promobot']), ...people])
        tokens[login] = double.addUser(login).token;
      await double.addRepo({
        owner: org,
        name,
        bare: deploy.bare,
        access: { ...(options.app ? {} : { promobot: 'write' as const }), ...options.access, owner: 'admin' },
      });
      for (const [login, role] of Object.entries(options.orgMembers ?? {}))
        double.addOrgMember(org, login, role);
      for (const [team, { members, privacy }] of Object.entries(options.teams ?? {}))
        double.addTeam(org, team, members, [], privacy ? { privacy } : {});
      if (options.app) app = double.addApp({ slug: 'promobot', account: org, permissions: options.app });
      return {
        tokens,
        scm: worldScm('github', double, (p) => pullView(p.number, p)),
        promobotConfig: (login = 'promobot') => ({
          github: app
            ? {
                apiUrl: double.url,
                app: {
                  appId: String(app.id),
                  installationId: app.installations[org] ?? 0,
                  privateKey: app.privateKey,
                },
              }
            : { apiUrl: double.url, token: tokens[login] ?? '' },
        }),
        // The repository's admin registers the hook (`promobot webhooks sync` with an admin's token): promobot's
        // least privilege cannot, hooks need repo admin.
        async hookTo(baseUrl) {
          const answer = await fetch(`${double.url}/repos/${DEPLOY_REPO}/hooks`, {
            method: 'POST',
            headers: { authorization: `token ${tokens.owner ?? ''}`, 'content-type': 'application/json' },
            body: JSON.stringify({
              name: 'web',
              active: true,
              events: ['push', 'pull_request', 'issue_comment', 'pull_request_review'],
              config: {
                url: `${baseUrl}/webhooks/github`,
                content_type: 'json',
                secret: TEST_SECRETS.github,
              },
            }),
          });
          await answer.arrayBuffer();
          if (answer.status !== 201) throw new Error(`the hook was not created: ${String(answer.status)}`);
        },
        close: () => double.close(),
      };
    },
    (world, relaunch) => {
      const self: GitHubWorld = {
        ...world,
        github: github!,
        app,
        bot: app ? 'promobot[bot]' : 'promobot',
        async restartPromobot(login) {
          if (process.env.PROMOBOT_E2E_LOG && self.promobot)
            writeFileSync(`${process.env.PROMOBOT_E2E_LOG}.${self.bot}`, self.promobot.app.logText());
          self.bot = login;
          return relaunch(login, `data-${login}`);
        },
      };
      return self;
    },
  );
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
