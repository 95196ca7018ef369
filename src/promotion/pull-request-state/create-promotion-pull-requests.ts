import { decideFreeze } from '../../freeze/decide-freeze.js';
import { MANUAL_MERGE_MARKER, renderManualMergeComment } from '../../governance/manual-merge.js';
import type { StopRuntime } from '../../governance/stop-runtime.js';
import type { NotifyEvent } from '../../notify/index.js';
import { redisKeys } from '../../redis/keys.js';
import type { Redis } from 'ioredis';
import { PermanentError } from '../../errors/index.js';
import type { RepoRef, ScmKind } from '../../events/index.js';
import { acquireRepoLock } from '../../git/index.js';
import type { Logger } from '../../logger/index.js';
import { parseDuration, type Environment, type PromotionPolicy } from '../../policy/schema.js';
import { parsePromotionMeta, type PromotionMeta } from '../promotion-meta.js';
import { repoRef, type Comment, type PullRequest, type ScmHost } from '../../scm/types.js';
import { sameLogin } from '../../scm/same-login.js';
import type { ApproverCheck, PermissionLookup } from './approver-check.js';
import type { Command } from './command.js';
import { approvalStatus, decideMerge, type MergeDecision, type MergeInput } from './decide-merge.js';
import { holdEvents, replayHolds } from './holds-from-comments.js';
import {
  addRequester,
  countedApprovals,
  emptyPromotionState,
  hold,
  recordDecision,
  setCandidate,
  type PromotionState,
  type RequesterRecord,
} from './promotion-state.js';
import {
  isStatusComment,
  readSignedState,
  renderMergeComment,
  renderMergeTrailers,
  renderStatusComment,
} from './status-comment.js';
import { createStateSeal, staleBlock, statusCommentScope, STATE_WRITE_TOLERANCE_MS } from './state-seal.js';
import { createPullRequestStore, type PullRequestKey, type StoredPromotion } from './pull-request-store.js';
import { readPromotionPullRequest, type PromotionPullRequest } from './promotion-pull-request.js';
import { waitingOnlyForApprovals, waitingSummary } from './waiting-for-approval.js';

/** The gate verdict for a PR head as the gates module reports it; `none` while no gate has run. */
export type GateVerdict = 'none' | 'pending' | 'success' | 'failure';

/** What the deploy repo of a comment or review is, to ChatOps. */
export interface ResolvedRepo {
  policy: PromotionPolicy;
  scm: ScmHost;
  /** The login promobot acts as on this host. */
  botLogin: string;
}

export interface PromotionPullRequestsDeps {
  redis: Redis;
  /** Key prefix, shared with the queues (`config.queuePrefix`). */
  prefix: string;
  logger: Logger;
  /** The policy whose deploy repo `repoFullName` is on `scm`, its host and the bot's login; null: not ours. */
  resolve: (scm: ScmKind, repoFullName: string) => ResolvedRepo | null;
  /** The policy named in a promotion PR's metadata; `mergeReadiness` has only the PR to go on. */
  policyNamed: (name: string) => PromotionPolicy | undefined;
  gateStatus: (repo: RepoRef, pr: number, headSha: string) => Promise<GateVerdict>;
  /** The clock, for audit entries; `Date.now` unless told. */
  now?: () => number;
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
  /** Whether an approval still counts, asked again before every merge decision and status comment. */
  approverCheck: ApproverCheck;
  /** The commands of a comment's text (ChatOps' parser), to rebuild holds from the host's comments. */
  commandsIn: (body: string) => readonly Command[];
  /** The deploy repos' global stops (governance/stop-runtime.ts): a promotion they cover never merges. */
  stops: StopRuntime;
  /**
   * Asks for a reconcile of `app` of policy `policy` at `at` (epoch ms): when a PR head waiting for its approvals is
   * due for `notifyAfter.waitingForApproval`. Without it (or `notify`), waiting is not timed.
   */
  requestReconcile?: (policy: string, app: string, reason: string, at?: number) => Promise<void>;
  /** Emits a notification (`waiting-for-approval`); never throws. */
  notify?: (event: Omit<NotifyEvent, 'at'>) => Promise<void>;
}

/**
 * Approvals are checked again (write permission, approvers list or team, not a requester) every time a merge is
 * decided or the status comment is written; the host's answers are reused for this long, so someone removed from
 * the approvers' team stops counting within a minute.
 */
export const APPROVER_CHECK_TTL_MS = 60_000;
/**
 * Starts every ChatOps reply, with the id of the comment it answers: one reply per comment, even after a crash. A
 * PR with such a reply had a status comment, so its state is distrusted when that comment is gone.
 */
export const REPLY_MARKER_START = '<!-- promobot:reply-to ';
/** Answers kept at most; the cache starts over when full. */
const APPROVER_CHECK_ENTRIES = 1_000;
/** How long the time a PR head started waiting for approvals is kept: longer than anyone waits. */
const WAITING_SINCE_TTL_SECONDS = 30 * 24 * 3600;

export interface MergeReadiness {
  ready: boolean;
  why: string;
}

/** Everything known about one promotion PR while handling an event, under its lock. */
export interface LoadedPromotion {
  key: PullRequestKey;
  /** The state as loaded, before the PR's current head was applied to it. */
  loadedState: PromotionState;
  repo: RepoRef;
  resolved: ResolvedRepo;
  promotion: PromotionPullRequest;
  environment: Environment;
  stored: StoredPromotion;
}

/** What `decideMerge` needs beyond the state and the environment, and the rollout line for people. */
export type MergeFacts = Omit<MergeInput, 'state' | 'environment'> & { rollout?: string };

export interface PromotionPullRequests {
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
  /** Runs `run` holding the lock of the PR `key` (see `withPullRequestLock`). */
  withLock<T>(key: PullRequestKey, logger: Logger, run: () => Promise<T>): Promise<T>;
  /**
   * The promotion PR `pr` and its state (Redis first, then the sealed copy in its status comment, then empty); why
   * not, when it is not one of promobot's. `handling`: the comment being handled, whose commands are not rebuilt.
   */
  load(
    scm: ScmKind,
    repo: RepoRef,
    resolved: ResolvedRepo,
    pr: PullRequest,
    logger: Logger,
    handling?: number,
  ): Promise<LoadedPromotion | string>;
  /** The state kept for a number that is no promotion PR (an issue): Redis, or empty. */
  loadStored(key: PullRequestKey, logger: Logger): Promise<StoredPromotion>;
  /** Keeps the state of an issue (no status comment to publish it in). */
  save(key: PullRequestKey, stored: StoredPromotion): Promise<void>;
  /** What the merge decision needs beyond the state: gates, mergeable, rollout, skipped gates. */
  mergeInput(loaded: LoadedPromotion): Promise<MergeFacts>;
  /** Saves `state`, then brings the status comment and the `promobot/approval` status up to date. */
  publish(loaded: LoadedPromotion, state: PromotionState, logger: Logger): Promise<MergeDecision>;
}

const LOCK_TTL_MS = 30_000;
const LOCK_WAIT_MS = 60_000;

/**
 * The promotion PR's state carried out against the code host and Redis: the state per PR lives in Redis and,
 * hidden and sealed, in the bot's status comment (rebuilt from there when Redis lost it); the merge questions
 * promotion asks are answered from it, under the PR's lock (one event per PR at a time), and ChatOps hands it what
 * people asked for.
 */
export function createPromotionPullRequests(deps: PromotionPullRequestsDeps): PromotionPullRequests {
  const store = createPullRequestStore(deps.redis, deps.prefix);
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
  const keys = redisKeys(deps.prefix);

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
    const events = holdEvents(comments, botLogin, deps.commandsIn);
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
  ): Promise<LoadedPromotion | string> => {
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
  const assess = async (loaded: LoadedPromotion, state: PromotionState) => {
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
      const again = await deps.approverCheck(approval.by, context, lookup);
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
    loaded: LoadedPromotion,
  ): Promise<Omit<MergeInput, 'state' | 'environment'> & { rollout?: string }> => {
    const { pr, meta } = loaded.promotion;
    const verdict = await deps.gateStatus(loaded.repo, pr.number, pr.headSha);
    const rollout = meta.kind === 'promotion' ? await deps.rollout?.(loaded.resolved.policy, meta) : null;
    // The global stop holds promotions; a rollback (the way out of an incident) is never held by it.
    const { scm, policy, botLogin } = loaded.resolved;
    const stop =
      meta.kind === 'promotion'
        ? await deps.stops.decide(
            { scmKind: loaded.key.scm, repo: loaded.repo, policy, scm, botLogin },
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
  const publish = async (
    loaded: LoadedPromotion,
    state: PromotionState,
    logger: Logger,
  ): Promise<MergeDecision> => {
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
      // Its id is remembered at once, beside the state as it was before this write: a retry after the sealing write
      // failed starts from that, instead of reading the unsealed block back and holding the PR as forged.
      await store.save(loaded.key, { state: loaded.stored.state, statusCommentId });
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

  /**
   * Runs `run` under the PR's lock with the promotion PR loaded (its host, the PR as the host has it now, its state);
   * `otherwise` when the repo is not promobot's or the PR is not a promotion PR it can load.
   */
  const withLoadedPromotion = async <T>(
    scmKind: ScmKind,
    repo: RepoRef,
    number: number,
    otherwise: T,
    run: (context: {
      pr: PullRequest;
      loaded: LoadedPromotion;
      resolved: ResolvedRepo;
      logger: Logger;
    }) => Promise<T>,
  ): Promise<T> => {
    const logger = deps.logger.child({ component: 'chatops', repo: repo.fullName, number });
    const resolved = deps.resolve(scmKind, repo.fullName);
    if (resolved === null) return otherwise;
    const key: PullRequestKey = { scm: scmKind, repo: repo.fullName, number };
    return withLock(key, logger, async () => {
      const pr = await resolved.scm.getPullRequest(repo, number);
      const loaded = await loadPromotion(scmKind, repo, resolved, pr, logger);
      if (typeof loaded === 'string') return otherwise;
      return run({ pr, loaded, resolved, logger });
    });
  };

  const onCandidate = async (
    scmKind: ScmKind,
    repo: RepoRef,
    number: number,
    headSha: string,
    tag: string,
  ) => {
    await withLoadedPromotion(scmKind, repo, number, undefined, async ({ loaded, resolved, logger }) => {
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

  const recordRequester: PromotionPullRequests['recordRequester'] = async (
    scmKind,
    repo,
    number,
    requester,
  ) => {
    return withLoadedPromotion(scmKind, repo, number, false, async ({ loaded, logger }) => {
      const state = addRequester(loaded.stored.state, { ...requester, at: instant() });
      if (state !== loaded.stored.state || loaded.stored.statusCommentId === null)
        await publish(loaded, state, logger);
      logger.info({ requester: requester.by, via: requester.via }, 'requester recorded');
      return true;
    });
  };

  const onMerged = async (scmKind: ScmKind, repo: RepoRef, number: number) => {
    await withLoadedPromotion(scmKind, repo, number, undefined, async ({ pr, loaded, resolved, logger }) => {
      if (!pr.merged) return;
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

  const onManualMerge: PromotionPullRequests['onManualMerge'] = async (
    scmKind,
    repo,
    number,
    by,
    notGreen,
  ) => {
    await withLoadedPromotion(scmKind, repo, number, undefined, async ({ pr, loaded, resolved, logger }) => {
      if (!pr.merged) return;
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
  const loadForMerge = async (
    pr: PullRequest,
    meta: PromotionMeta | null,
  ): Promise<LoadedPromotion | string> => {
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
    // The one merge decision: only `merge` lets the bot merge; `ready` is everything passing where people merge.
    if (decision.action === 'ready') return { ready: false, why: 'everything passes; people merge this one' };
    const who = decision.approvers.map((a) => `@${a}`).join(', ');
    return { ready: true, why: who === '' ? 'everything passes' : `approved by ${who}` };
  };

  /**
   * `notifyAfter.waitingForApproval`: a PR head that waits for its approvals and nothing else is timed from when
   * promobot first saw it so (in Redis, per head); a reconcile is asked for when the time is up, and if the head still
   * waits only for approvals then, one `waiting-for-approval` event is sent (its id, per PR head, dedupes repeats).
   */
  const noteWaitingForApproval = async (loaded: LoadedPromotion, input: MergeInput): Promise<void> => {
    const after = loaded.resolved.policy.spec.notifyAfter?.waitingForApproval;
    const { notify, requestReconcile } = deps;
    if (after === undefined || notify === undefined || requestReconcile === undefined) return;
    if (!waitingOnlyForApprovals(input)) return;
    const { pr, meta } = loaded.promotion;
    const key = keys.waitingSince(loaded.repo.fullName, pr.number, pr.headSha);
    await deps.redis.set(key, String(now()), 'EX', WAITING_SINCE_TTL_SECONDS, 'NX');
    const since = Number((await deps.redis.get(key)) ?? now());
    const due = since + parseDuration(after);
    const policy = loaded.resolved.policy.metadata.name;
    if (now() < due) {
      await requestReconcile(policy, meta.app, `#${String(pr.number)} waiting for approval`, due + 500);
      return;
    }
    await notify({
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
    onCandidate,
    onMerged,
    onManualMerge,
    recordRequester,
    mergeReadiness,
    mergeTrailers,
    withPullRequestLock: (scmKind, repo, number, logger, run) =>
      withLock({ scm: scmKind, repo: repo.fullName, number }, logger, run),
    withLock,
    load: loadPromotion,
    loadStored: async (key) =>
      (await store.load(key)) ?? { state: emptyPromotionState(), statusCommentId: null },
    save: (key, stored) => store.save(key, stored),
    mergeInput,
    publish,
  };
}
