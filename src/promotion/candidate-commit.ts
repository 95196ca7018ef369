import { z } from 'zod';
import type { CommitSpec } from '../git/deploy-repo.js';
import { PROMOBOT_TRAILERS, type Trailers } from '../git/trailers.js';
import { checkDigest, checkTag, type TagRuleSet } from '../images/index.js';
import { environmentPath } from '../policy/environment-path.js';
import type { App, Environment, PromotionPolicy } from '../policy/schema.js';
import type { ImageChange } from '../updaters/types.js';
import { renderCommitSubject } from './render-pull-request.js';

/**
 * The candidate commit, built in this one module: which image change a commit carries, its subject and its
 * `Promobot-*` trailers (names from {@link PROMOBOT_TRAILERS}). An entry environment's commit (image push), a
 * promotion PR's commit and a rollback PR's commit all come from here, and so does what `promobot plan` prints.
 */

/** One environment of one app to move to a tag: what a coalesced commit is made of. */
export const EnvironmentChange = z.object({
  policy: z.string().min(1),
  app: z.string().min(1),
  env: z.string().min(1),
  /** The environment's folder for this app. */
  path: z.string(),
  image: z.string().min(1),
  tag: z.string().min(1),
  digest: z.string().min(1).optional(),
  pinDigest: z.boolean(),
  helmTagPaths: z.array(z.string()),
  /** The delivery or job the change came from, recorded in the commit. */
  event: z.string().min(1),
  occurredAt: z.string(),
});
export type EnvironmentChange = z.infer<typeof EnvironmentChange>;

/** The subject of a rollback PR's commit. */
export const ROLLBACK_SUBJECT = 'rollback({{app}}): {{env}} {{fromShort}} → {{toShort}}';

/** What a bot branch's commit carries: the change the updaters apply, and the message around it. */
export interface CandidateCommit {
  change: ImageChange;
  /** The subject line. */
  message: string;
  trailers: Trailers;
}

/** The {@link ImageChange} of `app` at `tag` (and `digest`), as its policy writes it. */
export function imageChangeOf(app: App, tag: string, digest?: string): ImageChange {
  return {
    app: app.name,
    image: app.image,
    tag,
    ...(digest !== undefined ? { digest } : {}),
    pinDigest: app.pinDigest,
    helmTagPaths: app.helmTagPaths,
  };
}

/** The {@link ImageChange} the updaters apply for one environment change. */
export function toImageChange(change: EnvironmentChange): ImageChange {
  return {
    app: change.app,
    image: change.image,
    tag: change.tag,
    ...(change.digest !== undefined ? { digest: change.digest } : {}),
    pinDigest: change.pinDigest,
    helmTagPaths: change.helmTagPaths,
  };
}

/**
 * Why a push of `tag` (and `digest`) is not promoted, or null when it may be: the app's tag rules, and a
 * well-formed digest.
 */
export function refusePush(rules: TagRuleSet, tag: string, digest: string | undefined): string | null {
  const tagCheck = checkTag(tag, rules);
  if (!tagCheck.ok) return tagCheck.reason;
  if (digest !== undefined && !checkDigest(digest).ok)
    return `the digest ${JSON.stringify(digest.slice(0, 80))} is malformed`;
  return null;
}

/** The change a push of `tag` makes to `app` in `env`: what the entry environment's commit is built from. */
export function environmentChange(
  policy: PromotionPolicy,
  app: App,
  env: Environment,
  push: { tag: string; digest?: string | undefined; event: string; occurredAt: string },
): EnvironmentChange {
  return {
    policy: policy.metadata.name,
    app: app.name,
    env: env.name,
    path: environmentPath(env, app),
    image: app.image,
    tag: push.tag,
    ...(push.digest !== undefined ? { digest: push.digest } : {}),
    pinDigest: app.pinDigest,
    helmTagPaths: app.helmTagPaths,
    event: push.event,
    occurredAt: push.occurredAt,
  };
}

/** The trailers of a candidate commit, always in this order; absent values are left out. */
export function candidateTrailers(values: {
  app: string;
  env: string;
  tag: string;
  digest?: string | undefined;
  from?: string | undefined;
  event?: string | undefined;
  rollback?: boolean;
}): Trailers {
  const t = PROMOBOT_TRAILERS;
  return {
    [t.app]: values.app,
    [t.environment]: values.env,
    [t.tag]: values.tag,
    ...(values.digest !== undefined ? { [t.digest]: values.digest } : {}),
    ...(values.from !== undefined ? { [t.from]: values.from } : {}),
    ...(values.event !== undefined ? { [t.event]: values.event } : {}),
    ...(values.rollback === true ? { [t.rollback]: 'true' } : {}),
  };
}

/**
 * The commits for what changed in entry environments: one per app and environment, with the policy's subject
 * template and trailers naming its app, environment and tag. A coalesced burst lands as several commits in one
 * push, so every app's history (`git log -- <app>/<env>`), its trailers and a `git revert` stay per app however
 * busy the repo was.
 */
export function commitForChanges(
  applied: readonly { change: EnvironmentChange; previousTag: string | null; files: readonly string[] }[],
  template: string,
): (CommitSpec & { paths: string[] })[] {
  return applied
    .filter((a) => a.files.length > 0)
    .map(({ change, previousTag, files }) => ({
      message: renderCommitSubject(template, {
        app: change.app,
        env: change.env,
        from: previousTag,
        to: change.tag,
      }),
      trailers: candidateTrailers({
        app: change.app,
        env: change.env,
        tag: change.tag,
        digest: change.digest,
        event: change.event,
      }),
      paths: [...files],
    }));
}

/** The commit of a promotion PR's branch: `app` at the tag of `meta`, from the environment it soaked in. */
export function promotionCandidate(
  app: App,
  meta: {
    env: string;
    tag: string;
    digest?: string | undefined;
    from?: string | undefined;
    previousTag: string | null;
  },
  template: string,
): CandidateCommit {
  return {
    change: imageChangeOf(app, meta.tag, meta.digest),
    message: renderCommitSubject(template, {
      app: app.name,
      env: meta.env,
      from: meta.previousTag,
      to: meta.tag,
    }),
    trailers: candidateTrailers({
      app: app.name,
      env: meta.env,
      tag: meta.tag,
      digest: meta.digest,
      from: meta.from,
    }),
  };
}

/** The commit of a rollback PR's branch: `app` back at `target` in `env`; a rollback never pins a digest. */
export function rollbackCandidate(
  app: App,
  env: string,
  current: string | null,
  target: string,
): CandidateCommit {
  return {
    change: { ...imageChangeOf(app, target), pinDigest: false },
    message: renderCommitSubject(ROLLBACK_SUBJECT, { app: app.name, env, from: current, to: target }),
    trailers: candidateTrailers({ app: app.name, env, tag: target, rollback: true }),
  };
}
