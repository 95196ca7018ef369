import { checkDigest, checkTag } from '../images/index.js';
import type { FileUpdate } from './file-update.js';
import { helmUpdater } from './helm/index.js';
import { kustomizeUpdater } from './kustomize/index.js';
import { manifestUpdater } from './manifest/index.js';
import { markerUpdater } from './marker/index.js';
import type { ImageChange, Updater } from './types.js';
import { mergeEdits, parseYamlSource, spliceEdits } from './source-edits/index.js';

/** Every format. When two find the same value, they must agree on what it becomes (see {@link updateFile}). */
export function updaters(): Updater[] {
  return [manifestUpdater(), kustomizeUpdater(), helmUpdater(), markerUpdater()];
}

/**
 * Applies every format that finds the image in one file, without editing any byte range twice (a value two formats
 * find is edited once when they agree; the file is skipped when they do not), and checks the
 * result: it must parse and every format must find nothing more to change (the edit reads back as meant). A file
 * that is not valid YAML, or whose edit would not read back, is `skipped` with the reason and never thrown about.
 *
 * Throws only on a change no file should ever receive (a tag outside the OCI grammar, `latest`, a malformed
 * digest): callers check the tag against the app's rules with `checkTag` first; this is the last line of defence.
 */
export function updateFile(
  path: string,
  text: string,
  change: ImageChange,
  formats: readonly Updater[] = updaters(),
): FileUpdate {
  assertWritable(change);
  const parsed = parseYamlSource(text);
  if (!parsed.ok) return { path, status: 'skipped', reason: parsed.reason };
  const located = formats.map((format) => format.locateIn(parsed.source, change, path));
  const references = located.reduce((sum, found) => sum + found.references, 0);
  const { edits, conflicts } = mergeEdits(located.map((found) => found.edits));
  if (conflicts.length > 0) {
    // Two formats read the same value differently (a tag-only marker on a full `image:` reference): the file says
    // two things, and guessing which was meant could deploy the wrong thing.
    return { path, status: 'skipped', reason: `formats disagree: ${conflicts.join('; ')}` };
  }
  const problems = located.flatMap((found) => found.problems);
  if (edits.length === 0) {
    return references === 0 && problems.length === 0
      ? { path, status: 'absent' }
      : { path, status: 'current', references, problems };
  }
  const after = spliceEdits(text, edits);
  const reparsed = parseYamlSource(after);
  const readsBack =
    reparsed.ok &&
    reparsed.source.documents.length === parsed.source.documents.length &&
    formats.every((format) => format.locateIn(reparsed.source, change, path).edits.length === 0);
  if (!readsBack) {
    return {
      path,
      status: 'skipped',
      reason: 'the edited file would not read back with the new tag; left unchanged',
    };
  }
  return { path, status: 'changed', before: text, text: after, edits, references, problems };
}

function assertWritable(change: ImageChange): void {
  // The grammar and `latest` only: an empty allow pattern matches any tag; the app's own patterns are the caller's.
  const tag = checkTag(change.tag, { allow: '' });
  if (!tag.ok) throw new TypeError(`refusing to write: ${tag.reason}`);
  if (change.digest !== undefined) {
    const digest = checkDigest(change.digest);
    if (!digest.ok) throw new TypeError(`refusing to write: ${digest.reason}`);
  }
}
