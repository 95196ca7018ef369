import type { Redis } from 'ioredis';
import type { CommentCreated, RepoRef, ScmKind } from '../events/index.js';
import { TransientError } from '../errors/index.js';
import { acquireRepoLock } from '../git/index.js';
import type { Logger } from '../logger/index.js';
import type { PromotionPolicy } from '../policy/schema.js';
import type { Permission, ScmHost } from '../scm/types.js';
import {
  applyStop,
  authorizeStop,
  decideGlobalStop,
  replayStops,
  stopEvents,
  type GlobalStopDecision,
  type StopCommand,
  type StopOutcome,
  type StopRecord,
} from './global-stop.js';
import { createStopStore } from './stop-store.js';

/** The deploy repo a stop is about: its policy, host and the login promobot acts as there. */
export interface StopRepo {
  scmKind: ScmKind;
  repo: RepoRef;
  policy: PromotionPolicy;
  scm: ScmHost;
  botLogin: string;
}

/** What one issue comment's stop commands did. */
export interface StopHandling {
  /** Per command, in order: what it did, or why it was refused, and the stops in force before it. */
  results: {
    command: StopCommand;
    result: { outcome: StopOutcome } | { refused: string };
    before: StopRecord[];
  }[];
  refused: { command: StopCommand; why: string }[];
  /** The scopes a command changed: their promotions are looked at again. */
  changed: StopCommand[];
  stops: StopRecord[];
}

export interface StopRuntime {
  /** The global stops of the deploy repo: Redis, or rebuilt from the host's record of issue comments. */
  current(target: StopRepo, logger: Logger): Promise<StopRecord[]>;
  /** What holds the promotion of `app` into `env` of the deploy repo. */
  decide(target: StopRepo, app: string, env: string, logger: Logger): Promise<GlobalStopDecision>;
  /**
   * Carries out `commands`, the stop commands (as ChatOps read them) of `event`, a comment on an issue, under the
   * deploy repo's stops lock. Permission look-ups that the host refuses promobot itself throw its `AccessError`, for
   * the caller's "promobot lacks access" reply.
   */
  handle(
    event: CommentCreated,
    target: StopRepo,
    commands: readonly StopCommand[],
    at: string,
    logger: Logger,
  ): Promise<StopHandling>;
}

const LOCK_TTL_MS = 30_000;
const LOCK_WAIT_MS = 60_000;

export interface StopRuntimeDeps {
  redis: Redis;
  prefix: string;
  /**
   * The stop commands in a comment's text (ChatOps' grammar, handed in by the worker root so governance imports
   * no ChatOps), for the rebuild from the host's comments.
   */
  commandsIn: (body: string) => readonly StopCommand[];
}

export function createStopRuntime(deps: StopRuntimeDeps): StopRuntime {
  const store = createStopStore(deps.redis, deps.prefix);

  const rebuild = async (target: StopRepo, logger: Logger, handling?: number): Promise<StopRecord[]> => {
    const { scm, repo } = target;
    if (scm.listRepoComments === undefined) {
      logger.warn({ repo: repo.fullName }, 'this host cannot list comments: global stops are not rebuilt');
      return [];
    }
    const comments = (await scm.listRepoComments(repo)).filter((c) => c.id !== handling);
    const events = stopEvents(comments, target.botLogin, deps.commandsIn);
    const permissions = new Map<string, Permission>();
    for (const login of new Set(events.map((e) => e.by.toLowerCase())))
      permissions.set(login, await scm.getPermission(repo, login));
    const apps = target.policy.spec.apps.map((a) => a.name);
    const environments = target.policy.spec.environments.map((e) => e.name);
    const stops = replayStops(
      events,
      (e) =>
        authorizeStop({
          command: e.command,
          login: e.by,
          isBot: false,
          permission: permissions.get(e.by.toLowerCase()) ?? 'none',
          deployRepo: repo.fullName,
          apps,
          environments,
        }).allowed,
    );
    logger.info(
      { repo: repo.fullName, stops: stops.length, commands: events.length },
      'global stops rebuilt from the issue comments on the host',
    );
    return stops;
  };

  const current: StopRuntime['current'] = async (target, logger) => {
    const known = await store.load(target.scmKind, target.repo.fullName);
    if (known !== null) return known;
    const rebuilt = await rebuild(target, logger);
    await store.saveRebuilt(target.scmKind, target.repo.fullName, rebuilt);
    // A command may have saved meanwhile: what is stored is the answer.
    return (await store.load(target.scmKind, target.repo.fullName)) ?? rebuilt;
  };

  const handle: StopRuntime['handle'] = async (event, target, commands, at, logger) => {
    const { scm, repo, policy } = target;
    const lease = await acquireRepoLock({
      redis: deps.redis,
      key: store.lockKey(target.scmKind, repo.fullName),
      ttlMs: LOCK_TTL_MS,
      waitMs: LOCK_WAIT_MS,
      logger,
    });
    try {
      let stops =
        (await store.load(target.scmKind, repo.fullName)) ?? (await rebuild(target, logger, event.commentId));
      // A retry of a comment already carried out (its reply failed, or a redelivery): the same answer, nothing
      // changed again — re-applying an old /unhold would lift a stop written after it.
      const done = await store.applied(target.scmKind, repo.fullName, event.commentId);
      if (done !== null && done.results.length === commands.length) {
        const results = commands.map((command, i) => ({ command, result: done.results[i]!, before: stops }));
        logger.info(
          { author: event.author },
          'global stop commands already carried out: answering as before',
        );
        return {
          results,
          refused: results.flatMap((r) =>
            'refused' in r.result ? [{ command: r.command, why: r.result.refused }] : [],
          ),
          changed: results.flatMap((r) =>
            'outcome' in r.result && r.result.outcome === 'done' ? [r.command] : [],
          ),
          stops,
        };
      }
      const results: StopHandling['results'] = [];
      const refused: StopHandling['refused'] = [];
      const changed: StopCommand[] = [];
      let permission: Permission | undefined;
      for (const command of commands) {
        permission ??= await scm.getPermission(repo, event.author);
        const authorization = authorizeStop({
          command,
          login: event.author,
          isBot: event.authorIsBot,
          permission,
          deployRepo: policy.spec.deployRepo.repo,
          apps: policy.spec.apps.map((a) => a.name),
          environments: policy.spec.environments.map((e) => e.name),
        });
        if (!authorization.allowed) {
          refused.push({ command, why: authorization.reason });
          results.push({ command, result: { refused: authorization.reason }, before: stops });
          continue;
        }
        const applied = applyStop(stops, command, {
          by: event.author,
          at,
          issue: event.number,
          commentId: event.commentId,
        });
        results.push({ command, result: { outcome: applied.outcome }, before: stops });
        if (applied.outcome === 'done') changed.push(command);
        stops = applied.stops;
      }
      // Redis lost the lock meanwhile (a flush): another command may have saved since; writing now would undo it.
      if (lease.lost)
        throw new TransientError('the global stops lock was lost before saving; handling again');
      await store.save(target.scmKind, repo.fullName, stops, {
        commentId: event.commentId,
        results: results.map((r) => r.result),
      });
      logger.info(
        {
          author: event.author,
          changed: changed.length,
          refused: refused.length,
          stops: stops.length,
        },
        'global stop commands handled',
      );
      return { results, refused, changed, stops };
    } finally {
      await lease.release().catch(() => undefined);
    }
  };

  return {
    current,
    handle,
    async decide(target, app, env, logger) {
      return decideGlobalStop(await current(target, logger), app, env);
    },
  };
}
