import { z } from 'zod';
import type { FileTree } from '../git/index.js';
import type { Logger } from '../logger/index.js';
import { isYamlPath, updateTree, type ImageChange } from '../updaters/index.js';
import { renderCommitSubject, shortTag } from './render-pull-request.js';

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
 * The commit for what changed: the policy's subject template for one change; for a coalesced burst across apps a
 * summary subject with one body line per change. Trailers name every app, environment and tag.
 */
export function commitForChanges(
  applied: readonly AppliedChange[],
  template: string,
): { message: string; trailers: Record<string, string> } | null {
  const changed = applied.filter((a) => a.files.length > 0);
  if (changed.length === 0) return null;
  if (changed.length === 1) {
    const [only] = changed as [AppliedChange];
    const { change } = only;
    return {
      message: renderCommitSubject(template, {
        app: change.app,
        env: change.env,
        from: only.previousTag,
        to: change.tag,
      }),
      trailers: {
        'Promobot-App': change.app,
        'Promobot-Environment': change.env,
        'Promobot-Tag': change.tag,
        ...(change.digest !== undefined ? { 'Promobot-Digest': change.digest } : {}),
        'Promobot-Event': change.event,
      },
    };
  }
  const lines = changed.map(
    (a) => `- ${a.change.app} ${a.change.env}: ${shortTag(a.previousTag)} → ${shortTag(a.change.tag)}`,
  );
  return {
    message: [`promote: ${changed.length} apps`, '', ...lines].join('\n'),
    trailers: {
      // One commit, several apps: each trailer lists them in the same order.
      'Promobot-App': changed.map((a) => a.change.app).join(', '),
      'Promobot-Environment': changed.map((a) => a.change.env).join(', '),
      'Promobot-Tag': changed.map((a) => a.change.tag).join(', '),
      'Promobot-Event': changed.map((a) => a.change.event).join(', '),
    },
  };
}
