import type { ImageChange } from './types.js';
import { updaters } from './update-file.js';
import { isYamlPath, mentions } from './update-tree.js';
import { mergeEdits, parseYamlSource } from './source-edits/index.js';

/** The image whose tags are read: what {@link ImageChange} names, without a tag to write. */
export type ImageRef = Pick<ImageChange, 'app' | 'image' | 'helmTagPaths'>;

// A tag nothing runs: asking every format to move the image to it makes each one show what it holds now, so the
// read-back and the write can never disagree on where a tag lives (manifest, kustomize, helm, marker).
const PROBE_TAG = 'promobot-probe';

/**
 * The tags of `image` that `files` (path → content) pin, in path order, each once: read back by the same updaters
 * that write them. A reference pinned to a digest alone has no tag and is not listed. Pure.
 */
export function readTags(
  files: ReadonlyMap<string, string> | Readonly<Record<string, string>>,
  image: ImageRef,
): string[] {
  const probe: ImageChange = { ...image, tag: PROBE_TAG, pinDigest: false };
  const formats = updaters();
  const needles = mentions(probe);
  const entries = files instanceof Map ? [...files.entries()] : Object.entries(files);
  const tags = new Set<string>();
  for (const [path, text] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!isYamlPath(path) || !needles.some((needle) => text.includes(needle))) continue;
    // What `updateFile` would edit, without making and checking the edit: one parse per file.
    const parsed = parseYamlSource(text);
    if (!parsed.ok) continue;
    const { edits, conflicts } = mergeEdits(formats.map((f) => f.locateIn(parsed.source, probe, path).edits));
    // Formats that disagree on a value make `updateFile` leave the file alone: it pins nothing promobot reads.
    if (conflicts.length > 0) continue;
    for (const edit of edits) {
      // Only the values that take the tag: a digest key the move would drop holds no tag.
      if (tagOfValue(edit.after) !== PROBE_TAG) continue;
      const tag = tagOfValue(edit.before);
      if (tag !== null) tags.add(tag);
    }
  }
  return [...tags];
}

/** The tag in `repo:tag`, `repo:tag@sha256:…` or a bare `tag` value; null for none (`repo@sha256:…`, ''). */
export function tagOfValue(value: string): string | null {
  const withoutDigest = value.split('@')[0] ?? '';
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  if (colon > slash) return withoutDigest.slice(colon + 1) || null;
  // A value with a path and no tag after it is an image pinned by digest alone.
  return slash >= 0 || withoutDigest === '' ? null : withoutDigest;
}
