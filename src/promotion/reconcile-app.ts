import { PermanentError } from '../errors/index.js';
import type { RepoRef } from '../events/index.js';
import type { TagRun } from '../git/index.js';
import type { Logger } from '../logger/index.js';
import type { App, Environment, PolicySpec } from '../policy/schema.js';
import type { CommitStatus, PullRequest, ScmHost } from '../scm/types.js';
import type { ImageChange } from '../updaters/types.js';
import { reportMergeRefusal } from './report-merge-refusal.js';
import { decideFreeze, freezeStatus, hasFreezeWindows } from '../freeze/decide-freeze.js';
import {
  decidePromotions,
  type OpenPromotion,
  type PromotionAction,
  type Running,
} from './decide-promotions.js';
import { environmentPath as environmentPathFor } from '../policy/index.js';
import { sameLogin } from '../scm/same-login.js';
import { botMerges } from './pull-request-state/decide-merge.js';
import {
  parsePromotionBranch,
  parsePromotionMeta,
  promotionBranch,
  replacePromotionMeta,
  type PromotionMeta,
} from './promotion-meta.js';
import {
  heldByRollout,
  rolloutOfSources,
  runningForDecision,
  type RolloutGate,
} from '../rollout/rollout-gate.js';
import { promotionCandidate } from './candidate-commit.js';
import { renderPullRequestBody, renderPullRequestTitle, shortTag } from './render-pull-request.js';

/** How the reconciler reads and writes the deploy repo (an adapter over `git/` and `updaters/`). */
export interface DeployRepoPort {
  /** What each environment runs for `app` on the target branch, and since when. */
  readRunning(
    app: App,
    environments: readonly { name: string; path: string }[],
  ): Promise<Record<string, Running>>;
  /**
   * Brings the bot's `branch` to carry `change` under `path`: a new commit on top of it (created from the target
   * branch when missing). Returns its head, or `foreign: true` (and writes nothing) when anyone else committed there.
   */
  writeBranch(input: {
    branch: string;
    path: string;
    change: ImageChange;
    message: string;
    trailers: Record<string, string>;
  }): Promise<{ headSha: string; foreign: boolean }>;
  /** Whether anyone but the bot committed to `branch` since it left the target branch. */
  hasForeignCommits(branch: string): Promise<boolean>;
  /**
   * Which tags of `app` ran in `env`, newest first, read from the files across the target branch's first-parent
   * history whoever committed (people's edits included); bot trailers add who and why.
   */
  tagHistory(app: App, env: { name: string; path: string }): Promise<TagRun[]>;
  /** Whether `descendant` is or descends from `ancestor` on the deploy repo (false for unknown commits). */
  contains(ancestor: string, descendant: string): Promise<boolean>;
}

export interface ReconcileDeps {
  scm: ScmHost;
  /** The login promobot acts as on `scm`: only PRs it opened are promotion or rollback PRs. */
  botLogin: string;
  repo: RepoRef;
  deployRepo: DeployRepoPort;
  logger: Logger;
  now: () => number;
  /** Asks for this app to be reconciled again at `at` (a delayed job); soak timers and retryable merges use it. */
  scheduleRecheck: (at: number, reason: string) => Promise<void>;
  /** Newest pushed image for entry environments in pull-request mode. */
  pushed?: { tag: string; digest?: string; at: number } | null;
  /** Whether an environment's PR may be merged now, beyond `promobot/promotion` (gates, approvals, holds). */
  mergeReadiness?: (
    pr: PullRequest,
    env: Environment,
    meta: PromotionMeta,
  ) => Promise<{ ready: boolean; why: string; trailers?: string }>;
  /** Holds the PR's ChatOps lock around the merge decision and the merge, so no command lands in between. */
  mergeLock?: <T>(pr: PullRequest, run: () => Promise<T>) => Promise<T>;
  /**
   * A promotion PR now carries a candidate on `pr.headSha` (opened, updated, or found as it was): gates start
   * their rounds for that head, and approvals given for an older head stop counting. Idempotent per head.
   */
  onCandidate?: (pr: PullRequest, env: Environment, meta: PromotionMeta) => Promise<void>;
  /**
   * The PR got a new head while its candidate still soaks: no gates yet, but approvals of the earlier head stop
   * counting, and the status comment must say so now rather than when the soak ends.
   */
  onSoakingCandidate?: (pr: PullRequest, env: Environment, meta: PromotionMeta) => Promise<void>;
  /**
   * Records on `pr` whoever asked (`/promote`, `/rollback`) for this app in `env` and is still waiting in Redis;
   * the waiting entry goes only once the PR's state holds it. Called before anything may merge `pr`.
   */
  settleRequesters?: (pr: PullRequest, env: string, kind: PromotionMeta['kind']) => Promise<void>;
  /**
   * Rollout verification (`verify:` argocd or prometheus): where the tag each environment runs stands (promobot's
   * own record), and showing a source's state on the next environment's PR. Until the source is verified running
   * the candidate, that PR gets no soak, no gate round and no merge; once it is, the soak counts from then.
   */
  rollout?: {
    check(running: Readonly<Record<string, Running>>): Promise<ReadonlyMap<string, RolloutGate>>;
    publish(pr: PullRequest, env: Environment, from: string, gate: RolloutGate): Promise<void>;
  };
  /** Who `/unfreeze`d this PR's head, letting it merge inside a freeze window; null when nobody did. */
  freezeOverride?: (pr: PullRequest) => Promise<string | null>;
  /**
   * The PR's head is held by a freeze window ending at `until` (epoch ms): told on every reconcile while it lasts,
   * so the callee must be idempotent per head and window end (the notification's event id is).
   */
  onFrozen?: (pr: PullRequest, env: Environment, until: number, reason: string) => Promise<void>;
  /**
   * Sets `promobot/freeze` on the PR's head unless the same status was set there lately (every reconcile decides
   * it again; most find it unchanged). Without it, the status is set every time.
   */
  setFreezeStatus?: (pr: PullRequest, status: CommitStatus) => Promise<void>;
}

export const PROMOTION_STATUS = 'promobot/promotion';
const HANDS_OFF_MARKER = '<!-- promobot:hands-off -->';

export interface ReconcileResult {
  actions: PromotionAction[];
  merged: number[];
}

/**
 * Carries out {@link decidePromotions} for one app against the SCM and the deploy repo. The caller holds the
 * app's lock, so two reconciles of one app never interleave; every step is safe to redo after a crash.
 */
export async function reconcileApp(
  policyName: string,
  spec: PolicySpec,
  app: App,
  deps: ReconcileDeps,
): Promise<ReconcileResult> {
  const { scm, repo, logger } = deps;
  const base = spec.deployRepo.branch;
  const environments = spec.environments.map((env) => ({
    name: env.name,
    path: environmentPathFor(env, app),
  }));
  const running = await deps.deployRepo.readRunning(app, environments);
  const verified = deps.rollout ? await deps.rollout.check(running) : new Map<string, RolloutGate>();
  const rolloutOf = rolloutOfSources(spec, running, verified);

  const open: OpenPromotion[] = [];
  const prs = new Map<number, PullRequest>();
  const rollbacks: { pr: PullRequest; meta: PromotionMeta }[] = [];
  /** promobot's branches with an open PR someone else opened: promobot neither writes there nor opens a PR. */
  const takenBranches = new Map<string, PullRequest>();
  for (const pr of await scm.listOpenPullRequests(repo, base)) {
    const branch = parsePromotionBranch(pr.headRef);
    if (!branch || branch.app !== app.name) continue;
    if (!sameLogin(pr.author, deps.botLogin)) {
      takenBranches.set(pr.headRef, pr);
      // Anyone with write access can push a promobot branch and copy a metadata block: no gates, statuses,
      // merges or replies for a PR promobot did not open.
      logger.warn(
        { pr: pr.number, branch: pr.headRef, author: pr.author },
        'PR on a promobot branch not opened by promobot; left alone',
      );
      continue;
    }
    const meta = parsePromotionMeta(pr.body);
    if (meta && branch.kind === 'rollback' && meta.kind === 'rollback' && meta.env === branch.env) {
      rollbacks.push({ pr, meta });
      continue;
    }
    if (branch.kind !== 'promotion') continue;
    if (!meta || meta.app !== app.name || meta.env !== branch.env) {
      logger.warn(
        { pr: pr.number, branch: pr.headRef },
        'promotion PR has no valid metadata block; leaving it alone',
      );
      continue;
    }
    prs.set(pr.number, pr);
    open.push({ number: pr.number, meta, foreign: await deps.deployRepo.hasForeignCommits(pr.headRef) });
  }

  const now = deps.now();
  const actions = decidePromotions({
    spec,
    app,
    running: runningForDecision(running, verified),
    pushed: deps.pushed ?? null,
    open,
    now,
  });
  const merged: number[] = [];
  const envByName = new Map(spec.environments.map((e) => [e.name, e]));

  for (const action of actions) {
    const log = logger.child({ app: app.name, env: action.env, action: action.kind });
    const env = envByName.get(action.env);
    if (!env) continue;
    const rollout = rolloutOf.get(action.env);
    const held = heldByRollout(rollout) ? `${env.from} to run ${shortTag(rollout.tag)}` : null;
    switch (action.kind) {
      case 'open':
      case 'update': {
        const meta: PromotionMeta = {
          v: 1,
          policy: policyName,
          app: app.name,
          env: action.env,
          ...(action.from !== undefined ? { from: action.from } : {}),
          tag: action.tag,
          ...(action.digest !== undefined ? { digest: action.digest } : {}),
          previousTag: action.previousTag,
          kind: 'promotion',
          ...(rollout?.state === 'verified' && rollout.tag === action.tag
            ? { verifiedAt: new Date(rollout.verifiedAt).toISOString() }
            : {}),
        };
        const soakingUntil = action.kind === 'update' ? action.soakingUntil : null;
        const taken = takenBranches.get(promotionBranch(action.env, app.name));
        if (taken) {
          // Its commits would land in a PR promobot did not open, and the host allows one open PR per branch.
          log.warn(
            { pr: taken.number, author: taken.author, branch: taken.headRef, tag: action.tag },
            'promotion not written: someone else has a PR open on its branch; close that PR to let promobot open its own',
          );
          break;
        }
        const pr = await writePromotion(
          meta,
          env,
          app,
          spec,
          deps,
          action.kind === 'update' ? action.number : null,
          soakingUntil,
          held,
        );
        if (pr) {
          prs.set(pr.number, pr);
          await deps.settleRequesters?.(pr, action.env, 'promotion');
          log.info(
            { pr: pr.number, tag: action.tag },
            action.kind === 'open' ? 'promotion PR opened' : 'promotion PR updated',
          );
          if (rollout && env.from !== undefined) await deps.rollout?.publish(pr, env, env.from, rollout);
          if (soakingUntil === null && held === null) {
            await deps.onCandidate?.(pr, env, meta);
            if (await tryMerge(spec, pr, env, meta, deps, log)) merged.push(pr.number);
          } else await deps.onSoakingCandidate?.(pr, env, meta);
        }
        break;
      }
      case 'keep': {
        const pr = prs.get(action.number);
        const meta = pr ? parsePromotionMeta(pr.body) : null;
        // `/promote` on a PR that already carries the candidate: it now has an author.
        if (pr) await deps.settleRequesters?.(pr, action.env, 'promotion');
        if (pr && meta && rollout && env.from !== undefined) {
          await deps.rollout?.publish(pr, env, env.from, rollout);
          await recordVerifiedAt(deps, pr, meta, rollout);
          // Waiting for the rollout, or soaking since it was verified: the promotion status says which.
          if (held !== null || action.soakingUntil !== null)
            await setPromotionStatus(deps, pr.headSha, meta, action.soakingUntil, held);
        }
        if (pr && meta && action.soakingUntil === null && held === null) {
          // A soak that has ended turns the promotion status green.
          await setPromotionStatus(deps, pr.headSha, meta, null);
          await deps.onCandidate?.(pr, env, meta);
          if (await tryMerge(spec, pr, env, meta, deps, log)) merged.push(pr.number);
        }
        break;
      }
      case 'close': {
        await scm.createComment(repo, action.number, `Closing: ${action.reason}.`);
        await scm.closePullRequest(repo, action.number);
        const pr = prs.get(action.number);
        if (pr)
          await scm.deleteBranch(repo, pr.headRef).catch(async (error: unknown) => {
            log.warn({ err: error }, 'could not delete the branch');
            // Refused for good (a protection rule on promobot's branches): say so where people look.
            if (error instanceof PermanentError)
              await scm.createComment(
                repo,
                action.number,
                `promobot could not delete its branch \`${pr.headRef}\`: ${error.message}. Delete it by hand, or leave promobot's branches (\`promobot/*\`) out of the protection rule.`,
              );
          });
        log.info({ pr: action.number, reason: action.reason }, 'promotion PR closed');
        break;
      }
      case 'hands-off': {
        await handsOff(deps, action.number, promotionBranch(action.env, app.name));
        log.info({ pr: action.number }, 'promotion PR has foreign commits; left alone');
        break;
      }
      case 'recheck':
        await deps.scheduleRecheck(action.at, action.reason);
        break;
    }
  }
  // Rollback PRs: closed once the environment runs their tag, merged under the environment's rollback rules.
  for (const { pr, meta } of rollbacks) {
    const env = envByName.get(meta.env);
    if (!env) continue;
    const log = logger.child({ app: app.name, env: env.name, action: 'rollback' });
    if (running[env.name]?.tag === meta.tag) {
      await scm.createComment(repo, pr.number, `Closing: ${env.name} already runs ${meta.tag}.`);
      await scm.closePullRequest(repo, pr.number);
      continue;
    }
    if (await deps.deployRepo.hasForeignCommits(pr.headRef)) {
      // As for promotions: a person's commit on the bot's branch stops the automation there.
      await handsOff(deps, pr.number, pr.headRef);
      log.info({ pr: pr.number }, 'rollback PR has foreign commits; left alone');
      continue;
    }
    await deps.settleRequesters?.(pr, env.name, 'rollback');
    await deps.onCandidate?.(pr, env, meta);
    const rollbackEnv: Environment = { ...env, autoMerge: env.rollback.autoMerge };
    if (await tryMerge(spec, pr, rollbackEnv, meta, deps, log)) merged.push(pr.number);
  }
  return { actions, merged };
}

/** Says once on the PR that promobot leaves it alone, since a person committed to its branch. */
async function handsOff(deps: ReconcileDeps, number: number, branch: string): Promise<void> {
  const comments = await deps.scm.listComments(deps.repo, number);
  if (comments.some((c) => sameLogin(c.author, deps.botLogin) && c.body.includes(HANDS_OFF_MARKER))) return;
  await deps.scm.createComment(
    deps.repo,
    number,
    `Someone else has committed to \`${branch}\`, so promobot will not update this PR any more: it never overwrites a person's work. Merge or close it yourself; once it is closed, the next candidate opens a new PR.\n\n${HANDS_OFF_MARKER}`,
  );
}

async function writePromotion(
  meta: PromotionMeta,
  env: Environment,
  app: App,
  spec: PolicySpec,
  deps: ReconcileDeps,
  existing: number | null,
  soakingUntil: number | null,
  /** What the promotion waits for before its soak can start: `staging to run 3f9c2ab`. */
  held: string | null = null,
): Promise<PullRequest | null> {
  const { scm, repo } = deps;
  const branch = promotionBranch(meta.env, meta.app);
  const written = await deps.deployRepo.writeBranch({
    branch,
    path: environmentPathFor(env, app),
    ...promotionCandidate(app, meta, spec.commit.message),
  });
  if (written.foreign) return null;
  const title = renderPullRequestTitle(meta);
  const body = renderPullRequestBody({
    meta,
    image: app.image,
    notes:
      held !== null
        ? [`⏳ Waiting for ${held} (verified through its \`verify\`); the soak starts then.`]
        : soakingUntil !== null
          ? [`⏳ ${shortTag(meta.tag)} soaks in ${meta.from} until ${new Date(soakingUntil).toISOString()}.`]
          : [],
  });
  let pr: PullRequest;
  if (existing !== null) {
    pr = await scm.updatePullRequest(repo, existing, { title, body });
  } else {
    // Under the app lock no other reconcile opens this PR; a PR left by a crash between push and create is found.
    const found = await scm.findOpenPullRequest(repo, branch, spec.deployRepo.branch);
    if (found && !sameLogin(found.author, deps.botLogin)) {
      // Opened by someone else since the PRs were listed: not promobot's to edit, gate or merge.
      deps.logger.warn(
        { pr: found.number, author: found.author, branch },
        'promotion PR not opened: someone else has a PR open on its branch; left alone',
      );
      return null;
    }
    pr =
      found ??
      (await scm.createPullRequest(repo, { head: branch, base: spec.deployRepo.branch, title, body }));
    if (pr.body !== body || pr.title !== title)
      pr = await scm.updatePullRequest(repo, pr.number, { title, body });
  }
  const headSha = written.headSha;
  await setPromotionStatus(deps, headSha, meta, soakingUntil, held);
  return { ...pr, headSha };
}

async function setPromotionStatus(
  deps: ReconcileDeps,
  sha: string,
  meta: PromotionMeta,
  soakingUntil: number | null,
  held: string | null = null,
) {
  const status: CommitStatus =
    held !== null
      ? { context: PROMOTION_STATUS, state: 'pending', description: `waiting for ${held}` }
      : soakingUntil === null
        ? {
            context: PROMOTION_STATUS,
            state: 'success',
            description: `${meta.app} ${shortTag(meta.tag)} from ${meta.from ?? 'image push'}`,
          }
        : {
            context: PROMOTION_STATUS,
            state: 'pending',
            description: `soaking in ${meta.from} until ${new Date(soakingUntil).toISOString()}`,
          };
  await deps.scm.setCommitStatus(deps.repo, sha, status);
}

/**
 * Writes the verified time of the candidate in its source into the PR's metadata, for people and for rebuilding
 * what the PR is about. promobot itself decides from its own record, never from this copy.
 */
async function recordVerifiedAt(
  deps: ReconcileDeps,
  pr: PullRequest,
  meta: PromotionMeta,
  gate: RolloutGate,
): Promise<void> {
  if (gate.state !== 'verified' || gate.tag !== meta.tag) return;
  const verifiedAt = new Date(gate.verifiedAt).toISOString();
  if (meta.verifiedAt === verifiedAt) return;
  const body = replacePromotionMeta(pr.body, { ...meta, verifiedAt });
  if (body !== pr.body) await deps.scm.updatePullRequest(deps.repo, pr.number, { body });
}

async function tryMerge(
  spec: PolicySpec,
  listed: PullRequest,
  env: Environment,
  meta: PromotionMeta,
  deps: ReconcileDeps,
  log: Logger,
): Promise<boolean> {
  // A freeze window: the PR says so (`promobot/freeze`, required by `promobot setup`), and a recheck at its end
  // merges it then, if still approved and green. People-merged environments get the status too.
  if (hasFreezeWindows(spec)) {
    const decided = decideFreeze(spec, env, deps.now(), meta.kind);
    const overriddenBy = decided.frozen ? ((await deps.freezeOverride?.(listed)) ?? null) : null;
    const freeze = overriddenBy === null ? decided : { frozen: false, until: null, reason: null };
    const status =
      overriddenBy === null
        ? freezeStatus(freeze)
        : { ...freezeStatus(freeze), description: `frozen, unfrozen by @${overriddenBy}` };
    if (deps.setFreezeStatus) await deps.setFreezeStatus(listed, status);
    else await deps.scm.setCommitStatus(deps.repo, listed.headSha, status);
    if (freeze.frozen) {
      log.info({ pr: listed.number, until: freeze.until, reason: freeze.reason }, 'promotion PR frozen');
      await deps.scheduleRecheck(freeze.until! + 500, `freeze of #${listed.number} ends`);
      await deps.onFrozen?.(listed, env, freeze.until!, freeze.reason ?? 'freeze window');
      return false;
    }
  }
  // Where people merge, nothing to read or lock (`botMerges`, the rule `decideMerge` applies under the PR lock).
  // Gates, holds and approvals are all in `mergeReadiness`.
  if (!botMerges(env)) return false;
  // GitHub's PR list carries no `mergeable`: only the read of the PR itself does (and starts computing it), so a
  // listed PR is read again before it is judged. The head stays the one the caller knows.
  const pr =
    listed.mergeable === null
      ? {
          ...(await deps.scm.getPullRequest(deps.repo, listed.number)),
          headSha: listed.headSha,
          body: listed.body,
        }
      : listed;
  const decideAndMerge = () => decideAndMergeNow(pr, env, meta, deps, log);
  const result = deps.mergeLock ? await deps.mergeLock(pr, decideAndMerge) : await decideAndMerge();
  if (result === 'not ready') return false;
  if (result.merged || result.alreadyMerged) {
    log.info({ pr: pr.number }, 'promotion PR merged');
    return true;
  }
  if (result.retryable)
    await deps.scheduleRecheck(deps.now() + 10_000, `merge of #${pr.number} retried: ${result.reason}`);
  else {
    log.warn({ pr: pr.number, reason: result.reason }, 'promotion PR could not be merged');
    await reportMergeRefusal(deps.scm, deps.repo, pr, result.reason);
  }
  return false;
}

/** The readiness check and the merge call, with nothing in between (the caller may hold the PR's lock). */
async function decideAndMergeNow(
  pr: PullRequest,
  env: Environment,
  meta: PromotionMeta,
  deps: ReconcileDeps,
  log: Logger,
) {
  let trailers: string | undefined;
  if (deps.mergeReadiness) {
    const readiness = await deps.mergeReadiness(pr, env, meta);
    if (!readiness.ready) {
      log.info({ pr: pr.number, why: readiness.why }, 'promotion PR not ready to merge');
      // The host is still working out mergeability: nothing else will say when it is done, so look again.
      if (pr.mergeable === null)
        await deps.scheduleRecheck(deps.now() + 10_000, `mergeability of #${pr.number} still being computed`);
      return 'not ready' as const;
    }
    trailers = readiness.trailers;
  } else if (env.gates.length > 0 || (env.approvals?.required ?? 0) > 0) {
    // Gates and approvals are decided elsewhere; without that decision the bot never merges such a PR.
    return 'not ready' as const;
  }
  return deps.scm.mergePullRequest(deps.repo, pr.number, {
    method: env.mergeMethod,
    headSha: pr.headSha,
    title: renderPullRequestTitle(meta),
    ...(trailers ? { message: trailers } : {}),
  });
}
