import { z } from 'zod';
import type { CommitSpec, FileTree } from '../git/index.js';
import type { Logger } from '../logger/index.js';
import { isYamlPath, updateTree, type ImageChange } from '../updaters/index.js';
import { renderCommitSubject } from './render-pull-request.js';

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

/** What one change did to the tree. */
export interface AppliedChange {
  change: EnvironmentChange;
  /** The tag the environment ran before (from the first changed value), null when unknown. */
  previousTag: string | null;
  files: string[];
  /** References found (changed or already current); 0 means the path does not mention the image at all. */
  references: number;
  problems: string[];
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
 * Applies every change to the files under its environment's folder. Returns what each did; files are written
 * through `tree` only when their text changes.
 */
export async function applyImageChanges(
  tree: FileTree,
  changes: readonly EnvironmentChange[],
  logger: Logger,
): Promise<AppliedChange[]> {
  const applied: AppliedChange[] = [];
  for (const change of changes) {
    const result = await applyImageChange(tree, change.path, toImageChange(change));
    if (result.references === 0) {
      logger.warn(
        { app: change.app, env: change.env, path: change.path },
        'no reference to the image under the environment path',
      );
    }
    applied.push({ change, ...result });
  }
  return applied;
}

/** Moves every reference to the image under `folder` to the change's tag, writing only files whose text changes. */
export async function applyImageChange(
  tree: FileTree,
  folder: string,
  change: ImageChange,
): Promise<Omit<AppliedChange, 'change'>> {
  const files = new Map<string, string>();
  for (const path of await tree.list(folder === '' ? undefined : folder)) {
    if (!isYamlPath(path)) continue;
    const text = await tree.read(path);
    if (text !== null) files.set(path, text);
  }
  const update = updateTree(files, change);
  for (const file of update.changed) await tree.write(file.path, file.text);
  const firstEdit = update.changed[0]?.edits[0];
  return {
    previousTag: firstEdit ? tagOf(firstEdit.before) : null,
    files: update.changed.map((f) => f.path),
    references: update.references,
    problems: [
      ...update.changed.flatMap((f) => f.problems.map((p) => `${f.path}: ${p}`)),
      ...update.current.flatMap((f) => f.problems.map((p) => `${f.path}: ${p}`)),
      ...update.skipped.map((f) => `${f.path}: ${f.reason}`),
    ],
  };
}

/** The tag in a value that is either a bare tag or a full `repo:tag[@digest]` reference. */
export function tagOf(value: string): string | null {
  const withoutDigest = value.split('@')[0] ?? '';
  const colon = withoutDigest.lastIndexOf(':');
  const tag =
    colon > withoutDigest.lastIndexOf('/') && colon >= 0 ? withoutDigest.slice(colon + 1) : withoutDigest;
  return tag === '' ? null : tag;
}

/**
 * The commits for what changed: one per app and environment, with the policy's subject template and trailers
 * naming its app, environment and tag. A coalesced burst lands as several commits in one push, so every app's
 * history (`git log -- <app>/<env>`), its trailers and a `git revert` stay per app however busy the repo was.
 */
export function commitForChanges(
  applied: readonly AppliedChange[],
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
      trailers: {
        'Promobot-App': change.app,
        'Promobot-Environment': change.env,
        'Promobot-Tag': change.tag,
        ...(change.digest !== undefined ? { 'Promobot-Digest': change.digest } : {}),
        'Promobot-Event': change.event,
      },
      paths: files,
    }));
}
