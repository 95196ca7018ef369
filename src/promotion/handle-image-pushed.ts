import { PermanentError } from '../errors/index.js';
import type { ImagePushed } from '../events/index.js';
import { landPending, type DeployRepo, type PendingChanges } from '../git/index.js';
import type { Logger } from '../logger/index.js';
import { downstreamOf, entryEnvironments, findAppByImage, type PromotionPolicy } from '../policy/index.js';
import { applyImageChanges, type AppliedChange } from './apply-image-changes.js';
import {
  commitForChanges,
  environmentChange,
  refusePush,
  type EnvironmentChange,
} from './candidate-commit.js';

export interface ImagePushedDeps {
  /** The policy set in force. */
  policies: () => readonly PromotionPolicy[];
  deployRepoFor: (policy: PromotionPolicy) => DeployRepo;
  pendingFor: (repo: DeployRepo) => PendingChanges<EnvironmentChange>;
  /** Records the newest push of an app for entry environments in pull-request mode; older pushes are ignored. */
  recordPush: (
    policy: PromotionPolicy,
    app: string,
    push: { tag: string; digest?: string; at: number },
  ) => Promise<void>;
  /** Asks for the app to be reconciled (downstream PRs opened or refreshed). */
  requestReconcile: (policy: string, app: string, reason: string) => Promise<void>;
}

export interface ImagePushedOutcome {
  status: 'no-app' | 'stale' | 'landed' | 'recorded';
  landed: AppliedChange[];
}

/**
 * An image was pushed: if policy promotes it, its entry environments take the tag — by a commit (coalesced with
 * every other pending change of the deploy repo) or, in pull-request mode, through the app's reconcile. A tag the
 * policy refuses fails the job at once with the reason, and nothing is written.
 */
export async function handleImagePushed(
  event: ImagePushed,
  eventId: string,
  logger: Logger,
  deps: ImagePushedDeps,
): Promise<ImagePushedOutcome> {
  const match = findAppByImage(deps.policies(), event.registry, event.repository);
  if (!match) {
    logger.info({ image: `${event.registry}/${event.repository}` }, 'no policy promotes this image; ignored');
    return { status: 'no-app', landed: [] };
  }
  const { policy, app } = match;
  const log = logger.child({ policy: policy.metadata.name, app: app.name, tag: event.tag });
  const refusal = refusePush(app.tags, event.tag, event.digest);
  if (refusal !== null) throw new PermanentError(`refused to promote ${app.name}: ${refusal}`);
  const digest = event.digest;
  const order = Date.parse(event.occurredAt);
  const entries = entryEnvironments(policy.spec);

  let status: ImagePushedOutcome['status'] = 'recorded';
  const commitEnvs = entries.filter((env) => env.update === 'commit');
  if (entries.some((env) => env.update === 'pull-request')) {
    await deps.recordPush(policy, app.name, {
      tag: event.tag,
      ...(digest !== undefined ? { digest } : {}),
      at: order,
    });
    await deps.requestReconcile(policy.metadata.name, app.name, `image ${event.tag} pushed`);
  }
  if (commitEnvs.length === 0) return { status, landed: [] };

  const repo = deps.deployRepoFor(policy);
  const pending = deps.pendingFor(repo);
  const mine: { key: string; order: number }[] = [];
  for (const env of commitEnvs) {
    const change = environmentChange(policy, app, env, {
      tag: event.tag,
      digest,
      event: eventId,
      occurredAt: event.occurredAt,
    });
    const key = `${policy.metadata.name}/${app.name}/${env.name}`;
    const outcome = await pending.put(key, change, order);
    if (outcome === 'stale')
      log.info({ env: env.name }, 'a newer push already landed here; this older one is not written');
    else mine.push({ key, order });
  }
  if (mine.length === 0) return { status: 'stale', landed: [] };

  let applied: AppliedChange[] = [];
  const result = await landPending(
    repo,
    pending,
    async (tree, pendingEntries) => {
      applied = await applyImageChanges(
        tree,
        pendingEntries.map((e) => e.value),
        log,
      );
      const commits = commitForChanges(applied, policy.spec.commit.message);
      return commits.length === 0 ? null : commits;
    },
    { mine },
  );
  status = 'landed';
  log.info(
    {
      commit: result.commit,
      pushed: result.pushed,
      changes: result.landed.length,
      attempts: result.attempts,
    },
    'entry environments updated',
  );
  // Everything that landed — this push's change and any other job's riding along — may open downstream PRs; an
  // environment nothing promotes from needs no reconcile (and its lock-holding reads).
  const byName = new Map(deps.policies().map((p) => [p.metadata.name, p]));
  const apps = new Set(
    result.landed
      .filter((entry) => {
        const landedPolicy = byName.get(entry.value.policy);
        return landedPolicy !== undefined && downstreamOf(landedPolicy.spec, entry.value.env).length > 0;
      })
      .map((entry) => `${entry.value.policy}\u0000${entry.value.app}`),
  );
  for (const key of apps) {
    const [policyName = '', appName = ''] = key.split('\u0000');
    await deps.requestReconcile(policyName, appName, `entry environment updated to ${event.tag}`);
  }
  return { status, landed: applied };
}
