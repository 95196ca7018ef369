import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { Redis } from 'ioredis';
import { parse } from 'yaml';
import {
  createChatopsRuntime,
  type ChatopsRuntime,
  type ChatopsRuntimeDeps,
} from '../../src/chatops/index.js';
import {
  createPromotionPullRequests,
  type GateVerdict,
  type PromotionPullRequests,
  type PromotionPullRequestsDeps,
  readStatusComment,
} from '../../src/promotion/pull-request-state/index.js';
import { createStopRuntime } from '../../src/governance/stop-runtime.js';
import { approverCheck, commandsIn, stopCommandsIn } from '../../src/worker/index.js';
import type { DomainEvent, ScmKind } from '../../src/events/index.js';
import { normalizeGitHub } from '../../src/hosts/github/normalize.js';
import { normalizeGitea } from '../../src/hosts/gitea/normalize.js';
import { createLogger } from '../../src/logger/index.js';
import { PromotionPolicy, type Environment } from '../../src/policy/schema.js';
import { parsePromotionMeta, renderPullRequestBody } from '../../src/promotion/index.js';
import { createScmHost } from '../../src/hosts/index.js';
import { repoRef, type ScmHost } from '../../src/scm/index.js';
import type { Delivery } from '../doubles/deliver-webhook.js';
import { startGiteaDouble, type GiteaDouble } from '../doubles/gitea/index.js';
import { startGitHubDouble } from '../doubles/github/index.js';
import { createTempRepo, git, GIT_TEST_ENV, type TempRepo } from '../support/git.js';
import type { RedisServer } from '../support/redis-server.js';

/** ChatOps and promotion's PR state, as the worker wires them: what the tests drive. */
export type PullRequestRuntime = ChatopsRuntime & PromotionPullRequests;

/**
 * The ChatOps runtime wired as the worker wires it, against a code host double and a real Redis: what the double
 * sends as webhooks is normalized as in production and handed to `onComment` / `onReview`, as the queue would.
 */

export const REPO = repoRef('bootcamp/notes-deploy');
export const logger = createLogger({ level: 'silent' });
/** How much later than a sealed block's time its comment's `updated_at` may be; tests wait longer than this. */
export const STATE_WRITE_TOLERANCE_MS = 2_000;
/** The key the harness signs status-comment state with, as `PROMOBOT_STATE_KEY` does. */
export const STATE_KEY = 'state-key-for-tests-0123456789abcdef';

export const policyFor = (scm: ScmKind) =>
  PromotionPolicy.parse(
    parse(`
apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: chat }
spec:
  deployRepo: { scm: ${scm}, repo: ${REPO.fullName}, branch: main }
  apps:
    - { name: chat-ui, image: registry.example/bootcamp/chat-ui }
    - { name: chat-api, image: registry.example/bootcamp/chat-api }
    - { name: search, image: registry.example/bootcamp/search }
    - { name: notes, image: registry.example/bootcamp/notes }
    - { name: billing, image: registry.example/bootcamp/billing }
    - { name: auth, image: registry.example/bootcamp/auth }
    - { name: gateway, image: registry.example/bootcamp/gateway }
    - { name: docs, image: registry.example/bootcamp/docs }
    - { name: wiki, image: registry.example/bootcamp/wiki }
    - { name: ledger, image: registry.example/bootcamp/ledger }
    - { name: forum, image: registry.example/bootcamp/forum }
    - { name: shop, image: registry.example/bootcamp/shop }
    - { name: mail, image: registry.example/bootcamp/mail }
    - { name: status, image: registry.example/bootcamp/status }
  environments:
    - { name: staging, path: '{{app}}/staging', update: pull-request }
    - name: prod
      path: '{{app}}/prod'
      update: pull-request
      from: staging
      autoMerge: true
      approvals: { required: 2, approvers: [team:bootcamp/sre, release-lead] }
      gates: [ttft-p95]
`),
  );

/** What the tests need of either double. */
interface Double {
  failNext(rule: { method?: string; path?: string | RegExp; status: number; times?: number }): void;
  readonly url: string;
  readonly violations: string[];
  readonly answerProblems: string[];
  readonly deliveries: Delivery[];
  comment(fullName: string, number: number, author: string, body: string): Promise<{ id: number }>;
  review(fullName: string, number: number, reviewer: string, state: 'APPROVED'): Promise<unknown>;
  syncRefs(): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface Harness {
  readonly kind: ScmKind;
  readonly double: Double;
  /** The Gitea double itself, to change the bot's role; null on GitHub. */
  readonly gitea: GiteaDouble | null;
  readonly host: ScmHost;
  /** How many times the host's client tries one call before it throws (its retries of a 5xx included). */
  readonly attempts: number;
  readonly runtime: PullRequestRuntime;
  readonly redis: Redis;
  readonly prod: Environment;
  /** Tokens of the users, for API calls made as them. */
  readonly tokens: Record<string, string>;
  /** The deploy repo's bare repository, to read what merged. */
  readonly deployBare: string;
  /** What promotion was asked to do. */
  readonly reconciles: { app: string; reason: string }[];
  readonly rollbacks: { app: string; env: string; toTag: string | undefined }[];
  /**
   * What promotion does with a rollback: opens (or finds) the bot's rollback PR of the app on the double, back to
   * `tag`, and answers with it; or refuses.
   */
  rollbackAnswer: { tag: string } | { refused: string };
  /** Opens (or finds) the bot's rollback PR of `app` in prod back to `tag`, as promotion does; its number and link. */
  openRollback(app: string, tag: string): Promise<{ number: number; url: string }>;
  /** Reasons of the commands the runtime could not decide (`promobot_command_errors_total`). */
  readonly commandErrors: string[];
  /** The members of team bootcamp/sre on the Gitea double, to change who is in it. */
  readonly sreMembers: Set<string> | undefined;
  /** What `gateStatus` answers for every PR. */
  gates: GateVerdict;
  /** Opens the bot's promotion PR of `app` into prod, asked for by `requestedBy`; returns its number and head. */
  openPromotion(app: string, requestedBy?: string): Promise<{ number: number; headSha: string }>;
  /**
   * Pushes a new candidate onto the PR's branch, as the bot does, committed at `writtenAt` (a minute ago unless
   * told: the comments a test writes next came after it).
   */
  pushCandidate(app: string, tag: string, writtenAt?: Date): Promise<string>;
  /** Deliveries the double sent since the last call, normalized and handed to the runtime. */
  pump(): Promise<Delivery[]>;
  /** The domain events of one delivery, normalized by the host's normalizer as in production. */
  normalize(delivery: Delivery): readonly DomainEvent[];
  /** Hands one delivery to the runtime (again); `holder` is the job id the worker would pass. */
  dispatch(delivery: Delivery, holder?: string): Promise<void>;
  /** A new runtime over the same Redis, as after a worker restart. */
  restart(): void;
  readiness(number: number): Promise<{ ready: boolean; why: string }>;
  botComments(number: number): Promise<{ id: number; body: string }[]>;
  close(): Promise<void>;
}

/** promobot commits at `at` (`GIT_COMMITTER_DATE`): when it wrote a head is what an `/approve` is checked against. */
function commitAt(cwd: string, at: Date, ...args: string[]): void {
  execFileSync('git', ['commit', ...args], {
    cwd,
    env: { ...GIT_TEST_ENV, GIT_COMMITTER_DATE: at.toISOString(), GIT_AUTHOR_DATE: at.toISOString() },
  });
}

/** When the heads the harness writes were written unless a test says: a minute before the comments on them. */
const aMinuteAgo = () => new Date(Date.now() - 60_000);

const USERS = ['promobot', 'alice', 'release-lead', 'carol', 'dave', 'mallory'];

export async function startHarness(kind: ScmKind, redisServer: RedisServer): Promise<Harness> {
  const receiver: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(202).end());
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const webhook = {
    url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/${kind}`,
    secret: 's',
  };
  const deploy: TempRepo = createTempRepo({ 'README.md': 'deploy repo\n' });
  const tokens: Record<string, string> = {};
  let double: Double;
  let giteaDouble: GiteaDouble | null = null;
  let host: ScmHost;
  let attempts: number;
  let sreMembers: Set<string> | undefined;
  if (kind === 'gitea') {
    const gitea = await startGiteaDouble({ webhook });
    for (const login of USERS) tokens[login] = gitea.addUser(login).token;
    await gitea.addRepo({
      owner: REPO.owner,
      name: REPO.name,
      bare: deploy.bare,
      access: { promobot: 'admin', alice: 'write', 'release-lead': 'write', carol: 'write', dave: 'write' },
    });
    // The documented least privilege: repo admin (to read people's permission) and a member of the approvers' team
    // (Gitea shows a team's members only to its members).
    sreMembers = gitea.addTeam('bootcamp', 'sre', ['carol', 'dave', 'promobot']).members;
    double = gitea;
    giteaDouble = gitea;
    host = createScmHost('gitea', {
      baseUrl: gitea.url,
      token: tokens.promobot ?? '',
      logger,
      retry: { attempts: 3, baseDelayMs: 5 },
    });
    attempts = 3;
  } else {
    const github = await startGitHubDouble({ webhook });
    for (const login of USERS) tokens[login] = github.addUser(login).token;
    await github.addRepo({
      owner: REPO.owner,
      name: REPO.name,
      bare: deploy.bare,
      access: {
        promobot: 'write',
        alice: 'write',
        'release-lead': 'write',
        carol: 'write',
        dave: 'maintain',
      },
    });
    github.addTeam('bootcamp', 'sre', ['carol', 'dave']);
    double = github;
    host = createScmHost('github', {
      baseUrl: github.url,
      token: tokens.promobot ?? '',
      logger,
      retry: { retryAfterBaseValue: 5 },
      throttle: { enabled: false },
    });
    // The first try and octokit's three retries of a 5xx (create-github-host.ts).
    attempts = 4;
  }
  const policy = policyFor(kind);
  const prod = policy.spec.environments.find((e) => e.name === 'prod') as Environment;
  const redis = new Redis(redisServer.url, { maxRetriesPerRequest: null });
  let cursor = double.deliveries.length;

  const harness: Harness = {
    kind,
    double,
    gitea: giteaDouble,
    host,
    attempts,
    redis,
    prod,
    tokens,
    deployBare: deploy.bare,
    reconciles: [],
    rollbacks: [],
    rollbackAnswer: { tag: '1a2b3c4' },
    commandErrors: [],
    sreMembers,
    gates: 'none',
    runtime: undefined as unknown as PullRequestRuntime,
    async openPromotion(app, requestedBy) {
      const branch = `promobot/prod/${app}`;
      git(deploy.work, 'checkout', '--quiet', '-B', branch, 'main');
      const file = join(deploy.work, `${app}/prod/deployment.yaml`);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `image: registry.example/bootcamp/${app}:3f9c2ab\n`);
      git(deploy.work, 'add', '--all');
      commitAt(deploy.work, aMinuteAgo(), '--quiet', '-m', `promote(${app}): prod 1a2b3c4 → 3f9c2ab`);
      git(deploy.work, 'push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`);
      const headSha = git(deploy.work, 'rev-parse', 'HEAD');
      git(deploy.work, 'checkout', '--quiet', 'main');
      await double.syncRefs();
      const meta = {
        v: 1 as const,
        policy: 'chat',
        app,
        env: 'prod',
        from: 'staging',
        tag: '3f9c2ab',
        previousTag: '1a2b3c4',
        kind: 'promotion' as const,
      };
      const pr = await host.createPullRequest(REPO, {
        head: branch,
        base: 'main',
        title: `promote ${app} to prod: 1a2b3c4 → 3f9c2ab`,
        body: renderPullRequestBody({ meta, image: `registry.example/bootcamp/${app}` }),
      });
      await harness.pump();
      // As promotion does once it has written the PR someone asked for.
      if (requestedBy !== undefined)
        await harness.runtime.recordRequester(kind, REPO, pr.number, { by: requestedBy, via: 'promote' });
      await harness.pump();
      return { number: pr.number, headSha };
    },
    async openRollback(app, tag) {
      const branch = `promobot/rollback/prod/${app}`;
      const open = await host.findOpenPullRequest(REPO, branch, 'main');
      if (open) return { number: open.number, url: open.url };
      git(deploy.work, 'checkout', '--quiet', '-B', branch, 'main');
      const file = join(deploy.work, `${app}/prod/deployment.yaml`);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `image: registry.example/bootcamp/${app}:${tag}\n`);
      git(deploy.work, 'add', '--all');
      commitAt(deploy.work, aMinuteAgo(), '--quiet', '-m', `rollback(${app}): prod 3f9c2ab → ${tag}`);
      git(deploy.work, 'push', '--quiet', '--force', 'origin', `HEAD:refs/heads/${branch}`);
      git(deploy.work, 'checkout', '--quiet', 'main');
      await double.syncRefs();
      const meta = {
        v: 1 as const,
        policy: 'chat',
        app,
        env: 'prod',
        tag,
        previousTag: '3f9c2ab',
        kind: 'rollback' as const,
      };
      const pr = await host.createPullRequest(REPO, {
        head: branch,
        base: 'main',
        title: `roll back ${app} in prod: 3f9c2ab → ${tag}`,
        body: renderPullRequestBody({ meta, image: `registry.example/bootcamp/${app}` }),
      });
      return { number: pr.number, url: pr.url };
    },
    async pushCandidate(app, tag, writtenAt = aMinuteAgo()) {
      const branch = `promobot/prod/${app}`;
      git(deploy.work, 'fetch', '--quiet', 'origin', branch);
      git(deploy.work, 'checkout', '--quiet', '-B', branch, `origin/${branch}`);
      writeFileSync(
        join(deploy.work, `${app}/prod/deployment.yaml`),
        `image: registry.example/bootcamp/${app}:${tag}\n`,
      );
      commitAt(deploy.work, writtenAt, '--quiet', '-am', `promote(${app}): prod 1a2b3c4 → ${tag}`);
      git(deploy.work, 'push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`);
      const headSha = git(deploy.work, 'rev-parse', 'HEAD');
      git(deploy.work, 'checkout', '--quiet', 'main');
      await double.syncRefs();
      await harness.pump();
      return headSha;
    },
    normalize(delivery) {
      const payload: unknown = JSON.parse(delivery.body);
      const result =
        kind === 'gitea'
          ? normalizeGitea(delivery.headers, payload)
          : normalizeGitHub(delivery.headers, payload);
      return 'events' in result ? result.events : [];
    },
    async dispatch(delivery, holder) {
      for (const event of harness.normalize(delivery)) {
        if (event.type === 'CommentCreated') await harness.runtime.onComment(event, logger, holder);
        if (event.type === 'ReviewSubmitted') await harness.runtime.onReview(event, logger);
      }
    },
    async pump() {
      await double.flush();
      const fresh = double.deliveries.slice(cursor);
      cursor = double.deliveries.length;
      for (const delivery of fresh) await harness.dispatch(delivery);
      // The bot's own answers are deliveries too; they must be seen (and ignored) like any other.
      await double.flush();
      const answers = double.deliveries.slice(cursor);
      cursor = double.deliveries.length;
      for (const delivery of answers) await harness.dispatch(delivery);
      return fresh;
    },
    restart() {
      const shared: Omit<PromotionPullRequestsDeps, 'approverCheck' | 'commandsIn'> &
        Omit<ChatopsRuntimeDeps, 'pullRequests'> = {
        redis,
        prefix: 'test',
        logger,
        stops: createStopRuntime({ redis, prefix: 'test', commandsIn: stopCommandsIn }),
        resolve: (scm, fullName) =>
          scm === kind && fullName.toLowerCase() === REPO.fullName
            ? { policy, scm: host, botLogin: 'promobot' }
            : null,
        policyNamed: (name) => (name === policy.metadata.name ? policy : undefined),
        gateStatus: () => Promise.resolve(harness.gates),
        requestReconcile: (_policy, app, reason) => {
          harness.reconciles.push({ app, reason });
          return Promise.resolve();
        },
        rollback: async (_policy, app, env, toTag) => {
          harness.rollbacks.push({ app, env, toTag });
          const answer = harness.rollbackAnswer;
          if ('refused' in answer) return answer;
          const pr = await harness.openRollback(app, answer.tag);
          return { pr: pr.number, url: pr.url, tag: answer.tag };
        },
        onCommandError: (reason) => harness.commandErrors.push(reason),
        stateKeys: [STATE_KEY],
        // The double and the runtime share a clock; two seconds cover the double's whole-second `updated_at`.
        stateWriteToleranceMs: STATE_WRITE_TOLERANCE_MS,
        // Every check asks the double again, so a change of membership shows at once.
        approverCheckTtlMs: 0,
        // As the worker reads it from its clone: the committer time of the head on the branch.
        headWrittenAt: (_policy, branch, headSha) => {
          try {
            const [sha, seconds] = git(
              deploy.bare,
              'log',
              '-1',
              '--format=%H %ct',
              `refs/heads/${branch}`,
            ).split(' ');
            return Promise.resolve(sha === headSha ? Number(seconds) * 1000 : null);
          } catch {
            return Promise.resolve(null);
          }
        },
      };
      const pullRequests = createPromotionPullRequests({ ...shared, approverCheck, commandsIn });
      const chatops = createChatopsRuntime({ ...shared, pullRequests });
      (harness as { runtime: PullRequestRuntime }).runtime = { ...pullRequests, ...chatops };
    },
    async readiness(number) {
      const pr = await host.getPullRequest(REPO, number);
      const meta = parsePromotionMeta(pr.body);
      if (!meta) throw new Error(`#${number} has no metadata`);
      return harness.runtime.mergeReadiness(pr, prod, meta);
    },
    async botComments(number) {
      const comments = await host.listComments(REPO, number);
      return comments.filter((c) => c.author === 'promobot');
    },
    async close() {
      await double.close();
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
      redis.disconnect();
      deploy.cleanup();
    },
  };
  harness.restart();
  return harness;
}

/** What a test says on a PR and reads back of the bot, the same on every host. */
export function conversation(h: Harness) {
  const statusState = async (number: number) => {
    const status = (await h.botComments(number)).find((c) => c.body.includes('promobot:chatops-status'));
    return status ? readStatusComment(status.body) : null;
  };
  return {
    /** `login` comments `body` on PR `number` through the double; the deliveries it sends are handed over. */
    async say(number: number, login: string, body: string) {
      const comment = await h.double.comment(REPO.fullName, number, login, body);
      await h.pump();
      return comment;
    },
    /** The state sealed in the PR's status comment, or null when there is none. */
    statusState,
    /** Who approved the current candidate, by the status comment. */
    async approvers(number: number) {
      const state = await statusState(number);
      const head = state?.candidate?.headSha;
      return (state?.approvals ?? []).filter((a) => a.headSha === head).map((a) => a.by);
    },
    /** The bot's comments on the PR but its status comment. */
    async replies(number: number) {
      return (await h.botComments(number)).filter((c) => !c.body.includes('promobot:chatops-status'));
    },
  };
}
