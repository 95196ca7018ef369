import { decideFreeze } from '../../freeze/decide-freeze.js';
import { MANUAL_MERGE_MARKER, renderManualMergeComment } from '../../governance/manual-merge.js';
import { covers, formatStopCommand } from '../../governance/global-stop.js';
import { waitingOnlyForApprovals, waitingSummary } from '../../governance/waiting-for-approval.js';
import { parseDuration } from '../../policy/schema.js';
import { redisKeys } from '../../redis/keys.js';
import { createStopRuntime, type StopHandling, type StopRepo } from '../../governance/stop-runtime.js';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { isAccessError, isPermanent, PermanentError } from '../../errors/index.js';
import type { CommentCreated, RepoRef, ReviewSubmitted, ScmKind } from '../../events/index.js';
import { acquireRepoLock } from '../../git/index.js';
import type { Logger } from '../../logger/index.js';
import type { Environment, PromotionPolicy } from '../../policy/schema.js';
import { parsePromotionMeta, type PromotionMeta } from '../../promotion/promotion-meta.js';
import { repoRef, type Comment, type PullRequest, type ScmHost } from '../../scm/types.js';
import { authorize, isBotActor, type PermissionLookup } from '../authorize.js';
import { formatCommand, type Command } from '../command.js';
import { approvalStatus, decideMerge, type MergeDecision, type MergeInput } from '../decide-merge.js';
import { staleApprovalReason } from '../approval-timing.js';
import { commentCommands, handleComment, type ChatopsContext } from '../handle-comment.js';
import { handleReview } from '../handle-review.js';
import { holdEvents, replayHolds } from '../holds-from-comments.js';
import {
  addRequester,
  countedApprovals,
  emptyPromotionState,
  hold,
  recordDecision,
  setCandidate,
  type PromotionState,
  type RequesterRecord,
} from '../promotion-state.js';
import {
  isStatusComment,
  readSignedState,
  type CarriedOut,
  renderMergeComment,
  renderMergeTrailers,
  renderStatusComment,
} from '../render.js';
import { sameLogin } from '../same-login.js';
import {
  createStateSeal,
  defuseMarkers,
  staleBlock,
  statusCommentScope,
  STATE_WRITE_TOLERANCE_MS,
} from '../state-seal.js';
import { answerAccessError, askedInComment } from './answer-access-error.js';
import { renderFailureReply } from './answer-failure.js';
import { createChatopsStore, type PullRequestKey, type StoredPromotion } from './chatops-store.js';
import type { NotifyEvent } from '../../notify/index.js';
import { readPromotionPullRequest, type PromotionPullRequest } from './promotion-pull-request.js';

/** The gate verdict for a PR head as the gates module reports it; `none` while no gate has run. */
export type GateVerdict = 'none' | 'pending' | 'success' | 'failure';

/** What the deploy repo of a comment or review is, to ChatOps. */
export interface ResolvedRepo {
  policy: PromotionPolicy;
  scm: ScmHost;
  /** The login promobot acts as on this host. */
  botLogin: string;
}

export interface ChatopsRuntimeDeps {
  redis: Redis;
  /** Key prefix, shared with the queues (`config.queuePrefix`). */
  prefix: string;
  logger: Logger;
  /** The policy whose deploy repo `repoFullName` is on `scm`, its host and the bot's login; null: not ours. */
  resolve: (scm: ScmKind, repoFullName: string) => ResolvedRepo | null;
  /** The policy named in a promotion PR's metadata; `mergeReadiness` has only the PR to go on. */
  policyNamed: (name: string) => PromotionPolicy | undefined;
  gateStatus: (repo: RepoRef, pr: number, headSha: string) => Promise<GateVerdict>;
  /** Asks the promotion runtime to reconcile `app` of policy `policy` (by name), now or at `at` (epoch ms). */
  requestReconcile: (policy: string, app: string, reason: string, at?: number) => Promise<void>;
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
   * Whether someone other than promobot committed to the PR's branch: then promobot sets no status on its head
   * (branch protection may trust `promobot/approval`). Never, unless told.
   */
  hasForeignCommits?: (policy: PromotionPolicy, pr: PullRequest) => Promise<boolean>;
  /**
   * Where the candidate's rollout in the PR's source environment stands (`verify:`), from promobot's own record:
   * a line for the status comment and `/status`, and whether it holds the merge (not verified yet, or failed).
   */
  rollout?: (policy: PromotionPolicy, meta: PromotionMeta) => Promise<{ held: boolean; line: string } | null>;
  /**
   * Keys that sign the state hidden in status comments (`PROMOBOT_STATE_KEY`; the first signs, any verifies).
   * Without one the block is unsigned and never read back: a lost Redis then holds the PR (see `loadStored`).
   */
  stateKeys?: readonly string[];
  /**
   * How much later than the time sealed in a state block the host's `updated_at` of the status comment may be for
   * the block to be read back ({@link STATE_WRITE_TOLERANCE_MS} unless told); later, someone edited the comment.
   */
  stateWriteToleranceMs?: number;
  /**
   * How long an answer about someone's permission or team membership is reused when approvals are re-checked
   * before a merge decision; {@link APPROVER_CHECK_TTL_MS} unless told.
   */
  approverCheckTtlMs?: number;
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

/**
 * Approvals are checked again (write permission, approvers list or team, not a requester) every time a merge is
 * decided or the status comment is written; the host's answers are reused for this long, so someone removed from
 * the approvers' team stops counting within a minute.
 */
export const APPROVER_CHECK_TTL_MS = 60_000;
/** How long the time a PR head started waiting for approvals is kept: longer than anyone waits. */
const WAITING_SINCE_TTL_SECONDS = 30 * 24 * 3600;
/** Ends every reply, with the id of the comment it answers: one reply per comment, even after a crash. */
const REPLY_MARKER_START = '<!-- promobot:reply-to ';
/** Answers kept at most; the cache starts over when full. */
const APPROVER_CHECK_ENTRIES = 1_000;

export interface MergeReadiness {
  ready: boolean;
  why: string;
}

export interface ChatopsRuntime {
  /**
   * Acts on one newly created comment (a `CommentCreated` event off the queue). `holder` names the job handling it
   * (its id): the same job run again after a crash takes over the claim it left and finishes the comment.
   */
  onComment(event: CommentCreated, logger: Logger, holder?: string): Promise<void>;
  /** Counts (or withdraws) a native review approval on a promotion PR. */
  onReview(event: ReviewSubmitted, logger: Logger): Promise<void>;
  /** The bot pushed a new candidate to the PR: earlier approvals no longer count. */
  onCandidate(scm: ScmKind, repo: RepoRef, pr: number, headSha: string, tag: string): Promise<void>;
  /**
   * Promotion merged the PR: says on it who approved and what the gates showed, and records the merge in the audit
   * list. Once per PR, however often it is called.
   */
  onMerged(scm: ScmKind, repo: RepoRef, pr: number): Promise<void>;
  /**
   * A person merged the promotion PR while `notGreen` statuses were not green (possible where branch protection is
   * off): records it in the audit list and says so on the PR. Once per PR, however often it is called.
   */
  onManualMerge(
    scm: ScmKind,
    repo: RepoRef,
    pr: number,
    by: string,
    notGreen: readonly string[],
  ): Promise<void>;
  /**
   * Records `by` as a requester (an author) of the promotion PR `pr`, in Redis and in the status comment, before it
   * returns; safe to call again. False when `pr` is not a promotion PR of promobot's.
   */
  recordRequester(
    scm: ScmKind,
    repo: RepoRef,
    pr: number,
    requester: { by: string; via: RequesterRecord['via'] },
  ): Promise<boolean>;
  /** May promotion merge this PR now (approvals, gates, holds, mergeable)? */
  mergeReadiness(pr: PullRequest, env: Environment, meta: PromotionMeta): Promise<MergeReadiness>;
  /** `Promobot-Approved-By:` trailers for the merge commit of this PR; empty when nobody approved. */
  mergeTrailers(pr: PullRequest): Promise<string>;
  /**
   * Runs `run` holding the PR's lock, the one every command on the PR takes: promotion decides and merges inside it,
   * so a `/hold` is either in the state it reads or handled after the merge, never accepted in between.
   */
  withPullRequestLock<T>(
    scm: ScmKind,
    repo: RepoRef,
    pr: number,
    logger: Logger,
    run: () => Promise<T>,
  ): Promise<T>;
  /** Who `/unfreeze`d this PR's current head (it may merge inside a freeze window); null when nobody did. */
  freezeOverride(pr: PullRequest): Promise<string | null>;
}

/** Everything known about one promotion PR while handling an event, under its lock. */
interface Loaded {
  key: PullRequestKey;
  /** The state as loaded, before the PR's current head was applied to it. */
  loadedState: PromotionState;
  repo: RepoRef;
  resolved: ResolvedRepo;
  promotion: PromotionPullRequest;
  environment: Environment;
  stored: StoredPromotion;
}

const LOCK_TTL_MS = 30_000;
const LOCK_WAIT_MS = 60_000;

/**
 * Carries out the pure ChatOps functions against the code host and Redis: the state per PR lives in Redis and,
 * hidden, in the bot's status comment (rebuilt from there when Redis lost it), every command gets an answer on the
 * PR, and anything that changes what may merge asks promotion to reconcile. One event per PR at a time (a Redis
 * lock), so two comments arriving together never lose each other's effect.
 */
export function createChatopsRuntime(deps: ChatopsRuntimeDeps): ChatopsRuntime {
  const store = createChatopsStore(deps.redis, deps.prefix);
  const keys = redisKeys(deps.prefix);
  const stops = createStopRuntime({ redis: deps.redis, prefix: deps.prefix });
  const stopRepo = (scmKind: ScmKind, repo: RepoRef, resolved: ResolvedRepo): StopRepo => ({
    scmKind,
    repo,
    policy: resolved.policy,
    scm: resolved.scm,
    botLogin: resolved.botLogin,
  });
  const seal = createStateSeal(deps.stateKeys ?? []);
  const scopeOf = (key: PullRequestKey, commentId: number) =>
    statusCommentScope(key.scm, key.repo, key.number, commentId);

  /**
   * The state of a PR whose status comment carries a block promobot cannot trust (edited, copied, or unsigned):
   * nothing of it is used, and the PR is held by promobot until a writer lifts it, since a hold might be what was
   * lost. The audit list and the status comment say why.
   */
  const distrusted = (reason: string, botLogin: string): PromotionState => {
    const at = instant();
    const why = `${reason}${seal.enabled ? '' : ' (PROMOBOT_STATE_KEY is not set)'}`;
    return recordDecision(
      hold(emptyPromotionState(), {
        by: botLogin,
        reason: `promobot lost this PR's state and could not trust the copy in its status comment (${why}); approvals must be given again, and a writer lifts this hold with /unhold`,
        at,
        commentId: null,
      }),
      {
        at,
        actor: botLogin,
        action: 'state check',
        outcome: 'refused',
        detail: `state block ignored: ${why}`,
      },
    );
  };
  const now = deps.now ?? Date.now;
  const instant = () => new Date(now()).toISOString();

  const withLock = async <T>(key: PullRequestKey, logger: Logger, run: () => Promise<T>): Promise<T> => {
    const lease = await acquireRepoLock({
      redis: deps.redis,
      key: store.lockKey(key),
      ttlMs: LOCK_TTL_MS,
      waitMs: LOCK_WAIT_MS,
      logger,
    });
    try {
      return await run();
    } finally {
      await lease.release().catch(() => undefined);
    }
  };

  /** Redis first; then the state hidden in the bot's status comment; then nothing happened yet. */
  const loadStored = async (
    key: PullRequestKey,
    scm: ScmHost,
    repo: RepoRef,
    botLogin: string,
    isPullRequest: boolean,
    logger: Logger,
    /** The comment being handled, if any: its own commands are applied by handling it, not rebuilt. */
    handling?: number,
  ): Promise<StoredPromotion> => {
    const known = await store.load(key);
    if (known) return known;
    if (isPullRequest) {
      const comments = await scm.listComments(repo, key.number);
      const hostHolds = (stored: StoredPromotion) =>
        withHostHolds(
          stored,
          comments.filter((c) => c.id !== handling),
          scm,
          repo,
          botLogin,
          logger,
        );
      const status = comments.find((c) => sameLogin(c.author, botLogin) && isStatusComment(c.body));
      if (status) {
        const read = readSignedState(status.body, (payload, signature) =>
          seal.verify(scopeOf(key, status.id), payload, signature),
        );
        // A genuine block is trusted only as the bot's last write of the comment: not one a writer pasted back.
        const stale =
          read.kind === 'verified'
            ? staleBlock({
                updatedAt: status.updatedAt,
                sealedAt: read.at,
                seq: read.seq,
                knownSeq: await store.knownSeq(key),
                toleranceMs: deps.stateWriteToleranceMs ?? STATE_WRITE_TOLERANCE_MS,
              })
            : null;
        if (read.kind === 'verified' && stale === null) {
          await store.raiseSeq(key, read.seq);
          logger.info(
            { pr: key.number, statusComment: status.id, seq: read.seq },
            'chatops state rebuilt from the status comment',
          );
          return hostHolds({ state: read.state, statusCommentId: status.id });
        }
        const reason =
          read.kind === 'none'
            ? 'the status comment has no state block'
            : read.kind === 'rejected'
              ? read.reason
              : (stale ?? '');
        logger.warn(
          { pr: key.number, statusComment: status.id, reason, keyConfigured: seal.enabled },
          'the state in the status comment cannot be trusted; ignored, and the PR held',
        );
        return hostHolds({ state: distrusted(reason, botLogin), statusCommentId: status.id });
      }
      // promobot answered commands here, so it had a status comment: someone deleted it, and a hold may be gone.
      if (comments.some((c) => sameLogin(c.author, botLogin) && c.body.includes(REPLY_MARKER_START))) {
        const reason = 'the status comment was deleted';
        logger.warn({ pr: key.number, reason }, 'the status comment is gone; the PR held');
        return hostHolds({ state: distrusted(reason, botLogin), statusCommentId: null });
      }
      return hostHolds({ state: emptyPromotionState(), statusCommentId: null });
    }
    return { state: emptyPromotionState(), statusCommentId: null };
  };

  /**
   * A rebuilt state with the holds the host's own records show (see `holds-from-comments`): a `/hold` by a writer
   * that no `/unhold` followed holds, even if the copy read back (an earlier one, say) does not have it.
   */
  const withHostHolds = async (
    stored: StoredPromotion,
    comments: readonly Comment[],
    scm: ScmHost,
    repo: RepoRef,
    botLogin: string,
    logger: Logger,
  ): Promise<StoredPromotion> => {
    const events = holdEvents(comments, botLogin);
    const writers = new Set<string>();
    for (const login of new Set(events.map((e) => e.by.toLowerCase()))) {
      const permission = await scm.getPermission(repo, login);
      if (permission === 'write' || permission === 'admin') writers.add(login);
    }
    const missing = replayHolds(events, (login) => writers.has(login.toLowerCase())).filter(
      (h) => !stored.state.holds.some((known) => sameLogin(known.by, h.by)),
    );
    if (missing.length === 0) return stored;
    let state = stored.state;
    for (const found of missing) {
      state = recordDecision(hold(state, found), {
        at: instant(),
        actor: botLogin,
        action: 'state check',
        outcome: 'done',
        detail: `hold by @${found.by} rebuilt from their comment ${String(found.commentId)}, which no /unhold followed`,
      });
    }
    logger.warn(
      { holds: missing.map((h) => ({ by: h.by, commentId: h.commentId })) },
      'holds rebuilt from the comments that the state read back did not have',
    );
    return { ...stored, state };
  };

  /** Approvals are for the PR's head: a head the state has not seen yet is a new candidate. */
  const withCurrentHead = (state: PromotionState, promotion: PromotionPullRequest, botLogin: string) => {
    const { pr, meta } = promotion;
    if (pr.state !== 'open') return state;
    // The head is what people approve; the tag in the metadata may lag behind a candidate pushed since.
    if (state.candidate?.headSha === pr.headSha) return state;
    return setCandidate(state, { tag: meta.tag, headSha: pr.headSha, at: instant(), actor: botLogin });
  };

  const loadPromotion = async (
    scmKind: ScmKind,
    repo: RepoRef,
    resolved: ResolvedRepo,
    pr: PullRequest,
    logger: Logger,
    handling?: number,
  ): Promise<Loaded | string> => {
    const promotion = readPromotionPullRequest(pr, resolved.botLogin);
    if (promotion === null) return `#${pr.number} is not a promotion PR promobot opened`;
    const environment = resolved.policy.spec.environments.find((e) => e.name === promotion.meta.env);
    if (!environment) return `the policy has no environment ${promotion.meta.env}`;
    const key = { scm: scmKind, repo: repo.fullName, number: pr.number };
    const stored = await loadStored(key, resolved.scm, repo, resolved.botLogin, true, logger, handling);
    return {
      key,
      repo,
      resolved,
      promotion,
      environment,
      loadedState: stored.state,
      stored: { ...stored, state: withCurrentHead(stored.state, promotion, resolved.botLogin) },
    };
  };

  const answers = new Map<string, { at: number; value: unknown }>();
  const ttl = deps.approverCheckTtlMs ?? APPROVER_CHECK_TTL_MS;
  const cached = async <T>(key: string, ask: () => Promise<T>): Promise<T> => {
    const known = answers.get(key);
    if (known && now() - known.at < ttl) return known.value as T;
    const value = await ask();
    if (answers.size >= APPROVER_CHECK_ENTRIES) answers.clear();
    answers.set(key, { at: now(), value });
    return value;
  };

  /**
   * The approvals of `state` whose givers may no longer approve (left the team, lost write access, asked for the
   * PR since), each with why; and the state the merge decision uses, without them. The stored state keeps them:
   * if the person is allowed again, their approval counts again.
   */
  const assess = async (loaded: Loaded, state: PromotionState) => {
    const { scm } = loaded.resolved;
    const repo = loaded.repo;
    const lookup: PermissionLookup = {
      getPermission: (user) =>
        cached(`p:${repo.fullName}:${user.toLowerCase()}`, () => scm.getPermission(repo, user)),
      isTeamMember: (org, team, user) =>
        cached(`t:${org}/${team}:${user.toLowerCase()}`, () => scm.isTeamMember(org, team, user)),
    };
    const context = {
      deployRepo: loaded.resolved.policy.spec.deployRepo.repo,
      botLogin: loaded.resolved.botLogin,
      environments: loaded.resolved.policy.spec.environments,
      environment: loaded.environment,
      author: null,
      requesters: state.requesters.map((r) => r.by),
    };
    const revoked: { by: string; reason: string }[] = [];
    for (const approval of countedApprovals(state, loaded.environment.approvals)) {
      const again = await authorize(
        { name: 'approve', cancel: false },
        { login: approval.by, isBot: false },
        context,
        lookup,
      );
      if (!again.allowed) revoked.push({ by: approval.by, reason: again.reason });
    }
    const effective: PromotionState =
      revoked.length === 0
        ? state
        : { ...state, approvals: state.approvals.filter((a) => !revoked.some((r) => sameLogin(r.by, a.by))) };
    const notes = revoked.map((r) => `the approval by @${r.by} no longer counts: ${r.reason}`);
    const { pr, meta } = loaded.promotion;
    const freeze = decideFreeze(loaded.resolved.policy.spec, loaded.environment, now(), meta.kind);
    if (freeze.frozen && state.unfrozen?.headSha !== pr.headSha)
      notes.push(
        `frozen until ${new Date(freeze.until!).toISOString()} (${freeze.reason}): it merges by itself then, if approved and green, or at once on /unfreeze`,
      );
    return { effective, notes, merge: await mergeInput(loaded) };
  };

  const mergeInput = async (
    loaded: Loaded,
  ): Promise<Omit<MergeInput, 'state' | 'environment'> & { rollout?: string }> => {
    const { pr, meta } = loaded.promotion;
    const verdict = await deps.gateStatus(loaded.repo, pr.number, pr.headSha);
    const rollout = meta.kind === 'promotion' ? await deps.rollout?.(loaded.resolved.policy, meta) : null;
    // The global stop holds promotions; a rollback (the way out of an incident) is never held by it.
    const stop =
      meta.kind === 'promotion'
        ? await stops.decide(
            stopRepo(loaded.key.scm, loaded.repo, loaded.resolved),
            meta.app,
            loaded.environment.name,
            deps.logger,
          )
        : null;
    return {
      stopped: stop?.reason ?? null,
      gateStatus: verdict === 'none' ? null : verdict,
      mergeable: pr.mergeable,
      held: rollout?.held ?? false,
      ...(rollout ? { rollout: rollout.line } : {}),
      skipGates: meta.kind === 'rollback' && loaded.environment.rollback.skipGates,
    };
  };

  /** The gate line of the status comment follows the gates module, which owns the verdict. */
  const withGates = (state: PromotionState, merge: Omit<MergeInput, 'state' | 'environment'>) => {
    if (merge.gateStatus === null || state.gates?.status === merge.gateStatus) return state;
    return { ...state, gates: { status: merge.gateStatus, summary: 'promobot/gates', at: instant() } };
  };

  /** Saves the state, then brings the status comment and the `promobot/approval` status up to date. */
  const publish = async (loaded: Loaded, state: PromotionState, logger: Logger): Promise<MergeDecision> => {
    const { scm } = loaded.resolved;
    const { pr, meta } = loaded.promotion;
    const { effective, notes, merge } = await assess(loaded, state);
    const decision = decideMerge({ ...merge, state: effective, environment: loaded.environment });
    const seq = await store.nextSeq(loaded.key);
    /**
     * The body for comment `commentId`: the block is sealed for that comment, with this write's number and the
     * time right before it is sent; unsealed, while the comment has no id yet.
     */
    const bodyFor = (commentId: number | null) =>
      renderStatusComment({
        state: withGates(effective, merge),
        environment: loaded.environment,
        app: meta.app,
        decision,
        notes,
        ...(merge.rollout !== undefined ? { rollout: merge.rollout } : {}),
        ...(commentId === null
          ? {}
          : {
              stamp: { seq, at: instant() },
              sign: (payload: string) => seal.sign(scopeOf(loaded.key, commentId), payload),
            }),
      });
    let statusCommentId = loaded.stored.statusCommentId;
    if (statusCommentId !== null) {
      try {
        await scm.updateComment(loaded.repo, statusCommentId, bodyFor(statusCommentId));
      } catch (error) {
        if (!(error instanceof PermanentError)) throw error;
        logger.warn({ pr: pr.number, statusCommentId }, 'status comment is gone; writing a new one');
        statusCommentId = null;
      }
    }
    if (statusCommentId === null) {
      // A run that created it and failed before saving its id left it there: take it over.
      const existing = (await scm.listComments(loaded.repo, pr.number)).find(
        (c) => sameLogin(c.author, loaded.resolved.botLogin) && isStatusComment(c.body),
      );
      // A new comment's id is known only once it exists: created with the state unsealed, then sealed for its id.
      statusCommentId = existing?.id ?? (await scm.createComment(loaded.repo, pr.number, bodyFor(null))).id;
      await scm.updateComment(loaded.repo, statusCommentId, bodyFor(statusCommentId));
    }
    if (pr.state === 'open' && !(await deps.hasForeignCommits?.(loaded.resolved.policy, pr)))
      await scm.setCommitStatus(
        loaded.repo,
        pr.headSha,
        approvalStatus(effective, loaded.environment, merge.stopped ?? null),
      );
    // Saved last: until then a retry of the same event redoes everything (answering twice at worst), rather than
    // finding the event processed and leaving it unanswered.
    await store.save(loaded.key, { state, statusCommentId });
    loaded.stored = { state, statusCommentId };
    return decision;
  };

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
    const claim = await store.claimComment(key, event.commentId, holder ?? randomUUID());
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
      await withLock(key, logger, () => handleOneComment(event, resolved, key, logger, claim === 'resumed'));
      await store.completeComment(key, event.commentId);
    } catch (error) {
      // Retrying cannot help: the person is told so, once, and the job ends (failed, with the reason logged).
      if (isPermanent(error) && (await answerFailure(event, resolved, error, logger))) {
        await store.completeComment(key, event.commentId);
        throw error;
      }
      await store.releaseComment(key, event.commentId);
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
    loaded: Loaded,
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
    loaded: Loaded,
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
    stopped: StopHandling,
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
    const answered =
      resumed &&
      (await scm.listComments(event.repo, event.number)).some(
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
    stopped: StopHandling,
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
      await withLock(key, logger, async () => {
        const loaded = await loadPromotion(event.scm, event.repo, resolved, pr, logger);
        if (typeof loaded !== 'string') await publish(loaded, loaded.stored.state, logger);
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
    stopped: StopHandling,
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
    let loaded: Loaded | null = null;
    let stored: StoredPromotion;
    if (event.isPullRequest) {
      const pr = await scm.getPullRequest(repo, event.number);
      const found = await loadPromotion(event.scm, repo, resolved, pr, logger, event.commentId);
      if (typeof found === 'string') {
        logger.debug({ why: found }, 'comment ignored');
        return;
      }
      loaded = found;
      stored = found.stored;
    } else {
      stored = await loadStored(key, scm, repo, botLogin, false, logger);
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
    const merge = loaded ? await mergeInput(loaded) : undefined;
    let handled: Awaited<ReturnType<typeof handleComment>>;
    /** The global stop's commands, on an issue; null on a PR or when the comment has none. */
    let stopped: StopHandling | null = null;
    try {
      if (!loaded)
        stopped = await stops.handle(event, stopRepo(event.scm, repo, resolved), instant(), logger);
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
          const recorded = await recordRequester(event.scm, repo, rollbackPr, {
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
    if (loaded) await publish(loaded, state, logger);
    else await store.save(key, { ...stored, state });
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
    await withLock(key, logger, async () => {
      const pr = await resolved.scm.getPullRequest(event.repo, event.number);
      const loaded = await loadPromotion(event.scm, event.repo, resolved, pr, logger);
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
      await publish(loaded, handled.state, logger);
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

  const onCandidate = async (
    scmKind: ScmKind,
    repo: RepoRef,
    number: number,
    headSha: string,
    tag: string,
  ) => {
    const logger = deps.logger.child({ component: 'chatops', repo: repo.fullName, number });
    const resolved = deps.resolve(scmKind, repo.fullName);
    if (resolved === null) return;
    const key: PullRequestKey = { scm: scmKind, repo: repo.fullName, number };
    await withLock(key, logger, async () => {
      const pr = await resolved.scm.getPullRequest(repo, number);
      const loaded = await loadPromotion(scmKind, repo, resolved, pr, logger);
      if (typeof loaded === 'string') return;
      const state = setCandidate(loaded.stored.state, {
        tag,
        headSha,
        at: instant(),
        actor: resolved.botLogin,
      });
      // Compared with the state as stored: the PR's new head may already be in `loaded.stored.state`.
      if (state === loaded.loadedState && loaded.stored.statusCommentId !== null) return;
      await publish(loaded, state, logger);
    });
  };

  const recordRequester: ChatopsRuntime['recordRequester'] = async (scmKind, repo, number, requester) => {
    const logger = deps.logger.child({ component: 'chatops', repo: repo.fullName, number });
    const resolved = deps.resolve(scmKind, repo.fullName);
    if (resolved === null) return false;
    const key: PullRequestKey = { scm: scmKind, repo: repo.fullName, number };
    return withLock(key, logger, async () => {
      const pr = await resolved.scm.getPullRequest(repo, number);
      const loaded = await loadPromotion(scmKind, repo, resolved, pr, logger);
      if (typeof loaded === 'string') return false;
      const state = addRequester(loaded.stored.state, { ...requester, at: instant() });
      if (state !== loaded.stored.state || loaded.stored.statusCommentId === null)
        await publish(loaded, state, logger);
      logger.info({ requester: requester.by, via: requester.via }, 'requester recorded');
      return true;
    });
  };

  const onMerged = async (scmKind: ScmKind, repo: RepoRef, number: number) => {
    const logger = deps.logger.child({ component: 'chatops', repo: repo.fullName, number });
    const resolved = deps.resolve(scmKind, repo.fullName);
    if (resolved === null) return;
    const key: PullRequestKey = { scm: scmKind, repo: repo.fullName, number };
    await withLock(key, logger, async () => {
      const pr = await resolved.scm.getPullRequest(repo, number);
      const loaded = await loadPromotion(scmKind, repo, resolved, pr, logger);
      if (typeof loaded === 'string' || !pr.merged) return;
      const { state } = loaded.stored;
      if (state.audit.some((e) => e.action === 'merge')) return;
      const { effective, merge } = await assess(loaded, state);
      const approvers = countedApprovals(effective, loaded.environment.approvals).map((a) => `@${a.by}`);
      const shown = withGates(effective, merge);
      // The comment before the record; a run that posted it and failed before the record does not post it again.
      const mergeComment = renderMergeComment({ state: shown, environment: loaded.environment });
      const firstLine = mergeComment.split('\n')[0]!;
      const posted = (await resolved.scm.listComments(repo, number)).some(
        (c) => sameLogin(c.author, resolved.botLogin) && c.body.split('\n')[0] === firstLine,
      );
      if (!posted) await resolved.scm.createComment(repo, number, mergeComment);
      const recorded = recordDecision(state, {
        at: instant(),
        actor: resolved.botLogin,
        action: 'merge',
        outcome: 'done',
        detail: `${pr.mergeCommitSha?.slice(0, 7) ?? 'merged'}; approved by ${approvers.join(', ') || 'nobody'}; gates ${merge.gateStatus ?? 'none'}`,
      });
      await publish(loaded, recorded, logger);
    });
  };

  const onManualMerge: ChatopsRuntime['onManualMerge'] = async (scmKind, repo, number, by, notGreen) => {
    const logger = deps.logger.child({ component: 'chatops', repo: repo.fullName, number });
    const resolved = deps.resolve(scmKind, repo.fullName);
    if (resolved === null) return;
    const key: PullRequestKey = { scm: scmKind, repo: repo.fullName, number };
    await withLock(key, logger, async () => {
      const pr = await resolved.scm.getPullRequest(repo, number);
      const loaded = await loadPromotion(scmKind, repo, resolved, pr, logger);
      if (typeof loaded === 'string' || !pr.merged) return;
      const { state } = loaded.stored;
      if (state.audit.some((e) => e.action === 'merge by hand')) return;
      // The comment before the record; a run that posted it and failed before the record does not post it again.
      const posted = (await resolved.scm.listComments(repo, number)).some(
        (c) => sameLogin(c.author, resolved.botLogin) && c.body.includes(MANUAL_MERGE_MARKER),
      );
      if (!posted) await resolved.scm.createComment(repo, number, renderManualMergeComment(by, notGreen));
      const recorded = recordDecision(state, {
        at: instant(),
        actor: by,
        action: 'merge by hand',
        outcome: 'done',
        detail: `${pr.mergeCommitSha?.slice(0, 7) ?? 'merged'} while not green: ${notGreen.join(', ')}`,
      });
      await publish(loaded, recorded, logger);
      logger.warn({ by, notGreen }, 'promotion PR merged by hand before its statuses were green');
    });
  };

  /** The promotion PR behind `pr`, for the merge questions, where only the PR and its metadata are at hand. */
  const loadForMerge = async (pr: PullRequest, meta: PromotionMeta | null): Promise<Loaded | string> => {
    const policy = meta ? deps.policyNamed(meta.policy) : undefined;
    if (!meta || !policy) return `no policy ${meta?.policy ?? '(no metadata)'} for #${pr.number}`;
    const { scm, repo } = policy.spec.deployRepo;
    const resolved = deps.resolve(scm, repo);
    if (resolved === null) return `the deploy repo ${repo} of policy ${policy.metadata.name} is not resolved`;
    return loadPromotion(scm, repoRef(repo), resolved, pr, deps.logger.child({ component: 'chatops' }));
  };

  const mergeReadiness = async (
    pr: PullRequest,
    env: Environment,
    meta: PromotionMeta,
  ): Promise<MergeReadiness> => {
    const loaded = await loadForMerge(pr, meta);
    // Unknown state must never merge: a hold might be in it.
    if (typeof loaded === 'string') return { ready: false, why: loaded };
    const { effective, notes, merge } = await assess(loaded, loaded.stored.state);
    const input = { ...merge, state: effective, environment: env };
    const decision = decideMerge(input);
    if (decision.action === 'wait') {
      await noteWaitingForApproval(loaded, input);
      return { ready: false, why: [...decision.reasons, ...notes].join('; ') };
    }
    const who = decision.approvers.map((a) => `@${a}`).join(', ');
    return { ready: true, why: who === '' ? 'everything passes' : `approved by ${who}` };
  };

  /**
   * `notifyAfter.waitingForApproval`: a PR head that waits for its approvals and nothing else is timed from when
   * promobot first saw it so (in Redis, per head); a reconcile is asked for when the time is up, and if the head still
   * waits only for approvals then, one `waiting-for-approval` event is sent (its id, per PR head, dedupes repeats).
   */
  const noteWaitingForApproval = async (loaded: Loaded, input: MergeInput): Promise<void> => {
    const after = loaded.resolved.policy.spec.notifyAfter?.waitingForApproval;
    if (after === undefined || deps.notify === undefined || !waitingOnlyForApprovals(input)) return;
    const { pr, meta } = loaded.promotion;
    const key = keys.waitingSince(loaded.repo.fullName, pr.number, pr.headSha);
    await deps.redis.set(key, String(now()), 'EX', WAITING_SINCE_TTL_SECONDS, 'NX');
    const since = Number((await deps.redis.get(key)) ?? now());
    const due = since + parseDuration(after);
    const policy = loaded.resolved.policy.metadata.name;
    if (now() < due) {
      await deps.requestReconcile(policy, meta.app, `#${String(pr.number)} waiting for approval`, due + 500);
      return;
    }
    await deps.notify({
      kind: 'waiting-for-approval',
      policy,
      app: meta.app,
      env: loaded.environment.name,
      pr: pr.number,
      url: pr.url,
      sha: pr.headSha.toLowerCase(),
      summary: waitingSummary(input, after),
    });
  };

  const mergeTrailers = async (pr: PullRequest): Promise<string> => {
    const loaded = await loadForMerge(pr, parsePromotionMeta(pr.body));
    if (typeof loaded === 'string') return '';
    const { effective } = await assess(loaded, loaded.stored.state);
    return renderMergeTrailers(countedApprovals(effective, loaded.environment.approvals).map((a) => a.by));
  };

  const freezeOverride = async (pr: PullRequest): Promise<string | null> => {
    const loaded = await loadForMerge(pr, parsePromotionMeta(pr.body));
    if (typeof loaded === 'string') return null;
    const { unfrozen } = loaded.stored.state;
    return unfrozen !== undefined && unfrozen.headSha === pr.headSha ? unfrozen.by : null;
  };

  return {
    freezeOverride,
    onComment,
    onReview,
    onCandidate,
    onMerged,
    onManualMerge,
    recordRequester,
    mergeReadiness,
    mergeTrailers,
    withPullRequestLock: (scmKind, repo, number, logger, run) =>
      withLock({ scm: scmKind, repo: repo.fullName, number }, logger, run),
  };
}

/** How a PR stopped being open, for the answer to a command that came too late; null while open (or no PR). */
function closedAs(pr: PullRequest | undefined): 'merged' | 'closed' | null {
  if (pr === undefined || pr.state === 'open') return null;
  return pr.merged ? 'merged' : 'closed';
}
