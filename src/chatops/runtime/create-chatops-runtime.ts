import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createCommentClaims } from './comment-claims.js';
import { isAccessError, isPermanent, PermanentError } from '../../errors/index.js';
import type { CommentCreated, RepoRef, ReviewSubmitted, ScmKind } from '../../events/index.js';
import type { Logger } from '../../logger/index.js';
import type { PromotionPolicy } from '../../policy/schema.js';
import type { PullRequest, ScmHost } from '../../scm/types.js';
import { sameLogin } from '../../scm/same-login.js';
import {
  addRequester,
  defuseMarkers,
  formatCommand,
  REPLY_MARKER_START,
  type Command,
  type LoadedPromotion,
  type PromotionPullRequests,
  readPromotionPullRequest,
  type PullRequestKey,
  type RequesterRecord,
  type ResolvedRepo,
  type StoredPromotion,
} from '../../promotion/pull-request-state/index.js';
import type { NotifyEvent } from '../../notify/index.js';
import { covers, formatStopCommand } from '../../governance/global-stop.js';
import type { StopHandling, StopRepo, StopRuntime } from '../../governance/stop-runtime.js';
import { isBotActor, type PermissionLookup } from '../authorize.js';
import { parseStopCommands, renderStopLine, renderStopProblem } from '../stop-commands.js';
import { staleApprovalReason } from '../approval-timing.js';
import { commentCommands, handleComment, type ChatopsContext } from '../handle-comment.js';
import { handleReview } from '../handle-review.js';
import type { CarriedOut } from '../render.js';
import { answerAccessError, askedInComment } from './answer-access-error.js';
import { renderFailureReply } from './answer-failure.js';

export interface ChatopsRuntimeDeps {
  redis: Redis;
  /** Key prefix, shared with the queues (`config.queuePrefix`). */
  prefix: string;
  logger: Logger;
  /** The policy whose deploy repo `repoFullName` is on `scm`, its host and the bot's login; null: not ours. */
  resolve: (scm: ScmKind, repoFullName: string) => ResolvedRepo | null;
  /**
   * Promotion's PRs and their state: ChatOps loads a PR's state under its lock, hands it what was asked and
   * authorized, and has it publish the state (status comment, `promobot/approval`).
   */
  pullRequests: PromotionPullRequests;
  /** The deploy repos' global stops, which `/hold <scope>` and `/unhold <scope>` on an issue put and lift. */
  stops: StopRuntime;
  /** Asks the promotion runtime to reconcile `app` of policy `policy` (by name). */
  requestReconcile: (policy: string, app: string, reason: string) => Promise<void>;
  /**
   * Remembers, in Redis, who asked (`/promote`, `/rollback`) for `app` into `env` until promotion writes the PR and
   * records them on it ({@link ChatopsRuntime.recordRequester}): an author of that PR for the self-approval rule.
   */
  recordRequester?: (
    policy: string,
    app: string,
    env: string,
    actor: string,
    via: RequesterRecord['via'],
  ) => Promise<void>;
  /**
   * Opens or fast-tracks a rollback PR of `app` in `env`, to `toTag` or the tag before the current one. Must be safe
   * to call twice for one comment: a comment whose answer failed is handled again.
   */
  rollback: (
    policy: string,
    app: string,
    env: string,
    toTag: string | undefined,
  ) => Promise<{ pr: number; url?: string; tag?: string } | { refused: string }>;
  /** The clock, for audit entries; `Date.now` unless told. */
  now?: () => number;
  /** Counts a command that could not be decided (`promobot_command_errors_total{reason}`). */
  onCommandError?: (reason: string) => void;
  /**
   * When promobot wrote the PR's head commit `headSha` on `branch` (its committer time, epoch ms), read from the
   * worker's own clone of the deploy repo, never from anything a person can edit; null when it cannot tell. An
   * `/approve` written before it is refused (see `approval-timing.ts`). Without it, comments are not checked.
   */
  headWrittenAt?: (policy: PromotionPolicy, branch: string, headSha: string) => Promise<number | null>;
  /** The margin of that check (`APPROVE_AFTER_HEAD_MARGIN_MS` in `approval-timing.ts` unless told). */
  approveAfterHeadMarginMs?: number;
  /**
   * Emits a notification (`command-refused`, `unfrozen`); never throws. Called again for a comment handled again,
   * with the same event, so the event id dedupes it.
   */
  notify?: (event: Omit<NotifyEvent, 'at'>) => Promise<void>;
}

/** What an issue comment's global stop commands did, and the lines of the reply that says so. */
type StopAnswer = StopHandling & { lines: string[] };

export interface ChatopsRuntime {
  /**
   * Acts on one newly created comment (a `CommentCreated` event off the queue). `holder` names the job handling it
   * (its id): the same job run again after a crash takes over the claim it left and finishes the comment.
   */
  onComment(event: CommentCreated, logger: Logger, holder?: string): Promise<void>;
  /** Counts (or withdraws) a native review approval on a promotion PR. */
  onReview(event: ReviewSubmitted, logger: Logger): Promise<void>;
}

/**
 * ChatOps carried out against the code host: a comment is claimed, screened, parsed and authorized, promotion's PR
 * state applies what was authorized and publishes it, every command gets an answer on the PR, and anything that
 * changes what may merge asks promotion to reconcile. One event per PR at a time (promotion's PR lock), so two
 * comments arriving together never lose each other's effect.
 */
export function createChatopsRuntime(deps: ChatopsRuntimeDeps): ChatopsRuntime {
  const claims = createCommentClaims(deps.redis, deps.prefix);
  const { pullRequests } = deps;
  const stopRepo = (scmKind: ScmKind, repo: RepoRef, resolved: ResolvedRepo): StopRepo => ({
    scmKind,
    repo,
    policy: resolved.policy,
    scm: resolved.scm,
    botLogin: resolved.botLogin,
  });
  /**
   * The global stop's commands of a comment on an issue, carried out, with the reply's lines (one per command and per
   * malformed `/hold` or `/unhold` line); null on a PR or when the comment has none.
   */
  const handleStops = async (
    event: CommentCreated,
    resolved: ResolvedRepo,
    logger: Logger,
  ): Promise<StopAnswer | null> => {
    if (event.isPullRequest) return null;
    const { commands, problems } = parseStopCommands(event.body);
    if (commands.length === 0 && problems.length === 0) return null;
    const handling = await deps.stops.handle(
      event,
      stopRepo(event.scm, event.repo, resolved),
      commands.map((c) => c.command),
      instant(),
      logger,
    );
    const lines = [
      ...handling.results.map((r) => renderStopLine(r.command, r.result, r.before)),
      ...problems.map(renderStopProblem),
    ];
    return { ...handling, lines };
  };
  const now = deps.now ?? Date.now;
  const instant = () => new Date(now()).toISOString();

  const lookupFor = (scm: ScmHost, repo: RepoRef): PermissionLookup => ({
    getPermission: (user) => scm.getPermission(repo, user),
    isTeamMember: (org, team, user) => scm.isTeamMember(org, team, user),
  });

  /** Carries out an accepted `/promote`, `/rollback` or `/gates`; its final outcome for the reply, if it has one. */
  const carryOut = async (
    command: Command,
    policy: PromotionPolicy,
    app: string | null,
    env: string | null,
    actor: string,
    /** Records `actor` on the rollback PR it asked for, before the answer; see {@link recordRollbackRequester}. */
    onRollbackPr: (pr: number) => Promise<void>,
  ): Promise<CarriedOut | null> => {
    const name = policy.metadata.name;
    const reason = `${formatCommand(command)} by @${actor}`;
    const apps = app === null ? policy.spec.apps.map((a) => a.name) : [app];
    switch (command.name) {
      case 'promote':
        for (const each of apps) {
          await deps.recordRequester?.(name, each, command.env, actor, 'promote');
          await deps.requestReconcile(name, each, reason);
        }
        return null;
      case 'gates':
        for (const each of apps) await deps.requestReconcile(name, each, reason);
        return null;
      case 'rollback': {
        const target = command.env ?? env;
        if (target === null) return { ok: false, message: 'name the environment to roll back' };
        if (apps.length !== 1 || apps[0] === undefined) {
          return {
            ok: false,
            message: `policy ${name} has several apps (${apps.join(', ')}); comment /rollback on the promotion PR of the app to roll back`,
          };
        }
        // Before the PR exists: whoever opens it (this call, or a retry of it) finds its requester waiting.
        await deps.recordRequester?.(name, apps[0], target, actor, 'rollback');
        const answer = await deps.rollback(name, apps[0], target, command.tag ?? undefined);
        // On the PR itself before this comment's job ends: the waiting set above lives only in Redis.
        if ('pr' in answer) await onRollbackPr(answer.pr);
        return 'pr' in answer
          ? {
              ok: true,
              message: `rollback PR #${answer.pr} returns ${apps[0]} in ${target} to ${answer.tag ?? command.tag ?? 'its previous tag'}${answer.url ? `: ${answer.url}` : ''}`,
            }
          : { ok: false, message: answer.refused };
      }
      default:
        return null;
    }
  };

  const onComment = async (event: CommentCreated, parent: Logger, holder?: string): Promise<void> => {
    const logger = parent.child({ component: 'chatops', repo: event.repo.fullName, number: event.number });
    const resolved = deps.resolve(event.scm, event.repo.fullName);
    if (resolved === null) {
      logger.debug('not a deploy repo of any policy; comment ignored');
      return;
    }
    // Before any API call: bots never steer promobot, and its own comments must not loop.
    if (isBotActor({ login: event.author, isBot: event.authorIsBot }, resolved.botLogin)) {
      logger.debug({ author: event.author }, 'comment by a bot ignored');
      return;
    }
    const repo = event.repo;
    const key: PullRequestKey = { scm: event.scm, repo: repo.fullName, number: event.number };
    const claim = await claims.claimComment(key, event.commentId, holder ?? randomUUID());
    if (claim === 'taken') {
      logger.info({ commentId: event.commentId }, 'comment already handled (delivered twice)');
      return;
    }
    if (claim === 'resumed')
      logger.warn(
        { commentId: event.commentId, holder },
        'comment left claimed by a crashed run of this job; resuming',
      );
    try {
      await pullRequests.withLock(key, logger, () =>
        handleOneComment(event, resolved, key, logger, claim === 'resumed'),
      );
      await claims.completeComment(key, event.commentId);
    } catch (error) {
      // Retrying cannot help: the person is told so, once, and the job ends (failed, with the reason logged).
      if (isPermanent(error) && (await answerFailure(event, resolved, error, logger))) {
        await claims.completeComment(key, event.commentId);
        throw error;
      }
      await claims.releaseComment(key, event.commentId);
      throw error;
    }
  };

  /**
   * Tells the comment's author that promobot could not act on it, in the comment's one reply (the reply-to marker):
   * a reply that was already posted gets the failure added. True once the host has it, or when even the reply is
   * refused for good (nobody can be told, and retrying cannot help); a transient failure of the reply is thrown, so
   * the whole comment is retried.
   */
  const answerFailure = async (
    event: CommentCreated,
    resolved: ResolvedRepo,
    error: PermanentError,
    logger: Logger,
  ): Promise<boolean> => {
    const { scm, botLogin } = resolved;
    deps.onCommandError?.('permanent');
    logger.error(
      { commentId: event.commentId, err: error },
      'a command could not be carried out: permanent error',
    );
    const marker = `${REPLY_MARKER_START}${String(event.commentId)} -->`;
    const failure = defuseMarkers(renderFailureReply(event, error));
    try {
      const earlier = (await scm.listComments(event.repo, event.number)).find(
        (c) => sameLogin(c.author, botLogin) && c.body.endsWith(marker),
      );
      if (earlier === undefined) await scm.createComment(event.repo, event.number, `${failure}\n${marker}`);
      else if (!earlier.body.includes(failure)) {
        const answered = earlier.body.slice(0, -marker.length).replace(/\n$/, '');
        await scm.updateComment(event.repo, earlier.id, `${answered}\n\n${failure}\n${marker}`);
      }
      return true;
    } catch (replyError) {
      if (!isPermanent(replyError)) throw replyError;
      logger.error(
        { commentId: event.commentId, err: replyError },
        'could not tell the author either: the reply was refused',
      );
      return true;
    }
  };

  /**
   * Why an `/approve` in `event` cannot count for the PR's head (written after the comment), or null. Asked only of
   * a comment that approves, on an open promotion PR, when the runtime can read commit times.
   */
  const staleApproval = async (
    event: CommentCreated,
    loaded: LoadedPromotion,
    logger: Logger,
  ): Promise<string | null> => {
    const { pr } = loaded.promotion;
    if (deps.headWrittenAt === undefined || pr.state !== 'open') return null;
    const approves = commentCommands(event).commands.some(
      (c) => c.command.name === 'approve' && !c.command.cancel,
    );
    if (!approves) return null;
    const headWrittenAt = await deps.headWrittenAt(loaded.resolved.policy, pr.headRef, pr.headSha);
    const reason = staleApprovalReason({
      commentCreatedAt: event.createdAt,
      headSha: pr.headSha,
      headWrittenAt,
      ...(deps.approveAfterHeadMarginMs === undefined ? {} : { marginMs: deps.approveAfterHeadMarginMs }),
    });
    if (reason !== null)
      logger.info(
        { commentId: event.commentId, createdAt: event.createdAt, headSha: pr.headSha, headWrittenAt },
        'an /approve written before the PR head it would count for: refused',
      );
    return reason;
  };

  /**
   * One `command-refused` per comment that had a command refused (its reasons, never the comment's text), one
   * `unfrozen` per PR head on an accepted `/unfreeze`. Only on promotion PRs: elsewhere no app, environment or head
   * is certain.
   */
  const notifyOutcomes = async (
    event: CommentCreated,
    loaded: LoadedPromotion,
    results: readonly { command: Command; outcome: string; message: string }[],
    carried: ReadonlyMap<Command, CarriedOut>,
  ): Promise<void> => {
    if (deps.notify === undefined) return;
    const { pr, meta } = loaded.promotion;
    const base = {
      policy: loaded.resolved.policy.metadata.name,
      app: meta.app,
      env: loaded.environment.name,
      pr: pr.number,
      url: pr.url,
      sha: pr.headSha.toLowerCase(),
    };
    const refused = [
      ...results.filter((r) => r.outcome === 'refused').map((r) => ({ command: r.command, why: r.message })),
      ...[...carried].filter(([, c]) => !c.ok).map(([command, c]) => ({ command, why: c.message })),
    ];
    if (refused.length > 0) {
      await deps.notify({
        ...base,
        kind: 'command-refused',
        key: `c${String(event.commentId)}`,
        summary: refused.map((r) => `${formatCommand(r.command)} by @${event.author}: ${r.why}`).join('; '),
      });
    }
    if (results.some((r) => r.command.name === 'unfreeze' && r.outcome === 'accepted')) {
      await deps.notify({ ...base, kind: 'unfrozen', summary: `unfrozen by @${event.author}` });
    }
  };

  /**
   * The one reply to an issue comment that held only stop commands (and lines that look like them), then what
   * follows from them (see {@link afterStops}).
   */
  const answerStops = async (
    event: CommentCreated,
    resolved: ResolvedRepo,
    stopped: StopAnswer,
    head: string,
    resumed: boolean,
    logger: Logger,
  ): Promise<void> => {
    const { scm, botLogin } = resolved;
    const reaction = stopped.refused.length > 0 ? '-1' : stopped.changed.length > 0 ? '+1' : 'confused';
    await scm.addReaction(event.repo, event.commentId, reaction).catch((error: unknown) => {
      if (!(error instanceof PermanentError)) throw error;
      logger.warn({ commentId: event.commentId, err: error }, 'could not react to the comment');
    });
    const marker = `${REPLY_MARKER_START}${String(event.commentId)} -->`;
    // Looked for on every run, not only a resumed one: a retry after a failure past the reply (republishing the
    // covered PRs) must not answer twice.
    const answered = (await scm.listComments(event.repo, event.number)).some(
      (c) => sameLogin(c.author, botLogin) && c.body.endsWith(marker),
    );
    if (!answered)
      await scm.createComment(
        event.repo,
        event.number,
        `${defuseMarkers([head, ...stopped.lines].join('\n'))}\n${marker}`,
      );
    await afterStops(event, resolved, stopped, logger);
  };

  /**
   * After a stop was put or lifted: every open promotion PR it covers says so now (status comment and
   * `promobot/approval`), and its app is reconciled, so a lifted stop merges what waited on it by itself.
   */
  const afterStops = async (
    event: CommentCreated,
    resolved: ResolvedRepo,
    stopped: StopAnswer,
    logger: Logger,
  ): Promise<void> => {
    await notifyStopRefusals(event, resolved, stopped);
    if (stopped.changed.length === 0) return;
    const { scm, policy, botLogin } = resolved;
    const touched = new Set<string>();
    for (const pr of await scm.listOpenPullRequests(event.repo, policy.spec.deployRepo.branch)) {
      const promotion = readPromotionPullRequest(pr, botLogin);
      if (promotion === null || promotion.meta.kind !== 'promotion') continue;
      const { app, env } = promotion.meta;
      if (!stopped.changed.some((c) => covers(c.scope, app, env))) continue;
      touched.add(app);
      const key: PullRequestKey = { scm: event.scm, repo: event.repo.fullName, number: pr.number };
      await pullRequests.withLock(key, logger, async () => {
        const loaded = await pullRequests.load(event.scm, event.repo, resolved, pr, logger);
        if (typeof loaded !== 'string') await pullRequests.publish(loaded, loaded.stored.state, logger);
      });
    }
    const apps = policy.spec.apps
      .map((a) => a.name)
      .filter(
        (app) =>
          touched.has(app) ||
          stopped.changed.some((c) => policy.spec.environments.some((e) => covers(c.scope, app, e.name))),
      );
    const why = stopped.changed.map((c) => formatStopCommand(c)).join(', ');
    for (const app of apps)
      await deps.requestReconcile(policy.metadata.name, app, `global stop: ${why} by @${event.author}`);
  };

  /**
   * One `command-refused` per issue comment whose stop commands were refused (the reasons, never the comment's
   * text). An issue has no head commit: the event is made unique by the comment (`c<id>`), its `sha` is a
   * placeholder, and `app`/`env` are the first refused scope's (`all` where it names none).
   */
  const notifyStopRefusals = async (
    event: CommentCreated,
    resolved: ResolvedRepo,
    stopped: StopAnswer,
  ): Promise<void> => {
    const [first] = stopped.refused;
    if (deps.notify === undefined || first === undefined) return;
    await deps.notify({
      kind: 'command-refused',
      policy: resolved.policy.metadata.name,
      app: first.command.scope.app ?? 'all',
      env: first.command.scope.env ?? 'all',
      pr: event.number,
      sha: '0000',
      key: `c${String(event.commentId)}`,
      summary: stopped.refused
        .map(
          (r) =>
            `${formatStopCommand(r.command)} by @${event.author} on issue #${String(event.number)}: ${r.why}`,
        )
        .join('; '),
    });
  };

  const handleOneComment = async (
    event: CommentCreated,
    resolved: ResolvedRepo,
    key: PullRequestKey,
    logger: Logger,
    resumed: boolean,
  ): Promise<void> => {
    const { scm, policy, botLogin } = resolved;
    const repo = event.repo;
    let loaded: LoadedPromotion | null = null;
    let stored: StoredPromotion;
    if (event.isPullRequest) {
      const pr = await scm.getPullRequest(repo, event.number);
      const found = await pullRequests.load(event.scm, repo, resolved, pr, logger, event.commentId);
      if (typeof found === 'string') {
        logger.debug({ why: found }, 'comment ignored');
        return;
      }
      loaded = found;
      stored = found.stored;
    } else {
      stored = await pullRequests.loadStored(key, logger);
    }
    const context: ChatopsContext = {
      deployRepo: policy.spec.deployRepo.repo,
      botLogin,
      environments: policy.spec.environments,
      environment: loaded?.environment ?? null,
      // The PR's author is promobot; the people who asked for it are recorded in the state.
      author: null,
      requesters: stored.state.requesters.map((r) => r.by),
      isPromotionPr: loaded !== null,
      closed: closedAs(loaded?.promotion.pr),
      staleApproval: loaded ? await staleApproval(event, loaded, logger) : null,
      ...(policy.spec.freeze?.overrideApprovers
        ? { freezeOverrideApprovers: policy.spec.freeze.overrideApprovers }
        : {}),
    };
    const merge = loaded ? await pullRequests.mergeInput(loaded) : undefined;
    let handled: Awaited<ReturnType<typeof handleComment>>;
    /** The global stop's commands, on an issue; null on a PR or when the comment has none. */
    let stopped: StopAnswer | null = null;
    try {
      if (!loaded) stopped = await handleStops(event, resolved, logger);
      handled = await handleComment(event, stored.state, context, lookupFor(scm, repo), instant(), merge);
    } catch (error) {
      // The host refused promobot itself a look-up: say so in the PR instead of failing in silence.
      if (!isAccessError(error)) throw error;
      await answerAccessError(askedInComment(event), error, {
        scm,
        botLogin,
        logger,
        onCommandError: deps.onCommandError,
      });
      return;
    }
    if (!handled.acted) {
      if (stopped !== null) await answerStops(event, resolved, stopped, `@${event.author}`, resumed, logger);
      else logger.debug({ why: handled.reason }, 'comment not acted on');
      return;
    }
    logger.info(
      {
        author: event.author,
        results: handled.results.map((r) => `${formatCommand(r.command)}:${r.outcome}`),
      },
      'comment acted on',
    );
    const app =
      loaded?.promotion.meta.app ??
      (policy.spec.apps.length === 1 ? (policy.spec.apps[0]?.name ?? null) : null);
    const carried = new Map<Command, CarriedOut>();
    let state = handled.state;
    for (const command of handled.toCarryOut) {
      // `/promote <env>` on the PR into that environment: its author from now on, saved with this comment's state.
      if (loaded && command.name === 'promote' && command.env === loaded.environment.name)
        state = addRequester(state, { by: event.author, at: instant(), via: 'promote' });
      const outcome = await carryOut(
        command,
        policy,
        app,
        loaded?.environment.name ?? null,
        event.author,
        async (rollbackPr) => {
          // `/rollback` on the rollback PR itself: its lock is held here, so it is saved with this comment's state.
          if (loaded && rollbackPr === event.number) {
            state = addRequester(state, { by: event.author, at: instant(), via: 'rollback' });
            return;
          }
          // Safe to repeat: a retry of this comment records the same requester again, which changes nothing.
          const recorded = await pullRequests.recordRequester(event.scm, repo, rollbackPr, {
            by: event.author,
            via: 'rollback',
          });
          if (!recorded)
            logger.warn(
              { rollbackPr, requester: event.author },
              'the rollback PR could not take its requester; it stays waiting in Redis for reconcile',
            );
        },
      );
      if (outcome !== null) carried.set(command, outcome);
    }
    const failed = [...carried.values()].some((outcome) => !outcome.ok);
    const reaction =
      failed || (stopped?.refused.length ?? 0) > 0
        ? '-1'
        : stopped !== null && handled.reaction === 'confused'
          ? '+1'
          : handled.reaction;
    await scm.addReaction(repo, event.commentId, reaction).catch((error: unknown) => {
      // The comment was deleted meanwhile: the reply and the status comment still answer.
      if (!(error instanceof PermanentError)) throw error;
      logger.warn({ commentId: event.commentId, err: error }, 'could not react to the comment');
    });
    // An issue has no status comment to show what happened: there, every command gets a reply.
    if (handled.replyNeeded || carried.size > 0 || !loaded) {
      const reply = [handled.renderReply(carried), ...(stopped?.lines ?? [])].join('\n');
      const marker = `${REPLY_MARKER_START}${String(event.commentId)} -->`;
      // A crashed run may have answered already: one reply per comment, whatever happens.
      const answered =
        resumed &&
        (await scm.listComments(repo, event.number)).some(
          (c) => sameLogin(c.author, botLogin) && c.body.endsWith(marker),
        );
      if (!answered) await scm.createComment(repo, event.number, `${defuseMarkers(reply)}\n${marker}`);
    }
    if (stopped !== null) await afterStops(event, resolved, stopped, logger);
    if (loaded) await notifyOutcomes(event, loaded, handled.results, carried);
    // The answers first, the state last (see `publish`): a failed answer is retried with the whole comment.
    if (loaded) await pullRequests.publish(loaded, state, logger);
    else await pullRequests.save(key, { ...stored, state });
    const changed = handled.results.some((r) => r.outcome === 'accepted');
    if (loaded && changed) {
      await deps.requestReconcile(
        policy.metadata.name,
        loaded.promotion.meta.app,
        `chatops: comment by @${event.author}`,
      );
    }
  };

  /**
   * Gitea's review webhook does not say which commit was reviewed, and null would count as the current head: ask
   * the host, whose review list does, so a review of an earlier candidate arriving late is not counted.
   */
  const withReviewedCommit = async (event: ReviewSubmitted, scm: ScmHost): Promise<ReviewSubmitted> => {
    if (event.commitId !== null || event.state !== 'approved') return event;
    const reviews = await scm.listReviews(event.repo, event.number);
    const latest = reviews
      .filter((r) => sameLogin(r.reviewer, event.reviewer) && r.state === 'approved' && r.commitId !== null)
      .at(-1);
    return latest ? { ...event, commitId: latest.commitId } : event;
  };

  const onReview = async (event: ReviewSubmitted, parent: Logger): Promise<void> => {
    const logger = parent.child({ component: 'chatops', repo: event.repo.fullName, number: event.number });
    const resolved = deps.resolve(event.scm, event.repo.fullName);
    if (resolved === null) return;
    if (isBotActor({ login: event.reviewer, isBot: false }, resolved.botLogin)) return;
    const key: PullRequestKey = { scm: event.scm, repo: event.repo.fullName, number: event.number };
    await pullRequests.withLock(key, logger, async () => {
      const pr = await resolved.scm.getPullRequest(event.repo, event.number);
      const loaded = await pullRequests.load(event.scm, event.repo, resolved, pr, logger);
      if (typeof loaded === 'string') {
        logger.debug({ why: loaded }, 'review ignored');
        return;
      }
      const reviewed = await withReviewedCommit(event, resolved.scm);
      const handled = await handleReview(
        reviewed,
        loaded.stored.state,
        {
          deployRepo: resolved.policy.spec.deployRepo.repo,
          botLogin: resolved.botLogin,
          environments: resolved.policy.spec.environments,
          environment: loaded.environment,
          author: null,
          requesters: loaded.stored.state.requesters.map((r) => r.by),
          isPromotionPr: true,
        },
        lookupFor(resolved.scm, event.repo),
        instant(),
      ).catch((error: unknown) => {
        if (!isAccessError(error)) throw error;
        return error;
      });
      if (isAccessError(handled)) {
        const key = `review=${event.reviewer}@${reviewed.commitId ?? loaded.promotion.pr.headSha}`;
        const request = { ...event, author: event.reviewer, asked: 'your approving review', key };
        await answerAccessError(request, handled, {
          ...resolved,
          logger,
          onCommandError: deps.onCommandError,
        });
        return;
      }
      if (!handled.acted) return;
      logger.info({ reviewer: event.reviewer, outcome: handled.outcome }, 'review handled');
      if (handled.state === loaded.stored.state) return;
      await pullRequests.publish(loaded, handled.state, logger);
      if (handled.outcome === 'refused') {
        await resolved.scm.createComment(
          event.repo,
          event.number,
          defuseMarkers(`@${event.reviewer}\n- ❌ approving review: ${handled.message}`),
        );
      }
      if (handled.outcome === 'accepted') {
        await deps.requestReconcile(
          resolved.policy.metadata.name,
          loaded.promotion.meta.app,
          `chatops: review by @${event.reviewer}`,
        );
      }
    });
  };

  return { onComment, onReview };
}

/** How a PR stopped being open, for the answer to a command that came too late; null while open (or no PR). */
function closedAs(pr: PullRequest | undefined): 'merged' | 'closed' | null {
  if (pr === undefined || pr.state === 'open') return null;
  return pr.merged ? 'merged' : 'closed';
}
